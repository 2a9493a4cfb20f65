import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { DevicetreeSourceError } from '../../src/devicetree/errors.ts';
import { readExpandedTree } from '../../src/devicetree/expanded-tree.ts';
import { parseBlob } from '../../src/devicetree/parse-blob.ts';
import { MAX_BLOB_BYTES, MAX_DEPTH, MAX_NODES, MAX_PATH_BYTES, MAX_PROPERTIES } from '../../src/devicetree/limits.ts';
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
  assert.deepEqual(tree.root.properties.map((p) => p.name), ['compatible']);
  assert.deepEqual(tree.root.find('/cpu@0')?.children, []);
});

test('nesting beyond the depth limit is refused', () => {
  const dir = tmp();
  mkdirSync(join(dir, ...Array.from({ length: MAX_DEPTH }, () => 'n')), { recursive: true });
  assert.throws(() => readExpandedTree(dir), (e) => e instanceof DevicetreeSourceError && /deeper than 64/.test(e.message));
});

test('a missing folder or a file is a one-line source error', () => {
  const dir = tmp();
  assert.throws(() => readExpandedTree(join(dir, 'nope')), (e) => e instanceof DevicetreeSourceError && e.reason === 'ABSENT' && /nope: not found$/.test(e.message));
  writeFileSync(join(dir, 'file'), 'x');
  assert.throws(() => readExpandedTree(join(dir, 'file')), (e) => e instanceof DevicetreeSourceError && e.reason === 'INVALID' && /not a directory/.test(e.message));
});

test('FIFOs and devices inside the tree are not properties: skipped without opening them', () => {
  const dir = tmp();
  writeFileSync(join(dir, 'compatible'), 'acme,board\0');
  execFileSync('mkfifo', [join(dir, 'fifo')]);
  assert.deepEqual(readExpandedTree(dir).root.properties.map((p) => p.name), ['compatible']);
});

describe('an expanded tree is bounded like a blob', () => {
  const tooLarge = (dir: string, what: RegExp) => (e: unknown) =>
    e instanceof DevicetreeSourceError && e.reason === 'INVALID' && e.message.startsWith(`${dir}: expanded devicetree too large: `) && what.test(e.message);

  test(`at most ${MAX_NODES} nodes`, () => {
    const dir = tmp();
    for (let i = 1; i < MAX_NODES; i++) mkdirSync(join(dir, `n${i}`));
    assert.equal([...readExpandedTree(dir).root.walk()].length, MAX_NODES);
    mkdirSync(join(dir, 'one-more'));
    assert.throws(() => readExpandedTree(dir), tooLarge(dir, new RegExp(`more than ${MAX_NODES} nodes$`)));
  });

  test(`at most ${MAX_PROPERTIES} properties, and no more entries than nodes and properties together`, () => {
    const dir = tmp();
    for (let i = 0; i < MAX_PROPERTIES; i++) writeFileSync(join(dir, `p${i}`), '');
    assert.equal(readExpandedTree(dir).root.properties.length, MAX_PROPERTIES);
    writeFileSync(join(dir, 'one-more'), '');
    assert.throws(() => readExpandedTree(dir), tooLarge(dir, new RegExp(`more than ${MAX_PROPERTIES} properties$`)));
    for (let i = 0; i <= MAX_NODES; i++) symlinkSync('p0', join(dir, `link${i}`));
    assert.throws(() => readExpandedTree(dir), tooLarge(dir, /more than \d+ entries$/));
  });

  test('node paths that add up to more than the limit', () => {
    // 14 nested folders with 250-byte names (a path stays under PATH_MAX), then short-named leaves under them.
    const dir = tmp();
    let deepest = dir;
    for (let i = 0; i < 14; i++) {
      deepest = join(deepest, `${'d'.repeat(246)}${String(i).padStart(4, '0')}`);
      mkdirSync(deepest);
    }
    const leafPath = deepest.length - dir.length + 6;
    for (let i = 0; i * leafPath <= MAX_PATH_BYTES; i++) mkdirSync(join(deepest, `l${String(i).padStart(4, '0')}`));
    assert.throws(() => readExpandedTree(dir), tooLarge(dir, /node paths add up to more than 4 MiB$/));
  });

  test(`at most ${MAX_BLOB_BYTES} bytes of property values, whatever the file sizes say`, () => {
    const dir = tmp();
    writeFileSync(join(dir, 'a'), Buffer.alloc(MAX_BLOB_BYTES / 2));
    writeFileSync(join(dir, 'b'), Buffer.alloc(MAX_BLOB_BYTES / 2));
    const tree = readExpandedTree(dir);
    assert.deepEqual(tree.root.properties.map((p) => p.value.length), [MAX_BLOB_BYTES / 2, MAX_BLOB_BYTES / 2]);
    writeFileSync(join(dir, 'c'), 'x');
    assert.throws(() => readExpandedTree(dir), tooLarge(dir, /property values add up to more than 2 MiB \(at .*\/c\)$/));
  });
});
