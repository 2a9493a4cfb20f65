// API traffic the labeller causes and receives, and whether it grows with the cluster: it watches only its
// own Node (fieldSelector metadata.name=<node>), so a 1,000-node cluster must cost it what a 10-node one
// does. For each size, a real kube-apiserver with its own etcd (KUBEBUILDER_ASSETS, as the envtest tests run
// them) holds the labeller's node plus size-1 others; every other node is touched about every --touch-every
// seconds, in turn a label, an annotation (merge patches) and a status heartbeat (a strategic merge patch of
// the Ready condition through /status), as kubelets and other controllers do. All sizes run at once, each
// with its own control plane and labeller, for start-up plus --seconds of steady state. The labeller talks to
// its server through a recording proxy and the churn goes to the server directly, so the proxy's records are
// the labeller's traffic: requests by kind, response body bytes (headers not counted), and the events each
// watch stream delivered.
//
// BOOKMARKs are the server's own: its watch cache sends them to watches that allow them about once a minute
// and 2 s before the watch's timeoutSeconds, which keeps a client's resourceVersion inside the cache's window
// of recent changes however busy the cluster is. A watch resumed from a resourceVersion older than that
// window gets 410 Gone and the labeller relists: that is where cluster size can leak into its traffic.
//
// Prints each labeller's requests as they happened to stderr and one JSON summary line last.
//
//   npm run --silent bench:controller-traffic -- [--seconds 300] [--nodes 10,1000] [--touch-every 10]
//       [--touch-own] [--node-flags="--max-semi-space-size=1"]
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import type { ControlPlane } from '../__tests__/helpers/envtest/control-plane.ts';
import type { ProxyRecord } from '../__tests__/helpers/envtest/fault-proxy.ts';
import { addNodes, parseVariant, readMemory, round, startCluster, startLabeller, whenLabelled } from './lib/controller.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '300' },
    nodes: { type: 'string', default: '10,1000' },
    'touch-every': { type: 'string', default: '10' },
    // Off by default: the question is what other nodes' churn costs. On, the own node is touched like the
    // rest, and the watch events it causes must not lead to patches.
    'touch-own': { type: 'boolean', default: false },
    // As in controller-start: how to run node (the labeller's RSS at the end is in the summary).
    'node-flags': { type: 'string', default: '' },
  },
});
const SECONDS = Number(values.seconds);
const SIZES = values.nodes.split(',').map(Number);
const TOUCH_EVERY_MS = Number(values['touch-every']) * 1000;
const variant = parseVariant(values['node-flags']);
const OWN = 'labelled-node';
/** Timers due right at the end of the window (the 5-minute resync) land inside it in every cluster. */
const GRACE_MS = 2000;
/** Churn writes in flight at once: 100 a second at 1,000 nodes, each a few ms on the server. */
const CHURN_IN_FLIGHT = 32;

/**
 * Touches `names` round-robin, on a clock: by `t` ms after the start, floor(t * names / TOUCH_EVERY_MS)
 * writes have been started, so name i is written at (i + 1) / names.length periods and every period after.
 * The last name is thus written at whole periods whatever the cluster size, which keeps the own node's
 * writes (with --touch-own it goes last) in step across clusters. At most CHURN_IN_FLIGHT writes wait on the
 * server at once; `behind` says how many were due but not yet started when it stopped. Returns a stop function.
 */
function startChurn(plane: ControlPlane, names: readonly string[]): { stop(): { writes: number; failed: number; behind: number } } {
  const start = performance.now();
  let started = 0;
  let inFlight = 0;
  let failed = 0;
  const due = () => Math.floor(((performance.now() - start) * names.length) / TOUCH_EVERY_MS);
  const timer = setInterval(() => {
    for (const until = due(); started < until && inFlight < CHURN_IN_FLIGHT; started++) {
      inFlight++;
      void touch(plane, names[started % names.length]!, Math.floor(started / names.length))
        .catch(() => failed++)
        .finally(() => inFlight--);
    }
  }, 50);
  return {
    stop() {
      clearInterval(timer);
      return { writes: started, failed, behind: Math.max(0, due() - started) };
    },
  };
}

/**
 * Round 0, 3, 6… changes a label, 1, 4… an annotation (merge patches, as controllers write), 2, 5… the
 * Ready condition's heartbeat (a strategic merge patch of status, merged by condition type, as the kubelet writes).
 */
async function touch(plane: ControlPlane, name: string, round: number): Promise<void> {
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  const merge = { contentType: 'application/merge-patch+json' };
  if (round % 3 === 0) await plane.ok('PATCH', `/api/v1/nodes/${name}`, { metadata: { labels: { 'bench.example.com/churn': String(round) } } }, merge);
  else if (round % 3 === 1) await plane.ok('PATCH', `/api/v1/nodes/${name}`, { metadata: { annotations: { 'bench.example.com/heartbeat': `${now} ${round}` } } }, merge);
  else {
    const heartbeat = { status: { conditions: [{ type: 'Ready', lastHeartbeatTime: now }] } };
    await plane.ok('PATCH', `/api/v1/nodes/${name}/status`, heartbeat, { contentType: 'application/strategic-merge-patch+json' });
  }
}

