// One catalogue of the failures the program expects, after fastify's error codes and controller-runtime's
// TerminalError: each has a stable code and a class, and the class alone decides what happens next. The
// controller retries `transient` failures soon and `refused` ones rarely (a person must change RBAC, a
// policy or the configuration), and leaves `terminal` ones until what they depend on changes (a new
// devicetree, the next resync); the CLI exits 2 for USAGE and 1 for every other failure. No dependencies:
// the devicetree parser and the CLI's dry run load this without the Kubernetes client.

/** How an expected failure is handled: see the file comment. */
export type ErrorClass = 'transient' | 'refused' | 'terminal';

export const ERROR_CLASSES = {
  /** The command line is wrong. */
  USAGE: 'terminal',
  // A blob breaking one of the format's rules (FdtError; libfdt's FDT_ERR_* in spirit).
  TRUNCATED: 'terminal',
  BAD_MAGIC: 'terminal',
  BAD_VERSION: 'terminal',
  BAD_LAYOUT: 'terminal',
  BAD_MEMRSV: 'terminal',
  BAD_TOKEN: 'terminal',
  BAD_STRUCTURE: 'terminal',
  BAD_NAME: 'terminal',
  BAD_STRING: 'terminal',
  BAD_VALUE: 'terminal',
  TOO_DEEP: 'terminal',
  TOO_LARGE: 'terminal',
  TOO_MANY: 'terminal',
  // Where the devicetree comes from (DevicetreeSourceError).
  DEVICETREE_ABSENT: 'terminal',
  DEVICETREE_DENIED: 'terminal',
  DEVICETREE_INVALID: 'terminal',
  /** No devicetree in any standard place: an ACPI machine, no fault of its own. */
  DEVICETREE_NONE: 'terminal',
  // Configuration.
  KUBECONFIG: 'terminal',
  /** The NFD feature file's folder is missing, not a folder, or not writable. */
  FEATURES_FOLDER: 'refused',
  /** Writing the feature file failed otherwise (a full disk, an I/O error). */
  FEATURES_WRITE: 'transient',
  /** The feature file would exceed what nfd-worker reads. */
  FEATURES_TOO_LARGE: 'terminal',
  // The API server's answers.
  API_NO_ANSWER: 'transient',
  API_SERVER_ERROR: 'transient',
  API_THROTTLED: 'transient',
  /** 409 Conflict, and a guarded write that kept meeting it. */
  API_CONFLICT: 'transient',
  API_GONE: 'transient',
  API_UNAUTHORIZED: 'refused',
  API_FORBIDDEN: 'refused',
  API_INVALID: 'refused',
  API_NOT_FOUND: 'refused',
  API_REFUSED: 'refused',
  /** Anything else: a bug, or a failure nobody foresaw. Not retried until the next trigger. */
  UNEXPECTED: 'terminal',
} as const satisfies Readonly<Record<string, ErrorClass>>;

export type ErrorCode = keyof typeof ERROR_CLASSES;

/** An expected failure: a stable code, its class, and a one-line message that says what to do where it can. */
export class LabellerError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }

  get errorClass(): ErrorClass {
    return ERROR_CLASSES[this.code];
  }
}

export interface Classified {
  readonly code: ErrorCode;
  readonly errorClass: ErrorClass;
  /** The HTTP status of a failed API call; undefined when there was no answer or no API call. */
  readonly status: number | undefined;
}

/**
 * The code and class of any error. Ours say theirs. A failed API call is classed by its HTTP status
 * (client-node's ApiException carries it as `code`, an ERROR event in a watch stream as `statusCode`) or, when no
 * answer came, by the system error; everything else is UNEXPECTED.
 */
export function classify(error: unknown): Classified {
  if (error instanceof LabellerError) return { code: error.code, errorClass: error.errorClass, status: httpStatus(error) };
  const status = httpStatus(error);
  const code = status !== undefined ? apiCode(status) : isNoAnswer(error) ? 'API_NO_ANSWER' : 'UNEXPECTED';
  return { code, errorClass: ERROR_CLASSES[code], status };
}

/** The HTTP status an error carries (ApiException.code, a watch ERROR event's statusCode), or undefined. */
export function httpStatus(error: unknown): number | undefined {
  const { code, statusCode, status } = (error ?? {}) as { code?: unknown; statusCode?: unknown; status?: unknown };
  for (const value of [status, statusCode, code]) if (typeof value === 'number' && value >= 100 && value <= 599) return value;
  return undefined;
}

function apiCode(status: number): ErrorCode {
  if (status >= 500) return 'API_SERVER_ERROR';
  switch (status) {
    case 401:
      return 'API_UNAUTHORIZED';
    case 403:
      return 'API_FORBIDDEN';
    case 404:
      return 'API_NOT_FOUND';
    case 409:
      return 'API_CONFLICT';
    case 410:
      return 'API_GONE';
    case 422:
    case 400:
      return 'API_INVALID';
    case 429:
      return 'API_THROTTLED';
    default:
      return 'API_REFUSED';
  }
}

/** System errors of a connection, not of a file (a feature file's ENOSPC or EACCES is no API failure). */
const NETWORK_ERRORS: ReadonlySet<string> = new Set(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']);

/**
 * True when a request got no answer at all: src/kubernetes/api-request.ts says so with API_NO_ANSWER (the
 * system error in `cause`), a watch given up or stopped ends with TimeoutError / AbortError, and a bare system
 * error of a connection counts too.
 */
export function isNoAnswer(error: unknown): boolean {
  if (error instanceof LabellerError) return error.code === 'API_NO_ANSWER';
  if (!(error instanceof Error)) return false;
  if (error.name === 'AbortError' || error.name === 'TimeoutError') return true;
  const code = (error.cause as { code?: unknown } | undefined)?.code ?? (error as { code?: unknown }).code;
  return typeof code === 'string' && NETWORK_ERRORS.has(code);
}

/** What a failed file-system call means to a user, in a few words: "not found", "permission denied", ... */
export function fsErrorText(error: unknown): string {
  switch ((error as NodeJS.ErrnoException | undefined)?.code) {
    case 'ENOENT':
      return 'not found';
    case 'ENOTDIR':
      return 'not found (a parent is not a directory)';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory';
    case 'EROFS':
      return 'read-only file system';
    case 'ENOSPC':
      return 'no space left on the device';
    default:
      return error instanceof Error ? error.message.split('\n')[0]! : String(error);
  }
}
