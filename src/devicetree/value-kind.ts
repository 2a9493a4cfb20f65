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

/** Text bytes as dtc's decompiler counts them: printable ASCII and the \a \t \n \v \f \r controls. */
const isText = (c: number) => (c >= 0x20 && c <= 0x7e) || c === 0x07 || (c >= 0x09 && c <= 0x0d);

/** NUL-terminated, every other byte text, and not starting with NUL or two NULs in a row (that is data). */
function isPrintableStringList(value: Uint8Array): boolean {
  if (value[value.length - 1] !== 0 || value[0] === 0) return false;
  for (let i = 0; i < value.length - 1; i++) {
    const c = value[i]!;
    if (c === 0 ? value[i + 1] === 0 : !isText(c)) return false;
  }
  return true;
}
