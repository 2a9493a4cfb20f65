// Memory of an idle labeller, what each DaemonSet pod costs every node for as long as it runs (issue 18's
// goals: anonymous memory <= 20 MiB and VmRSS <= 68 MiB in every start), and the way there from process start
// to labels stored. For each case (an entry point and a set of node flags) it starts `run` against a real
// kube-apiserver (KUBEBUILDER_ASSETS, as the envtest tests run it), one process at a time so that the start-up
// timelines are not skewed by each other, waits until its node is labelled, then keeps it busy the way a
// cluster does while it idles: every 5 s someone else changes a label on its node (a watch event and a
// reconcile that finds nothing to do), and half-way through removes one of its devicetree labels (a repair:
// PATCH and Event). After the idle period it reads VmRSS, VmHWM (peak) and the anonymous/file-backed split from
// /proc/<pid>/status, and PSS from smaps_rollup. File-backed pages are mostly the node binary, shared and
// reclaimable; anonymous ones are the heap and cannot be reclaimed. A bare `node -e 'setInterval(...)'` with the
// same flags idles alongside, to show how much is Node itself.
// The timeline is the labeller's own (ms since its process started, from its "node labelled; ready" log line:
// Node's bootstrap, run started, client built, tree read, first API answer, labels stored, ready) beside what
// the API server's proxy saw (first GET and the PATCH, ms since the spawn) and the admin's watch (labelled).
// Cases are interleaved run by run and the idle periods overlap (which does not change what each process
// holds). Medians over the runs, and every run's figures, since a median hides the starts that keep freed
// heap; a table on stderr and one JSON summary line last. Linux only (/proc).
//
//   npm run --silent bench:controller-idle-rss -- [--runs 10] [--idle-seconds 60]
//       [--entry dist/dt-node-labeller.js --entry src/cli/main.ts ...]
//       [--node-flags= --node-flags="--max-semi-space-size=1" --node-flags="MALLOC_ARENA_MAX=2 --jitless" ...]
//
// Every --entry is run with every --node-flags. Each --node-flags=... is one set (the `=` is needed
// because the value starts with a dash; leading NAME=value words are environment variables; an empty
// value is Node's defaults, also what runs when none is given). A case that cannot label the node is
// reported, not fatal.
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import {
  addNodes,
  BUNDLE,
  type Cluster,
  type Labeller,
  type Memory,
  median,
  parseVariant,
  readMemory,
  round,
  startCluster,
  startLabeller,
  whenLabelled,
} from './lib/controller.ts';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '10' },
    'idle-seconds': { type: 'string', default: '60' },
    entry: { type: 'string', multiple: true, default: [BUNDLE] },
    'node-flags': { type: 'string', multiple: true, default: [''] },
  },
});
const RUNS = Number(values.runs);
const IDLE_MS = Number(values['idle-seconds']) * 1000;
const cases = values.entry.flatMap((entry) => values['node-flags'].map((flags) => ({ entry, variant: parseVariant(flags) })));
type Case = (typeof cases)[number];

interface Sample {
  startMs: number;
  /** The labeller's own steps (ms since its process started) and the proxy's first GET and PATCH (ms since spawn). */
  timeline: Record<string, number>;
  labeller: Memory;
  bare: Memory;
}

const CHURN_EVERY_MS = 5000;
const LABEL_PREFIX = 'beta.devicetree.org/';

/** Someone else's writes to the labeller's node while it idles (see the top of this file), until `stop` aborts. */
async function churn(cluster: Cluster, nodeName: string, idleMs: number, stop: AbortSignal): Promise<void> {
  const patch = (labels: Record<string, string | null>) =>
    cluster.plane.ok('PATCH', `/api/v1/nodes/${nodeName}`, { metadata: { labels } }, { contentType: 'application/merge-patch+json' });
  for (let tick = 1; !stop.aborted; tick++) {
    await delay(CHURN_EVERY_MS, undefined, { signal: stop }).catch(() => {});
    if (stop.aborted) return;
    await patch({ 'bench.example.com/churn': String(tick) });
    if (tick === Math.round(idleMs / CHURN_EVERY_MS / 2)) {
      const ours = Object.keys(await cluster.plane.labels(nodeName)).find((key) => key.startsWith(LABEL_PREFIX));
      if (ours !== undefined) await patch({ [ours]: null });
    }
  }
}

/** When the proxy saw the labeller's first GET and its first PATCH of its node, in ms since the spawn. */
function proxyTimeline(cluster: Cluster, nodeName: string, labeller: Labeller): Record<string, number> {
  const spawned = performance.timeOrigin + labeller.spawnedAt;
  const mine = cluster.proxy.records.filter((r) => !r.watch && r.path.startsWith('/api/v1/nodes') && decodeURIComponent(r.path).includes(nodeName));
  const timeline: Record<string, number> = {};
  for (const [step, method] of [
    ['proxyFirstGet', 'GET'],
    ['proxyPatch', 'PATCH'],
  ] as const) {
    const record = mine.find((r) => r.method === method);
    if (record !== undefined) timeline[step] = Math.round(record.timestamp - spawned);
  }
  return timeline;
}

