import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { DevicetreeSourceError } from '../../src/devicetree/errors.ts';
import { readExpandedTree } from '../../src/devicetree/expanded-tree.ts';
import { MAX_DEPTH } from '../../src/devicetree/limits.ts';
import { parseBlob } from '../../src/devicetree/parse-blob.ts';
import { fixture } from '../helpers/corpus.ts';
import { expandTree, sortedView } from '../helpers/expand-tree.ts';
import { scratchDirs } from '../helpers/scratch-dirs.ts';

const tmp = scratchDirs('dtnl-expanded-');

for (const name of ['jetson-nano-l4t.dtb', 'raspberry-pi-4.dtb', 'odd-compatibles.dtb']) {
  test(`the expanded form of ${name} reads back as the same tree`, () => {
    const blob = parseBlob(readFileSync(fixture(name)));
    const dir = join(tmp(), 'base');
    expandTree(blob.root, dir);
    const expanded = readExpandedTree(dir);
    assert.deepEqual(sortedView(expanded.root), sortedView(blob.root));
    assert.deepEqual(expanded.source, { kind: 'expanded', path: dir });
    assert.equal(expanded.version, undefined);
  });
}

test('symbolic links inside the tree are not followed', () => {
  const dir = tmp();
  writeFileSync(join(dir, 'compatible'), 'acme,board\0');
  mkdirSync(join(dir, 'cpu@0'));
  symlinkSync(dir, join(dir, 'cpu@0', 'loop'));
  symlinkSync(join(dir, 'compatible'), join(dir, 'linked-prop'));
  const tree = readExpandedTree(dir);
  assert.deepEqual(
    tree.root.properties.map((p) => p.name),
    ['compatible'],
  );
  assert.deepEqual(tree.root.child('cpu@0')?.children, []);
});

test('nesting beyond the depth limit is refused', () => {
  const dir = tmp();
  mkdirSync(join(dir, ...Array.from({ length: MAX_DEPTH }, () => 'n')), { recursive: true });
  assert.throws(
    () => readExpandedTree(dir),
    (e) => e instanceof DevicetreeSourceError && /deeper than 64/.test(e.message),
  );
});

test('a missing folder or a file is a one-line source error', () => {
  const dir = tmp();
  assert.throws(
    () => readExpandedTree(join(dir, 'nope')),
    (e) => e instanceof DevicetreeSourceError && e.reason === 'ABSENT' && /nope: not found$/.test(e.message),
  );
  writeFileSync(join(dir, 'file'), 'x');
  assert.throws(
    () => readExpandedTree(join(dir, 'file')),
    (e) => e instanceof DevicetreeSourceError && e.reason === 'INVALID' && /not a directory/.test(e.message),
  );
});

test('FIFOs and devices inside the tree are not properties: skipped without opening them', () => {
  const dir = tmp();
  writeFileSync(join(dir, 'compatible'), 'acme,board\0');
  execFileSync('mkfifo', [join(dir, 'fifo')]);
  assert.deepEqual(
    readExpandedTree(dir).root.properties.map((p) => p.name),
    ['compatible'],
  );
});
