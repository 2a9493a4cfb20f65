// Mutation-based fuzzing support for the FDT blob parser: a fast-check arbitrary that corrupts seed blobs
// in the ways real damage and hostile input look (truncation, bit rot, bad header fields, bogus tokens,
// shifted chunks, trailing garbage), the invariant every parse must hold, and a synthetic seed blob. Shared by __tests__/devicetree/parser-fuzz.test.ts and scripts/fuzz.ts.
import fc from 'fast-check';
import { FdtError, type FdtErrorCode } from '../../src/devicetree/errors.ts';
import { parseBlob } from '../../src/devicetree/parse-blob.ts';
import type { DeviceTree, DtNode } from '../../src/devicetree/tree.ts';
import { buildBlob, tokensFor } from './fdt-builder.ts';

const HEADER_SIZE = 40;
const TOKEN = { BEGIN_NODE: 1, END_NODE: 2, PROP: 3, NOP: 4, END: 9 } as const;

/** The 10 u32 fields of `struct fdt_header`, in blob order (field i is at byte 4 * i). */
const HEADER_FIELDS = [
  'magic',
  'totalsize',
  'off_dt_struct',
  'off_dt_strings',
  'off_mem_rsvmap',
  'version',
  'last_comp_version',
  'boot_cpuid_phys',
  'size_dt_strings',
  'size_dt_struct',
] as const;

/** Every FdtError code, written out independently of the parser's type. */
export const ERROR_CODES: readonly FdtErrorCode[] = [
  'TRUNCATED',
  'BAD_MAGIC',
  'BAD_VERSION',
  'BAD_LAYOUT',
  'BAD_MEMRSV',
  'BAD_TOKEN',
  'BAD_STRUCTURE',
  'BAD_NAME',
  'BAD_STRING',
  'BAD_VALUE',
  'TOO_DEEP',
  'TOO_LARGE',
  'TOO_MANY',
];
const KNOWN_CODES: ReadonlySet<string> = new Set(ERROR_CODES);

// ---------------------------------------------------------------------------------------------------------
// Mutations. Positions are raw non-negative integers resolved against the current blob when applied
// (modulo its length or its structure block), so any mutation applies to any seed and shrinks sensibly.

/** Edge values for a header field; the `total*`/`end*` ones are relative to totalsize / the buffer length. */
const HEADER_EDGES = [
  'zero',
  'one',
  'max', // 0xffffffff
  'high', // 0x80000000
  'total+1',
  'total-1',
  'total+4',
  'total-4',
  'unaligned', // the current value + 1..3
  'end', // the buffer length: just past the last byte
  'end+1',
  'v15',
  'v16',
  'v17',
  'v18',
] as const;
type HeaderEdge = (typeof HEADER_EDGES)[number];

/** Edge values for a property's len (relative to the rest of the struct block) or nameoff (to the strings block). */
const PROP_EDGES = ['zero', 'one', 'three', 'max', 'high', 'blockEnd-1', 'blockEnd', 'blockEnd+1', 'blockEnd+4', 'inside', 'random'] as const;
type PropEdge = (typeof PROP_EDGES)[number];

type Mutation =
  | { readonly kind: 'truncate'; readonly length: number }
  | { readonly kind: 'bitflip'; readonly at: number; readonly bit: number }
  | { readonly kind: 'overwrite'; readonly at: number; readonly bytes: Uint8Array }
  | { readonly kind: 'header'; readonly field: number; readonly edge: HeaderEdge }
  | { readonly kind: 'token'; readonly at: number; readonly value: number }
  | { readonly kind: 'prop'; readonly at: number; readonly field: 'len' | 'nameoff'; readonly edge: PropEdge; readonly random: number }
  /** `fixHeader`: the chunk is taken from the struct block and totalsize/offsets/sizes follow the move. */
  | { readonly kind: 'delete'; readonly at: number; readonly words: number; readonly fixHeader: boolean }
  | { readonly kind: 'duplicate'; readonly at: number; readonly words: number; readonly fixHeader: boolean }
  | { readonly kind: 'append'; readonly bytes: Uint8Array };

