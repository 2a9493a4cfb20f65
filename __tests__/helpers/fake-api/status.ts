// `Status` bodies as the real API server writes them (apimachinery's errors package), thrown as ApiError
// by the handlers and written by the HTTP layer. Messages are copied from apimachinery so that client
// code (and kubectl) sees the same text it would from a cluster.

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code: number;
}

/** What a resource is called in messages: `nodes`, or `nodefeatures.nfd.k8s-sigs.io`. */
export interface GroupResource {
  group: string;
  resource: string;
}

export const OPTIMISTIC_LOCK_MESSAGE = 'the object has been modified; please apply your changes to the latest version and try again';

export class ApiError extends Error {
  readonly status: Status;
  readonly headers: Readonly<Record<string, string>>;
  /** Why, when the Status itself does not say (the real server hides JSON patch failures): for test logs. */
  readonly note: string | undefined;

  constructor(status: Status, options: { headers?: Record<string, string>; note?: string } = {}) {
    super(status.message ?? status.reason ?? `HTTP ${status.code}`);
    this.status = status;
    this.headers = options.headers ?? {};
    this.note = options.note;
  }

  get code(): number {
    return this.status.code;
  }
}

export function qualified(gr: GroupResource): string {
  return gr.group === '' ? gr.resource : `${gr.resource}.${gr.group}`;
}

/** Members in the order the real server writes them (details before code). */
function failure(code: number, reason: string, message: string, details?: StatusDetails): Status {
  const head = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason } as const;
  return details === undefined ? { ...head, code } : { ...head, details, code };
}

/** Details as apimachinery fills them for an object: `kind` holds the *resource*, empty members omitted. */
function objectDetails(gr: GroupResource, name: string): StatusDetails {
  const details: StatusDetails = {};
  if (name !== '') details.name = name;
  if (gr.group !== '') details.group = gr.group;
  details.kind = gr.resource;
  return details;
}

export function success(gr: GroupResource, name: string, uid: string | undefined): Status {
  const details = objectDetails(gr, name);
  if (uid !== undefined) details.uid = uid;
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details, code: 200 };
}

export function notFound(gr: GroupResource, name: string): ApiError {
  return new ApiError(failure(404, 'NotFound', `${qualified(gr)} "${name}" not found`, objectDetails(gr, name)));
}

/** The answer for a path that names no resource the server knows. */
export function pathNotFound(): ApiError {
  return new ApiError(failure(404, 'NotFound', 'the server could not find the requested resource', {}));
}

export function alreadyExists(gr: GroupResource, name: string): ApiError {
  return new ApiError(failure(409, 'AlreadyExists', `${qualified(gr)} "${name}" already exists`, objectDetails(gr, name)));
}

export function conflict(gr: GroupResource, name: string, why: string = OPTIMISTIC_LOCK_MESSAGE): ApiError {
  const message = `Operation cannot be fulfilled on ${qualified(gr)} "${name}": ${why}`;
  return new ApiError(failure(409, 'Conflict', message, objectDetails(gr, name)));
}

export function badRequest(message: string): ApiError {
  return new ApiError(failure(400, 'BadRequest', message));
}

export function unauthorized(): ApiError {
  return new ApiError(failure(401, 'Unauthorized', 'Unauthorized'));
}

/** RBAC's denial, as `responsewriters.Forbidden` phrases it. */
export function forbidden(gr: GroupResource, name: string, why: string): ApiError {
  const subject = name === '' ? `${qualified(gr)} is forbidden` : `${qualified(gr)} "${name}" is forbidden`;
  return new ApiError(failure(403, 'Forbidden', `${subject}: ${why}`, objectDetails(gr, name)));
}

