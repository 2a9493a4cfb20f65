// How the image runs node, read from the Dockerfile so that benchmarks and tests on this machine run the
// bundle the way the image does: the ENTRYPOINT's node flags, the ENV lines, and the warm-up RUN that fills
// the image's compile cache (NODE_COMPILE_CACHE). One source, so that they cannot drift from the image.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const REPO = new URL('../../', import.meta.url).pathname;
const IMAGE_SCRIPT = '/app/dist/dt-node-labeller.js';

export interface ImageRuntime {
  /** The ENTRYPOINT's node flags, in order. */
  readonly flags: readonly string[];
  /** The ENV lines, as the image's processes see them. */
  readonly env: Readonly<Record<string, string>>;
  /** Each RUN that starts the labeller to fill the compile cache: its node flags and its arguments. */
  readonly warmUps: ReadonlyArray<{ readonly flags: readonly string[]; readonly args: readonly string[] }>;
}

export function imageRuntime(dockerfile = readFileSync(join(REPO, 'Dockerfile'), 'utf8')): ImageRuntime {
  const entrypoint = JSON.parse(/^ENTRYPOINT (\[.*\])$/m.exec(dockerfile)?.[1] ?? '[]') as string[];
  const env = Object.fromEntries([...dockerfile.matchAll(/^ENV (\w+)=(\S+)$/gm)].map(([, name, value]) => [name!, value!]));
  const warmUps = [...dockerfile.matchAll(/^RUN (\[.*\])$/gm)]
    .map(([, json]) => JSON.parse(json!) as string[])
    .filter((argv) => argv.includes(IMAGE_SCRIPT))
    .map((argv) => ({ flags: argv.slice(1, argv.indexOf(IMAGE_SCRIPT)), args: argv.slice(argv.indexOf(IMAGE_SCRIPT) + 1) }));
  return { flags: entrypoint.slice(1, entrypoint.indexOf(IMAGE_SCRIPT)), env, warmUps };
}

/**
 * Fills `dir` as the image build fills its compile cache: the Dockerfile's warm-up, run by this machine's
 * node on this checkout's dist/ (a compile cache is only valid for the same files, binary and flags), with
 * its host root and feature file moved to a scratch folder. Throws when the warm-up fails.
 */
export function warmCompileCache(dir: string, node = process.execPath): void {
  const { warmUps, env } = imageRuntime();
  const warmUp = warmUps[0];
  if (warmUp === undefined) throw new Error('the Dockerfile has no warm-up RUN of the labeller');
  const scratch = mkdtempSync(join(tmpdir(), 'dt-warm-up-'));
  try {
    const args = warmUp.args.map((arg, i, all) => {
      if (all[i - 1] === '--host-root') return scratch; // a root with no devicetree, as /app is in the image
      if (all[i - 1] === '--nfd-features-file') return join(scratch, 'warm-up.txt');
      return arg;
    });
    const run = spawnSync(node, [...warmUp.flags, join(REPO, 'dist/dt-node-labeller.js'), ...args], {
      env: { ...process.env, ...env, NODE_COMPILE_CACHE: dir },
      encoding: 'utf8',
    });
    if (run.status !== 0) throw new Error(`the compile cache warm-up exited ${run.status ?? run.signal}: ${run.stderr.trim()}`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
