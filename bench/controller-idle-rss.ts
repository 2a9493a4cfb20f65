// Resident memory of an idle labeller, what each DaemonSet pod costs every node for as long as it runs
// (the target is ≤ 64 MiB after 60 s idle). For each case (an entry point and a set of node flags) it
// starts `run` against a real kube-apiserver (KUBEBUILDER_ASSETS, as the envtest tests run it), one process at
// a time so the start-up times beside the figures are not skewed by each other, waits until its node is
// labelled, lets it idle, then reads VmRSS, VmHWM (peak) and the anonymous/file-backed split from
// /proc/<pid>/status. File-backed pages are mostly the node binary, shared and reclaimable; anonymous ones are
// the heap and cannot be reclaimed. A bare `node -e 'setInterval(...)'` with the same flags idles alongside,
// to show how much is Node itself.
// Cases are interleaved run by run and the idle periods overlap (which does not change what each process
// holds). Medians over the runs; a table on stderr and one JSON summary line last. Linux only (/proc).
//
//   npm run --silent bench:controller-idle-rss -- [--runs 3] [--idle-seconds 60]
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
import { addNodes, BUNDLE, type Cluster, type Memory, median, parseVariant, readMemory, round, startCluster, startLabeller, whenLabelled } from './lib/controller.ts';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
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
  labeller: Memory;
  bare: Memory;
}

/** One labeller and one bare Node process with the same flags: both idle IDLE_MS, then measured. */
async function sample(cluster: Cluster, { entry, variant }: Case, nodeName: string, started: () => void): Promise<Sample> {
  await addNodes(cluster, [nodeName]).catch((error: unknown) => {
    started();
    throw error;
  });
  const labeller = startLabeller({ cluster, nodeName, variant, entry });
  const bare = spawn(process.execPath, [...variant.flags, '-e', 'setInterval(() => {}, 1e9)'], { env: { ...process.env, ...variant.env }, stdio: 'ignore' });
  try {
    const labelledAt = await whenLabelled(cluster, nodeName, labeller).finally(started);
    await delay(labelledAt + IDLE_MS - performance.now());
    return { startMs: labelledAt - labeller.spawnedAt, labeller: readMemory(labeller.pid), bare: readMemory(bare.pid!) };
  } finally {
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
      start_ms: med((s) => s.startMs),
      bare_node_rss_mib: med((s) => s.bare.rss),
      runs_ok: samples.length,
      // Every run's figures, in run order: a median hides starts that keep freed heap (issue 18's outliers).
      rss_runs_mib: samples.map((s) => round(s.labeller.rss)),
      anon_runs_mib: samples.map((s) => round(s.labeller.anon)),
    };
  });

  console.error(`idle ${IDLE_MS / 1000} s, ${RUNS} runs per case, medians (MiB; start in ms):`);
  console.error('  rss    hwm    anon   file   start  bare   entry, flags');
  for (const row of rows) {
    const what = `${row.entry}, ${row.node_flags}`;
    if ('error' in row) console.error(`  failed: ${row.error}   ${what}`);
    else {
      console.error(`  ${[row.rss_mib, row.hwm_mib, row.anon_mib, row.file_mib, row.start_ms, row.bare_node_rss_mib].map((v) => v.toFixed(1).padEnd(6)).join(' ')} ${what}`);
      console.error(`         runs: rss ${row.rss_runs_mib.join(' ')}; anon ${row.anon_runs_mib.join(' ')}`);
    }
  }
  console.log(JSON.stringify({ idle_s: IDLE_MS / 1000, runs: RUNS, cases: rows }));
} finally {
  await cluster.stop();
}
