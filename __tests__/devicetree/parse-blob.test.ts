import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FdtError, type FdtErrorCode } from '../../src/devicetree/errors.ts';
import { MAX_BLOB_BYTES, MAX_DEPTH, MAX_MEMORY_RESERVATIONS, MAX_NODES, MAX_PATH_BYTES, MAX_PROPERTIES } from '../../src/devicetree/limits.ts';
import { parseBlob } from '../../src/devicetree/parse-blob.ts';
import type { DeviceTree } from '../../src/devicetree/tree.ts';
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
    assert.deepEqual(
      [...tree.root.walk()].map((n) => n.path),
      ['/', '/cpus', '/cpus/cpu@0', '/gpu@1000'],
    );
    const cpu = tree.root.child('cpus')?.child('cpu@0');
    assert.equal(cpu?.baseName, 'cpu');
    assert.equal(cpu?.unitAddress, '0');
    assert.equal(cpu?.parent?.name, 'cpus');
    const reg = cpu?.property('reg')?.value;
    assert.ok(reg !== undefined && reg.buffer === blob.buffer, 'value is a view into the blob');
    assert.equal(tree.root.child('gpu@1000')?.property('empty')?.value.length, 0);
  });

  test('skips NOP tokens anywhere up to the end of the root node', () => {
    const tokens: Token[] = [{ nop: true }, { begin: '' }, { nop: true }, { prop: 'a', value: 'x' }, { nop: true }, { begin: 'n' }, { end: true }, { nop: true }, { end: true }];
    const tree = parseBlob(buildBlob(tokens));
    assert.deepEqual(
      tree.root.properties.map((p) => p.name),
      ['a'],
    );
    assert.deepEqual(
      tree.root.children.map((c) => c.name),
      ['n'],
    );
  });

  test('reads version 16 blobs, which have no size_dt_struct', () => {
    const tree = parseBlob(buildBlob(board, { version: 16 }));
    assert.equal(tree.version, 16);
    assert.equal(tree.root.child('cpus')?.child('cpu@0')?.property('compatible')?.asString(), 'arm,cortex-a53');
  });

  test('reads memory reservations, 64-bit addresses included', () => {
    const tree = parseBlob(
      buildBlob(board, {
        memoryReservations: [
          [0x80000000n, 0x10000n],
          [0x1_2000_0000n, 0x200000n],
        ],
      }),
    );
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
    rejects(new Uint8Array(0), 'TRUNCATED', /empty \(0 bytes\), not a devicetree blob/);
    rejects(good.subarray(0, 3), 'TRUNCATED', /3 bytes, too short to be a devicetree blob/);
    rejects(good.subarray(0, 24), 'TRUNCATED');
  });
  test('bad magic', () => {
    rejects(withField(HEADER.magic, 0xfeedd00d), 'BAD_MAGIC', /bad magic 0xfeedd00d/);
  });
  test('versions below 16, not backwards compatible with 17, or older than their last_comp_version', () => {
    rejects(withField(HEADER.version, 15), 'BAD_VERSION', /version 15/);
    rejects(withField(HEADER.lastCompatibleVersion, 18), 'BAD_VERSION', /last_comp_version 18/);
    // libfdt: FDT_ERR_BADVERSION (fdt_check_header wants version >= last_comp_version).
    rejects(buildBlob(board, { version: 16, lastCompatibleVersion: 17 }), 'BAD_VERSION', /own version 16/);
    assert.equal(parseBlob(buildBlob(board, { version: 17, lastCompatibleVersion: 17 })).version, 17);
  });
  test('totalsize larger than the buffer, smaller than the header, or over the size limit', () => {
    rejects(good.subarray(0, good.length - 1), 'TRUNCATED', /totalsize/);
    rejects(withField(HEADER.totalSize, MAX_BLOB_BYTES + 1), 'TOO_LARGE', /over the 2097152-byte \(2 MiB\) limit/);
    rejects(withField(HEADER.totalSize, 0xffffffff), 'TOO_LARGE');
    rejects(withField(HEADER.totalSize, MAX_BLOB_BYTES), 'TRUNCATED');
    rejects(withField(HEADER.totalSize, 8), 'BAD_LAYOUT');
  });
  test('blocks outside totalsize or overlapping the header', () => {
    rejects(withField(HEADER.structOffset, good.length), 'BAD_LAYOUT', /structure block/);
    rejects(withField(HEADER.structSize, 0xfffffff0), 'BAD_LAYOUT', /structure block/);
    rejects(withField(HEADER.stringsSize, good.length), 'BAD_LAYOUT', /strings block/);
    rejects(withField(HEADER.stringsOffset, 0xffffffff), 'BAD_LAYOUT', /strings block/);
    rejects(withField(HEADER.memRsvOffset, 4), 'BAD_LAYOUT', /overlaps the header/);
  });
  test('blocks need no alignment (every read is bytewise; libfdt 1.6.1 to 1.7.x agree, 1.8.0+ refuse misaligned blocks)', () => {
    const expected = sortedPaths(parseBlob(good));
    for (const [field, pad] of [
      [HEADER.memRsvOffset, 4],
      [HEADER.structOffset, 2],
      [HEADER.stringsOffset, 1],
    ] as const) {
      const shifted = insertBefore(good, good.readUInt32BE(field), pad);
      assert.notEqual(shifted.readUInt32BE(field) % 8, 0);
      assert.deepEqual(sortedPaths(parseBlob(shifted)), expected);
    }
  });
  test('a memory reservation block without terminator inside the blob', () => {
    const blob = Buffer.from(good);
    const lastAligned = (blob.length - 8) & ~7; // fewer than 16 bytes left: no room for a whole entry
    blob.writeUInt32BE(lastAligned, HEADER.memRsvOffset);
    blob.fill(0xff, lastAligned);
    rejects(blob, 'BAD_MEMRSV');
  });
  test(`more than ${MAX_MEMORY_RESERVATIONS} memory reservations`, () => {
    const entries = (n: number) => Array.from({ length: n }, (_, i): [bigint, bigint] => [BigInt(i) << 20n, 0x1000n]);
    assert.equal(parseBlob(buildBlob(board, { memoryReservations: entries(MAX_MEMORY_RESERVATIONS) })).memoryReservations.length, MAX_MEMORY_RESERVATIONS);
    rejects(buildBlob(board, { memoryReservations: entries(MAX_MEMORY_RESERVATIONS + 1) }), 'TOO_MANY', /more than 1024 memory reservations/);
  });
  test('the first reservation of size 0 ends the list, whatever its address (as libfdt, dtc and Linux read it)', () => {
    const tree = parseBlob(
      buildBlob(board, {
        memoryReservations: [
          [0x1000n, 0x10n],
          [0x2000n, 0n],
          [0x3000n, 0x30n],
        ],
      }),
    );
    assert.deepEqual(tree.memoryReservations, [{ address: 0x1000n, size: 0x10n }]);
  });
});

