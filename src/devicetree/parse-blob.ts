import { BoundedBytes } from './bounded-bytes.ts';
import { readHeader } from './header.ts';
import { readMemoryReservations } from './memory-reservations.ts';
import { readStructure } from './structure.ts';
import type { DeviceTree } from './tree.ts';

/**
 * Parses a flattened devicetree blob (DTB). Throws FdtError, and only FdtError, on any malformed input.
 * Property values are views into `bytes`: keep the buffer alive and unmodified while the tree is used.
 */
export function parseBlob(bytes: Uint8Array, sourcePath = '<buffer>'): DeviceTree {
  const blob = new BoundedBytes(bytes);
  const header = readHeader(blob);
  const memoryReservations = readMemoryReservations(blob, header);
  const root = readStructure(blob, header);
  return { root, source: { kind: 'blob', path: sourcePath }, version: header.version, bootCpuIdPhys: header.bootCpuIdPhys, memoryReservations };
}
