import { ApiException } from '@kubernetes/client-node';

/**
 * The HTTP status of a failed API call, or undefined when no response came (connection refused, reset,
 * timeout). client-node reports the two ways differently: ApiException.code for requests, statusCode
 * on errors from Watch.
 */
export function apiStatus(error: unknown): number | undefined {
  if (error instanceof ApiException) return error.code;
  const code = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof code === 'number' ? code : undefined;
}

/** The API server's own message (Status.message) when it sent one. */
export function apiMessage(error: unknown): string {
  if (error instanceof ApiException) {
    const body: unknown = typeof error.body === 'string' ? safeJson(error.body) : error.body;
    const message = (body as { message?: unknown } | undefined)?.message;
    if (typeof message === 'string') return message;
    return `HTTP ${error.code}`;
  }
  if (error instanceof Error) {
    // fetch says only "fetch failed"; why (ECONNREFUSED, a TLS error, ...) is in its cause.
    const cause = error.cause as { code?: unknown; message?: unknown } | undefined;
    const why = typeof cause?.code === 'string' ? cause.code : typeof cause?.message === 'string' ? cause.message : undefined;
    return why === undefined ? error.message : `${error.message} (${why})`;
  }
  return String(error);
}

/** How often a resourceVersion-guarded write is re-read and re-planned after 409 Conflict before giving up. */
export const CONFLICT_RETRIES = 5;

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