/** One labeller and one bare Node process with the same flags: both idle IDLE_MS, then measured. */
async function sample(cluster: Cluster, { entry, variant }: Case, nodeName: string, started: () => void): Promise<Sample> {
  await addNodes(cluster, [nodeName]).catch((error: unknown) => {
    started();
    throw error;
  });
  const labeller = startLabeller({ cluster, nodeName, variant, entry });
  const bare = spawn(process.execPath, [...variant.flags, '-e', 'setInterval(() => {}, 1e9)'], { env: { ...process.env, ...variant.env }, stdio: 'ignore' });
  const stopChurn = new AbortController();
  try {
    const labelledAt = await whenLabelled(cluster, nodeName, labeller).finally(started);
    const timeline = { ...(await labeller.startup), ...proxyTimeline(cluster, nodeName, labeller), labelled: Math.round(labelledAt - labeller.spawnedAt) };
    const churning = churn(cluster, nodeName, IDLE_MS, stopChurn.signal);
    await delay(labelledAt + IDLE_MS - performance.now());
    stopChurn.abort();
    await churning;
    return { startMs: labelledAt - labeller.spawnedAt, timeline, labeller: readMemory(labeller.pid), bare: readMemory(bare.pid!) };
  } finally {
    stopChurn.abort();
    bare.kill();
    await labeller.stop();
  }
}

const cluster = await startCluster();
const pending: { which: Case; result: Promise<Sample> }[] = [];
try {
  for (let run = 0; run < RUNS; run++) {
    for (const [index, which] of cases.entries()) {
      const { promise: next, resolve: started } = Promise.withResolvers<void>();
      const result = sample(cluster, which, `case${index}-run${run}`, started);
      result.catch(() => {}); // failures are reported per case below
      pending.push({ which, result });
      await next; // the next process starts once this one has labelled its node (or failed to)
    }
  }
  const settled = await Promise.allSettled(pending.map((p) => p.result));

  const rows = cases.map((which) => {
    const head = { entry: which.entry, node_flags: which.variant.label };
    const outcomes = settled.filter((_, i) => pending[i]!.which === which);
    const samples = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
    if (samples.length === 0) {
      // The first line says what went wrong, the last one is the labeller's latest log line (often why).
      const lines = String((outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult).reason).split('\n');
      return { ...head, error: [...new Set([lines[0], lines.at(-1)])].join(' … ') };
    }
    const med = (pick: (s: Sample) => number) => round(median(samples.map(pick)));
    return {
      ...head,
      rss_mib: med((s) => s.labeller.rss),
      hwm_mib: med((s) => s.labeller.hwm),
      anon_mib: med((s) => s.labeller.anon),
      file_mib: med((s) => s.labeller.file),
      pss_mib: med((s) => s.labeller.pss),
      start_ms: med((s) => s.startMs),
      bare_node_rss_mib: med((s) => s.bare.rss),
      bare_node_anon_mib: med((s) => s.bare.anon),
      bare_node_pss_mib: med((s) => s.bare.pss),
      runs_ok: samples.length,
      // Every run's figures, in run order: a median hides starts that keep freed heap (issue 18's outliers).
      rss_runs_mib: samples.map((s) => round(s.labeller.rss)),
      anon_runs_mib: samples.map((s) => round(s.labeller.anon)),
      max_rss_mib: round(Math.max(...samples.map((s) => s.labeller.rss))),
      max_anon_mib: round(Math.max(...samples.map((s) => s.labeller.anon))),
      // Median ms of each start-up step, in the order the steps happened.
      timeline_ms: Object.fromEntries(
        [...new Set(samples.flatMap((s) => Object.keys(s.timeline)))]
          .map((step) => [step, median(samples.flatMap((s) => (s.timeline[step] === undefined ? [] : [s.timeline[step]!])))] as const)
          .sort((a, b) => a[1] - b[1]),
      ),
    };
  });

  console.error(`idle ${IDLE_MS / 1000} s, ${RUNS} runs per case, medians (MiB; start in ms):`);
  console.error('  rss    hwm    anon   file   pss    start  bare   entry, flags');
  for (const row of rows) {
    const what = `${row.entry}, ${row.node_flags}`;
    if ('error' in row) console.error(`  failed: ${row.error}   ${what}`);
    else {
      console.error(
        `  ${[row.rss_mib, row.hwm_mib, row.anon_mib, row.file_mib, row.pss_mib, row.start_ms, row.bare_node_rss_mib].map((v) => v.toFixed(1).padEnd(6)).join(' ')} ${what}`,
      );
      console.error(`         runs: rss ${row.rss_runs_mib.join(' ')}; anon ${row.anon_runs_mib.join(' ')}`);
      console.error(`         bare node: anon ${row.bare_node_anon_mib}, pss ${row.bare_node_pss_mib}`);
      console.error(
        `         start-up (ms): ${Object.entries(row.timeline_ms)
          .map(([step, ms]) => `${step} ${ms}`)
          .join(', ')}`,
      );
    }
  }
  console.log(JSON.stringify({ idle_s: IDLE_MS / 1000, runs: RUNS, cases: rows }));
} finally {
  await cluster.stop();
}
