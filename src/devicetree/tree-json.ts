import type { DeviceTree, DtNode, DtProperty } from './tree.ts';
import { classifyValue } from './value-kind.ts';

/** A property value in JSON: its shape names the key, so `jq '.properties.compatible.strings'` works. */
type JsonValue = Record<string, never> | { strings: string[] } | { cells: number[] } | { bytes: string };

interface JsonNode {
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
    const value = jsonValue(property);
    // Assigning "__proto__" would set the prototype: that name is defined as a key like any other.
    if (property.name === '__proto__') Object.defineProperty(properties, property.name, { value, enumerable: true, writable: true, configurable: true });
    else properties[property.name] = value;
  }
  return { name: node.name, path: node.path, properties, children: node.children.map(toJsonNode) };
}

function jsonValue(property: DtProperty): JsonValue {
  switch (classifyValue(property.value)) {
    case 'empty':
      return {};
    case 'strings':
      return { strings: property.asStringList() };
    case 'cells':
      return { cells: property.asU32Array() ?? [] };
    case 'bytes':
      return { bytes: property.asHex() };
  }
}
