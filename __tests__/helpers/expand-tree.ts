// Writes a tree out the way Linux exposes it under /sys/firmware/devicetree/base: a folder per node, a
// file per property holding its raw bytes.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DtNode } from '../../src/devicetree/tree.ts';

export function expandTree(node: DtNode, dir: string): void {
  mkdirSync(dir, { recursive: true });
  for (const property of node.properties) writeFileSync(join(dir, property.name), property.value);
  for (const child of node.children) expandTree(child, join(dir, child.name));
}

/** Nodes and properties sorted by name: the expanded tree has no order of its own. */
export function sortedView(node: DtNode): unknown {
  return {
    name: node.name,
    path: node.path,
    properties: node.properties.map((p) => [p.name, p.asHex()]).sort(),
    children: [...node.children].sort((a, b) => (a.name < b.name ? -1 : 1)).map(sortedView),
  };
}
