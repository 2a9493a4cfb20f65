import { closeSync, constants, fstatSync, openSync, readSync, type Stats, statSync } from 'node:fs';
import { DevicetreeSourceError } from './errors.ts';

/**
 * Reading files whose size is not to be trusted: a FIFO with no writer, a character device such as
 * /dev/zero, a sysfs file whose st_size says nothing. Every read is bounded by the caller's limit.
 */

/** "a directory", "a character device", ...: what a path is when it is not a regular file. */
export function fileKind(stat: Stats): string {
  if (stat.isDirectory()) return 'a directory';
  if (stat.isCharacterDevice()) return 'a character device';
  if (stat.isBlockDevice()) return 'a block device';
  if (stat.isFIFO()) return 'a FIFO (named pipe)';
  if (stat.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** stat(), with fs errors turned into DevicetreeSourceError (ENOENT: ABSENT, EACCES: DENIED, ...). */
export function statOrThrow(path: string): Stats {
  try {
    return statSync(path);
  } catch (error) {
    throw DevicetreeSourceError.fromFs(path, error);
  }
}

/**
 * Opens a path that stat() showed to be a regular file, for reading. O_NONBLOCK keeps open() from
 * waiting for a writer if the path was swapped for a FIFO since; fstat() then refuses anything that is
 * not a regular file. `notRegular` words the refusal. The caller closes the descriptor.
 */
export function openRegularFile(path: string, notRegular: (kind: string) => DevicetreeSourceError): number {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (error) {
    throw DevicetreeSourceError.fromFs(path, error);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw notRegular(fileKind(stat));
  } catch (error) {
    closeSync(fd);
    throw error instanceof DevicetreeSourceError ? error : DevicetreeSourceError.fromFs(path, error);
  }
  return fd;
}

/**
 * Reads from `fd` at its current position into `buffer[from..end)` (end: the buffer's length) until that
 * is full or the input ends; returns how many bytes the buffer now holds. Works on pipes too: a
 * non-blocking one that has no data yet (EAGAIN) is polled every few milliseconds, as a blocking read waits.
 */
export function readInto(fd: number, buffer: Buffer, from: number, name: string, end = buffer.length): number {
  let at = from;
  while (at < end) {
    let n: number;
    try {
      n = readSync(fd, buffer, at, end - at, null);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EAGAIN') {
        pauseOnEagain();
        continue;
      }
      throw DevicetreeSourceError.fromFs(name, error);
    }
    if (n === 0) break;
    at += n;
  }
  return at;
}

const pollWait = new Int32Array(new SharedArrayBuffer(4));

/**
 * Waits a few milliseconds, as a blocking read or write would wait, after a non-blocking file descriptor
 * had nothing to give or no room to take (EAGAIN): a pipe's reader or writer polls with it.
 */
export function pauseOnEagain(): void {
  Atomics.wait(pollWait, 0, 0, 5);
}

/** How readRegularFile words its refusals. */
export interface FileRefusals {
  readonly tooLarge: (path: string) => DevicetreeSourceError;
  readonly notRegular: (path: string, kind: string) => DevicetreeSourceError;
}

/**
 * The contents of a regular file of at most `limit` bytes, read into `scratch` (at least limit + 1 bytes,
 * reused across calls) and copied out at their own size, so that many small files cost only their bytes.
 * Reads up to limit + 1 bytes whatever st_size claims (sysfs and procfs sizes need not be the length).
 */
export function readRegularFile(path: string, limit: number, scratch: Buffer, refusals: FileRefusals): Buffer {
  const fd = openRegularFile(path, (kind) => refusals.notRegular(path, kind));
  try {
    const got = readInto(fd, scratch, 0, path, limit + 1);
    if (got > limit) throw refusals.tooLarge(path);
    const value = Buffer.allocUnsafe(got);
    scratch.copy(value, 0, 0, got);
    return value;
  } finally {
    closeSync(fd);
  }
}
