import { FdtError, type FdtErrorCode } from './errors.ts';

/**
 * The single accessor every blob read goes through: big-endian integers and C strings, each checked
 * against an end offset first. Offsets are JS numbers (exact to 2^53), so `offset + n` cannot wrap the
 * way 32-bit arithmetic in C can; comparisons are still written as `n > end - offset` to read like
 * libfdt's overflow-safe checks.
 */
export class BoundedBytes {
  readonly bytes: Buffer;

  constructor(bytes: Uint8Array) {
    this.bytes = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get length(): number {
    return this.bytes.length;
  }

  /** True when `size` bytes starting at `offset` lie inside [0, end). */
  fits(offset: number, size: number, end: number): boolean {
    return offset >= 0 && offset <= end && size <= end - offset;
  }

  u32(offset: number, end: number, code: FdtErrorCode, what: string): number {
    if (!this.fits(offset, 4, end)) throw new FdtError(code, offset, `${what} runs past byte 0x${end.toString(16)}`);
    const b = this.bytes;
    return ((b[offset]! << 24) | (b[offset + 1]! << 16) | (b[offset + 2]! << 8) | b[offset + 3]!) >>> 0;
  }

  u64(offset: number, end: number, code: FdtErrorCode, what: string): bigint {
    const high = this.u32(offset, end, code, what);
    const low = this.u32(offset + 4, end, code, what);
    return (BigInt(high) << 32n) | BigInt(low);
  }

  /** Offset of the NUL ending the string that starts at `offset`; throws when none comes before `end`. */
  nulAfter(offset: number, end: number, code: FdtErrorCode, what: string): number {
    const b = this.bytes;
    for (let i = offset; i < end; i++) if (b[i] === 0) return i;
    throw new FdtError(code, offset, `${what} is not NUL-terminated before byte 0x${end.toString(16)}`);
  }

  latin1(start: number, end: number): string {
    return this.bytes.toString('latin1', start, end);
  }

  view(start: number, end: number): Buffer {
    return this.bytes.subarray(start, end);
  }
}
