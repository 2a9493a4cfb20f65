// The load the labeller puts on an API server when something is wrong, one scenario per fresh cluster: a
// real kube-apiserver and etcd (KUBEBUILDER_ASSETS, as the envtest tests run them) behind a recording,
// fault-injecting proxy. Each is a way a labeller has been seen to spin, fight or stall (issue #9); the
// figures are the labeller's requests as the proxy passed them on, so they show what an API server gets
// from every node of a fleet.
//
//   resync-off           run --resync-interval off: node GETs in the 5 s after it labelled (should idle)
//   reread-off           run --reread-interval off: devicetree reads in 4 s after it labelled (should idle)
//   two-prefixes         two labellers on one node with different --prefix: PATCHes in 6 s once both
//                        labelled, and whether both label sets are there at the end (should settle)
//   forbidden            patch on nodes answers 403 throughout (RBAC: the labeller's ServiceAccount may
//                        get, list and watch nodes and create Events, not patch): requests per minute
//   lagging-watch-cache  every watch resume answers 410, as from a watch cache lagging behind the lists:
//                        here etcd is compacted past the labeller's resourceVersion just before each of
//                        its watches reaches the server (watch cache off, so etcd serves the watch):
//                        LISTs in 5 s (and the watches in those 5 s, and how many of them ended in ERROR)
//   watch-backoff-reset  five watches answered 503 by the proxy, then one that runs healthy for 10 s and is
//                        dropped: how long until the labeller watches again (a healthy watch should reset
//                        the backoff)
//
// Prints one line per scenario to stderr and a JSON summary last.
//
//   npm run --silent bench:controller-load -- [--scenarios a,b] [--forbidden-minutes 3]
import { setTimeout as delay } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import type { ControlPlaneOptions } from '../__tests__/helpers/envtest/control-plane.ts';
import type { ProxyRecord } from '../__tests__/helpers/envtest/fault-proxy.ts';
import { addNodes, type Cluster, type Labeller, round, startCluster, startLabeller, whenLabelled } from './lib/controller.ts';

const SCENARIOS = ['resync-off', 'reread-off', 'two-prefixes', 'forbidden', 'lagging-watch-cache', 'watch-backoff-reset'] as const;
type Scenario = (typeof SCENARIOS)[number];

const { values } = parseArgs({
  options: {
    scenarios: { type: 'string', default: SCENARIOS.join(',') },
    'forbidden-minutes': { type: 'string', default: '3' },
  },
});
const NODE = 'jetson-1';

const since = (records: readonly ProxyRecord[], start: number) => records.filter((r) => r.timestamp >= start);
const pathOf = (r: ProxyRecord) => r.path.split('?')[0];
const isGet = (r: ProxyRecord) => r.method === 'GET' && pathOf(r) === `/api/v1/nodes/${NODE}`;
const isList = (r: ProxyRecord) => r.method === 'GET' && pathOf(r) === '/api/v1/nodes' && !r.watch;
const isWatch = (r: ProxyRecord) => r.watch;

/** A node nobody labels, written to move etcd's revision on. */
const BYSTANDER = 'bystander';

/**
 * Makes every resourceVersion the labeller holds too old for etcd: two writes, then a compaction at the
 * newest revision. (Two, because a watch from revision R reads etcd from R+1: compacted exactly at R+1, etcd
 * would still stream that change, without its previous value, which kube-apiserver answers with a 500.)
 */
async function expireResourceVersions(cluster: Cluster): Promise<void> {
  for (let i = 0; i < 2; i++) {
    await cluster.plane.ok(
      'PATCH',
      `/api/v1/nodes/${BYSTANDER}`,
      { metadata: { annotations: { 'bench.example.com/tick': `${Date.now()}-${i}` } } },
      { contentType: 'application/merge-patch+json' },
    );
  }
  await cluster.plane.compactEtcd();
}

/**
 * A ServiceAccount with the chart's grants minus `patch` on nodes (get, list and watch nodes; create Events
 * in default), and a kubeconfig through the proxy with a token for it: RBAC answers the labeller's patches 403.
 */
async function withoutNodePatch(cluster: Cluster): Promise<string> {
  const { plane } = cluster;
  const sa = { kind: 'ServiceAccount', name: 'dt-node-labeller', namespace: 'default' };
  await plane.ok('POST', '/api/v1/namespaces/default/serviceaccounts', { metadata: { name: sa.name } });
  const rbac = '/apis/rbac.authorization.k8s.io/v1';
  await plane.ok('POST', `${rbac}/clusterroles`, {
    metadata: { name: 'bench-no-node-patch' },
    rules: [{ apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'watch'] }],
  });
  await plane.ok('POST', `${rbac}/clusterrolebindings`, {
    metadata: { name: 'bench-no-node-patch' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'bench-no-node-patch' },
    subjects: [sa],
  });
  await plane.ok('POST', `${rbac}/namespaces/default/roles`, {
    metadata: { name: 'bench-events' },
    rules: [
      { apiGroups: [''], resources: ['events'], verbs: ['create'] },
      { apiGroups: ['events.k8s.io'], resources: ['events'], verbs: ['create'] },
    ],
  });
  await plane.ok('POST', `${rbac}/namespaces/default/rolebindings`, {
    metadata: { name: 'bench-events' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'bench-events' },
    subjects: [sa],
  });
  const token = await plane.token('default', sa.name);
  return plane.kubeconfig(cluster.dir, { server: cluster.proxy.url, token, fileName: 'no-node-patch.kubeconfig' });
}

async function metric(labeller: Labeller, name: string): Promise<number | undefined> {
  const text = await (await fetch(await labeller.metricsUrl)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.split(' ')[1]);
}

