// Regenerates the README's measured figures: runs every benchmark, writes the raw results to
// bench/results.json and rewrites the README block between its markers (bench/lib/figures.ts). Takes about
// 20 minutes (the traffic benchmark alone runs 5, both test tiers 4). `--only parse,tests` re-runs some and keeps the
// others.
//
//   npm run --silent bench:readme -- [--corpus ../shared/dtb] [--only a,b]
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { imageRuntime, warmCompileCache } from '../scripts/image/runtime.ts';
import { RESULTS_FILE, type Results, readResults, renderFigures, withFigures } from './lib/figures.ts';

const { values } = parseArgs({ options: { corpus: { type: 'string', default: '../shared/dtb' }, only: { type: 'string', default: '' } } });
const README = new URL('../README.md', import.meta.url).pathname;

/**
 * The node flags and environment the image runs with (scripts/image/runtime.ts reads them from the Dockerfile).
 * Its compile cache is made here the way the image build makes it, in a scratch folder, for this dist/.
 */
function imageNodeFlags(): string {
  const { flags, env } = imageRuntime();
  const settings = { ...env };
  if (settings.NODE_COMPILE_CACHE !== undefined) {
    // A fixed path, remade each time: the flags are also the name results.json files each case under.
    settings.NODE_COMPILE_CACHE = join(tmpdir(), 'dt-node-labeller-compile-cache');
    rmSync(settings.NODE_COMPILE_CACHE, { recursive: true, force: true });
    warmCompileCache(settings.NODE_COMPILE_CACHE);
  }
  return [...Object.entries(settings).map(([name, value]) => `${name}=${value}`), ...flags].join(' ');
}

/** Runs `node <script> args` and parses its last stdout line (every bench prints a JSON summary last). */
function bench(script: string, args: string[]): unknown {
  process.stderr.write(`running ${script} ${args.join(' ')}\n`);
  const out = execFileSync(process.execPath, [script, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 * 1024 * 1024 });
  return JSON.parse(out.trim().split('\n').at(-1)!);
}

/** libfdt's C walk, built here with cc against Debian's libfdt-dev; skipped (and said so) without them. */
function libfdtWalk(corpus: string): Results['libfdt'] {
  const binary = join(mkdtempSync(join(tmpdir(), 'libfdt-walk-')), 'walk');
  const built = spawnSync('cc', ['-O2', '-o', binary, 'bench/reference/libfdt-walk.c', '-lfdt'], { encoding: 'utf8' });
  if (built.status !== 0) return { skipped: `cannot build bench/reference/libfdt-walk.c (needs cc and libfdt-dev): ${built.stderr.split('\n')[0]}` };
  const out = execFileSync(binary, [corpus], { encoding: 'utf8' });
  return { mb_per_s: (JSON.parse(out.trim()) as { mb_per_s: number }).mb_per_s };
}

const flags = imageNodeFlags();
const only = new Set(values.only.split(',').filter((x) => x !== ''));
const wanted = (name: string) => only.size === 0 || only.has(name);
const previous: Partial<Results> = existsSync(RESULTS_FILE) ? readResults() : {};
const cpu = cpus();

const results: Results = {
  date: new Date().toISOString().slice(0, 10),
  machine: { cpu: cpu[0]?.model.trim() ?? 'unknown', cores: cpu.length, memory_gib: Math.round(totalmem() / 2 ** 30) },
  node: process.versions.node,
  image_node_flags: flags,
  parse: wanted('parse') ? (bench('bench/parse.ts', [values.corpus]) as Results['parse']) : previous.parse!,
  libfdt: wanted('parse') ? libfdtWalk(values.corpus) : previous.libfdt!,
  dry_run: wanted('dry-run') ? (bench('bench/dry-run.ts', []) as Results['dry_run']) : previous.dry_run!,
  start: wanted('start') ? (bench('bench/controller-start.ts', [`--node-flags=${flags}`]) as Results['start']) : previous.start!,
  idle_rss: wanted('idle-rss') ? (bench('bench/controller-idle-rss.ts', ['--node-flags=', `--node-flags=${flags}`]) as Results['idle_rss']) : previous.idle_rss!,
  traffic: wanted('traffic') ? (bench('bench/controller-traffic.ts', [`--node-flags=${flags}`]) as Results['traffic']) : previous.traffic!,
  load: wanted('load') ? (bench('bench/controller-load.ts', []) as Results['load']) : previous.load!,
  tests: wanted('tests') ? (bench('bench/test-tiers.ts', []) as Results['tests']) : previous.tests,
  // Needs root, buildah and podman (README "Container image"): only with --only image, or when they are here.
  image: wanted('image') && (only.has('image') || process.getuid?.() === 0) ? (bench('bench/image.ts', []) as Results['image']) : previous.image,
};
writeFileSync(RESULTS_FILE, `${JSON.stringify(results, null, 2)}\n`);
writeFileSync(README, withFigures(readFileSync(README, 'utf8'), renderFigures(results)));
process.stdout.write(`${renderFigures(results)}\n`);
