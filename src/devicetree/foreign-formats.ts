// What a file that is not a flattened devicetree most likely is instead, from its first bytes, so the one
// error line can say what to do (compile it, decompress it) rather than only "bad magic".
import type { BoundedBytes } from './bounded-bytes.ts';

/** Leading bytes of the formats people hand over in place of a .dtb (their specifications' magic numbers). */
const BINARY_MAGICS: ReadonlyArray<readonly [bytes: readonly number[], what: string]> = [
  [[0x1f, 0x8b], 'gzip-compressed data: decompress it first, e.g. gunzip -k FILE'],
  [[0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], 'xz-compressed data: decompress it first, e.g. unxz -k FILE'],
  [[0x28, 0xb5, 0x2f, 0xfd], 'zstd-compressed data: decompress it first, e.g. unzstd FILE'],
  [[0x42, 0x5a, 0x68], 'bzip2-compressed data: decompress it first, e.g. bunzip2 -k FILE'],
  // Android's dt_table_header (DT_TABLE_MAGIC, big-endian): dtbo.img / dtb.img hold several blobs.
  [[0xd7, 0xb7, 0xab, 0x1e], "an Android DTB/DTBO table image holding several blobs: extract the board's, e.g. with mkdtimg dump"],
  // U-Boot's legacy image header (IH_MAGIC).
  [[0x27, 0x05, 0x19, 0x56], 'a U-Boot legacy image (uImage), not a bare blob'],
];

/** devicetree source starts with a version tag, a comment, a preprocessor line or the root node. */
const SOURCE_START = /^\s*(\/dts-v1\/|\/plugin\/|\/\/|\/\*|#include|#define|\/\s*\{)/;

/** A hint for the bad-magic message, or undefined when the bytes look like nothing known. */
export function foreignFormatHint(blob: BoundedBytes): string | undefined {
  const head = blob.bytes;
  for (const [magic, what] of BINARY_MAGICS) {
    if (magic.length <= head.length && magic.every((byte, i) => head[i] === byte)) return `this is ${what}`;
  }
  if (SOURCE_START.test(blob.latin1(0, Math.min(head.length, 64)))) return 'this is devicetree source: compile it with dtc -I dts -O dtb -o FILE.dtb FILE.dts';
  return undefined;
}