export interface Seed {
  readonly name: string;
  readonly bytes: Buffer;
}

/** One generated case: which seed, what was done to it (resolved against the blob), and the result. */
export interface MutatedBlob {
  readonly seedIndex: number;
  readonly seedName: string;
  readonly seedLength: number;
  readonly mutations: readonly Mutation[];
  /** Human-readable, resolved steps ("token @0x48: 0x1 -> 0x9"), one per mutation. */
  readonly steps: readonly string[];
  readonly bytes: Buffer;
}

const MAX_CHUNK_WORDS = 16;
const MAX_EXTRA_BYTES = 64;
const MAX_MUTATIONS = 4;

/** NUL, newline, CR, quote, slash, at, 0x7f, 0x80, 0xff. */
const INTERESTING_BYTES = [0x00, 0x0a, 0x0d, 0x22, 0x2f, 0x40, 0x7f, 0x80, 0xff] as const;
const u32 = fc.nat({ max: 0xffffffff });
const position = fc.oneof(fc.nat({ max: 64 }), fc.nat({ max: 0x7fffffff }));

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  {
    arbitrary: fc.record({
      kind: fc.constant('truncate' as const),
      // 0, inside the header, or anywhere: resolved modulo length + 1.
      length: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: HEADER_SIZE + 8 }), fc.nat({ max: 0x7fffffff })),
    }),
    weight: 2,
  },
  { arbitrary: fc.record({ kind: fc.constant('bitflip' as const), at: position, bit: fc.nat({ max: 7 }) }), weight: 2 },
  {
    arbitrary: fc.record({
      kind: fc.constant('overwrite' as const),
      at: position,
      // random bytes, or one byte that means something to a parser or to the messages that quote names
      bytes: fc.oneof(
        fc.uint8Array({ minLength: 1, maxLength: 8 }),
        fc.constantFrom(...INTERESTING_BYTES).map((b) => Uint8Array.of(b)),
      ),
    }),
    weight: 2,
  },
  {
    arbitrary: fc.record({ kind: fc.constant('header' as const), field: fc.nat({ max: HEADER_FIELDS.length - 1 }), edge: fc.constantFrom(...HEADER_EDGES) }),
    weight: 3,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('token' as const),
      at: fc.nat({ max: 0x7fffffff }),
      value: fc.oneof({ arbitrary: fc.constantFrom(1, 2, 3, 4, 9), weight: 4 }, { arbitrary: u32, weight: 1 }),
    }),
    weight: 4,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('prop' as const),
      at: fc.nat({ max: 0x7fffffff }),
      field: fc.constantFrom('len' as const, 'nameoff' as const),
      edge: fc.constantFrom(...PROP_EDGES),
      random: u32,
    }),
    weight: 4,
  },
  {
    arbitrary: fc.record({ kind: fc.constant('delete' as const), at: fc.nat({ max: 0x7fffffff }), words: fc.integer({ min: 1, max: MAX_CHUNK_WORDS }), fixHeader: fc.boolean() }),
    weight: 3,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('duplicate' as const),
      at: fc.nat({ max: 0x7fffffff }),
      words: fc.integer({ min: 1, max: MAX_CHUNK_WORDS }),
      fixHeader: fc.boolean(),
    }),
    weight: 3,
  },
  { arbitrary: fc.record({ kind: fc.constant('append' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: MAX_EXTRA_BYTES }) }), weight: 1 },
);

/**
 * A seed blob with 1-4 mutations applied. Seeds are Buffers (named seed#i) or `{name, bytes}`. The
 * generated value prints as `describeMutation(value)` in fast-check's failure report.
 */
