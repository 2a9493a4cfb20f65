import { type Dir, type Dirent, lstatSync } from 'node:fs';
import { join } from 'node:path';
import { type FileRefusals, readRegularFile, statOrThrow } from './bounded-read.ts';
import { DevicetreeSourceError } from './errors.ts';
import { MAX_BLOB_BYTES, MAX_DEPTH, MAX_NODES, MAX_PATH_BYTES, MAX_PROPERTIES, mebibytes } from './limits.ts';
import { type DeviceTree, DtNode, DtProperty } from './tree.ts';

/**
 * Reads an expanded devicetree (`/sys/firmware/devicetree/base`, `/proc/device-tree`): a folder per node,
 * a file per property. Entries are sorted by name, because the directory order is not the tree order.
 * Symbolic links inside the tree are skipped so a crafted folder cannot make the walk loop. Note that
 * Linux adds a `name` property to every node it unflattens; it is kept, as the kernel shows it.
 *
 * Bounded like a blob: at most MAX_NODES nodes, MAX_PROPERTIES properties, MAX_BLOB_BYTES of property
 * values and MAX_PATH_BYTES of node paths, and no more directory entries than the two counts together,
 * whatever else the folder holds.
 */
export function readExpandedTree(dir: string): DeviceTree {
  const top = statOrThrow(dir);
  if (!top.isDirectory()) throw new DevicetreeSourceError(`${dir}: not a directory (an expanded devicetree is a folder of nodes)`);
  const budget = new Budget(dir);
  const root = new DtNode('');
  const pending: Array<{ node: DtNode; dir: string; depth: number; pathLength: number }> = [{ node: root, dir, depth: 1, pathLength: 1 }];
  while (pending.length > 0) {
    const { node, dir: nodeDir, depth, pathLength } = pending.pop()!;
    for (const { name: entry, kind } of listSorted(nodeDir, budget)) {
      const path = join(nodeDir, entry);
      if (kind === 'file') {
        const value = readPropertyFile(budget, path, entry);
        if (value !== undefined) node.properties.push(new DtProperty(entry, value));
      } else if (kind === 'directory') {
        if (depth >= MAX_DEPTH) throw new DevicetreeSourceError(`${path}: nodes nested deeper than ${MAX_DEPTH}`);
        const childPathLength = (depth === 1 ? 0 : pathLength) + 1 + entry.length;
        budget.node(childPathLength);
        const child = new DtNode(entry, node);
        node.children.push(child);
        pending.push({ node: child, dir: path, depth: depth + 1, pathLength: childPathLength });
      }
    }
  }
  return { root, source: { kind: 'expanded', path: dir }, version: undefined, bootCpuIdPhys: undefined, memoryReservations: [] };
}

/**
 * A property's bytes. Linux makes `security-*` properties readable by root only (drivers/of/kobj.c,
 * __of_add_property_sysfs: mode 0400 for them, 0444 for every other), so a non-root reader skips those it
 * may not open instead of failing the whole tree; they never become labels.
 */
function readPropertyFile(budget: Budget, path: string, name: string): Buffer | undefined {
  try {
    return budget.property(path);
  } catch (error) {
    if (name.startsWith('security-') && error instanceof DevicetreeSourceError && error.reason === 'DENIED') return undefined;
    throw error;
  }
}

/** What one read of an expanded tree may still take; each overdraft is one clear error naming the tree. */
class Budget {
  readonly #dir: string;
  #nodes = 1; // the root
  #pathBytes = 1; // "/"
  #properties = 0;
  #bytes = 0;
  #entries = 0;
  /** One buffer for every property read; each value is then copied out at its own size. */
  readonly #scratch = Buffer.allocUnsafe(MAX_BLOB_BYTES + 1);

  readonly #refusals: FileRefusals = {
    tooLarge: (path) => this.#error(`property values add up to more than ${mebibytes(MAX_BLOB_BYTES)} (at ${path})`),
    notRegular: (path, kind) => new DevicetreeSourceError(`${path}: is ${kind}, not a property file`),
  };

  constructor(dir: string) {
    this.#dir = dir;
  }

  entry(): void {
    if (++this.#entries > MAX_NODES + MAX_PROPERTIES) this.#fail(`more than ${MAX_NODES + MAX_PROPERTIES} entries`);
  }

  node(pathLength: number): void {
    if (++this.#nodes > MAX_NODES) this.#fail(`more than ${MAX_NODES} nodes`);
    this.#pathBytes += pathLength;
    if (this.#pathBytes > MAX_PATH_BYTES) this.#fail(`node paths add up to more than ${mebibytes(MAX_PATH_BYTES)}`);
  }

  property(path: string): Buffer {
    if (++this.#properties > MAX_PROPERTIES) this.#fail(`more than ${MAX_PROPERTIES} properties`);
    const left = MAX_BLOB_BYTES - this.#bytes;
    const value = readRegularFile(path, left, this.#scratch, this.#refusals);
    this.#bytes += value.length;
    return value;
  }

  #error(what: string): DevicetreeSourceError {
    return new DevicetreeSourceError(`${this.#dir}: expanded devicetree too large: ${what}`);
  }

  #fail(what: string): never {
    throw this.#error(what);
  }
}

interface Entry {
  readonly name: string;
  /** Symbolic links, FIFOs, devices and the like are 'other': skipped, never opened. */
  readonly kind: 'file' | 'directory' | 'other';
}

/** A folder's entries, sorted by name; every entry read counts against the budget before it is kept. */
function listSorted(dir: string, budget: Budget): Entry[] {
  let handle: Dir;
  try {
    // Taken when called: opendirSync is one of the fs functions Node loads on first read, and read at import
    // it brings fs/dir, fs/promises and readline (10 modules) into every start, also those that read a blob.
    handle = process.getBuiltinModule('node:fs').opendirSync(dir);
  } catch (error) {
    throw DevicetreeSourceError.fromFs(dir, error);
  }
  const entries: Entry[] = [];
  try {
    for (let entry = handle.readSync(); entry !== null; entry = handle.readSync()) {
      budget.entry();
      entries.push({ name: entry.name, kind: kindOf(entry, dir) });
    }
  } catch (error) {
    throw error instanceof DevicetreeSourceError ? error : DevicetreeSourceError.fromFs(dir, error);
  } finally {
    handle.closeSync();
  }
  return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The type the directory entry carries (no stat per entry), or lstat's where the filesystem gives none. */
function kindOf(entry: Dirent, dir: string): Entry['kind'] {
  const known = entry.isFile() || entry.isDirectory() || entry.isSymbolicLink() || entry.isFIFO() || entry.isCharacterDevice() || entry.isBlockDevice() || entry.isSocket();
  const stat = known ? entry : lstatSync(join(dir, entry.name), { throwIfNoEntry: false });
  return stat?.isFile() ? 'file' : stat?.isDirectory() ? 'directory' : 'other';
}
