import type { DeviceTree, DtNode, DtProperty } from './tree.ts';
import { classifyValue } from './value-kind.ts';

/**
 * Writes a tree as devicetree source that dtc compiles back to the same nodes, properties and bytes.
 * Values are written by shape (strings, <cells> or [bytes]); names are written as the blob has them.
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
  lines.push(`${indent}${node.parent === undefined ? '/' : node.name} {`);
  for (const property of node.properties) lines.push(`${indent}\t${formatProperty(property)}`);
  for (const child of node.children) {
    if (child !== node.children[0] || node.properties.length > 0) lines.push('');
    writeNode(child, depth + 1, lines);
  }
  lines.push(`${indent}};`);
}

function formatProperty({ name, value }: DtProperty): string {
  switch (classifyValue(value)) {
    case 'empty':
      return `${name};`;
    case 'strings':
      return `${name} = ${value
        .toString('latin1', 0, value.length - 1)
        .split('\0')
        .map((s) => `"${s.replace(/[\\"]/g, '\\$&')}"`)
        .join(', ')};`;
    case 'cells': {
      const cells: string[] = [];
      for (let i = 0; i < value.length; i += 4) cells.push(`0x${value.readUInt32BE(i).toString(16)}`);
      return `${name} = <${cells.join(' ')}>;`;
    }
    case 'bytes':
      return `${name} = [${value.toString('hex').replace(/(..)(?!$)/g, '$1 ')}];`;
  }
}

const hex64 = (n: bigint) => `0x${n.toString(16).padStart(16, '0')}`;