export function blobMutation(seeds: readonly (Buffer | Seed)[]): fc.Arbitrary<MutatedBlob> {
  if (seeds.length === 0) throw new Error('blobMutation needs at least one seed blob');
  const named: Seed[] = seeds.map((s, i) => (Buffer.isBuffer(s) ? { name: `seed#${i}`, bytes: s } : s));
  return fc.tuple(fc.nat({ max: named.length - 1 }), fc.array(mutationArb, { minLength: 1, maxLength: MAX_MUTATIONS })).map(([seedIndex, mutations]) => {
    const seed = named[seedIndex]!;
    const { bytes, steps } = applyMutations(seed.bytes, mutations);
    const value: MutatedBlob = { seedIndex, seedName: seed.name, seedLength: seed.bytes.length, mutations, steps, bytes };
    Object.defineProperty(value, fc.toStringMethod, { value: () => describeMutation(value), enumerable: false });
    return value;
  });
}

/**
 * Applies mutations in order to one copy of `seed`. The copy has room for the largest growth the
 * mutations can cause, so chunk moves and appends work in place on a length counter.
 */
function applyMutations(seed: Uint8Array, mutations: readonly Mutation[]): { bytes: Buffer; steps: string[] } {
  let growth = 0;
  for (const m of mutations) {
    if (m.kind === 'duplicate') growth += m.words * 4;
    else if (m.kind === 'append') growth += m.bytes.length;
  }
  const buf = Buffer.alloc(seed.length + growth);
  buf.set(seed);
  let len = seed.length;
  const steps: string[] = [];
  for (const m of mutations) {
    switch (m.kind) {
      case 'truncate': {
        const to = m.length % (len + 1);
        steps.push(`truncate ${len} -> ${to}`);
        len = to;
        break;
      }
      case 'bitflip': {
        if (len === 0) {
          steps.push('bitflip (empty blob: no-op)');
          break;
        }
        const at = m.at % len;
        buf[at]! ^= 1 << m.bit;
        steps.push(`bitflip @${hex(at)} bit ${m.bit}`);
        break;
      }
      case 'overwrite': {
        if (len === 0) {
          steps.push('overwrite (empty blob: no-op)');
          break;
        }
        const at = m.at % len;
        const n = Math.min(m.bytes.length, len - at);
        buf.set(m.bytes.subarray(0, n), at);
        steps.push(`overwrite @${hex(at)} with ${Buffer.from(m.bytes.buffer, m.bytes.byteOffset, n).toString('hex')}`);
        break;
      }
      case 'header': {
        const at = m.field * 4;
        const name = HEADER_FIELDS[m.field]!;
        if (at + 4 > len) {
          steps.push(`header ${name} (blob of ${len} bytes too short: no-op)`);
          break;
        }
        const old = buf.readUInt32BE(at);
        const total = len >= 8 ? buf.readUInt32BE(4) : len;
        const value = headerEdgeValue(m.edge, old, total, len);
        buf.writeUInt32BE(value, at);
        steps.push(`header ${name} = ${m.edge}: ${hex(old)} -> ${hex(value)}`);
        break;
      }
      case 'token': {
        const block = structBlock(buf, len);
        if (block.words === 0) {
          steps.push('token (no aligned word: no-op)');
          break;
        }
        const at = block.start + 4 * (m.at % block.words);
        const old = buf.readUInt32BE(at);
        buf.writeUInt32BE(m.value, at);
        steps.push(`token @${hex(at)}: ${hex(old)} -> ${hex(m.value)}`);
        break;
      }
      case 'prop': {
        const block = structBlock(buf, len);
        const prop = block.words === 0 ? -1 : findProp(buf, block, block.start + 4 * (m.at % block.words));
        if (prop < 0) {
          steps.push(`prop ${m.field} (no FDT_PROP found: no-op)`);
          break;
        }
        const at = prop + (m.field === 'len' ? 4 : 8);
        const old = buf.readUInt32BE(at);
        const room = m.field === 'len' ? Math.max(0, block.end - (prop + 12)) : stringsSize(buf, len);
        const value = propEdgeValue(m.edge, room, m.random);
        buf.writeUInt32BE(value, at);
        steps.push(`prop@${hex(prop)} ${m.field} = ${m.edge}: ${hex(old)} -> ${hex(value)}`);
        break;
      }
      case 'delete':
      case 'duplicate': {
        const chunk = m.fixHeader ? structBlock(buf, len) : { start: 0, end: len, words: len >> 2 };
        if (chunk.words === 0) {
          steps.push(`${m.kind} (no aligned word: no-op)`);
          break;
        }
        const at = chunk.start + 4 * (m.at % chunk.words);
        const n = Math.min(m.words * 4, chunk.end - at);
        if (m.kind === 'delete') {
          buf.copyWithin(at, at + n, len);
          len -= n;
        } else {
          buf.copyWithin(at + n, at, len); // shift the tail right: [at, at + n) now appears twice
          len += n;
        }
        const delta = m.kind === 'delete' ? -n : n;
        if (m.fixHeader) fixHeader(buf, len, at, delta);
        steps.push(`${m.kind} ${n} bytes @${hex(at)}${m.fixHeader ? ' (header adjusted)' : ''}`);
        break;
      }
      case 'append': {
        buf.set(m.bytes, len);
        len += m.bytes.length;
        steps.push(`append ${m.bytes.length} bytes`);
        break;
      }
    }
  }
  return { bytes: buf.subarray(0, len), steps };
}

