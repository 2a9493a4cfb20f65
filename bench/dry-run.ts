// Wall time of the dry run as a user sees it: a fresh `node dist/dt-node-labeller.js labels --dtb ...`
// process each run. Prints the runs to stderr and one JSON summary line last (median, not best: start-up
// time is what every invocation pays).
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';

const RUNS = Number(process.env.RUNS ?? 21);
const args = ['dist/dt-node-labeller.js', 'labels', '--dtb', process.argv[2] ?? 'examples/devicetree/jetson-nano.dtb', '-n', 'gpu', 'pwm-fan'];
const times: number[] = [];
// Node's own start-up, for comparison (the part of the figure that is not ours): as many runs, interleaved
// with the dry runs so that both meet the same machine, and their median too.
const bare: number[] = [];
for (let i = 0; i < RUNS; i++) {
  const start = performance.now();
  const result = spawnSync(process.execPath, args, { encoding: 'utf8' });
  times.push(performance.now() - start);
  if (result.status !== 0) throw new Error(`dry run failed: ${result.stderr}`);
  const bareStart = performance.now();
  spawnSync(process.execPath, ['-e', '']);
  bare.push(performance.now() - bareStart);
}
times.sort((a, b) => a - b);
bare.sort((a, b) => a - b);
const bareMs = bare[Math.floor(RUNS / 2)]!;
console.error(`runs (ms): ${times.map((t) => t.toFixed(0)).join(' ')}`);
console.log(
  JSON.stringify({ runs: RUNS, median_ms: Number(times[Math.floor(RUNS / 2)]!.toFixed(1)), min_ms: Number(times[0]!.toFixed(1)), bare_node_ms: Number(bareMs.toFixed(1)) }),
);
