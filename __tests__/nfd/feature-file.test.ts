import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { formatFeatureFile, NFD_FEATURE_FILE_LIMIT, writeFileAtomically } from '../../src/nfd/feature-file.ts';

test('the feature file is a comment and one sorted key=value line per label, as nfd-worker reads it', () => {
  const text = formatFeatureFile({ 'beta.devicetree.org/nvidia-gm20b': '1', 'beta.devicetree.org/arm-armv8': '4' });
  const [header, ...rest] = text.split('\n');
  assert.match(header ?? '', /^# Written by dt-node-labeller/);
  assert.deepEqual(rest, ['beta.devicetree.org/arm-armv8=4', 'beta.devicetree.org/nvidia-gm20b=1', '']);
  assert.equal(formatFeatureFile({}).split('\n').length, 2, 'no labels: just the header');
});

test('a file nfd-worker would ignore (over 64 kB) is refused', () => {
  const many = Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`beta.devicetree.org/vendor-model-with-a-long-name-${i}`, '1']));
  assert.throws(() => formatFeatureFile(many), new RegExp(`nfd-worker ignores files over ${NFD_FEATURE_FILE_LIMIT}`));
});

test('writes atomically: a complete new file appears under the name, no temporary file stays behind', () => {
  const dir = mkdtempSync(join(tmpdir(), 'feature-file-'));
  try {
    const path = join(dir, 'dt-node-labeller');
    writeFileSync(path, 'old\n');
    writeFileAtomically(path, 'new\n');
    assert.equal(readFileSync(path, 'utf8'), 'new\n');
    assert.deepEqual(readdirSync(dir), ['dt-node-labeller']);
    assert.throws(() => writeFileAtomically(join(dir, 'missing-dir', 'f'), 'x'), /^Error: cannot write .*missing-dir\/f: the folder .*missing-dir does not exist/);
    assert.deepEqual(readdirSync(dir), ['dt-node-labeller']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('two writers of one file (two containers, both pid 1) never share a temporary file', () => {
  // The temporary file's name shows in the system error (the cause) of a write that cannot happen: read it from there.
  const temporaryName = () => {
    try {
      writeFileAtomically(join(tmpdir(), 'no-such-folder-dtnl', 'dt-node-labeller'), 'x=1\n');
    } catch (error) {
      return /\.dt-node-labeller\.[^/']+\.tmp/.exec(((error as Error).cause as Error).message)?.[0];
    }
    return undefined;
  };
  const names = new Set(Array.from({ length: 10 }, temporaryName));
  assert.equal(names.size, 10, `a new name each time: ${[...names].join(' ')}`);
  assert.ok(![...names].some((name) => name === undefined || name.includes(`.${process.pid}.`)), 'not derived from the pid');
});