/** `n` zero bytes inserted at `at`, with totalsize and the offsets of blocks at or after `at` moved along. */
function insertBefore(blob: Buffer, at: number, n: number): Buffer {
  const out = Buffer.concat([blob.subarray(0, at), Buffer.alloc(n), blob.subarray(at)]);
  out.writeUInt32BE(blob.length + n, HEADER.totalSize);
  for (const field of [HEADER.structOffset, HEADER.stringsOffset, HEADER.memRsvOffset]) {
    const offset = blob.readUInt32BE(field);
    if (offset >= at) out.writeUInt32BE(offset + n, field);
  }
  return out;
}

const sortedPaths = (tree: DeviceTree) => [...tree.root.walk()].map((n) => [n.path, n.properties.map((p) => `${p.name}=${p.asHex()}`)]);

describe('parseBlob structure checks', () => {
  const cases: Array<[string, Token[], FdtErrorCode, RegExp, { noEnd?: boolean }?]> = [
    ['no FDT_END', [{ begin: '' }, { end: true }], 'BAD_STRUCTURE', /without FDT_END/, { noEnd: true }],
    ['unbalanced: FDT_END inside a node', [{ begin: '' }, { begin: 'a' }, { end: true }], 'BAD_STRUCTURE', /unbalanced/],
    ['FDT_END_NODE with no open node', [{ begin: '' }, { end: true }, { end: true }], 'BAD_STRUCTURE', /END_NODE/],
    // libfdt accepts a structure block without any node; a tree needs a root, so this parser does not.
    ['no root node', [{ nop: true }], 'BAD_STRUCTURE', /no root/],
    ['no root node, only a property', [{ prop: 'a', value: 'x' }], 'BAD_STRUCTURE', /no root/],
    ['a second root', [{ begin: '' }, { end: true }, { begin: '' }, { end: true }], 'BAD_STRUCTURE', /second root/],
    ['a root node with a name', [{ begin: 'root' }, { end: true }], 'BAD_STRUCTURE', /root node is named "root"/],
    ['a property after the root node', [{ begin: '' }, { end: true }, { prop: 'a', value: 'x' }], 'BAD_STRUCTURE', /after the root/],
    ['FDT_NOP after the root node', [{ begin: '' }, { end: true }, { nop: true }], 'BAD_STRUCTURE', /FDT_NOP after the root/],
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

  test('a v16 name may run past size_dt_strings up to totalsize, as libfdt reads v16 blobs; a v17 one may not', () => {
    for (const version of [16, 17] as const) {
      const blob = buildBlob([{ begin: '' }, { prop: 'ab', value: 'x' }, { end: true }], { version });
      blob.writeUInt32BE(1, HEADER.stringsSize); // the strings block now ends inside "ab"
      if (version === 16) assert.equal(parseBlob(blob).root.properties[0]?.name, 'ab');
      else rejects(blob, 'BAD_STRING', /NUL-terminated/);
    }
  });

  test('a node name without NUL inside the structure block', () => {
    const blob = buildBlob([{ begin: '' }, { word: 1 }, { word: 0x41414141 }], { noEnd: true });
    rejects(blob, 'BAD_NAME', /node name/);
  });

  test('properties before the root or after a subnode are checked, then left out as libfdt and Linux leave them out', () => {
    const tree = parseBlob(
      buildBlob([
        { nop: true },
        { prop: 'early', value: 'x' },
        { begin: '' },
        { prop: 'a', value: 'x' },
        { begin: 'n' },
        { end: true },
        { nop: true },
        { prop: 'late', value: 'y' },
        { end: true },
      ]),
    );
    assert.deepEqual(sortedPaths(tree), [
      ['/', ['a=7800']],
      ['/n', []],
    ]);
    rejects(buildBlob([{ begin: '' }, { begin: 'n' }, { end: true }, { prop: 'late', value: 'y', nameOffset: 4096 }, { end: true }]), 'BAD_STRING');
    rejects(buildBlob([{ prop: 'early', value: 'y', length: 0xfffffff0 }, { begin: '' }, { end: true }]), 'BAD_VALUE');
  });

  test('more nodes or properties than the limits', () => {
    const nodes = (n: number): Token[] => [{ begin: '' }, ...Array.from({ length: n - 1 }, (): Token[] => [{ begin: 'n' }, { end: true }]).flat(), { end: true }];
    assert.equal([...parseBlob(buildBlob(nodes(MAX_NODES))).root.walk()].length, MAX_NODES);
    rejects(buildBlob(nodes(MAX_NODES + 1)), 'TOO_MANY', new RegExp(`more than ${MAX_NODES} nodes`));
    const props = (n: number): Token[] => [{ begin: '' }, ...Array.from({ length: n }, (): Token => ({ prop: 'p' })), { end: true }];
    assert.equal(parseBlob(buildBlob(props(MAX_PROPERTIES))).root.properties.length, MAX_PROPERTIES);
    rejects(buildBlob(props(MAX_PROPERTIES + 1)), 'TOO_MANY', new RegExp(`more than ${MAX_PROPERTIES} properties`));
  });

  test('paths that add up to more than the limit: long names nested deep', () => {
    // 62 nested nodes with 1000-byte names, so the deepest path is 62 KB, then leaves that each repeat it.
    const chain = (leaves: number): Token[] => {
      const tokens: Token[] = [{ begin: '' }];
      for (let i = 1; i <= MAX_DEPTH - 2; i++) tokens.push({ begin: `${'n'.repeat(996)}@${String(i).padStart(3, '0')}` });
      for (let i = 0; i < leaves; i++) tokens.push({ begin: 'leaf' }, { end: true });
      for (let i = 0; i <= MAX_DEPTH - 2; i++) tokens.push({ end: true });
      return tokens;
    };
    const blob = buildBlob(chain(Math.ceil(MAX_PATH_BYTES / ((MAX_DEPTH - 2) * 1001))));
    assert.ok(blob.length < 100_000);
    rejects(blob, 'TOO_LARGE', /node paths add up to more than 4 MiB/);
    assert.equal([...parseBlob(buildBlob(chain(1))).root.walk()].length, MAX_DEPTH);
  });

  test('property names that overlap cannot make decoding quadratic', () => {
    // One 64 KiB name; each property names a different suffix of it, so each decodes up to 64 KiB.
    const long = 'x'.repeat(64 * 1024);
    const tokens: Token[] = [{ begin: '' }, { prop: long }];
    for (let i = 1; i < 64; i++) tokens.push({ prop: `p${i}`, nameOffset: i });
    tokens.push({ end: true });
    rejects(buildBlob(tokens), 'TOO_LARGE', /property names add up to more than/);
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
