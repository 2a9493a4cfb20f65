import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FdtError, type FdtErrorCode } from '../../src/devicetree/errors.ts';
import { parseBlob } from '../../src/devicetree/parse-blob.ts';
import { MAX_DEPTH } from '../../src/devicetree/structure.ts';
import { buildBlob, HEADER, type NodeSpec, type Token } from '../helpers/fdt-builder.ts';

const board: NodeSpec = {
  name: '',
  props: { compatible: ['acme,board', 'acme,soc'], '#address-cells': [1], model: 'Acme Board' },
  children: [
    { name: 'cpus', children: [{ name: 'cpu@0', props: { compatible: 'arm,cortex-a53', reg: [0] } }] },
    { name: 'gpu@1000', props: { compatible: 'acme,gpu', status: 'disabled', empty: new Uint8Array() } },
  ],
};

function rejects(blob: Uint8Array, code: FdtErrorCode, message?: RegExp): FdtError {
  try {
    parseBlob(blob);
  } catch (error) {
    assert.ok(error instanceof FdtError, `expected FdtError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    assert.ok(!error.message.includes('\n'), 'message is one line');
    if (message) assert.match(error.message, message);
    return error;
  }
  assert.fail(`expected ${code}, but the blob parsed`);
}

describe('parseBlob on well-formed blobs', () => {
  test('builds the tree with names, paths, unit addresses and zero-copy values', () => {
    const blob = buildBlob(board);
    const tree = parseBlob(blob, 'board.dtb');
    assert.equal(tree.version, 17);
    assert.deepEqual(tree.source, { kind: 'blob', path: 'board.dtb' });
    assert.deepEqual(tree.root.property('compatible')?.asStringList(), ['acme,board', 'acme,soc']);
    assert.deepEqual([...tree.root.walk()].map((n) => n.path), ['/', '/cpus', '/cpus/cpu@0', '/gpu@1000']);
    const cpu = tree.root.find('/cpus/cpu@0');
    assert.equal(cpu?.baseName, 'cpu');
    assert.equal(cpu?.unitAddress, '0');
    assert.equal(cpu?.parent?.name, 'cpus');
    const reg = cpu?.property('reg')?.value;
    assert.ok(reg !== undefined && reg.buffer === blob.buffer, 'value is a view into the blob');
    assert.equal(tree.root.find('/gpu@1000')?.property('empty')?.value.length, 0);
  });

  test('skips NOP tokens anywhere in the structure block', () => {
    const tokens: Token[] = [{ nop: true }, { begin: '' }, { nop: true }, { prop: 'a', value: 'x' }, { nop: true }, { begin: 'n' }, { end: true }, { nop: true }, { end: true }, { nop: true }];
    const tree = parseBlob(buildBlob(tokens));
    assert.deepEqual(tree.root.properties.map((p) => p.name), ['a']);
    assert.deepEqual(tree.root.children.map((c) => c.name), ['n']);
  });

  test('reads version 16 blobs, which have no size_dt_struct', () => {
    const tree = parseBlob(buildBlob(board, { version: 16 }));
    assert.equal(tree.version, 16);
    assert.equal(tree.root.find('/cpus/cpu@0')?.property('compatible')?.asString(), 'arm,cortex-a53');
  });

  test('reads memory reservations, 64-bit addresses included', () => {
    const tree = parseBlob(buildBlob(board, { memoryReservations: [[0x80000000n, 0x10000n], [0x1_2000_0000n, 0x200000n]] }));
    assert.deepEqual(tree.memoryReservations, [
      { address: 0x80000000n, size: 0x10000n },
      { address: 0x1_2000_0000n, size: 0x200000n },
    ]);
  });

  test('accepts a Uint8Array that is not a Buffer, and bytes after totalsize', () => {
    const blob = buildBlob(board);
    const copy = new Uint8Array(blob.length + 16);
    copy.set(blob);
    assert.equal(parseBlob(copy).root.children.length, 2);
  });

  test('nests up to the depth limit', () => {
    const tokens: Token[] = [];
    for (let i = 0; i < MAX_DEPTH; i++) tokens.push({ begin: i === 0 ? '' : `n${i}` });
    for (let i = 0; i < MAX_DEPTH; i++) tokens.push({ end: true });
    const deepest = [...parseBlob(buildBlob(tokens)).root.walk()].at(-1);
    assert.equal(deepest?.name, `n${MAX_DEPTH - 1}`);
  });
});

describe('parseBlob header checks', () => {
  const good = buildBlob(board);
  const withField = (field: number, value: number) => buildBlob(board, { header: { [field]: value } });

  test('a buffer too short for a header', () => {
    rejects(new Uint8Array(0), 'TRUNCATED');
    rejects(good.subarray(0, 3), 'TRUNCATED');
    rejects(good.subarray(0, 24), 'TRUNCATED');
  });
  test('bad magic', () => {
    rejects(withField(HEADER.magic, 0xfeedd00d), 'BAD_MAGIC');
  });
  test('versions below 16 or not backwards compatible with 17', () => {
    rejects(withField(HEADER.version, 15), 'BAD_VERSION', /version 15/);
    rejects(withField(HEADER.lastCompatibleVersion, 18), 'BAD_VERSION', /last_comp_version 18/);
  });
  test('totalsize larger than the buffer, or smaller than the header', () => {
    rejects(good.subarray(0, good.length - 1), 'TRUNCATED', /totalsize/);
    rejects(withField(HEADER.totalSize, 0xffffffff), 'TRUNCATED');
    rejects(withField(HEADER.totalSize, 8), 'BAD_LAYOUT');
  });
  test('blocks outside totalsize, overlapping the header, or misaligned', () => {
    rejects(withField(HEADER.structOffset, good.length), 'BAD_LAYOUT', /structure block/);
    rejects(withField(HEADER.structSize, 0xfffffff0), 'BAD_LAYOUT', /structure block/);
    rejects(withField(HEADER.stringsSize, good.length), 'BAD_LAYOUT', /strings block/);
    rejects(withField(HEADER.stringsOffset, 0xffffffff), 'BAD_LAYOUT', /strings block/);
    rejects(withField(HEADER.memRsvOffset, 4), 'BAD_LAYOUT', /overlaps the header/);
    rejects(withField(HEADER.memRsvOffset, 44), 'BAD_ALIGNMENT', /memory reservation/);
    rejects(withField(HEADER.structOffset, good.readUInt32BE(HEADER.structOffset) + 2), 'BAD_ALIGNMENT');
  });
  test('a memory reservation block without terminator inside the blob', () => {
    const blob = Buffer.from(good);
    const lastAligned = (blob.length - 8) & ~7; // fewer than 16 bytes left: no room for a whole entry
    blob.writeUInt32BE(lastAligned, HEADER.memRsvOffset);
    blob.fill(0xff, lastAligned);
    rejects(blob, 'BAD_MEMRSV');
  });
});

describe('parseBlob structure checks', () => {
  const cases: Array<[string, Token[], FdtErrorCode, RegExp, { noEnd?: boolean }?]> = [
    ['no FDT_END', [{ begin: '' }, { end: true }], 'BAD_STRUCTURE', /without FDT_END/, { noEnd: true }],
    ['unbalanced: FDT_END inside a node', [{ begin: '' }, { begin: 'a' }, { end: true }], 'BAD_STRUCTURE', /unbalanced/],
    ['FDT_END_NODE with no open node', [{ begin: '' }, { end: true }, { end: true }], 'BAD_STRUCTURE', /END_NODE/],
    ['no root node', [{ nop: true }], 'BAD_STRUCTURE', /no root/],
    ['a second root', [{ begin: '' }, { end: true }, { begin: '' }, { end: true }], 'BAD_STRUCTURE', /second root/],
    ['property outside a node', [{ prop: 'a', value: 'x' }, { begin: '' }, { end: true }], 'BAD_STRUCTURE', /outside/],
    ['property after subnodes', [{ begin: '' }, { begin: 'a' }, { end: true }, { prop: 'p', value: 'x' }, { end: true }], 'BAD_STRUCTURE', /after subnodes/],
    ['unknown token', [{ begin: '' }, { word: 7 }, { end: true }], 'BAD_TOKEN', /0x7/],
    ['name offset outside the strings block', [{ begin: '' }, { prop: 'a', value: 'x', nameOffset: 4096 }, { end: true }], 'BAD_STRING', /outside/],
    ['value running past the block', [{ begin: '' }, { prop: 'a', value: 'x', length: 0xfffffff0 }, { end: true }], 'BAD_VALUE', /"a"/],
  ];
  for (const [name, tokens, code, message, options] of cases) {
    test(name, () => {
      rejects(buildBlob(tokens, options), code, message);
    });
  }

  test('a name offset pointing into the last string without its NUL', () => {
    const blob = buildBlob([{ begin: '' }, { prop: 'ab', value: 'x' }, { end: true }]);
    const stringsEnd = blob.readUInt32BE(HEADER.stringsOffset) + blob.readUInt32BE(HEADER.stringsSize);
    blob.writeUInt32BE(blob.readUInt32BE(HEADER.stringsSize) - 1, HEADER.stringsSize);
    assert.equal(blob[stringsEnd - 1], 0);
    rejects(blob, 'BAD_STRING', /NUL-terminated/);
  });

  test('a node name without NUL inside the structure block', () => {
    const blob = buildBlob([{ begin: '' }, { word: 1 }, { word: 0x41414141 }], { noEnd: true });
    rejects(blob, 'BAD_NAME', /node name/);
  });

  test('nesting deeper than the limit', () => {
    const tokens: Token[] = [];
    for (let i = 0; i <= MAX_DEPTH; i++) tokens.push({ begin: i === 0 ? '' : 'n' });
    for (let i = 0; i <= MAX_DEPTH; i++) tokens.push({ end: true });
    const error = rejects(buildBlob(tokens), 'TOO_DEEP');
    assert.ok(error.offset > 0);
  });

  test('names from the blob are escaped so messages stay one line', () => {
    rejects(buildBlob([{ begin: '' }, { prop: 'a\nb', value: 'x', length: 0xff }, { end: true }]), 'BAD_VALUE', /"a\\nb"/);
    rejects(buildBlob([{ begin: '' }, { begin: 'x\ny' }]), 'BAD_STRUCTURE', /"\/x\\ny"/);
  });

  test('errors carry the byte offset of the offending token', () => {
    const blob = buildBlob([{ begin: '' }, { word: 0x55 }, { end: true }]);
    const error = rejects(blob, 'BAD_TOKEN');
    assert.equal(blob.readUInt32BE(error.offset), 0x55);
  });
});
