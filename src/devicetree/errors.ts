/**
 * Every way a blob can be rejected. One code per rule, in the spirit of libfdt's FDT_ERR_* names, so
 * callers and tests can tell failures apart without parsing messages.
 */
export type FdtErrorCode =
  | 'TRUNCATED' // the buffer ends before something the header promises
  | 'BAD_MAGIC' // not a flattened devicetree at all
  | 'BAD_VERSION' // a format version we cannot read
  | 'BAD_LAYOUT' // a block lies outside the blob or overlaps the header
  | 'BAD_ALIGNMENT' // a block or token is not on its required boundary
  | 'BAD_MEMRSV' // the memory reservation block has no terminator inside the blob
  | 'BAD_TOKEN' // an unknown token in the structure block
  | 'BAD_STRUCTURE' // tokens in an order the format forbids (unbalanced, no root, no FDT_END, ...)
  | 'BAD_NAME' // a node name that is not NUL-terminated inside the structure block
  | 'BAD_STRING' // a property name offset outside the strings block, or not NUL-terminated
  | 'BAD_VALUE' // a property value running past the structure block
  | 'TOO_DEEP'; // nesting deeper than MAX_DEPTH

/** The one error type the blob parser throws. `offset` is the byte offset in the blob where it failed. */
export class FdtError extends Error {
  override readonly name = 'FdtError';
  readonly code: FdtErrorCode;
  readonly offset: number;

  constructor(code: FdtErrorCode, offset: number, message: string) {
    super(`invalid devicetree blob: ${message} (at byte 0x${offset.toString(16)})`);
    this.code = code;
    this.offset = offset;
  }
}

/** A devicetree source that cannot be read: missing file, permissions, not a tree. One line, no stack. */
export class DevicetreeSourceError extends Error {
  override readonly name = 'DevicetreeSourceError';
  /** ABSENT and DENIED let a caller fall back to another source; INVALID must be reported. */
  readonly reason: 'ABSENT' | 'DENIED' | 'INVALID';

  constructor(message: string, reason: DevicetreeSourceError['reason'] = 'INVALID') {
    super(message);
    this.reason = reason;
  }

  /** Turns a Node fs error into the part a user needs ("not found", "permission denied"), without the stack. */
  static fromFs(path: string, error: unknown): DevicetreeSourceError {
    switch ((error as NodeJS.ErrnoException | undefined)?.code) {
      case 'ENOENT':
        return new DevicetreeSourceError(`${path}: not found`, 'ABSENT');
      case 'ENOTDIR':
        return new DevicetreeSourceError(`${path}: not found (a parent is not a directory)`, 'ABSENT');
      case 'EACCES':
      case 'EPERM':
        return new DevicetreeSourceError(`${path}: permission denied`, 'DENIED');
      case 'EISDIR':
        return new DevicetreeSourceError(`${path}: is a directory, not a blob file (use --live-tree for an expanded tree)`);
      default:
        return new DevicetreeSourceError(`${path}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}
