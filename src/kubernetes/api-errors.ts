import { ApiException } from '@kubernetes/client-node';
import { httpStatus, isNoAnswer, LabellerError } from '../errors.ts';

/** A guarded write that met 409 Conflict again and again: someone else keeps changing the object. */
export class ConflictError extends LabellerError {
  override readonly name = 'ConflictError';

  constructor(message: string) {
    super('API_CONFLICT', message);
  }
}

/**
 * The `code` label of dt_node_labeller_api_errors_total: the HTTP status, "none" for no answer; undefined
 * for errors that are no failed API call (file I/O, conflicts that were retried away, bugs).
 */
export function apiErrorCode(error: unknown): string | undefined {
  if (error instanceof ConflictError) return undefined;
  const status = httpStatus(error);
  if (status !== undefined) return String(status);
  return isNoAnswer(error) ? 'none' : undefined;
}

/** The server's Retry-After (429 and 503 carry one), in ms, or undefined. */
export function retryAfterMs(error: unknown): number | undefined {
  if (!(error instanceof ApiException)) return undefined;
  const header = (error.headers as Record<string, string> | undefined)?.['retry-after'];
  const seconds = header === undefined ? Number.NaN : Number(header);
  return Number.isFinite(seconds) && seconds > 0 ? Math.min(seconds, 600) * 1000 : undefined;
}

/** The metav1.Status an API server answers errors with, or undefined when the body is something else. */
function statusBody(error: ApiException<unknown>): { message?: unknown; reason?: unknown } | undefined {
  const body: unknown = typeof error.body === 'string' ? safeJson(error.body) : error.body;
  const kind = (body as { kind?: unknown } | undefined)?.kind;
  return kind === 'Status' || typeof (body as { message?: unknown } | undefined)?.message === 'string' ? (body as { message?: unknown; reason?: unknown }) : undefined;
}

/**
 * A 404 that is the API server's NotFound Status: the object does not exist. A 404 in any other form (an
 * HTML page) means the URL is not a Kubernetes API server, which is an error, not "not registered yet".
 */
export function isNotFound(error: unknown): boolean {
  if (httpStatus(error) !== 404) return false;
  if (!(error instanceof ApiException)) return true;
  return statusBody(error)?.reason === 'NotFound';
}

/**
 * A 404 that is no Status at all ("404 page not found"): the API server serves no such path. For a custom
 * resource that means its CRD is not installed; for a core one, that the URL is not an API server.
 */
export function isUnservedPath(error: unknown): boolean {
  return error instanceof ApiException && error.code === 404 && statusBody(error) === undefined;
}

/** The request's answer, or undefined when the object does not exist (isNotFound); any other failure is thrown. */
export async function unlessNotFound<T>(request: Promise<T>): Promise<T | undefined> {
  try {
    return await request;
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** The API server's own message (Status.message) when it sent one; always one line. */
export function apiMessage(error: unknown): string {
  if (error instanceof ApiException) {
    const message = statusBody(error)?.message;
    if (typeof message === 'string') return message.split('\n')[0]!;
    return `HTTP ${error.code}, and the answer is not a Kubernetes Status (is this an API server?)`;
  }
  if (error instanceof Error) {
    // A request with no answer carries the system error (ECONNREFUSED, a TLS failure, ...) as its cause.
    const cause = error.cause as { code?: unknown; message?: unknown } | undefined;
    const why = typeof cause?.code === 'string' ? cause.code : typeof cause?.message === 'string' ? cause.message : undefined;
    return (why === undefined || error.message.includes(why) ? error.message : `${error.message} (${why})`).split('\n')[0]!;
  }
  return String(error);
}

/**
 * Which check refused a 403 or 422: a ValidatingAdmissionPolicy names itself in the message
 * ("ValidatingAdmissionPolicy 'x' with binding 'y' denied request: ..."), a webhook says "admission
 * webhook", RBAC says "cannot <verb> resource". Undefined when the message says none of these.
 */
export function refusedBy(error: unknown): 'admission policy' | 'admission webhook' | 'RBAC' | undefined {
  const message = apiMessage(error);
  if (/ValidatingAdmissionPolicy '/.test(message)) return 'admission policy';
  if (/admission webhook "/.test(message)) return 'admission webhook';
  if (/ cannot [a-z]+ resource "/.test(message)) return 'RBAC';
  return undefined;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
