// The image's compile cache, on this machine: the Dockerfile's warm-up (scripts/image/runtime.ts runs it as
// the image build does) must exit 0 without a cluster, leave a cache entry for every module `run` loads, and a
// labeller started with the ENTRYPOINT's flags must take every entry. Node reports what it does with the
// cache under NODE_DEBUG_NATIVE=COMPILE_CACHE (src/compile_cache.cc), one line per module.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { imageRuntime, warmCompileCache } from '../../scripts/image/runtime.ts';
import { REPO } from '../helpers/run-cli.ts';

const scratch = mkdtempSync(join(tmpdir(), 'dt-runtime-test-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

test('each warm-up RUN uses exactly the ENTRYPOINT flags, once as the non-root user and once as root', () => {
  const dockerfile = readFileSync(join(REPO, 'Dockerfile'), 'utf8');
  const runtime = imageRuntime(dockerfile);
  assert.deepEqual(runtime.flags, ['--no-opt', '--no-maglev', '--no-sparkplug', '--bytecode-old-age=1', '--max-semi-space-size=1', '--optimize-for-size']);
  assert.equal(runtime.env.NODE_COMPILE_CACHE, '/app/compile-cache');
  assert.equal(runtime.warmUps.length, 2);
  for (const warmUp of runtime.warmUps) assert.deepEqual(warmUp.flags, runtime.flags);
  // The user each warm-up runs as: the last USER line before it.
  const users: string[] = [];
  let user = '';
  for (const line of dockerfile.split('\n')) {
    if (line.startsWith('USER ')) user = line.slice(5);
    if (line.startsWith('RUN [') && line.includes('/app/dist/dt-node-labeller.js')) users.push(user);
  }
  assert.deepEqual(users, ['65532:65532', '0:0']);
});

test('the warm-up fills the cache without a cluster, and a start with the image flags accepts every entry', () => {
  const cache = join(scratch, 'cache');
  warmCompileCache(cache);
  const [dir, ...others] = readdirSync(cache);
  assert.ok(dir !== undefined && others.length === 0, `one folder for this node, flags and user: ${readdirSync(cache).join(', ')}`);
  const entries = readdirSync(join(cache, dir)).length;

  const root = mkdtempSync(join(scratch, 'root-'));
  const start = spawnSync(
    process.execPath,
    [...imageRuntime().flags, join(REPO, 'dist/dt-node-labeller.js'), 'run', '--once', '--host-root', root, '--nfd-features-file', join(root, 'labels.txt')],
    { env: { ...process.env, NODE_COMPILE_CACHE: cache, NODE_DEBUG_NATIVE: 'COMPILE_CACHE' }, encoding: 'utf8' },
  );
  assert.equal(start.status, 0, start.stderr);
  const accepted = start.stderr.split('\n').filter((line) => /V8 code cache for ESM .* was accepted/.test(line));
  assert.equal(accepted.length, entries, start.stderr);
  assert.doesNotMatch(start.stderr, /rejected|mismatch/i);
});
