// Time from process start to labels applied: what a node joining the cluster waits for before pods that
// select on devicetree labels can land on it (the target is a median under 1 s). Each run spawns a fresh
// `run` against a real kube-apiserver (KUBEBUILDER_ASSETS, as the envtest tests use; its requests pass a
// recording proxy) with an unlabelled node registered, and stops the clock when a watch on that node (the
// admin's, straight to the server) delivers it with devicetree labels: no polling interval. Runs of the same
// program unbundled from src/ (Node strips the types) are interleaved with the bundle's, to show what the
// esbuild bundle buys; when the flags set NODE_COMPILE_CACHE (the image's do, with a cache made as the image
// build makes it), the bundle also runs with the cache disabled, to show what the cache buys.
// `first_request_ms` (spawn to the first API request) splits start-up from the API round trips; `stored_ms`
// is when the labeller had its PATCH answered, by its own clock (since its process started, from its "node
// labelled; ready" line), before the watch's delivery and the bench's own work. The labeller reads a real
// Jetson Nano tree when JETSON_L4T_DIR is set (bench/lib/controller.ts BENCH_TREE), as a Nano running stock
// JetPack would. One untimed warm-up run each, so neither side pays for a cold page cache. Prints the runs to
// stderr and one JSON summary line last.
//
//   npm run --silent bench:controller-start -- [--runs 15] [--node-flags="--max-semi-space-size=1"]
//       [--bundle other/dt-node-labeller.js]
//
// --node-flags applies to every case (the `=` is needed because the value starts with a dash; leading
// NAME=value words are environment variables); --bundle times another build, e.g. one made with other
// esbuild options.
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { addNodes, BENCH_TREE, BUNDLE, median, parseVariant, percentile, round, SOURCE, startCluster, startLabeller, type Variant, whenLabelled } from './lib/controller.ts';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '15' }, 'node-flags': { type: 'string', default: '' }, bundle: { type: 'string', default: BUNDLE } },
});
const RUNS = Number(values.runs);
const variant = parseVariant(values['node-flags']);
// With a compile cache in the flags (the image's), the bundle also runs without it, to show what it buys.
const { NODE_COMPILE_CACHE: cache, ...uncachedEnv } = variant.env;
const uncached: Variant = { ...variant, env: { ...uncachedEnv, ...(cache === undefined ? {} : { NODE_DISABLE_COMPILE_CACHE: '1' }) } };
const ENTRIES = {
  bundle: { entry: values.bundle, variant },
  ...(cache === undefined ? {} : { 'bundle-uncached': { entry: values.bundle, variant: uncached } }),
  // The unbundled program never takes the cache either: it would add an entry per source file to it.
  source: { entry: SOURCE, variant: uncached },
};
type EntryName = keyof typeof ENTRIES;

const cluster = await startCluster();
/** An empty list of times for each case. */
const perEntry = () => Object.fromEntries(Object.keys(ENTRIES).map((name) => [name, []])) as unknown as Record<EntryName, number[]>;
const labelledMs = perEntry();
const firstRequestMs = perEntry();
const storedMs = perEntry();

/**
 * One fresh process labelling a fresh node; returns [spawn → labelled, spawn → first API request, labels
 * stored] in ms, the last on the labeller's own clock (since its process started: its PATCH answered).
 */
async function once(entry: EntryName, nodeName: string): Promise<[number, number, number]> {
  await addNodes(cluster, [nodeName]);
  cluster.proxy.records.length = 0;
  const labeller = startLabeller({ cluster, nodeName, ...ENTRIES[entry] });
  try {
    const labelledAt = await whenLabelled(cluster, nodeName, labeller);
    // Request timestamps are wall-clock ms; move the spawn onto the same clock.
    const firstRequest = cluster.proxy.records[0]!.timestamp - (performance.timeOrigin + labeller.spawnedAt);
    const { labelsStored } = await labeller.startup;
    return [labelledAt - labeller.spawnedAt, firstRequest, labelsStored!];
  } finally {
    await labeller.stop();
  }
}

try {
  for (const entry of Object.keys(ENTRIES) as EntryName[]) await once(entry, `warm-up-${entry}`);
  for (let run = 0; run < RUNS; run++) {
    for (const entry of Object.keys(ENTRIES) as EntryName[]) {
      const [labelled, firstRequest, stored] = await once(entry, `${entry}-${run}`);
      labelledMs[entry].push(labelled);
      firstRequestMs[entry].push(firstRequest);
      storedMs[entry].push(stored);
    }
  }
} finally {
  await cluster.stop();
}

// Node's own start-up with the same flags, for comparison: the part of the figure that is not ours.
const bare: number[] = [];
for (let i = 0; i < 5; i++) {
  const start = performance.now();
  spawnSync(process.execPath, [...variant.flags, '-e', ''], { env: { ...process.env, ...variant.env } });
  bare.push(performance.now() - start);
}

const summary = (entry: EntryName) => ({
  median_ms: round(median(labelledMs[entry])),
  p90_ms: round(percentile(labelledMs[entry], 90)),
  min_ms: round(Math.min(...labelledMs[entry])),
  first_request_ms: round(median(firstRequestMs[entry])),
  stored_ms: round(median(storedMs[entry])),
});
for (const entry of Object.keys(ENTRIES) as EntryName[]) {
  console.error(`${entry} spawn → labelled (ms): ${labelledMs[entry].map((t) => t.toFixed(0)).join(' ')}`);
}
console.log(
  JSON.stringify({
    runs: RUNS,
    node_flags: variant.label,
    bundle_path: values.bundle,
    bundle: summary('bundle'),
    ...('bundle-uncached' in ENTRIES ? { bundle_uncached: summary('bundle-uncached') } : {}),
    source: summary('source'),
    source_over_bundle: round(median(labelledMs.source) / median(labelledMs.bundle), 2),
    bare_node_ms: round(median(bare)),
    tree: BENCH_TREE,
  }),
);
