import type { BoundedBytes } from './bounded-bytes.ts';
import { FdtError } from './errors.ts';
import type { FdtHeader } from './header.ts';
import { DtNode, DtProperty } from './tree.ts';

const FDT_BEGIN_NODE = 0x1;
const FDT_END_NODE = 0x2;
const FDT_PROP = 0x3;
const FDT_NOP = 0x4;
const FDT_END = 0x9;

/** Linux refuses to unflatten trees deeper than this (FDT_MAX_DEPTH); deeper is corruption, not hardware. */
export const MAX_DEPTH = 64;

const align4 = (n: number) => (n + 3) & ~3;
/** Names come from the blob: quoted and escaped so an error stays one printable line. */
const quote = (name: string) => JSON.stringify(name);

/**
 * Walks the structure block once, building the tree. Every token, name and value is bounds-checked
 * against the block, so the walk ends (FDT_END or an FdtError) within size_dt_struct / 4 steps: each
 * step advances by at least one 4-byte token.
 */
export function readStructure(blob: BoundedBytes, header: FdtHeader): DtNode {
  const end = header.structOffset + header.structSize;
  const names = new PropertyNames(blob, header);
  let root: DtNode | undefined;
  let node: DtNode | undefined;
  let depth = 0;
  let at = header.structOffset;
  for (;;) {
    const token = blob.u32(at, end, 'BAD_STRUCTURE', 'structure block without FDT_END');
    switch (token) {
      case FDT_BEGIN_NODE: {
        if (root !== undefined && node === undefined) throw new FdtError('BAD_STRUCTURE', at, 'a second root node');
        if (++depth > MAX_DEPTH) throw new FdtError('TOO_DEEP', at, `nodes nested deeper than ${MAX_DEPTH}`);
        const nul = blob.nulAfter(at + 4, end, 'BAD_NAME', 'node name');
        const child = new DtNode(blob.latin1(at + 4, nul), node);
        if (node === undefined) root = child;
        else node.children.push(child);
        node = child;
        at = align4(nul + 1);
        break;
      }
      case FDT_END_NODE:
        if (node === undefined) throw new FdtError('BAD_STRUCTURE', at, 'FDT_END_NODE without a matching FDT_BEGIN_NODE');
        node = node.parent;
        depth--;
        at += 4;
        break;
      case FDT_PROP: {
        if (node === undefined) throw new FdtError('BAD_STRUCTURE', at, 'property outside any node');
        if (node.children.length > 0) throw new FdtError('BAD_STRUCTURE', at, `property after subnodes in ${quote(node.path)}`);
        const length = blob.u32(at + 4, end, 'BAD_VALUE', 'property header');
        const name = names.at(blob.u32(at + 8, end, 'BAD_VALUE', 'property header'), at);
        const valueAt = at + 12;
        if (length > end - valueAt) throw new FdtError('BAD_VALUE', at, `property ${quote(name)} value of ${length} bytes runs past the structure block`);
        node.properties.push(new DtProperty(name, blob.view(valueAt, valueAt + length)));
        at = align4(valueAt + length);
        break;
      }
      case FDT_NOP:
        at += 4;
        break;
      case FDT_END:
        if (node !== undefined) throw new FdtError('BAD_STRUCTURE', at, `FDT_END inside ${quote(node.path)} (unbalanced nodes)`);
        if (root === undefined) throw new FdtError('BAD_STRUCTURE', at, 'no root node');
        return root;
      default:
        throw new FdtError('BAD_TOKEN', at, `unknown token 0x${token.toString(16)}`);
    }
  }
}

/** Property names from the strings block, decoded once per distinct offset (a blob reuses a few hundred). */
class PropertyNames {
  readonly #blob: BoundedBytes;
  readonly #start: number;
  readonly #end: number;
  readonly #cache = new Map<number, string>();

  constructor(blob: BoundedBytes, header: FdtHeader) {
    this.#blob = blob;
    this.#start = header.stringsOffset;
    this.#end = header.stringsOffset + header.stringsSize;
  }

  at(nameOffset: number, propAt: number): string {
    const cached = this.#cache.get(nameOffset);
    if (cached !== undefined) return cached;
    if (nameOffset >= this.#end - this.#start) {
      throw new FdtError('BAD_STRING', propAt, `property name offset ${nameOffset} is outside the ${this.#end - this.#start}-byte strings block`);
    }
    const start = this.#start + nameOffset;
    const name = this.#blob.latin1(start, this.#blob.nulAfter(start, this.#end, 'BAD_STRING', 'property name'));
    this.#cache.set(nameOffset, name);
    return name;
  }
}
