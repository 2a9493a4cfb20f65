import { lstatSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DevicetreeSourceError } from './errors.ts';
import { MAX_DEPTH } from './structure.ts';
import { DtNode, DtProperty, type DeviceTree } from './tree.ts';

/** The kernel caps property files far below this; anything larger is not a devicetree property. */
const MAX_PROPERTY_BYTES = 16 * 1024 * 1024;

/**
 * Reads an expanded devicetree (`/sys/firmware/devicetree/base`, `/proc/device-tree`): a folder per node,
 * a file per property. Entries are sorted by name, because the directory order is not the tree order.
 * Symbolic links inside the tree are skipped so a crafted folder cannot make the walk loop. Note that
 * Linux adds a `name` property to every node it unflattens; it is kept, as the kernel shows it.
 */
export function readExpandedTree(dir: string): DeviceTree {
  const top = statOrThrow(dir);
  if (!top.isDirectory()) throw new DevicetreeSourceError(`${dir}: not a directory (an expanded devicetree is a folder of nodes)`);
  const root = new DtNode('');
  const pending: Array<{ node: DtNode; dir: string; depth: number }> = [{ node: root, dir, depth: 1 }];
  while (pending.length > 0) {
    const { node, dir: nodeDir, depth } = pending.pop()!;
    for (const entry of listSorted(nodeDir)) {
      const path = join(nodeDir, entry);
      const stat = lstatSync(path, { throwIfNoEntry: false });
      if (stat?.isFile()) node.properties.push(new DtProperty(entry, readProperty(path, stat.size)));
      else if (stat?.isDirectory()) {
        if (depth >= MAX_DEPTH) throw new DevicetreeSourceError(`${path}: nodes nested deeper than ${MAX_DEPTH}`);
        const child = new DtNode(entry, node);
        node.children.push(child);
        pending.push({ node: child, dir: path, depth: depth + 1 });
      }
    }
  }
  return { root, source: { kind: 'expanded', path: dir }, version: undefined, bootCpuIdPhys: undefined, memoryReservations: [] };
}

function statOrThrow(path: string) {
  try {
    return statSync(path);
  } catch (error) {
    throw DevicetreeSourceError.fromFs(path, error);
  }
}

function listSorted(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch (error) {
    throw DevicetreeSourceError.fromFs(dir, error);
  }
}

function readProperty(path: string, size: number): Buffer {
  if (size > MAX_PROPERTY_BYTES) throw new DevicetreeSourceError(`${path}: ${size} bytes is too large for a devicetree property`);
  try {
    return readFileSync(path);
  } catch (error) {
    throw DevicetreeSourceError.fromFs(path, error);
  }
}
