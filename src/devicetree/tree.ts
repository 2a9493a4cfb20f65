import type { MemoryReservation } from './memory-reservations.ts';

/**
 * A property: its name and its raw bytes, a zero-copy view into the blob it came from. The view is a plain
 * Uint8Array rather than a Buffer: a blob has one per property, and making a Buffer costs a third more
 * (measured in bench/parse.ts); the as* methods decode it.
 */
export class DtProperty {
  readonly name: string;
  readonly value: Uint8Array;

  constructor(name: string, value: Uint8Array) {
    this.name = name;
    this.value = value;
  }

  /** The bytes as Latin-1 text, NULs included: one character per byte, whatever the bytes are. */
  asLatin1(end = this.value.length): string {
    return asBuffer(this.value).toString('latin1', 0, end);
  }

  /** The bytes in hexadecimal, two lower-case digits each. */
  asHex(): string {
    return asBuffer(this.value).toString('hex');
  }

  /** The strings of a NUL-separated string list (one trailing NUL dropped). Empty strings are kept. */
  asStringList(): string[] {
    const v = this.value;
    if (v.length === 0) return [];
    return this.asLatin1(v[v.length - 1] === 0 ? v.length - 1 : v.length).split('\0');
  }

  /** The value as one string, or undefined when it is not exactly one NUL-terminated string. */
  asString(): string | undefined {
    const list = this.asStringList();
    return list.length === 1 && this.value[this.value.length - 1] === 0 ? list[0] : undefined;
  }

  /** The value as big-endian 32-bit cells, or undefined when its length is not a multiple of 4. */
  asU32Array(): number[] | undefined {
    const v = this.value;
    if (v.length % 4 !== 0) return undefined;
    const cells: number[] = [];
    for (let i = 0; i < v.length; i += 4) cells.push(((v[i]! << 24) | (v[i + 1]! << 16) | (v[i + 2]! << 8) | v[i + 3]!) >>> 0);
    return cells;
  }
}

/** A Buffer over the same memory, for its decoders: made only when a value is decoded, not per property. */
const asBuffer = (v: Uint8Array): Buffer => Buffer.from(v.buffer, v.byteOffset, v.byteLength);

/** Status values that mean "enabled" (ePAPR spells it "okay"; old trees say "ok"). */
const ENABLED_STATUSES: ReadonlySet<string> = new Set(['okay', 'ok']);

export class DtNode {
  /** The full node name including the unit address, e.g. "cpu@0"; "" for the root. */
  readonly name: string;
  readonly parent: DtNode | undefined;
  readonly properties: DtProperty[] = [];
  readonly children: DtNode[] = [];
  #path: string | undefined;

  constructor(name: string, parent?: DtNode) {
    this.name = name;
    this.parent = parent;
  }

  /** The name without its unit address: "cpu" for "cpu@0". */
  get baseName(): string {
    const at = this.name.indexOf('@');
    return at < 0 ? this.name : this.name.slice(0, at);
  }

  /** The unit address after "@", or undefined when the name has none. */
  get unitAddress(): string | undefined {
    const at = this.name.indexOf('@');
    return at < 0 ? undefined : this.name.slice(at + 1);
  }

  /** Absolute path, computed on first use: most nodes of a parsed blob are never asked for it. */
  get path(): string {
    if (this.#path === undefined) {
      const parent = this.parent;
      this.#path = parent === undefined ? '/' : parent.parent === undefined ? `/${this.name}` : `${parent.path}/${this.name}`;
    }
    return this.#path;
  }

  property(name: string): DtProperty | undefined {
    return this.properties.find((p) => p.name === name);
  }

  child(name: string): DtNode | undefined {
    return this.children.find((c) => c.name === name);
  }

  /** The `compatible` strings, most specific first; empty when the node has none. */
  get compatibles(): string[] {
    return this.property('compatible')?.asStringList() ?? [];
  }

  /** The `status` string, or undefined when the node has none. */
  get status(): string | undefined {
    return this.property('status')?.asString();
  }

  /** A node is enabled when it has no status property, or its status is "okay"/"ok". */
  get enabled(): boolean {
    const status = this.property('status');
    if (status === undefined) return true;
    const value = status.asString();
    return value !== undefined && ENABLED_STATUSES.has(value);
  }

  /** This node and every node below it, depth first in tree order (iterative: no recursion limit). */
  *walk(): Generator<DtNode> {
    const stack: DtNode[] = [this];
    while (stack.length > 0) {
      const node = stack.pop()!;
      yield node;
      for (let i = node.children.length - 1; i >= 0; i--) stack.push(node.children[i]!);
    }
  }
}

/** Where a tree came from, for logs and metrics. */
type TreeSourceKind = 'blob' | 'expanded';

export interface DeviceTree {
  readonly root: DtNode;
  readonly source: { readonly kind: TreeSourceKind; readonly path: string };
  /** Blob header facts; the expanded tree has none of these, so they are empty/undefined there. */
  readonly version: number | undefined;
  readonly bootCpuIdPhys: number | undefined;
  readonly memoryReservations: readonly MemoryReservation[];
}