/** After `delta` bytes were inserted/removed at `at` inside the struct block, moves what the header points past it. */
function fixHeader(buf: Buffer, len: number, at: number, delta: number): void {
  if (len < HEADER_SIZE) return;
  const shift = (field: number, when: boolean) => {
    if (when) buf.writeUInt32BE((buf.readUInt32BE(field * 4) + delta) >>> 0, field * 4);
  };
  shift(1, true); // totalsize
  for (const field of [2, 3, 4]) shift(field, buf.readUInt32BE(field * 4) > at); // block offsets past the chunk
  shift(9, true); // size_dt_struct
}

function headerEdgeValue(edge: HeaderEdge, old: number, total: number, len: number): number {
  switch (edge) {
    case 'zero':
      return 0;
    case 'one':
      return 1;
    case 'max':
      return 0xffffffff;
    case 'high':
      return 0x80000000;
    case 'total+1':
      return (total + 1) >>> 0;
    case 'total-1':
      return (total - 1) >>> 0;
    case 'total+4':
      return (total + 4) >>> 0;
    case 'total-4':
      return (total - 4) >>> 0;
    case 'unaligned':
      return (old + 1 + (old % 3)) >>> 0;
    case 'end':
      return len;
    case 'end+1':
      return (len + 1) >>> 0;
    case 'v15':
      return 15;
    case 'v16':
      return 16;
    case 'v17':
      return 17;
    case 'v18':
      return 18;
  }
}

function propEdgeValue(edge: PropEdge, room: number, random: number): number {
  switch (edge) {
    case 'zero':
      return 0;
    case 'one':
      return 1;
    case 'three':
      return 3;
    case 'max':
      return 0xffffffff;
    case 'high':
      return 0x80000000;
    case 'blockEnd-1':
      return Math.max(0, room - 1);
    case 'blockEnd':
      return room;
    case 'blockEnd+1':
      return (room + 1) >>> 0;
    case 'blockEnd+4':
      return (room + 4) >>> 0;
    case 'inside': // somewhere in the block: a name starting mid-string, a value ending mid-token
      return random % (room + 1);
    case 'random':
      return random;
  }
}

interface Block {
  readonly start: number;
  readonly end: number;
  /** Number of whole aligned words in [start, end). */
  readonly words: number;
}

/**
 * Where the structure block is, as far as the (possibly already corrupted) header says; falls back to
 * "everything after the header" (or the whole blob) when the header is unusable.
 */
function structBlock(buf: Buffer, len: number): Block {
  let start = len >= 12 ? buf.readUInt32BE(8) : 0;
  if (start % 4 !== 0 || start >= len) start = len > HEADER_SIZE ? HEADER_SIZE : 0;
  let end = len;
  if (len >= HEADER_SIZE && buf.readUInt32BE(20) >= 17) {
    const size = buf.readUInt32BE(36);
    if (size <= len - start) end = start + size;
  }
  return { start, end, words: (end - start) >> 2 };
}

function stringsSize(buf: Buffer, len: number): number {
  return len >= 36 ? buf.readUInt32BE(32) : 0;
}

