// The load the labeller puts on an API server when something is wrong, one scenario per fresh fake cluster.
// Each is a way a labeller has been seen to spin, fight or stall (issue #9); the figures are requests the
// fake server received, so they show what a real API server would get from every node of a fleet.
//
//   resync-off           run --resync-interval off: node GETs in the 5 s after it labelled (should idle)
//   reread-off           run --reread-interval off: devicetree reads in 4 s after it labelled (should idle)
//   two-prefixes         two labellers on one node with different --prefix: PATCHes in 6 s once both
//                        labelled, and whether both label sets are there at the end (should settle)
//   forbidden            patch on nodes answers 403 throughout: requests per minute, minute by minute
//   lagging-watch-cache  every watch resume answers 410 (a lagging watch cache): LISTs in 5 s
//   watch-backoff-reset  five failed watches, then one that runs healthy for 10 s and is dropped: how long
//                        until the labeller watches again (a healthy watch should reset the backoff)
//
// Prints one line per scenario to stderr and a JSON summary last.
//
//   npm run --silent bench:controller-load -- [--scenarios a,b] [--forbidden-minutes 3]
import { setTimeout as delay } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import type { RequestRecord } from '../__tests__/helpers/fake-api-server.ts';
import { type FakeCluster, type Labeller, round, startCluster, startLabeller, whenLabelled } from './lib/controller.ts';

const SCENARIOS = ['resync-off', 'reread-off', 'two-prefixes', 'forbidden', 'lagging-watch-cache', 'watch-backoff-reset'] as const;
type Scenario = (typeof SCENARIOS)[number];

const { values } = parseArgs({
  options: {
    scenarios: { type: 'string', default: SCENARIOS.join(',') },
    'forbidden-minutes': { type: 'string', default: '3' },
  },
});
const NODE = 'jetson-1';

const since = (records: readonly RequestRecord[], start: number) => records.filter((r) => r.timestamp >= start);
const pathOf = (r: RequestRecord) => r.path.split('?')[0];
const isGet = (r: RequestRecord) => r.method === 'GET' && pathOf(r) === `/api/v1/nodes/${NODE}`;
const isList = (r: RequestRecord) => r.method === 'GET' && pathOf(r) === '/api/v1/nodes' && !r.watch;
const isWatch = (r: RequestRecord) => r.watch;

async function metric(labeller: Labeller, name: string): Promise<number | undefined> {
  const text = await (await fetch(await labeller.metricsUrl)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.split(' ')[1]);
}

async function withLabellers<T>(argsList: string[][], body: (cluster: FakeCluster, labellers: Labeller[]) => Promise<T>): Promise<T> {
  const cluster = await startCluster();
  cluster.server.addNode(NODE);
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
      return { nodeGetsIn5s: since(cluster.server.requests, start).filter(isGet).length, exitCode: labeller!.child.exitCode };
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
      const both = () => {
        const keys = Object.keys(cluster.server.getNode(NODE)?.metadata.labels ?? {});
        return keys.some((k) => k.startsWith('beta.devicetree.org/')) && keys.some((k) => k.startsWith('dt.example.com/'));
      };
      const deadline = Date.now() + 10_000;
      while (!both() && Date.now() < deadline) await delay(50);
      await delay(1000);
      const start = Date.now();
      await delay(6000);
      return { patchesIn6s: since(cluster.server.requests, start).filter((r) => r.method === 'PATCH').length, bothLabelSetsAtEnd: both() };
    }),
  forbidden: async () => {
    const minutes = Number(values['forbidden-minutes']);
    const cluster = await startCluster();
    cluster.server.addNode(NODE);
    cluster.server.forbid({ verb: 'patch', resource: 'nodes' });
    const labeller = startLabeller({ cluster, nodeName: NODE });
    try {
      const start = Date.now();
      const perMinute: number[] = [];
      for (let m = 1; m <= minutes; m++) {
        await delay(start + m * 60_000 - Date.now());
        perMinute.push(cluster.server.requests.filter((r) => r.timestamp >= start + (m - 1) * 60_000 && r.timestamp < start + m * 60_000 && !isWatch(r)).length);
        process.stderr.write(`  forbidden: minute ${m}: ${perMinute.at(-1)} requests\n`);
      }
      return { requestsPerMinute: perMinute };
    } finally {
      await labeller.stop();
      await cluster.stop();
    }
  },
  'lagging-watch-cache': () =>
    withLabellers([[]], async (cluster, [labeller]) => {
      await whenLabelled(cluster, NODE, labeller!);
      cluster.server.laggingWatchCache(true);
      cluster.server.dropWatches();
      const start = Date.now();
      await delay(5000);
      return { listsIn5s: since(cluster.server.requests, start).filter(isList).length };
    }),
  'watch-backoff-reset': () =>
    withLabellers([[]], async (cluster, [labeller]) => {
      cluster.server.failNext(5, { status: 503, pathIncludes: 'watch=true' });
      await whenLabelled(cluster, NODE, labeller!);
      const deadline = Date.now() + 30_000;
      while (cluster.server.openWatches === 0 && Date.now() < deadline) await delay(20);
      await delay(10_000); // a healthy watch
      const dropped = Date.now();
      cluster.server.dropWatches();
      while (!since(cluster.server.requests, dropped).some((r) => isWatch(r) || isList(r)) && Date.now() < dropped + 30_000) await delay(5);
      const next = since(cluster.server.requests, dropped).find((r) => isWatch(r) || isList(r));
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
