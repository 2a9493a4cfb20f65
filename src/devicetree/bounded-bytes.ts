import { FdtError, type FdtErrorCode } from './errors.ts';

/**
 * The single accessor every blob read goes through: big-endian integers and C strings, each checked
 * against an end offset first. Offsets are JS numbers (exact to 2^53), so `offset + n` cannot wrap the
 * way 32-bit arithmetic in C can; comparisons are still written as `n > end - offset` to read like
 * libfdt's overflow-safe checks.
 */
export class BoundedBytes {
  readonly bytes: Buffer;
  /** For u32: one big-endian load where optimised code would otherwise do four byte loads and shifts. */
  readonly #data: DataView;

  constructor(bytes: Uint8Array) {
    this.bytes = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#data = new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength);
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
    return this.#data.getUint32(offset);
  }

  u64(offset: number, end: number, code: FdtErrorCode, what: string): bigint {
    const high = this.u32(offset, end, code, what);
    const low = this.u32(offset + 4, end, code, what);
    return (BigInt(high) << 32n) | BigInt(low);
  }

  /**
   * Offset of the NUL ending the string that starts at `offset`; throws when none comes before `end`.
   * `reportAt` is where the error says the string starts, when the scan resumes part-way through it.
   */
  nulAfter(offset: number, end: number, code: FdtErrorCode, what: string, reportAt = offset): number {
    const b = this.bytes;
    for (let i = offset; i < end; i++) if (b[i] === 0) return i;
    throw notTerminated(code, reportAt, what, end);
  }

  latin1(start: number, end: number): string {
    return this.bytes.toString('latin1', start, end);
  }
}

/** The one refusal of a string that has no NUL before `end`, from BoundedBytes and StringWindow alike. */
function notTerminated(code: FdtErrorCode, offset: number, what: string, end: number): FdtError {
  return new FdtError(code, offset, `${what} is not NUL-terminated before byte 0x${end.toString(16)}`);
}

/** Bytes decoded per window: below V8's large-object size (128 KiB), so a window is an ordinary young string. */
const WINDOW_BYTES = 64 * 1024;

/** V8 copies a slice shorter than this rather than pointing into its parent string (SlicedString::kMinLength). */
const SHORT_STRING = 13;

/**
 * Reads NUL-terminated strings faster than BoundedBytes alone: the bytes are decoded to a string a window
 * at a time, so finding a NUL is one indexOf and a short string is a slice of the window, where a call
 * into Buffer's decoder per string costs several times more. Longer strings are decoded on their own, so
 * that none keeps a window alive after the parse (the NodeFeature target keeps node names).
 *
 * Made for strings met at increasing offsets (the node names of a structure block): a window starts at the
 * offset that fell outside the last one, so a forward walk decodes each byte about once, or twice when
 * strings straddle the windows' ends. A reader that jumps about (property names, looked up by offset) gives
 * its whole area up front instead, so that no lookup re-decodes.
 */
export class StringWindow {
  readonly #blob: BoundedBytes;
  #start: number;
  #text: string;

  /** `start` and `end`: a first window, decoded now, for strings that all lie inside it. */
  constructor(blob: BoundedBytes, start = 0, end = start) {
    this.#blob = blob;
    this.#start = start;
    this.#text = blob.latin1(start, end);
  }

  /** As BoundedBytes.nulAfter. */
  nulAfter(offset: number, end: number, code: FdtErrorCode, what: string): number {
    let nul = this.#find(offset);
    if (nul < 0 && this.#start !== offset) {
      this.#start = offset;
      this.#text = this.#blob.latin1(offset, Math.min(offset + WINDOW_BYTES, this.#blob.length));
      nul = this.#find(offset);
    }
    if (nul >= 0) {
      if (nul < end) return nul;
      throw notTerminated(code, offset, what, end);
    }
    // A string longer than a window: rare enough to scan byte by byte.
    return this.#blob.nulAfter(Math.max(offset, this.#start + this.#text.length), end, code, what, offset);
  }

  /** As BoundedBytes.latin1. */
  latin1(start: number, end: number): string {
    const from = start - this.#start;
    if (end - start < SHORT_STRING && from >= 0 && end - this.#start <= this.#text.length) return this.#text.slice(from, end - this.#start);
    return this.#blob.latin1(start, end);
  }

  /** Offset of the first NUL at or after `offset` inside the window, or -1. */
  #find(offset: number): number {
    const from = offset - this.#start;
    if (from < 0 || from >= this.#text.length) return -1;
    const at = this.#text.indexOf('\0', from);
    return at < 0 ? -1 : this.#start + at;
  }
}
