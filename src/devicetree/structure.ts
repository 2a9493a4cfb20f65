import { type BoundedBytes, StringWindow } from './bounded-bytes.ts';
import { FdtError, quoteName as quote } from './errors.ts';
import type { FdtHeader } from './header.ts';
import { MAX_BLOB_BYTES, MAX_DEPTH, MAX_NODES, MAX_PATH_BYTES, MAX_PROPERTIES, mebibytes } from './limits.ts';
import { DtNode, DtProperty } from './tree.ts';

const FDT_BEGIN_NODE = 0x1;
const FDT_END_NODE = 0x2;
const FDT_PROP = 0x3;
const FDT_NOP = 0x4;
const FDT_END = 0x9;

/**
 * Walks the structure block once, building the tree. Every token, name and value is bounds-checked
 * against the block, so the walk ends (FDT_END or an FdtError) within size_dt_struct / 4 steps: each
 * step advances by at least one 4-byte token.
 *
 * What it accepts is what libfdt's fdt_check_full() accepts, and the tree is what libfdt's iterators show,
 * except where refusing keeps the labeller safe: no root node at all, nesting deeper than MAX_DEPTH, more
 * than MAX_NODES nodes or MAX_PROPERTIES properties, and paths longer than MAX_PATH_BYTES together are
 * refused although libfdt reads them.
 */
export function readStructure(blob: BoundedBytes, header: FdtHeader): DtNode {
  const start = header.structOffset;
  const end = start + header.structSize;
  /** Tokens are 4-byte aligned from the start of the block, which itself need not be aligned. */
  const align4 = (at: number) => start + ((at - start + 3) & ~3);
  const names = new PropertyNames(blob, header);
  const nodeNames = new StringWindow(blob);
  let root: DtNode | undefined;
  /** The open node: undefined before the root begins and after it ends. */
  let node: DtNode | undefined;
  let depth = 0;
  let nodes = 0;
  let properties = 0;
  /** Length of the open nodes' paths, by depth ("/" is 1), and of every path so far. */
  const pathLength = [0];
  let pathBytes = 0;
  let at = start;
  for (;;) {
    const token = blob.u32(at, end, 'BAD_STRUCTURE', 'structure block without FDT_END');
    switch (token) {
      case FDT_BEGIN_NODE: {
        if (root !== undefined && node === undefined) throw new FdtError('BAD_STRUCTURE', at, 'a second root node');
        if (++depth > MAX_DEPTH) throw new FdtError('TOO_DEEP', at, `nodes nested deeper than ${MAX_DEPTH}`);
        if (++nodes > MAX_NODES) throw new FdtError('TOO_MANY', at, `more than ${MAX_NODES} nodes`);
        const nul = nodeNames.nulAfter(at + 4, end, 'BAD_NAME', 'node name');
        const name = nodeNames.latin1(at + 4, nul);
        if (node === undefined && name !== '') throw new FdtError('BAD_STRUCTURE', at, `the root node is named ${quote(name)}; its name must be empty`);
        // "/" for the root, "/name" below it, "<parent's path>/name" deeper.
        pathLength[depth] = depth === 1 ? 1 : (depth === 2 ? 0 : pathLength[depth - 1]!) + 1 + name.length;
        pathBytes += pathLength[depth]!;
        if (pathBytes > MAX_PATH_BYTES) throw new FdtError('TOO_LARGE', at, `node paths add up to more than ${mebibytes(MAX_PATH_BYTES)}`);
        const child = new DtNode(name, node);
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
        if (root !== undefined && node === undefined) throw new FdtError('BAD_STRUCTURE', at, 'property after the root node');
        if (++properties > MAX_PROPERTIES) throw new FdtError('TOO_MANY', at, `more than ${MAX_PROPERTIES} properties`);
        const length = blob.u32(at + 4, end, 'BAD_VALUE', 'property header');
        const name = names.at(blob.u32(at + 8, end, 'BAD_VALUE', 'property header'), at);
        const valueAt = at + 12;
        if (length > end - valueAt) throw new FdtError('BAD_VALUE', at, `property ${quote(name)} value of ${length} bytes runs past the structure block`);
        // Checked like any other, but kept only where libfdt's property iterators (which Linux reads
        // properties with) show it: not before the root node, and not after a subnode of its node.
        if (node !== undefined && node.children.length === 0) node.properties.push(new DtProperty(name, blob.bytes, valueAt, valueAt + length));
        at = align4(valueAt + length);
        break;
      }
      case FDT_NOP:
        if (root !== undefined && node === undefined) throw new FdtError('BAD_STRUCTURE', at, 'FDT_NOP after the root node, where only FDT_END may follow');
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

/**
 * Property names from the strings block, decoded once per distinct offset (a blob reuses a few hundred).
 * Names are bounded as libfdt bounds them (fdt_get_string): by the strings block in v17 blobs, but only by
 * totalsize in v16 ones, whose size_dt_strings libfdt does not use. Overlapping names could make decoding
 * quadratic, so decoded names may add up to MAX_BLOB_BYTES (real blobs: their strings block, a few KB).
 */
class PropertyNames {
  readonly #text: StringWindow;
  readonly #start: number;
  readonly #end: number;
  readonly #cache: (string | undefined)[];
  #decoded = 0;

  constructor(blob: BoundedBytes, header: FdtHeader) {
    this.#start = header.stringsOffset;
    this.#end = header.version >= 17 ? header.stringsOffset + header.stringsSize : header.totalSize;
    this.#text = new StringWindow(blob, this.#start, this.#end);
    this.#cache = new Array(Math.max(0, this.#end - this.#start));
  }

  at(nameOffset: number, propAt: number): string {
    const cached = this.#cache[nameOffset];
    if (cached !== undefined) return cached;
    if (nameOffset >= this.#end - this.#start) {
      throw new FdtError('BAD_STRING', propAt, `property name offset ${nameOffset} is outside the ${this.#end - this.#start}-byte strings area`);
    }
    const start = this.#start + nameOffset;
    const nul = this.#text.nulAfter(start, this.#end, 'BAD_STRING', 'property name');
    this.#decoded += nul - start;
    if (this.#decoded > MAX_BLOB_BYTES) throw new FdtError('TOO_LARGE', propAt, `distinct property names add up to more than ${MAX_BLOB_BYTES} bytes`);
    const name = this.#text.latin1(start, nul);
    this.#cache[nameOffset] = name;
    return name;
  }
}
