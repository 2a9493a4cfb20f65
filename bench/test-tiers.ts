// Wall time of the two test tiers as a developer runs them: `npm test` (the fast tier, build and type check
// included) and `npm run test:full` (the gate CI runs), each once in a fresh process, with the environment
// given (set DTB_CORPUS_DIR, JETSON_L4T_DIR and KUBEBUILDER_ASSETS for a full gate that skips nothing).
// The helm answers kept on disk are removed first, so the full gate is timed as on a fresh clone.
// Prints one JSON line: { fast: { seconds, tests, skipped }, full: { ... } }.
//
//   npm run --silent bench:test-tiers
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('..', import.meta.url));

interface Tier {
  readonly seconds: number;
  readonly tests: number;
  readonly skipped: number;
}

/** Runs `npm run <script>`; its time, and the runner's closing counts (which must show no failure). */
function time(script: string): Tier {
  process.stderr.write(`timing npm run ${script}\n`);
  const started = performance.now();
  const run = spawnSync('npm', ['run', '--silent', script], { cwd: REPO, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  const seconds = Math.round((performance.now() - started) / 100) / 10;
  const count = (name: string) => Number(new RegExp(`^ℹ ${name} (\\d+)$`, 'm').exec(run.stdout)?.[1] ?? Number.NaN);
  if (run.status !== 0 || count('fail') !== 0) throw new Error(`npm run ${script} failed (exit ${run.status}):\n${run.stdout.slice(-4000)}\n${run.stderr.slice(-2000)}`);
  return { seconds, tests: count('tests'), skipped: count('skipped') };
}

rmSync(new URL('../node_modules/.cache/dt-node-labeller/helm-answers', import.meta.url), { recursive: true, force: true });
const full = time('test:full');
const fast = time('test');
process.stdout.write(`${JSON.stringify({ fast, full })}\n`);