/** A request as a kind a reader can check: anything about another node, or an unfiltered list, is a bug. */
function kindOf(record: ProxyRecord): string {
  const url = new URL(record.path, 'http://proxy');
  const node = /^\/api\/v1\/nodes\/([^/]+)$/.exec(url.pathname)?.[1];
  const whose = node === OWN ? 'own node' : 'OTHER node';
  if (record.watch || url.searchParams.get('watch') === 'true') {
    return url.searchParams.get('fieldSelector') === `metadata.name=${OWN}` ? 'watch own node' : 'watch nodes UNFILTERED';
  }
  if (record.method === 'GET' && url.pathname === '/api/v1/nodes') {
    return url.searchParams.get('fieldSelector') === `metadata.name=${OWN}` ? 'list own node' : 'list nodes UNFILTERED';
  }
  if (node !== undefined) return `${record.method === 'GET' ? 'get' : record.method.toLowerCase()} ${whose}`;
  if (record.method === 'POST' && url.pathname.endsWith('/events')) return 'create event';
  return `${record.method} ${url.pathname}`;
}

const tally = (into: Record<string, number>, key: string, by = 1) => (into[key] = (into[key] ?? 0) + by);
/** Same keys and counts, in whatever order they were first seen. */
const sameCounts = (a: Record<string, number>, b: Record<string, number>) => {
  const sorted = (counts: Record<string, number>) => JSON.stringify(Object.entries(counts).sort(([x], [y]) => x.localeCompare(y)));
  return sorted(a) === sorted(b);
};

async function measure(size: number) {
  const cluster = await startCluster();
  const others = Array.from({ length: size - 1 }, (_, i) => `node-${i}`);
  await addNodes(cluster, [...others, OWN]);
  const { gitVersion } = await cluster.plane.ok<{ gitVersion: string }>('GET', '/version');
  const churn = startChurn(cluster.plane, values['touch-own'] ? [...others, OWN] : others);
  const labeller = startLabeller({ cluster, nodeName: OWN, variant });
  try {
    const labelledAt = await whenLabelled(cluster, OWN, labeller);
    await delay(labelledAt + SECONDS * 1000 + GRACE_MS - performance.now());
    // Copies now: the watch still open keeps counting into its record.
    const records = cluster.proxy.records.map((record) => ({ ...record, eventCounts: eventCounts(record) }));
    const rss = readMemory(labeller.pid).rss;
    const updates = churn.stop();

    const requests: Record<string, number> = {};
    const bytes: Record<string, number> = {};
    const events: Record<string, number> = {};
    const spawnedAtMs = performance.timeOrigin + labeller.spawnedAt;
    const timeline = records.map((record) => {
      const kind = kindOf(record);
      tally(requests, kind);
      tally(bytes, kind, record.bytes);
      for (const [key, count] of record.eventCounts) tally(events, key, count);
      const delivered = [...record.eventCounts].map(([key, count]) => `${count} ${key}`).join(', ');
      return `  +${((record.timestamp - spawnedAtMs) / 1000).toFixed(2)} s  ${kind}  ${record.status}  ${record.bytes} B${delivered === '' ? '' : `  (${delivered})`}`;
    });
    const churnNote = `${updates.writes} churn writes${updates.failed > 0 ? `, ${updates.failed} failed` : ''}${updates.behind > 0 ? `, ${updates.behind} behind schedule` : ''}`;
    console.error(`${size} nodes (${gitVersion}), ${churnNote}; the labeller's requests:\n${timeline.join('\n')}`);
    return {
      nodes: size,
      kube_apiserver: gitVersion,
      churn_writes: updates.writes,
      churn_failed: updates.failed,
      churn_behind: updates.behind,
      requests,
      total_requests: records.length,
      failed_requests: records.filter((record) => record.status >= 400).length,
      bytes,
      total_bytes: records.reduce((sum, record) => sum + record.bytes, 0),
      watch_events: events,
      labeller_rss_mib: round(rss),
    };
  } finally {
    churn.stop();
    await labeller.stop();
    await cluster.stop();
  }
}

/** A watch's events by type, and for object events by whether the object is the labeller's node. */
function eventCounts(record: ProxyRecord): Map<string, number> {
  const counts = new Map<string, number>();
  for (const { type, name } of record.events) {
    const key = type === 'BOOKMARK' || type === 'ERROR' ? type : `${type} ${name === OWN ? 'own node' : 'OTHER node'}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

const clusters = await Promise.all(SIZES.map(measure));
const [smallest, largest] = [clusters[0]!, clusters.at(-1)!];
console.log(
  JSON.stringify({
    seconds: SECONDS,
    touch_every_s: TOUCH_EVERY_MS / 1000,
    touch_own: values['touch-own'],
    node_flags: variant.label,
    clusters,
    // The claim under test: the same requests and watch events whatever the cluster size.
    same_requests: sameCounts(smallest.requests, largest.requests),
    same_watch_events: sameCounts(smallest.watch_events, largest.watch_events),
    bytes_largest_over_smallest: round(largest.total_bytes / smallest.total_bytes, 3),
  }),
);
