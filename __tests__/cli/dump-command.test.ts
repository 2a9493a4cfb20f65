import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fixture } from '../helpers/corpus.ts';
import { cli } from '../helpers/run-cli.ts';

const hasDtc = spawnSync('dtc', ['--version']).status === 0;
const noDtc = hasDtc ? false : 'dtc not installed (Debian: device-tree-compiler)';

/** dtc's own decompilation of a blob: the reference both sides are compared in. */
function dtcSource(blob: Buffer | string): string {
  const input = typeof blob === 'string' ? ['-I', 'dtb', '-O', 'dts', blob] : ['-I', 'dtb', '-O', 'dts', '-'];
  const result = spawnSync('dtc', ['-q', ...input], { input: typeof blob === 'string' ? undefined : blob, maxBuffer: 64 << 20 });
  assert.equal(result.status, 0, result.stderr.toString());
  return result.stdout.toString();
}

for (const name of ['jetson-nano-l4t.dtb', 'odd-compatibles.dtb', 'memreserve.dtb', 'nops.dtb', 'v16.dtb']) {
  test(`dump -o dts of ${name} compiles back with dtc to the same tree`, { skip: noDtc }, async () => {
    const dump = await cli(['dump', '--dtb', fixture(name)]);
    assert.equal(dump.status, 0, dump.stderr);
    assert.match(dump.stdout, /^\/dts-v1\/;\n/);
    const compiled = spawnSync('dtc', ['-q', '-I', 'dts', '-O', 'dtb', '-'], { input: dump.stdout });
    assert.equal(compiled.status, 0, compiled.stderr.toString());
    assert.equal(dtcSource(compiled.stdout), dtcSource(fixture(name)));
  });
}

test('dump -o json gives the tree with typed values', async () => {
  const dump = await cli(['dump', '--dtb', fixture('memreserve.dtb'), '-o', 'json']);
  assert.equal(dump.status, 0, dump.stderr);
  const tree = JSON.parse(dump.stdout);
  assert.equal(tree.version, 17);
  assert.deepEqual(tree.memoryReservations, [
    { address: '0x80000000', size: '0x10000' },
    { address: '0x880000000', size: '0x200000' },
  ]);
  assert.equal(tree.root.path, '/');
  assert.deepEqual(tree.root.properties.compatible, { strings: ['acme,tiny-board', 'acme,tiny-soc'] });
  assert.deepEqual(tree.root.properties['#address-cells'], { cells: [2] });
  const cpus = tree.root.children.find((c: { name: string }) => c.name === 'cpus');
  assert.equal(cpus.path, '/cpus');
  assert.ok(cpus.children.length >= 1);
});

test('dump on bad input: one line, exit 1', async () => {
  const dump = await cli(['dump', '--dtb', 'package.json']);
  assert.equal(dump.status, 1);
  assert.match(dump.stderr, /^error: package\.json: invalid devicetree blob: bad magic/);
  assert.equal(dump.stdout, '');
});
