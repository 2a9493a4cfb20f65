import type { MemoryReservation } from './memory-reservations.ts';

/**
 * A property: its name and its raw bytes, bytes [start, end) of the buffer it came from (a parsed blob's
 * whole buffer: zero-copy). `value` views them as a plain Uint8Array, made on first use: a blob has
 * thousands of properties and the labeller looks at a few dozen, and a view per property was most of what
 * parsing allocated (issue 18). The as* methods decode straight from the buffer.
 */
export class DtProperty {
  readonly name: string;
  readonly #bytes: Buffer;
  readonly #start: number;
  readonly #end: number;
  #view: Uint8Array | undefined;

  /** `value` whole, or bytes [start, end) of it. */
  constructor(name: string, value: Uint8Array, start = 0, end = value.length) {
    this.name = name;
    this.#bytes = Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    this.#start = start;
    this.#end = end;
  }

  get value(): Uint8Array {
    this.#view ??= new Uint8Array(this.#bytes.buffer, this.#bytes.byteOffset + this.#start, this.#end - this.#start);
    return this.#view;
  }

  /** Its length in bytes. */
  get length(): number {
    return this.#end - this.#start;
  }

  /** The bytes as Latin-1 text, NULs included: one character per byte, whatever the bytes are. */
  asLatin1(end = this.length): string {
    return this.#bytes.toString('latin1', this.#start, this.#start + end);
  }

  /** The bytes in hexadecimal, two lower-case digits each. */
  asHex(): string {
    return this.#bytes.toString('hex', this.#start, this.#end);
  }

  /** The strings of a NUL-separated string list (one trailing NUL dropped). Empty strings are kept. */
  asStringList(): string[] {
    if (this.length === 0) return [];
    return this.asLatin1(this.#bytes[this.#end - 1] === 0 ? this.length - 1 : this.length).split('\0');
  }

  /** The value as one string, or undefined when it is not exactly one NUL-terminated string. */
  asString(): string | undefined {
    const list = this.asStringList();
    return list.length === 1 && this.#bytes[this.#end - 1] === 0 ? list[0] : undefined;
  }

  /** The value as big-endian 32-bit cells, or undefined when its length is not a multiple of 4. */
  asU32Array(): number[] | undefined {
    if (this.length % 4 !== 0) return undefined;
    const cells: number[] = [];
    for (let i = this.#start; i < this.#end; i += 4) cells.push(this.#bytes.readUInt32BE(i));
    return cells;
  }
}

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