export function methodNotAllowed(): ApiError {
  return new ApiError(failure(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource', {}));
}

export function unsupportedMediaType(accepted: readonly string[]): ApiError {
  const message = `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`;
  return new ApiError(failure(415, 'UnsupportedMediaType', message));
}

/**
 * A JSON patch that cannot be applied. The real server answers with `NewGenericServerResponse(422, ...)`
 * without causes, so the patch library's reason is not in the body: we keep it as the error's note only.
 */
export function patchNotApplicable(why: string): ApiError {
  return new ApiError(failure(422, 'Invalid', 'the server rejected our request due to an error in our request', {}), { note: why });
}

export function requestEntityTooLarge(message: string): ApiError {
  return new ApiError(failure(413, 'RequestEntityTooLarge', `Request entity too large: ${message}`));
}

export function expiredStatus(message: string): Status {
  return failure(410, 'Expired', message);
}

const retryHeaders = (seconds: number | undefined): Record<string, string> => (seconds === undefined ? {} : { 'Retry-After': String(seconds) });

export function internalError(message: string, retryAfterSeconds?: number): ApiError {
  const details: StatusDetails = { causes: [{ message }] };
  if (retryAfterSeconds !== undefined) details.retryAfterSeconds = retryAfterSeconds;
  return new ApiError(failure(500, 'InternalError', `Internal error occurred: ${message}`, details), { headers: retryHeaders(retryAfterSeconds) });
}

/** What the server answers for an error that is not a Status (storage's plain errors): 500, reason Unknown. */
export function unknownError(message: string): ApiError {
  return new ApiError(failure(500, 'Unknown', message));
}

export function serviceUnavailable(message: string, retryAfterSeconds?: number): ApiError {
  const details = retryAfterSeconds === undefined ? undefined : { retryAfterSeconds };
  return new ApiError(failure(503, 'ServiceUnavailable', message, details), { headers: retryHeaders(retryAfterSeconds) });
}

export function tooManyRequests(retryAfterSeconds: number): ApiError {
  const status = failure(429, 'TooManyRequests', 'Too many requests, please try again later.', { retryAfterSeconds });
  return new ApiError(status, { headers: retryHeaders(retryAfterSeconds) });
}

// ---- Field errors (`field.ErrorList`) and the 422 Invalid they aggregate into ----

export type FieldErrorType = 'Invalid value' | 'Required value' | 'Too long' | 'Forbidden';

const CAUSE_TYPES: Record<FieldErrorType, string> = {
  'Invalid value': 'FieldValueInvalid',
  'Required value': 'FieldValueRequired',
  'Too long': 'FieldValueTooLong',
  Forbidden: 'FieldValueForbidden',
};

export interface FieldError {
  type: FieldErrorType;
  field: string;
  /** Shown (quoted, as Go's %q would) only for `Invalid value`. */
  value?: string;
  /** A value that is not a Go string, already rendered as `field.Error.ErrorBody` prints it (numbers, times, structs). */
  rendered?: string;
  detail?: string;
}

export function fieldInvalid(field: string, value: string, detail: string): FieldError {
  return { type: 'Invalid value', field, value, detail };
}

/** An `Invalid value` whose value is not a string: `rendered` is printed as is. */
export function fieldInvalidRendered(field: string, rendered: string, detail: string): FieldError {
  return { type: 'Invalid value', field, rendered, detail };
}

export function fieldRequired(field: string, detail = ''): FieldError {
  return { type: 'Required value', field, detail };
}

const GO_SHORT_ESCAPES: Record<string, string> = { '\u0007': '\\a', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\v': '\\v', '"': '\\"', '\\': '\\\\' };
const GO_PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;

/**
 * Go's %q for a string (strconv.Quote): printable characters (unicode.IsPrint: letters, marks, numbers,
 * punctuation, symbols and the ASCII space) as they are, the C escapes for the usual control characters,
 * \xNN below 0x80 and \uNNNN or \UNNNNNNNN for other unprintable code points.
 */
export function goQuote(value: string): string {
  let out = '"';
  for (const char of value) {
    const code = char.codePointAt(0) ?? 0;
    const short = GO_SHORT_ESCAPES[char];
    if (short !== undefined) out += short;
    else if (GO_PRINTABLE.test(char)) out += char;
    else if (code < 0x80) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else if (code >= 0xd800 && code <= 0xdfff) out += '\\ufffd'; // a lone surrogate is invalid UTF-8 in Go
    else if (code <= 0xffff) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += `\\U${code.toString(16).padStart(8, '0')}`;
  }
  return `${out}"`;
}

/** `field.Error.ErrorBody()`: the text after `<field>: `. */
function errorBody(error: FieldError): string {
  const head = error.type === 'Invalid value' ? `Invalid value: ${error.rendered ?? goQuote(error.value ?? '')}` : error.type;
  return error.detail ? `${head}: ${error.detail}` : head;
}

/** `errs.ToAggregate().Error()`: one message alone, several in brackets, duplicates dropped. */
function aggregate(errors: readonly FieldError[]): string {
  const messages = [...new Set(errors.map((error) => `${error.field}: ${errorBody(error)}`))];
  return messages.length === 1 ? (messages[0] ?? '') : `[${messages.join(', ')}]`;
}

/** `errors.NewInvalid`: 422 with one cause per field error. `kind` is the object's Kind, not its resource. */
export function invalid(kind: { group: string; kind: string }, name: string, errors: readonly FieldError[]): ApiError {
  const groupKind = kind.group === '' ? kind.kind : `${kind.kind}.${kind.group}`;
  const details: StatusDetails = {};
  if (name !== '') details.name = name;
  if (kind.group !== '') details.group = kind.group;
  details.kind = kind.kind;
  details.causes = errors.map((error) => ({ reason: CAUSE_TYPES[error.type], message: errorBody(error), field: error.field }));
  return new ApiError(failure(422, 'Invalid', `${groupKind} "${name}" is invalid: ${aggregate(errors)}`, details));
}
