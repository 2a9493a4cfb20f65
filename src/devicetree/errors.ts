import { fsErrorText, LabellerError } from '../errors.ts';

/**
 * Every way a blob can be rejected. One code per rule, in the spirit of libfdt's FDT_ERR_* names, so
 * callers and tests can tell failures apart without parsing messages.
 */
export type FdtErrorCode =
  | 'TRUNCATED' // the buffer ends before something the header promises, or is too short to be a blob
  | 'BAD_MAGIC' // not a flattened devicetree at all
  | 'BAD_VERSION' // a format version we cannot read
  | 'BAD_LAYOUT' // a block lies outside the blob or overlaps the header
  | 'BAD_MEMRSV' // the memory reservation block has no terminator inside the blob
  | 'BAD_TOKEN' // an unknown token in the structure block
  | 'BAD_STRUCTURE' // tokens in an order the format forbids (unbalanced, no root, no FDT_END, ...)
  | 'BAD_NAME' // a node name that is not NUL-terminated inside the structure block
  | 'BAD_STRING' // a property name offset outside the strings block, or not NUL-terminated
  | 'BAD_VALUE' // a property value running past the structure block
  | 'TOO_DEEP' // nesting deeper than MAX_DEPTH
  | 'TOO_LARGE' // totalsize above MAX_BLOB_BYTES; property names or node paths that add up to more than allowed
  | 'TOO_MANY'; // more than MAX_NODES nodes, MAX_PROPERTIES properties or MAX_MEMORY_RESERVATIONS reservations

/** A character as a JSON \uXXXX escape. */
const unicodeEscape = (c: string): string => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/**
 * A name from a devicetree, quoted for a one-line message: JSON escapes, and also DEL and every
 * non-ASCII character as \uXXXX, since C1 controls (U+0080-U+009F) can drive a terminal too.
 */
export const quoteName = (name: string): string => JSON.stringify(name).replace(/[\u007f-\uffff]/g, unicodeEscape);

/** JSON for a terminal: JSON leaves DEL and the C1 controls (U+0080-U+009F, which include a CSI) raw. */
export const jsonForTerminal = (json: string): string => json.replace(/[\u007f-\u009f]/g, unicodeEscape);

/** Text from a devicetree for a message or warning: as it is when plain printable ASCII, else quoted. */
export const printable = (text: string): string => (/^[\x20-\x7e]*$/.test(text) ? text : quoteName(text));

/**
 * The one error type the blob parser throws. `offset` is the byte offset in the blob where it failed;
 * `source`, when set, is the file the blob came from and starts the message.
 */
export class FdtError extends LabellerError {
  override readonly name = 'FdtError';
  declare readonly code: FdtErrorCode;
  readonly offset: number;
  /** The rule that failed, without the source and offset. */
  readonly detail: string;
  readonly source: string | undefined;

  constructor(code: FdtErrorCode, offset: number, detail: string, source?: string) {
    super(code, `${source === undefined ? '' : `${source}: `}invalid devicetree blob: ${detail} (at byte 0x${offset.toString(16)})`);
    this.offset = offset;
    this.detail = detail;
    this.source = source;
  }

  /** A copy of this error that names the file (or stream) the blob was read from. */
  withSource(source: string): FdtError {
    const error = new FdtError(this.code, this.offset, this.detail, source);
    if (this.stack !== undefined) error.stack = this.stack.replace(this.message, error.message);
    return error;
  }
}

/** A devicetree source that cannot be read: missing file, permissions, not a tree. One line, no stack. */
export class DevicetreeSourceError extends LabellerError {
  override readonly name = 'DevicetreeSourceError';
  /**
   * ABSENT and DENIED let a caller fall back to another source; INVALID must be reported; NONE: the host
   * has no devicetree in any of its standard places (most x86 machines), which is no fault of its own.
   */
  readonly reason: 'ABSENT' | 'DENIED' | 'INVALID' | 'NONE';

  constructor(message: string, reason: DevicetreeSourceError['reason'] = 'INVALID') {
    super(`DEVICETREE_${reason}`, message);
    this.reason = reason;
  }

  /** Turns a Node fs error into the part a user needs ("not found", "permission denied"), without the stack. */
  static fromFs(path: string, error: unknown): DevicetreeSourceError {
    const code = (error as NodeJS.ErrnoException | undefined)?.code;
    const reason = code === 'ENOENT' || code === 'ENOTDIR' ? 'ABSENT' : code === 'EACCES' || code === 'EPERM' ? 'DENIED' : 'INVALID';
    return new DevicetreeSourceError(`${path}: ${fsErrorText(error)}`, reason);
  }
}

/** True for the error loadTree() throws when a host has no devicetree at all (see reason NONE). */
export const isNoDevicetree = (error: unknown): boolean => error instanceof DevicetreeSourceError && error.reason === 'NONE';
