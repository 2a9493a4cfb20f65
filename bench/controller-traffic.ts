// API traffic the labeller causes and receives, and whether it grows with the cluster: it watches only its
// own Node (fieldSelector metadata.name=<node>), so a 1,000-node cluster must cost it what a 10-node one
// does. For each size, an in-process fake API server holds the labeller's node plus size-1 others; every
// other node is touched about every --touch-every seconds, in turn a label, an annotation and a status
// heartbeat, as kubelets and other controllers do. All sizes run at once, each with its own labeller, for
// start-up plus --seconds of steady state. Every request on a fake server is the labeller's (the churn
// writes to the store directly), so the server's request records are its traffic: requests by kind,
// response body bytes (headers not counted), and the events each watch stream delivered.
//
// The fake server sends BOOKMARKs only when asked. The real one sends them to watches that allow them
// about once a minute and 2 s before the watch's timeout, which keeps a client's resourceVersion inside
// the server's history however busy the cluster is; this bench does the same (--bookmark-every 60). A
// watch resumed from a resourceVersion older than the history (the fake keeps the last 1,000 node
// changes; 10 s of churn at 1,000 nodes) gets 410 Gone and the labeller relists: that is where cluster
// size can leak into its traffic. --bookmark-every 0 sends none; a shorter period shows what fresher
// resourceVersions change.
//
// Prints each labeller's requests as they happened to stderr and one JSON summary line last.
//
//   npm run --silent bench:controller-traffic -- [--seconds 300] [--nodes 10,1000] [--touch-every 10]
//       [--touch-own] [--bookmark-every 60] [--node-flags="--max-semi-space-size=1"]
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import type { FakeApiServer, KubeObject, RequestRecord } from '../__tests__/helpers/fake-api-server.ts';
import { parseVariant, readMemory, round, startCluster, startLabeller, whenLabelled } from './lib/controller.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '300' },
    nodes: { type: 'string', default: '10,1000' },
    'touch-every': { type: 'string', default: '10' },
    // Off by default: the question is what other nodes' churn costs. On, the own node is touched like the
    // rest, and the watch events it causes must not lead to patches.
    'touch-own': { type: 'boolean', default: false },
    'bookmark-every': { type: 'string', default: '60' },
    // As in controller-start: how to run node (the labeller's RSS at the end is in the summary).
    'node-flags': { type: 'string', default: '' },
  },
});
const SECONDS = Number(values.seconds);
const SIZES = values.nodes.split(',').map(Number);
const TOUCH_EVERY_MS = Number(values['touch-every']) * 1000;
const BOOKMARK_EVERY_MS = Number(values['bookmark-every']) * 1000;
const variant = parseVariant(values['node-flags']);
const OWN = 'labelled-node';
/** Timers due right at the end of the window (the 5-minute resync) land inside it in every cluster. */
const GRACE_MS = 2000;

/**
 * Touches `names` round-robin, on a clock: by `t` ms after the start, floor(t * names / TOUCH_EVERY_MS)
 * writes have been made, so name i is written at (i + 1) / names.length periods and every period after.
 * The last name is thus written at whole periods whatever the cluster size, which keeps the own node's
 * writes (with --touch-own it goes last) in step across clusters. Returns a stop function.
 */
function startChurn(server: FakeApiServer, names: readonly string[]): { stop(): number } {
  const start = performance.now();
  let touched = 0;
  const timer = setInterval(() => {
    const due = Math.floor(((performance.now() - start) * names.length) / TOUCH_EVERY_MS);
    for (; touched < due; touched++) {
      const round = Math.floor(touched / names.length);
      server.updateNode(names[touched % names.length]!, (node) => touch(node, round));
    }
  }, 50);
  return {
    stop() {
      clearInterval(timer);
      return touched;
    },
  };
}

/** Round 0, 3, 6… changes a label, 1, 4… an annotation, 2, 5… the Ready condition's heartbeat. */
function touch(node: KubeObject, round: number): void {
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  if (round % 3 === 0) node.metadata.labels = { ...node.metadata.labels, 'bench.example.com/churn': String(round) };
  else if (round % 3 === 1) node.metadata.annotations = { ...node.metadata.annotations, 'bench.example.com/heartbeat': `${now} ${round}` };
  else (node.status as { conditions: { lastHeartbeatTime: string }[] }).conditions[0]!.lastHeartbeatTime = now;
}

/**
 * Sends BOOKMARKs as kube-apiserver's watch cache does: every BOOKMARK_EVERY_MS of a watch's life (60 s
 * there) and 2 s before its timeoutSeconds. The labeller keeps one watch open at a time, so the newest
 * watch record is the open one (older ones have ended; sendBookmarks() would reach the open one instead).
 */
function simulateBookmarks(server: FakeApiServer): () => void {
  const sent = new WeakMap<RequestRecord, number>();
  const timer = setInterval(() => {
    const record = server.requests.findLast((r) => r.watch);
    if (record === undefined || !record.path.includes('allowWatchBookmarks=true')) return;
    const timeoutMs = Number(new URL(record.path, 'http://fake').searchParams.get('timeoutSeconds') ?? Infinity) * 1000;
    const age = Date.now() - record.timestamp;
    if (age >= timeoutMs) return; // the server has ended it
    const due = Math.floor(age / BOOKMARK_EVERY_MS) + (age >= timeoutMs - 2000 ? 1 : 0);
    if (due > (sent.get(record) ?? 0)) {
      sent.set(record, due);
      server.sendBookmarks();
    }
  }, 250);
  return () => clearInterval(timer);
}

/** A request as a kind a reader can check: anything about another node, or an unfiltered list, is a bug. */
function kindOf(record: RequestRecord): string {
  const url = new URL(record.path, 'http://fake');
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
  const others = cluster.server.addNodes(size - 1, 'node');
  cluster.server.addNode(OWN);
  const churn = startChurn(cluster.server, values['touch-own'] ? [...others, OWN] : others);
  const stopBookmarks = BOOKMARK_EVERY_MS > 0 ? simulateBookmarks(cluster.server) : () => {};
  const labeller = startLabeller({ cluster, nodeName: OWN, variant });
  try {
    const labelledAt = await whenLabelled(cluster, OWN, labeller);
    await delay(labelledAt + SECONDS * 1000 + GRACE_MS - performance.now());
    // Copies now: the watch still open keeps counting into its record.
    const records = cluster.server.requests.map((record) => ({ ...record, eventCounts: eventCounts(record) }));
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
    console.error(`${size} nodes, ${updates} churn writes; the labeller's requests:\n${timeline.join('\n')}`);
    return {
      nodes: size,
      churn_writes: updates,
      requests,
      total_requests: records.length,
      failed_requests: records.filter((record) => record.status >= 400).length,
      bytes,
      total_bytes: records.reduce((sum, record) => sum + record.bytes, 0),
      watch_events: events,
      labeller_rss_mib: round(rss),
    };
  } finally {
    stopBookmarks();
    churn.stop();
    await labeller.stop();
    await cluster.stop();
  }
}

/** A watch's events by type, and for object events by whether the object is the labeller's node. */
function eventCounts(record: RequestRecord): Map<string, number> {
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
    bookmark_every_s: BOOKMARK_EVERY_MS / 1000,
    node_flags: variant.label,
    clusters,
    // The claim under test: the same requests and watch events whatever the cluster size.
    same_requests: sameCounts(smallest.requests, largest.requests),
    same_watch_events: sameCounts(smallest.watch_events, largest.watch_events),
    bytes_largest_over_smallest: round(largest.total_bytes / smallest.total_bytes, 3),
  }),
);
