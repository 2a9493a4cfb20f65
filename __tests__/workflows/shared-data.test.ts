// The CI workflow downloads the test data (../shared: the .dtb corpus, the L4T blobs, the kube-apiserver build)
// from the release `test-data` and accepts it only if its sha256 is the one committed in
// .ci/shared-data.sha256. This checks that line against what scripts/ci/pack-shared.sh makes from the shared
// folder here, so a change to the data cannot go unnoticed: the folder is DTB_CORPUS_DIR's parent, and without
// it the check skips (saying so), except under DTB_CORPUS_REQUIRED=1, as for the corpus tests.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';
import { scratchDirs } from '../helpers/scratch-dirs.ts';

const REPO = resolve(import.meta.dirname, '../..');
const PACK = join(REPO, 'scripts/ci/pack-shared.sh');
const scratch = scratchDirs('shared-data-');

/** `<sha256>  <file name>`, as sha256sum writes and `sha256sum --check` reads. */
const committed = readFileSync(join(REPO, '.ci/shared-data.sha256'), 'utf8');

function sharedFolder(): string | { skip: string } {
  const corpus = process.env.DTB_CORPUS_DIR;
  const shared = corpus ? dirname(resolve(corpus)) : undefined;
  if (shared === undefined || !existsSync(shared)) {
    const reason = `test data not available: set DTB_CORPUS_DIR to the shared folder's dtb/ (e.g. ../shared/dtb) to check .ci/shared-data.sha256 against it`;
    if (process.env.DTB_CORPUS_REQUIRED === '1') throw new Error(`${reason}; DTB_CORPUS_REQUIRED=1 forbids skipping`);
    return { skip: reason };
  }
  return shared;
}

test('.ci/shared-data.sha256 is one sha256sum line naming the tarball pack-shared.sh makes', () => {
  assert.match(committed, /^[0-9a-f]{64} {2}dt-node-labeller-test-data\.tar\.gz\n$/);
});

const shared = sharedFolder();
test('pack-shared.sh makes, from the shared folder, the tarball whose sha256 is committed', typeof shared === 'string' ? {} : shared, () => {
  const out = join(scratch(), 'dt-node-labeller-test-data.tar.gz');
  const run = spawnSync('bash', [PACK, '--shared', shared as string, '--out', out], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  const printed = run.stdout.trim().split('\n').at(-1);
  const actual = createHash('sha256').update(readFileSync(out)).digest('hex');
  assert.equal(printed, `${actual}  dt-node-labeller-test-data.tar.gz`, 'the script prints the sha256 of what it wrote');
  assert.equal(
    `${printed}\n`,
    committed,
    `the shared folder ${shared as string} packs to a tarball other than the committed one: if the data changed on purpose, upload the new tarball to the test-data release and commit its line as .ci/shared-data.sha256 (docs/releasing.md)`,
  );

  const listing = spawnSync('tar', ['-tvzf', out], { encoding: 'utf8', env: { ...process.env, TZ: 'UTC' } });
  assert.equal(listing.status, 0, listing.stderr);
  const entries = listing.stdout.trim().split('\n');
  const names = entries.map((line) => line.split(/\s+/).at(-1)!);
  assert.deepEqual([...new Set(names.map((name) => name.split('/')[0]))], ['dtb', 'jetson-l4t', 'kube'], 'only the three data folders, not hooks/');
  for (const readme of ['dtb/README.md', 'jetson-l4t/README.md', 'kube/README.md']) assert.ok(names.includes(readme), `${readme} is packed`);
  assert.equal(names.filter((name) => name.endsWith('.dtb')).length, 576 + 6, '576 corpus blobs and six L4T blobs');
  assert.ok(names.includes('kube/kube-apiserver-v1.34.2-linux-amd64.xz'));
  for (const line of entries) assert.match(line, /^(?:-rw-r--r--|drwxr-xr-x) 0\/0 .* 2025-01-01 00:00 /, `fixed owner, modes and time: ${line}`);
});
