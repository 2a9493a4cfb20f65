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
  assert.equal(prop([0, 0, 0x10, 0]).asU32(), 0x1000);
  assert.equal(prop([0, 0, 0, 0, 0, 0, 0x10, 0]).asU32(), undefined);
  assert.equal(prop([0, 0, 0, 1, 0, 0, 0, 0]).asU64(), 0x1_0000_0000n);
  assert.equal(prop([0, 0, 0, 1]).asU64(), undefined);
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

test('paths, lookup by path and by name', () => {
  const root = parseBlob(
    buildBlob({ name: '', children: [{ name: 'soc', children: [{ name: 'gpu@57000000' }, { name: 'gpu' }] }, { name: 'gpus' }] }),
  ).root;
  assert.equal(root.path, '/');
  assert.equal(root.find('/soc/gpu@57000000')?.path, '/soc/gpu@57000000');
  assert.equal(root.find('soc/gpu')?.path, '/soc/gpu');
  assert.equal(root.find('/'), root);
  assert.equal(root.find('/soc/nope'), undefined);
  assert.deepEqual(root.findByName('gpu').map((n) => n.path), ['/soc/gpu@57000000', '/soc/gpu']);
  assert.equal(root.find('/soc')?.find('gpu@57000000')?.unitAddress, '57000000');
});
