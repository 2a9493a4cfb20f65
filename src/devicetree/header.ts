import { BoundedBytes } from './bounded-bytes.ts';
import { FdtError } from './errors.ts';

export const FDT_MAGIC = 0xd00dfeed;
/** Oldest version we read: v16 dropped the v1-v3 quirks (root name "/", no strings size). */
export const FIRST_SUPPORTED_VERSION = 16;
/** Newest format revision; a blob whose last_comp_version is above it is not backwards compatible. */
export const LAST_SUPPORTED_VERSION = 17;
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
 * Reads and validates the header before anything else touches the blob. Each check is one rule with its
 * own message; after this returns, every block offset and size lies inside the blob.
 */
export function readHeader(blob: BoundedBytes): FdtHeader {
  const field = (at: number, name: string) => blob.u32(at, blob.length, 'TRUNCATED', `header field ${name}`);
  if (field(HEADER_FIELD_OFFSETS.magic, 'magic') !== FDT_MAGIC) throw new FdtError('BAD_MAGIC', 0, 'bad magic (not a flattened devicetree)');
  const version = field(HEADER_FIELD_OFFSETS.version, 'version');
  const lastCompatibleVersion = field(HEADER_FIELD_OFFSETS.lastCompatibleVersion, 'last_comp_version');
  if (version < FIRST_SUPPORTED_VERSION) throw new FdtError('BAD_VERSION', HEADER_FIELD_OFFSETS.version, `version ${version} is older than ${FIRST_SUPPORTED_VERSION}`);
  if (lastCompatibleVersion > LAST_SUPPORTED_VERSION) {
    throw new FdtError('BAD_VERSION', HEADER_FIELD_OFFSETS.lastCompatibleVersion, `last_comp_version ${lastCompatibleVersion} is newer than ${LAST_SUPPORTED_VERSION}`);
  }
  const headerSize = version >= 17 ? HEADER_SIZE_V17 : HEADER_SIZE_V16;
  const totalSize = field(HEADER_FIELD_OFFSETS.totalSize, 'totalsize');
  if (totalSize < headerSize) throw new FdtError('BAD_LAYOUT', HEADER_FIELD_OFFSETS.totalSize, `totalsize ${totalSize} is smaller than the ${headerSize}-byte header`);
  if (totalSize > blob.length) throw new FdtError('TRUNCATED', HEADER_FIELD_OFFSETS.totalSize, `totalsize ${totalSize} exceeds the ${blob.length} bytes available`);

  const memRsvOffset = field(HEADER_FIELD_OFFSETS.memRsvOffset, 'off_mem_rsvmap');
  const structOffset = field(HEADER_FIELD_OFFSETS.structOffset, 'off_dt_struct');
  const stringsOffset = field(HEADER_FIELD_OFFSETS.stringsOffset, 'off_dt_strings');
  const stringsSize = field(HEADER_FIELD_OFFSETS.stringsSize, 'size_dt_strings');
  const structSize = version >= 17 ? field(HEADER_FIELD_OFFSETS.structSize, 'size_dt_struct') : totalSize - Math.min(structOffset, totalSize);
  checkBlock('memory reservation block', HEADER_FIELD_OFFSETS.memRsvOffset, memRsvOffset, 0, 8, headerSize, totalSize);
  checkBlock('structure block', HEADER_FIELD_OFFSETS.structOffset, structOffset, structSize, 4, headerSize, totalSize);
  checkBlock('strings block', HEADER_FIELD_OFFSETS.stringsOffset, stringsOffset, stringsSize, 1, headerSize, totalSize);
  const bootCpuIdPhys = field(HEADER_FIELD_OFFSETS.bootCpuIdPhys, 'boot_cpuid_phys');
  return { totalSize, structOffset, structSize, stringsOffset, stringsSize, memRsvOffset, version, lastCompatibleVersion, bootCpuIdPhys, headerSize };
}

function checkBlock(what: string, fieldAt: number, offset: number, size: number, alignment: number, headerSize: number, totalSize: number): void {
  if (offset < headerSize) throw new FdtError('BAD_LAYOUT', fieldAt, `${what} at ${offset} overlaps the header`);
  if (offset > totalSize || size > totalSize - offset) {
    throw new FdtError('BAD_LAYOUT', fieldAt, `${what} (${size} bytes at ${offset}) runs past totalsize ${totalSize}`);
  }
  if (offset % alignment !== 0) throw new FdtError('BAD_ALIGNMENT', fieldAt, `${what} offset ${offset} is not ${alignment}-byte aligned`);
}