/**
 * Walks the tokens from the block start and returns the offset of the first FDT_PROP at or after `from`
 * (or the last one before it), or -1. Linear, allocation-free and bounded by the block length.
 */
function findProp(buf: Buffer, block: Block, from: number): number {
  let at = block.start;
  let last = -1;
  while (at + 4 <= block.end) {
    const token = buf.readUInt32BE(at);
    if (token === TOKEN.PROP) {
      if (at + 12 > block.end) return last;
      if (at >= from) return at;
      last = at;
      at = align4(at + 12 + buf.readUInt32BE(at + 4));
    } else if (token === TOKEN.BEGIN_NODE) {
      let i = at + 4;
      while (i < block.end && buf[i] !== 0) i++;
      at = align4(i + 1);
    } else if (token === TOKEN.END_NODE || token === TOKEN.NOP) at += 4;
    else return last;
  }
  return last;
}

const align4 = (n: number) => n + ((4 - (n % 4)) % 4);
const hex = (n: number) => `0x${n.toString(16)}`;

/** A multi-line account of a case for failure reports: seed, resolved steps, and the bytes when small. */
export function describeMutation(m: MutatedBlob): string {
  const lines = [`seed ${m.seedName} (#${m.seedIndex}, ${m.seedLength} bytes) -> ${m.bytes.length} bytes`, ...m.steps.map((s) => `  ${s}`)];
  if (m.bytes.length <= 256) lines.push(`  hex: ${m.bytes.toString('hex')}`);
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------------------
// The invariant.

/** Thrown by `checkParse` when the parser breaks its contract. `cause` is the offending exception, if any. */
export class InvariantViolation extends Error {
  override readonly name = 'InvariantViolation';
}

export type ParseOutcome = 'ok' | FdtErrorCode;

/**
 * Parses `bytes` twice and checks the contract: a tree or an FdtError (known code, integer offset,
 * one-line message), nothing else; on success every node's path and every property's helpers work and
 * values are views inside `bytes`; and the second parse gives the same tree or the same error.
 * With `maxParseMs`, a single parse slower than that is a violation too.
 */
export function checkParse(bytes: Buffer, options: { readonly maxParseMs?: number } = {}): ParseOutcome {
  const first = attempt(bytes, options.maxParseMs);
  const second = attempt(bytes, options.maxParseMs);
  if (first instanceof FdtError) {
    checkError(first, bytes);
    if (!(second instanceof FdtError) || second.code !== first.code || second.offset !== first.offset || second.message !== first.message) {
      throw new InvariantViolation(`not deterministic: first parse threw ${first.code} @${first.offset}, second gave ${summary(second)}`);
    }
    return first.code;
  }
  if (second instanceof FdtError) throw new InvariantViolation(`not deterministic: first parse succeeded, second threw ${second.code}`);
  exerciseTree(first, bytes);
  compareTrees(first, second);
  return 'ok';
}

function attempt(bytes: Buffer, maxParseMs = Infinity): DeviceTree | FdtError {
  const started = maxParseMs === Infinity ? 0 : performance.now();
  const slow = () => {
    const ms = maxParseMs === Infinity ? 0 : performance.now() - started;
    if (ms > maxParseMs) throw new InvariantViolation(`one parse took ${Math.round(ms)} ms (limit ${maxParseMs} ms)`);
  };
  try {
    const tree = parseBlob(bytes);
    slow();
    return tree;
  } catch (error) {
    if (error instanceof InvariantViolation) throw error;
    slow();
    if (error instanceof FdtError) return error;
    const what = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    throw new InvariantViolation(`parseBlob threw a non-FdtError: ${what}`, { cause: error });
  }
}

function checkError(error: FdtError, bytes: Buffer): void {
  if (!KNOWN_CODES.has(error.code)) throw new InvariantViolation(`unknown FdtError code ${JSON.stringify(error.code)}`);
  // May point past the end: at a header field the blob is too short to hold, or up to 3 bytes past a
  // name/value that ends at an unaligned structure-block end (the next token is read after align4()).
  if (!Number.isInteger(error.offset) || error.offset < 0 || error.offset > Math.max(bytes.length + 3, HEADER_SIZE)) {
    throw new InvariantViolation(`FdtError ${error.code} has a bad offset ${error.offset}`);
  }
  if (error.message.length === 0 || error.message.includes('\n') || error.message.includes('\r')) {
    throw new InvariantViolation(`FdtError ${error.code} message is not one line: ${JSON.stringify(error.message)}`);
  }
}

function summary(x: DeviceTree | FdtError): string {
  return x instanceof FdtError ? `${x.code} @${x.offset}: ${x.message}` : 'a tree';
}

function exerciseTree(tree: DeviceTree, bytes: Buffer): void {
  const start = bytes.byteOffset;
  const end = start + bytes.length;
  try {
    for (const node of tree.root.walk()) {
      if (typeof node.path !== 'string' || typeof node.baseName !== 'string') throw new InvariantViolation('node path/baseName is not a string');
      void node.unitAddress;
      void node.enabled;
      void node.status;
      for (const p of node.properties) {
        const v = p.value;
        if (v.buffer !== bytes.buffer || v.byteOffset < start || v.byteOffset + v.length > end) {
          throw new InvariantViolation(`property ${node.path}/${p.name} value is not a view inside the blob`);
        }
        p.asStringList();
        p.asString();
        p.asU32Array();
      }
    }
  } catch (error) {
    if (error instanceof InvariantViolation) throw error;
    throw new InvariantViolation(`walking a parsed tree threw: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

function compareTrees(a: DeviceTree, b: DeviceTree): void {
  const differ = (what: string) => new InvariantViolation(`not deterministic: ${what} differs between two parses`);
  if (a.version !== b.version || a.bootCpuIdPhys !== b.bootCpuIdPhys) throw differ('header');
  if (a.memoryReservations.length !== b.memoryReservations.length) throw differ('memory reservations');
  a.memoryReservations.forEach((r, i) => {
    const s = b.memoryReservations[i]!;
    if (r.address !== s.address || r.size !== s.size) throw differ('memory reservation');
  });
  const stack: Array<[DtNode, DtNode]> = [[a.root, b.root]];
  while (stack.length > 0) {
    const [x, y] = stack.pop()!;
    if (x.name !== y.name || x.properties.length !== y.properties.length || x.children.length !== y.children.length) throw differ(`node ${x.path}`);
    for (let i = 0; i < x.properties.length; i++) {
      const p = x.properties[i]!;
      const q = y.properties[i]!;
      if (p.name !== q.name || p.value.byteOffset !== q.value.byteOffset || p.value.length !== q.value.length) throw differ(`property ${x.path}/${p.name}`);
    }
    for (let i = 0; i < x.children.length; i++) stack.push([x.children[i]!, y.children[i]!]);
  }
}

/** A small but varied valid blob: memreserve, nested nodes, strings, cells, bytes, empty values, a NOP. */
export function syntheticSeed(version: 16 | 17 = 17): Buffer {
  const tokens = tokensFor({
    name: '',
    props: { '#address-cells': [2], '#size-cells': [2], compatible: ['acme,board', 'acme,soc'], model: 'Acme Board' },
    children: [
      {
        name: 'cpus',
        props: { '#address-cells': [1], '#size-cells': [0] },
        children: [
          { name: 'cpu@0', props: { compatible: 'arm,cortex-a53', reg: [0], status: 'okay' } },
          { name: 'cpu@1', props: { compatible: 'arm,cortex-a53', reg: [1], status: 'disabled' } },
        ],
      },
      { name: 'memory@80000000', props: { device_type: 'memory', reg: [0, 0x80000000, 0, 0x40000000] } },
      { name: 'soc', props: { ranges: new Uint8Array() }, children: [{ name: 'gpu@1000', props: { mac: new Uint8Array([1, 2, 3, 4, 5, 6]), status: 'ok' } }] },
    ],
  });
  tokens.splice(tokens.length - 2, 0, { nop: true });
  return buildBlob(tokens, { version, memoryReservations: [[0x80000000n, 0x100000n]] });
}
