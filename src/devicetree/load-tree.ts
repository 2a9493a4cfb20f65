import { join } from 'node:path';
import { DevicetreeSourceError } from './errors.ts';
import { readExpandedTree } from './expanded-tree.ts';
import { readBlobFile, readBlobStdin } from './read-blob.ts';
import type { DeviceTree } from './tree.ts';

/**
 * Where to read the tree from: an explicit blob (`{ dtb: '-' }` is standard input), an explicit expanded
 * tree, or a host's standard places.
 */
export type TreeLocation = { readonly dtb: string } | { readonly liveTree: string } | { readonly hostRoot: string };

/** The `dtb` value that means standard input. */
export const STDIN_DTB = '-';

/**
 * A live system's sources, best first: the blob the firmware passed (exact, one read) and then the
 * kernel's expanded view, which stays readable for non-root users when /sys/firmware/fdt (mode 0400) is not.
 */
export const LIVE_SOURCES = [
  { kind: 'blob', path: 'sys/firmware/fdt' },
  { kind: 'expanded', path: 'sys/firmware/devicetree/base' },
  { kind: 'expanded', path: 'proc/device-tree' },
] as const;

/** --dtb names a file the user chose: say what to use instead. */
const DTB_FLAG = {
  directory: 'not a blob file (use --live-tree for an expanded tree)',
  other: 'not a blob file (use --dtb - to read a blob from standard input)',
} as const;

/** Under --host-root the path is the kernel's: nothing for the user to pick instead. */
const HOST_BLOB = {
  directory: "not a devicetree blob (is --host-root the host's root folder?)",
  other: 'not a devicetree blob',
} as const;

export function loadTree(location: TreeLocation): DeviceTree {
  if ('dtb' in location) return location.dtb === STDIN_DTB ? readBlobStdin() : readBlobFile(location.dtb, DTB_FLAG);
  if ('liveTree' in location) return readExpandedTree(location.liveTree);
  return loadFromHost(location.hostRoot);
}

/**
 * Tries each live source under `hostRoot` in order. A source that is absent or unreadable is passed over;
 * one that exists but is corrupt is reported, not silently replaced by the next.
 */
function loadFromHost(hostRoot: string): DeviceTree {
  const tried: string[] = [];
  let denied = false;
  for (const source of LIVE_SOURCES) {
    const path = join(hostRoot, source.path);
    try {
      return source.kind === 'blob' ? readBlobFile(path, HOST_BLOB) : readExpandedTree(path);
    } catch (error) {
      if (!(error instanceof DevicetreeSourceError) || error.reason === 'INVALID' || error.reason === 'NONE') throw error;
      denied ||= error.reason === 'DENIED';
      tried.push(error.message);
    }
  }
  // Only when nothing is there at all does the machine have no devicetree; one it may not read is a fault.
  if (denied) throw new DevicetreeSourceError(`no readable devicetree (tried ${tried.join('; ')})`);
  throw new DevicetreeSourceError(`no devicetree found (tried ${tried.join('; ')}); machines booted without a devicetree, such as most x86 servers, have none`, 'NONE');
}
