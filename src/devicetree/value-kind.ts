/**
 * How to show a property value to a person, since the blob does not record its type: a list of printable
 * strings, 32-bit cells, or raw bytes. Used by the dts and JSON dumps.
 */
export type ValueKind = 'empty' | 'strings' | 'cells' | 'bytes';

export function classifyValue(value: Uint8Array): ValueKind {
  if (value.length === 0) return 'empty';
  if (isPrintableStringList(value)) return 'strings';
  return value.length % 4 === 0 ? 'cells' : 'bytes';
}

/** NUL-terminated, every other byte printable ASCII, and not starting with NUL (that is data, not text). */
function isPrintableStringList(value: Uint8Array): boolean {
  if (value[value.length - 1] !== 0 || value[0] === 0) return false;
  for (let i = 0; i < value.length - 1; i++) {
    const c = value[i]!;
    if (c === 0 ? value[i + 1] === 0 : c < 0x20 || c > 0x7e) return false;
  }
  return true;
}
