// Runs a tier of the tests with Node's test runner.
//   fast  every __tests__/**/*.test.ts file that does not say `// tier: full` in its opening comment: units,
//         the controller in virtual time, the CLI in-process; seconds, for every edit (`npm test`).
//   full  every test file: the fast tier plus the real blobs, the libfdt/dtc differential and fuzz tests, the
//         chart through helm, the built CLI as child processes, and the real kube-apiserver (`npm run test:full`,
//         what CI runs, with the corpora and KUBEBUILDER_ASSETS required).
// Extra arguments go to `node --test` (e.g. --test-name-pattern=…).
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const TESTS = join(REPO, '__tests__');
/** The marker, in a file's opening comment block, that keeps it out of the fast tier. */
const FULL_ONLY = /^\/\/ tier: full\b/m;

const [tier = 'fast', ...passThrough] = process.argv.slice(2);
if (tier !== 'fast' && tier !== 'full') {
  process.stderr.write(`usage: node scripts/run-tests.ts fast|full [node --test options]\n`);
  process.exit(2);
}

const all = readdirSync(TESTS, { recursive: true, encoding: 'utf8' })
  .filter((file) => file.endsWith('.test.ts'))
  .map((file) => join(TESTS, file))
  .sort();
const openingComment = (file: string) => /^(?:\/\/.*\n)*/.exec(readFileSync(file, 'utf8'))![0];
const files = tier === 'full' ? all : all.filter((file) => !FULL_ONLY.test(openingComment(file)));

// Node's default is one file at a time on a 2-core machine (parallelism − 1); most files wait on child
// processes or servers rather than the CPU, so two at a time finishes sooner without starving either.
const concurrency = Math.max(2, availableParallelism() - 1);
const args = [
  '--test',
  '--test-reporter=spec',
  '--test-reporter-destination=stdout',
  `--test-concurrency=${concurrency}`,
  ...passThrough,
  ...files.map((file) => relative(REPO, file)),
];
process.stdout.write(`${tier} tier: ${files.length} of ${all.length} test files\n`);
const child = spawn(process.execPath, args, { cwd: REPO, stdio: 'inherit' });
child.on('exit', (code, signal) => process.exit(code ?? (signal === null ? 1 : 128)));
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
