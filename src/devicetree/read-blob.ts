import { closeSync } from 'node:fs';
import { BoundedBytes } from './bounded-bytes.ts';
import { fileKind, openRegularFile, readInto, statOrThrow } from './bounded-read.ts';
import { DevicetreeSourceError, FdtError } from './errors.ts';
import { readTotalSize } from './header.ts';
import { parseBlob } from './parse-blob.ts';
import type { DeviceTree } from './tree.ts';

/** How a blob read names standard input in messages and in the tree's source. */
const STDIN_NAME = '<stdin>';

/** The first bytes read: a whole v17 header, enough for every check before the size is trusted. */
const HEAD_BYTES = 40;

/** What to tell a user whose blob path is not a regular file; words differ for --dtb and --host-root. */
export interface NotABlobFile {
  /** The rest of "PATH: is a directory, ..." */
  readonly directory: string;
  /** Said after "PATH: is a character device (or FIFO, ...), " */
  readonly other: string;
}

/**
 * Reads and parses a blob file: stat() and open() without blocking and refuse anything but a regular file
 * (a FIFO would block, /dev/zero never ends), read the header first and check the magic and totalsize
 * against MAX_BLOB_BYTES, then read totalsize bytes and no more. Errors name the file.
 */
export function readBlobFile(path: string, notABlob: NotABlobFile): DeviceTree {
  const refuse = (kind: string) => new DevicetreeSourceError(`${path}: is ${kind}, ${kind === 'a directory' ? notABlob.directory : notABlob.other}`);
  const stat = statOrThrow(path);
  if (!stat.isFile()) throw refuse(fileKind(stat));
  const fd = openRegularFile(path, refuse);
  try {
    return readBlob(fd, path, 'file');
  } finally {
    closeSync(fd);
  }
}

/** Reads and parses a blob from standard input (`--dtb -`), with the same checks and limit as a file. */
export function readBlobStdin(): DeviceTree {
  return readBlob(0, STDIN_NAME, 'input');
}

function readBlob(fd: number, name: string, what: 'file' | 'input'): DeviceTree {
  const head = Buffer.alloc(HEAD_BYTES);
  const got = readInto(fd, head, 0, name);
  if (got === 0) throw new DevicetreeSourceError(`${name}: empty ${what}, not a devicetree blob`);
  try {
    const totalSize = readTotalSize(new BoundedBytes(head.subarray(0, got)));
    // A totalsize below the header size is reported by the parser; the bytes already read are kept.
    const bytes = Buffer.alloc(Math.max(totalSize, got));
    head.copy(bytes, 0, 0, got);
    const length = got < HEAD_BYTES ? got : readInto(fd, bytes, got, name);
    return parseBlob(bytes.subarray(0, length), name);
  } catch (error) {
    // FdtError names no file; read errors (DevicetreeSourceError) already do.
    throw error instanceof FdtError ? error.withSource(name) : error;
  }
}
