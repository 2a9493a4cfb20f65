import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseBlob } from '../../src/devicetree/parse-blob.ts';
import { DtNode, DtProperty } from '../../src/devicetree/tree.ts';
import { buildBlob } from '../helpers/fdt-builder.ts';

const prop = (bytes: number[] | string, name = 'p') => new DtProperty(name, typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : Buffer.from(bytes));

test('string helpers', () => {
  assert.deepEqual(prop('a\0bc\0').asStringList(), ['a', 'bc']);
  assert.deepEqual(prop('a\0\0b\0').asStringList(), ['a', '', 'b']);
  assert.deepEqual(prop('unterminated').asStringList(), ['unterminated']);
  assert.deepEqual(prop([]).asStringList(), []);
  assert.equal(prop('okay\0').asString(), 'okay');
  assert.equal(prop('a\0b\0').asString(), undefined);
  assert.equal(prop('okay').asString(), undefined);
});

test('cell helpers', () => {
  assert.deepEqual(prop([0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff]).asU32Array(), [1, 0xffffffff]);
  assert.equal(prop([1, 2, 3]).asU32Array(), undefined);
});

test('a value part-way into a larger buffer decodes only its own bytes, given as a range (as the parser does) or a view', () => {
  const blob = new Uint8Array([0xaa, 0x00, 0x00, 0x00, 0x02, 0x6f, 0x6b, 0x00, 0xe9, 0xbb]);
  const ranged = new DtProperty('label', blob, 5, 9);
  assert.equal(ranged.length, 4);
  assert.deepEqual([...ranged.value], [0x6f, 0x6b, 0x00, 0xe9]);
  assert.ok(!Buffer.isBuffer(ranged.value), 'a plain Uint8Array');
  assert.equal(ranged.value.buffer, blob.buffer, "the blob's memory, not a copy");
  assert.equal(ranged.value, ranged.value, 'made once');
  assert.deepEqual(ranged.asStringList(), ['ok', '\xe9']);
  assert.equal(ranged.asLatin1(2), 'ok');
  assert.deepEqual(new DtProperty('reg', blob, 1, 5).asU32Array(), [2]);
  assert.deepEqual(new DtProperty('empty', blob, 9, 9).asStringList(), []);
  assert.equal(new DtProperty('tail', blob, 8, 10).asHex(), 'e9bb');
  const cells = new DtProperty('reg', blob.subarray(1, 5));
  assert.deepEqual(cells.asU32Array(), [2]);
  assert.equal(cells.asHex(), '00000002');
  const text = new DtProperty('label', blob.subarray(5, 9));
  assert.deepEqual(text.asStringList(), ['ok', '\xe9']);
  assert.equal(text.asLatin1(), 'ok\0\xe9', 'one character per byte, NUL and high bytes included');
  assert.equal(text.asLatin1(2), 'ok');
});

test('status and enabled', () => {
  const node = (status?: string) => {
    const n = new DtNode('x');
    if (status !== undefined) n.properties.push(prop(`${status}\0`, 'status'));
    return n;
  };
  assert.equal(node().enabled, true);
  assert.equal(node('okay').enabled, true);
  assert.equal(node('ok').enabled, true);
  assert.equal(node('disabled').enabled, false);
  assert.equal(node('fail-sss').enabled, false);
  assert.equal(node('disabled').status, 'disabled');
});

test('paths, children by name, unit addresses', () => {
  const root = parseBlob(buildBlob({ name: '', children: [{ name: 'soc', children: [{ name: 'gpu@57000000' }, { name: 'gpu' }] }, { name: 'gpus' }] })).root;
  assert.equal(root.path, '/');
  assert.deepEqual(
    [...root.walk()].map((n) => n.path),
    ['/', '/soc', '/soc/gpu@57000000', '/soc/gpu', '/gpus'],
  );
  assert.equal(root.child('soc')?.child('gpu@57000000')?.path, '/soc/gpu@57000000');
  assert.equal(root.child('soc')?.child('nope'), undefined);
  assert.equal(root.child('soc')?.child('gpu@57000000')?.unitAddress, '57000000');
  assert.equal(root.child('soc')?.child('gpu@57000000')?.baseName, 'gpu');
});
