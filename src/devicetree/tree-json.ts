import type { DeviceTree, DtNode } from './tree.ts';
import { classifyValue } from './value-kind.ts';

/** A property value in JSON: its shape names the key, so `jq '.properties.compatible.strings'` works. */
export type JsonValue = Record<string, never> | { strings: string[] } | { cells: number[] } | { bytes: string };

export interface JsonNode {
  name: string;
  path: string;
  properties: Record<string, JsonValue>;
  children: JsonNode[];
}

export interface JsonTree {
  source: DeviceTree['source'];
  version?: number;
  bootCpuIdPhys?: number;
  memoryReservations: Array<{ address: string; size: string }>;
  root: JsonNode;
}

export function toJsonTree(tree: DeviceTree): JsonTree {
  return {
    source: tree.source,
    ...(tree.version === undefined ? {} : { version: tree.version }),
    ...(tree.bootCpuIdPhys === undefined ? {} : { bootCpuIdPhys: tree.bootCpuIdPhys }),
    memoryReservations: tree.memoryReservations.map(({ address, size }) => ({ address: `0x${address.toString(16)}`, size: `0x${size.toString(16)}` })),
    root: toJsonNode(tree.root),
  };
}

function toJsonNode(node: DtNode): JsonNode {
  const properties: Record<string, JsonValue> = {};
  for (const property of node.properties) {
    const value = property.value;
    switch (classifyValue(value)) {
      case 'empty':
        properties[property.name] = {};
        break;
      case 'strings':
        properties[property.name] = { strings: property.asStringList() };
        break;
      case 'cells':
        properties[property.name] = { cells: property.asU32Array() ?? [] };
        break;
      case 'bytes':
        properties[property.name] = { bytes: value.toString('hex') };
        break;
    }
  }
  return { name: node.name, path: node.path, properties, children: node.children.map(toJsonNode) };
}
