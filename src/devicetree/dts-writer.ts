import { DevicetreeSourceError, quoteName } from './errors.ts';
import type { DeviceTree, DtNode, DtProperty } from './tree.ts';
import { classifyValue } from './value-kind.ts';

/**
 * Names dtc compiles without complaint (dtc 1.6.1: its lexer takes [a-zA-Z0-9,._+*#?@-], and its
 * node_name_chars, node_name_format and property_name_chars checks, errors unless forced, narrow that).
 * Devicetree source has no escape for a name, so a name outside these cannot be written at all.
 */
const NODE_NAME = /^[a-zA-Z0-9,._+-]*(@[a-zA-Z0-9,._+-]*)?$/;
const PROPERTY_NAME = /^[a-zA-Z0-9,._+*#?-]+$/;

/**
 * Writes a tree as devicetree source that dtc compiles back to the same nodes, properties and bytes.
 * Values are written by shape (strings, <cells> or [bytes]); names are written as the blob has them, and
 * a tree with a name dtc could not read back (or two siblings of one name, which dtc refuses) is not
 * written at all: one DevicetreeSourceError names the node or property.
 */
export function toDts(tree: DeviceTree): string {
  const lines = ['/dts-v1/;', ''];
  for (const { address, size } of tree.memoryReservations) lines.push(`/memreserve/ ${hex64(address)} ${hex64(size)};`);
  if (tree.memoryReservations.length > 0) lines.push('');
  writeNode(tree.root, 0, lines);
  return `${lines.join('\n')}\n`;
}

function writeNode(node: DtNode, depth: number, lines: string[]): void {
  const indent = '\t'.repeat(depth);
  if (node.parent !== undefined) checkNodeName(node, node.parent);
  const twiceProperty = firstRepeat(node.properties);
  if (twiceProperty !== undefined) unwritable(propertyOf(twiceProperty.name, node), 'the node has two properties of that name, which dtc refuses');
  const twiceChild = firstRepeat(node.children);
  if (twiceChild !== undefined) unwritable(`node ${quoteName(twiceChild.path)}`, 'its parent has two subnodes of that name, which dtc refuses');
  lines.push(`${indent}${node.parent === undefined ? '/' : node.name} {`);
  for (const property of node.properties) {
    if (!PROPERTY_NAME.test(property.name)) {
      unwritable(
        propertyOf(property.name, node),
        property.name === '' ? 'its name is empty' : 'dtc cannot read its name back (property names take only letters, digits and , . _ + * # ? -)',
      );
    }
    lines.push(`${indent}\t${formatProperty(property)}`);
  }
  for (const child of node.children) {
    if (child !== node.children[0] || node.properties.length > 0) lines.push('');
    writeNode(child, depth + 1, lines);
  }
  lines.push(`${indent}};`);
}

function checkNodeName(node: DtNode, parent: DtNode): void {
  if (node.name === '') unwritable(`an unnamed subnode of node ${quoteName(parent.path)}`, 'dtc cannot read an empty node name');
  if (!NODE_NAME.test(node.name)) unwritable(`node ${quoteName(node.path)}`, 'dtc cannot read its name back (node names take only letters, digits, , . _ + - and one @)');
}

const propertyOf = (name: string, node: DtNode) => `property ${quoteName(name)} of node ${quoteName(node.path)}`;

/** The first item whose name an earlier one has: a plain scan for the few most nodes have, a Set beyond. */
function firstRepeat<T extends { readonly name: string }>(items: readonly T[]): T | undefined {
  if (items.length <= 16) {
    for (let i = 1; i < items.length; i++) for (let j = 0; j < i; j++) if (items[i]!.name === items[j]!.name) return items[i];
    return undefined;
  }
  const seen = new Set<string>();
  for (const item of items) {
    if (seen.has(item.name)) return item;
    seen.add(item.name);
  }
  return undefined;
}

function unwritable(what: string, why: string): never {
  throw new DevicetreeSourceError(`cannot write ${what} as devicetree source: ${why}; use -o json`);
}

function formatProperty(property: DtProperty): string {
  const name = property.name;
  switch (classifyValue(property.value)) {
    case 'empty':
      return `${name};`;
    case 'strings':
      return `${name} = ${property
        .asStringList()
        .map((s) => `"${escapeString(s)}"`)
        .join(', ')};`;
    case 'cells':
      return `${name} = <${(property.asU32Array() ?? []).map((cell) => `0x${cell.toString(16)}`).join(' ')}>;`;
    case 'bytes':
      return `${name} = [${property.asHex().replace(/(..)(?!$)/g, '$1 ')}];`;
  }
}

/** The escapes dtc reads in a string literal; anything else unprintable as \xNN (always two digits). */
const ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', '"': '\\"', '\x07': '\\a', '\b': '\\b', '\t': '\\t', '\n': '\\n', '\v': '\\v', '\f': '\\f', '\r': '\\r' };

function escapeString(s: string): string {
  return s.replace(/[^\x20-\x7e]|[\\"]/g, (c) => ESCAPES[c] ?? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

const hex64 = (n: bigint) => `0x${n.toString(16).padStart(16, '0')}`;
