import type { BoundedBytes } from './bounded-bytes.ts';
import { FdtError } from './errors.ts';
import { foreignFormatHint } from './foreign-formats.ts';
import { MAX_BLOB_BYTES, mebibytes } from './limits.ts';

const FDT_MAGIC = 0xd00dfeed;
/**
 * Oldest version we read: v16 dropped the v1-v15 quirks (full paths as node names, root named "/").
 * libfdt still reads versions 2-15; this parser refuses them on purpose.
 */
export const FIRST_SUPPORTED_VERSION = 16;
/** Newest format revision; a blob whose last_comp_version is above it is not backwards compatible. */
const LAST_SUPPORTED_VERSION = 17;
const HEADER_SIZE_V16 = 36;
const HEADER_SIZE_V17 = 40;

export interface FdtHeader {
  readonly totalSize: number;
  readonly structOffset: number;
  /** v16 headers have no size_dt_struct: the block is then bounded by totalsize. */
  readonly structSize: number;
  readonly stringsOffset: number;
  readonly stringsSize: number;
  readonly memRsvOffset: number;
  readonly version: number;
  readonly lastCompatibleVersion: number;
  readonly bootCpuIdPhys: number;
  readonly headerSize: number;
}

/** Byte offsets of the fields of `struct fdt_header`. */
export const HEADER_FIELD_OFFSETS = {
  magic: 0,
  totalSize: 4,
  structOffset: 8,
  stringsOffset: 12,
  memRsvOffset: 16,
  version: 20,
  lastCompatibleVersion: 24,
  bootCpuIdPhys: 28,
  stringsSize: 32,
  structSize: 36,
} as const;

/**
 * The checks the first 8 bytes allow: something at all, the magic, and a totalsize within MAX_BLOB_BYTES.
 * Returns totalsize, so a reader can refuse a foreign or oversized file before reading the rest of it.
 */
export function readTotalSize(blob: BoundedBytes): number {
  if (blob.length < 4) {
    throw new FdtError('TRUNCATED', 0, blob.length === 0 ? 'empty (0 bytes), not a devicetree blob' : `${blob.length} bytes, too short to be a devicetree blob`);
  }
  const magic = blob.u32(HEADER_FIELD_OFFSETS.magic, blob.length, 'TRUNCATED', 'header field magic');
  if (magic !== FDT_MAGIC) {
    const hint = foreignFormatHint(blob);
    throw new FdtError('BAD_MAGIC', 0, `bad magic 0x${magic.toString(16).padStart(8, '0')} (not a flattened devicetree${hint === undefined ? '' : `; ${hint}`})`);
  }
  const totalSize = blob.u32(HEADER_FIELD_OFFSETS.totalSize, blob.length, 'TRUNCATED', 'header field totalsize');
  // Also keeps totalsize below libfdt's INT32_MAX limit.
  if (totalSize > MAX_BLOB_BYTES) {
    throw new FdtError('TOO_LARGE', HEADER_FIELD_OFFSETS.totalSize, `totalsize ${totalSize} is over the ${MAX_BLOB_BYTES}-byte (${mebibytes(MAX_BLOB_BYTES)}) limit`);
  }
  return totalSize;
}

/**
 * Reads and validates the header before anything else touches the blob, with libfdt's rules
 * (fdt_check_header): each check is one rule with its own message; after this returns, every block
 * offset and size lies inside the blob.
 *
 * Block alignment is not required, by choice: every read here is bytewise, so a structure block at an
 * offset that is not a multiple of 4, or a memory reservation block at one that is not a multiple of 8,
 * reads the same as an aligned one. libfdt 1.6.1 to 1.7.x agree (they check bounds only); libfdt 1.8.0
 * and later refuse such blobs with FDT_ERR_ALIGNMENT, because their C reads would be misaligned. The
 * libfdt differential tests allow exactly that difference (__tests__/helpers/libfdt-differential.ts).
 */
export function readHeader(blob: BoundedBytes): FdtHeader {
  const totalSize = readTotalSize(blob);
  const field = (at: number, name: string) => blob.u32(at, blob.length, 'TRUNCATED', `header field ${name}`);
  const version = field(HEADER_FIELD_OFFSETS.version, 'version');
  const lastCompatibleVersion = field(HEADER_FIELD_OFFSETS.lastCompatibleVersion, 'last_comp_version');
  if (version < FIRST_SUPPORTED_VERSION) throw new FdtError('BAD_VERSION', HEADER_FIELD_OFFSETS.version, `version ${version} is older than ${FIRST_SUPPORTED_VERSION}`);
  if (lastCompatibleVersion > LAST_SUPPORTED_VERSION) {
    throw new FdtError('BAD_VERSION', HEADER_FIELD_OFFSETS.lastCompatibleVersion, `last_comp_version ${lastCompatibleVersion} is newer than ${LAST_SUPPORTED_VERSION}`);
  }
  if (version < lastCompatibleVersion) {
    throw new FdtError('BAD_VERSION', HEADER_FIELD_OFFSETS.lastCompatibleVersion, `last_comp_version ${lastCompatibleVersion} is newer than the blob's own version ${version}`);
  }
  const headerSize = version >= 17 ? HEADER_SIZE_V17 : HEADER_SIZE_V16;
  if (totalSize < headerSize) throw new FdtError('BAD_LAYOUT', HEADER_FIELD_OFFSETS.totalSize, `totalsize ${totalSize} is smaller than the ${headerSize}-byte header`);
  if (totalSize > blob.length) throw new FdtError('TRUNCATED', HEADER_FIELD_OFFSETS.totalSize, `totalsize ${totalSize} exceeds the ${blob.length} bytes available`);

  const memRsvOffset = field(HEADER_FIELD_OFFSETS.memRsvOffset, 'off_mem_rsvmap');
  const structOffset = field(HEADER_FIELD_OFFSETS.structOffset, 'off_dt_struct');
  const stringsOffset = field(HEADER_FIELD_OFFSETS.stringsOffset, 'off_dt_strings');
  const stringsSize = field(HEADER_FIELD_OFFSETS.stringsSize, 'size_dt_strings');
  const structSize = version >= 17 ? field(HEADER_FIELD_OFFSETS.structSize, 'size_dt_struct') : totalSize - Math.min(structOffset, totalSize);
  checkBlock('memory reservation block', HEADER_FIELD_OFFSETS.memRsvOffset, memRsvOffset, 0, headerSize, totalSize);
  checkBlock('structure block', HEADER_FIELD_OFFSETS.structOffset, structOffset, structSize, headerSize, totalSize);
  checkBlock('strings block', HEADER_FIELD_OFFSETS.stringsOffset, stringsOffset, stringsSize, headerSize, totalSize);
  const bootCpuIdPhys = field(HEADER_FIELD_OFFSETS.bootCpuIdPhys, 'boot_cpuid_phys');
  return { totalSize, structOffset, structSize, stringsOffset, stringsSize, memRsvOffset, version, lastCompatibleVersion, bootCpuIdPhys, headerSize };
}

function checkBlock(what: string, fieldAt: number, offset: number, size: number, headerSize: number, totalSize: number): void {
  if (offset < headerSize) throw new FdtError('BAD_LAYOUT', fieldAt, `${what} at ${offset} overlaps the header`);
  if (offset > totalSize || size > totalSize - offset) {
    throw new FdtError('BAD_LAYOUT', fieldAt, `${what} (${size} bytes at ${offset}) runs past totalsize ${totalSize}`);
  }
}
