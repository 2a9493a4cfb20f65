import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DevicetreeSourceError } from './errors.ts';
import { readExpandedTree } from './expanded-tree.ts';
import { parseBlob } from './parse-blob.ts';
import type { DeviceTree } from './tree.ts';

/** Where to read the tree from: an explicit blob, an explicit expanded tree, or a host's standard places. */
export type TreeLocation = { readonly dtb: string } | { readonly liveTree: string } | { readonly hostRoot: string };

/**
 * A live system's sources, best first: the blob the firmware passed (exact, one read) and then the
 * kernel's expanded view, which stays readable for non-root users when /sys/firmware/fdt (mode 0400) is not.
 */
export const LIVE_SOURCES = [
  { kind: 'blob', path: 'sys/firmware/fdt' },
  { kind: 'expanded', path: 'sys/firmware/devicetree/base' },
  { kind: 'expanded', path: 'proc/device-tree' },
] as const;

export function loadTree(location: TreeLocation): DeviceTree {
  if ('dtb' in location) return readBlobFile(location.dtb);
  if ('liveTree' in location) return readExpandedTree(location.liveTree);
  return loadFromHost(location.hostRoot);
}

function readBlobFile(path: string): DeviceTree {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw DevicetreeSourceError.fromFs(path, error);
  }
  return parseBlob(bytes, path);
}

/**
 * Tries each live source under `hostRoot` in order. A source that is absent or unreadable is passed over;
 * one that exists but is corrupt is reported, not silently replaced by the next.
 */
function loadFromHost(hostRoot: string): DeviceTree {
  const tried: string[] = [];
  for (const source of LIVE_SOURCES) {
    const path = join(hostRoot, source.path);
    try {
      return source.kind === 'blob' ? readBlobFile(path) : readExpandedTree(path);
    } catch (error) {
      if (!(error instanceof DevicetreeSourceError) || error.reason === 'INVALID') throw error;
      tried.push(error.message);
    }
  }
  throw new DevicetreeSourceError(
    `no devicetree found (tried ${tried.join('; ')}); machines booted without a devicetree, such as most x86 servers, have none`,
  );
}
