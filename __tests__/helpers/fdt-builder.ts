// Builds blobs byte by byte for tests, including ones no compiler would produce: raw token streams,
// missing terminators, hand-set header fields. The layout matches dtc's: header, memory reservations,
// structure block, strings block.

export type Token =
  | { begin: string }
  | { end: true }
  | { prop: string; value?: Uint8Array | string | number[]; nameOffset?: number; length?: number }
  | { nop: true }
  | { word: number };

export interface NodeSpec {
  name: string;
  props?: Record<string, Uint8Array | string | string[] | number[]>;
  children?: NodeSpec[];
}

export interface BlobOptions {
  version?: 16 | 17 | number;
  lastCompatibleVersion?: number;
  memoryReservations?: Array<[bigint, bigint]>;
  /** Leave out the FDT_END token after the given tokens. */
  noEnd?: boolean;
  /** Overwrite header fields after layout, by byte offset (e.g. { 4: 0 } zeroes totalsize). */
  header?: Record<number, number>;
}

import { HEADER_FIELD_OFFSETS } from '../../src/devicetree/header.ts';

const enc = (s: string) => Buffer.from(`${s}\0`, 'latin1');

/** A value as dtc encodes it: a string or string list NUL-terminated, numbers as big-endian u32 cells. */
function encodeValue(value: Uint8Array | string | string[] | number[]): Buffer {
  if (typeof value === 'string') return enc(value);
  if (value instanceof Uint8Array) return Buffer.from(value);
  if (value.length > 0 && typeof value[0] === 'string') return Buffer.concat((value as string[]).map(enc));
  const out = Buffer.alloc(value.length * 4);
  for (const [i, cell] of (value as number[]).entries()) out.writeUInt32BE(cell >>> 0, i * 4);
  return out;
}

/** The token stream dtc would write for a tree. */
export function tokensFor(node: NodeSpec): Token[] {
  return [
    { begin: node.name },
    ...Object.entries(node.props ?? {}).map(([prop, value]) => ({ prop, value: encodeValue(value) })),
    ...(node.children ?? []).flatMap(tokensFor),
    { end: true },
  ];
}

export function buildBlob(tokensOrTree: Token[] | NodeSpec, options: BlobOptions = {}): Buffer {
  const tokens = Array.isArray(tokensOrTree) ? tokensOrTree : tokensFor(tokensOrTree);
  const version = options.version ?? 17;
  const headerSize = version >= 17 ? 40 : 36;
  const strings = new StringTable();
  const struct: Buffer[] = [];
  const word = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n >>> 0);
    struct.push(b);
  };
  const padded = (b: Buffer) => struct.push(Buffer.concat([b, Buffer.alloc((4 - (b.length % 4)) % 4)]));
  for (const token of tokens) {
    if ('begin' in token) {
      word(1);
      padded(enc(token.begin));
    } else if ('end' in token) word(2);
    else if ('nop' in token) word(4);
    else if ('word' in token) word(token.word);
    else {
      const value = token.value === undefined ? Buffer.alloc(0) : encodeValue(token.value);
      word(3);
      word(token.length ?? value.length);
      word(token.nameOffset ?? strings.offset(token.prop));
      padded(value);
    }
  }
  if (!options.noEnd) word(9);
  const structBytes = Buffer.concat(struct);
  const memrsv = Buffer.alloc(((options.memoryReservations?.length ?? 0) + 1) * 16);
  (options.memoryReservations ?? []).forEach(([address, size], i) => {
    memrsv.writeBigUInt64BE(address, i * 16);
    memrsv.writeBigUInt64BE(size, i * 16 + 8);
  });
  const memRsvOffset = align(headerSize, 8);
  const structOffset = memRsvOffset + memrsv.length;
  const stringsOffset = structOffset + structBytes.length;
  const stringBytes = strings.bytes();
  const total = stringsOffset + stringBytes.length;
  const blob = Buffer.alloc(total);
  const fields = [0xd00dfeed, total, structOffset, stringsOffset, memRsvOffset, version, options.lastCompatibleVersion ?? 16, 0, stringBytes.length, structBytes.length];
  for (const [i, value] of fields.slice(0, headerSize / 4).entries()) blob.writeUInt32BE(value >>> 0, i * 4);
  memrsv.copy(blob, memRsvOffset);
  structBytes.copy(blob, structOffset);
  stringBytes.copy(blob, stringsOffset);
  for (const [offset, value] of Object.entries(options.header ?? {})) blob.writeUInt32BE(value >>> 0, Number(offset));
  return blob;
}

/** Byte offsets of the header fields, for BlobOptions.header and corruption tests. */
export const HEADER = HEADER_FIELD_OFFSETS;

const align = (n: number, to: number) => Math.ceil(n / to) * to;

class StringTable {
  readonly #offsets = new Map<string, number>();
  #size = 0;

  offset(name: string): number {
    let at = this.#offsets.get(name);
    if (at === undefined) {
      at = this.#size;
      this.#offsets.set(name, at);
      this.#size += Buffer.byteLength(name, 'latin1') + 1;
    }
    return at;
  }

  bytes(): Buffer {
    return Buffer.concat([...this.#offsets.keys()].map(enc));
  }
}