async function withLabellers<T>(argsList: string[][], body: (cluster: Cluster, labellers: Labeller[]) => Promise<T>, options: ControlPlaneOptions = {}): Promise<T> {
  const cluster = await startCluster(options);
  await addNodes(cluster, [NODE]);
  const labellers = argsList.map((args) => startLabeller({ cluster, nodeName: NODE, args }));
  try {
    return await body(cluster, labellers);
  } finally {
    await Promise.all(labellers.map((l) => l.stop()));
    await cluster.stop();
  }
}

const run: Record<Scenario, () => Promise<Record<string, unknown>>> = {
  'resync-off': () =>
    withLabellers([['--resync-interval', 'off']], async (cluster, [labeller]) => {
      await whenLabelled(cluster, NODE, labeller!);
      const start = Date.now();
      await delay(5000);
      return { nodeGetsIn5s: since(cluster.proxy.records, start).filter(isGet).length, exitCode: labeller!.child.exitCode };
    }),
  'reread-off': () =>
    withLabellers([['--reread-interval', 'off']], async (cluster, [labeller]) => {
      await whenLabelled(cluster, NODE, labeller!);
      const before = await metric(labeller!, 'dt_node_labeller_devicetree_parse_duration_seconds_count');
      await delay(4000);
      const after = await metric(labeller!, 'dt_node_labeller_devicetree_parse_duration_seconds_count');
      return { devicetreeReadsIn4s: (after ?? 0) - (before ?? 0) };
    }),
  'two-prefixes': () =>
    withLabellers([[], ['--prefix', 'dt.example.com']], async (cluster) => {
      const both = async () => {
        const keys = Object.keys(await cluster.plane.labels(NODE));
        return keys.some((k) => k.startsWith('beta.devicetree.org/')) && keys.some((k) => k.startsWith('dt.example.com/'));
      };
      const deadline = Date.now() + 10_000;
      while (!(await both()) && Date.now() < deadline) await delay(50);
      await delay(1000);
      const start = Date.now();
      await delay(6000);
      return { patchesIn6s: since(cluster.proxy.records, start).filter((r) => r.method === 'PATCH').length, bothLabelSetsAtEnd: await both() };
    }),
  forbidden: async () => {
    const minutes = Number(values['forbidden-minutes']);
    const cluster = await startCluster();
    let labeller: Labeller | undefined;
    try {
      await addNodes(cluster, [NODE]);
      const kubeconfig = await withoutNodePatch(cluster);
      labeller = startLabeller({ cluster: { ...cluster, kubeconfig }, nodeName: NODE });
      const start = Date.now();
      const perMinute: number[] = [];
      for (let m = 1; m <= minutes; m++) {
        await delay(start + m * 60_000 - Date.now());
        const minute = cluster.proxy.records.filter((r) => r.timestamp >= start + (m - 1) * 60_000 && r.timestamp < start + m * 60_000 && !isWatch(r));
        perMinute.push(minute.length);
        const answers = minute.map((r) => `${r.method} ${r.status}`).join(', ');
        process.stderr.write(`  forbidden: minute ${m}: ${perMinute.at(-1)} requests (${answers})\n`);
      }
      return { requestsPerMinute: perMinute };
    } finally {
      await labeller?.stop();
      await cluster.stop();
    }
  },
  'lagging-watch-cache': () =>
    withLabellers(
      [[]],
      async (cluster, [labeller]) => {
        await whenLabelled(cluster, NODE, labeller!);
        await addNodes(cluster, [BYSTANDER]);
        let expiring = true;
        const expireNextWatch = () =>
          cluster.proxy.beforeNext({ pathIncludes: 'watch=true' }, async () => {
            if (!expiring) return;
            await expireResourceVersions(cluster);
            expireNextWatch();
          });
        expireNextWatch();
        cluster.proxy.dropConnections();
        const start = Date.now();
        await delay(5000);
        expiring = false;
        const answered = since(cluster.proxy.records, start).filter(isWatch);
        const expired = answered.filter((r) => r.events.some((e) => e.type === 'ERROR')).length;
        return { listsIn5s: since(cluster.proxy.records, start).filter(isList).length, watchesIn5s: answered.length, watchesExpired: expired };
      },
      // Served from etcd, a watch meets etcd's compaction; the watch cache would serve it from its own window.
      { apiServerArgs: ['--watch-cache=false'] },
    ),
  'watch-backoff-reset': () =>
    withLabellers([[]], async (cluster, [labeller]) => {
      cluster.proxy.failNext(5, { status: 503, pathIncludes: 'watch=true' });
      await whenLabelled(cluster, NODE, labeller!);
      const deadline = Date.now() + 30_000;
      while (cluster.proxy.openWatches === 0 && Date.now() < deadline) await delay(20);
      await delay(10_000); // a healthy watch
      const dropped = Date.now();
      cluster.proxy.dropConnections();
      while (!since(cluster.proxy.records, dropped).some((r) => isWatch(r) || isList(r)) && Date.now() < dropped + 30_000) await delay(5);
      const next = since(cluster.proxy.records, dropped).find((r) => isWatch(r) || isList(r));
      return { secondsUntilWatchingAgain: next === undefined ? '>30' : round((next.timestamp - dropped) / 1000, 2) };
    }),
};

const results: Record<string, unknown> = {};
for (const name of values.scenarios.split(',') as Scenario[]) {
  if (!SCENARIOS.includes(name)) throw new Error(`unknown scenario ${name}; known: ${SCENARIOS.join(', ')}`);
  results[name] = await run[name]();
  process.stderr.write(`${name}: ${JSON.stringify(results[name])}\n`);
}
process.stdout.write(`${JSON.stringify(results)}\n`);
