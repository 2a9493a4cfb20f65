// tier: full (writes 65,536 files and nests folders to PATH_MAX)
// The expanded tree (/sys/firmware/devicetree/base) is held to the same limits as a blob, so a huge or
// hostile folder costs bounded memory and time.
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { DevicetreeSourceError } from '../../src/devicetree/errors.ts';
import { readExpandedTree } from '../../src/devicetree/expanded-tree.ts';
import { MAX_BLOB_BYTES, MAX_NODES, MAX_PATH_BYTES, MAX_PROPERTIES } from '../../src/devicetree/limits.ts';
import { scratchDirs } from '../helpers/scratch-dirs.ts';

const tmp = scratchDirs('dtnl-expanded-limits-');

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
    assert.deepEqual(
      tree.root.properties.map((p) => p.value.length),
      [MAX_BLOB_BYTES / 2, MAX_BLOB_BYTES / 2],
    );
    writeFileSync(join(dir, 'c'), 'x');
    assert.throws(() => readExpandedTree(dir), tooLarge(dir, /property values add up to more than 2 MiB \(at .*\/c\)$/));
  });
});
