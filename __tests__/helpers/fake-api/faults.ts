// Injected trouble: failing requests (500/503/429), RBAC denials (403). Outages, latency and dropped
// watches live on the server itself, which owns the sockets.

import type { ResourceRoute } from './routes.ts';
import { type ApiError, forbidden, internalError, serviceUnavailable, tooManyRequests } from './status.ts';

export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';

/** Which requests a fault applies to; others pass and do not use it up. */
export interface RequestMatch {
  /** Only requests with this method (GET, PATCH, ...). */
  method?: string;
  /** Only requests whose path and query contain this. */
  pathIncludes?: string;
}

const matches = (match: RequestMatch, method: string, pathAndQuery: string) =>
  (match.method === undefined || match.method.toUpperCase() === method) && (match.pathIncludes === undefined || pathAndQuery.includes(match.pathIncludes));

export interface FailureSpec extends RequestMatch {
  status: 500 | 503 | 429;
  /** Sent as Retry-After (and details.retryAfterSeconds). 429 defaults to 1, as the real server's. */
  retryAfterSeconds?: number;
  /**
   * Answer with a text/plain body instead of a Status, as the real server's priority-and-fairness filter
   * does for 429 ("Too many requests, please try again later.") and as proxies do for 5xx.
   */
  plainText?: boolean;
}

export interface ForbidRule {
  /** A verb, or '*' for all. */
  verb: Verb | '*';
  /** The plural resource, as in RBAC rules: 'nodes', 'events', 'nodefeatures'. */
  resource: string;
  /** Only this API group ('' is core); all groups when absent. */
  group?: string;
  name?: string;
  namespace?: string;
}

/** What an injected failure answers: a Status error, or a plain-text body. */
export type InjectedFailure = { error: ApiError } | { status: number; text: string; headers: Record<string, string> };

const PLAIN_TEXT: Record<FailureSpec['status'], string> = {
  429: 'Too many requests, please try again later.\n',
  500: 'Internal Server Error\n',
  503: 'Service Unavailable\n',
};

function failureFor(spec: FailureSpec): InjectedFailure {
  const retryAfter = spec.retryAfterSeconds ?? (spec.status === 429 ? 1 : undefined);
  const headers: Record<string, string> = retryAfter === undefined ? {} : { 'Retry-After': String(retryAfter) };
  if (spec.plainText) return { status: spec.status, text: PLAIN_TEXT[spec.status], headers };
  if (spec.status === 429) return { error: tooManyRequests(retryAfter ?? 1) };
  if (spec.status === 500) return { error: internalError('injected failure', retryAfter) };
  return { error: serviceUnavailable('the server is currently unable to handle the request', retryAfter) };
}

/** The RBAC verb of a resource request. */
export function verbOf(method: string, route: ResourceRoute, watch: boolean): Verb {
  switch (method) {
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return route.name === undefined ? 'deletecollection' : 'delete';
    default:
      if (route.name !== undefined) return 'get';
      return watch ? 'watch' : 'list';
  }
}

export class Faults {
  #failures: Array<{ spec: FailureSpec; remaining: number }> = [];
  #forbidden: ForbidRule[] = [];
  #interferences: Array<{ match: RequestMatch; action: () => void }> = [];

  failNext(count: number, spec: FailureSpec): void {
    if (count > 0) this.#failures.push({ spec, remaining: count });
  }

  /** The failure the next matching request should get, using up one of its count. */
  takeFailure(method: string, pathAndQuery: string): InjectedFailure | undefined {
    const entry = this.#failures.find(({ spec }) => matches(spec, method, pathAndQuery));
    if (entry === undefined) return undefined;
    entry.remaining--;
    if (entry.remaining <= 0) this.#failures = this.#failures.filter((other) => other !== entry);
    return failureFor(entry.spec);
  }

  interfereNext(match: RequestMatch, action: () => void): void {
    this.#interferences.push({ match, action });
  }

  /** Runs (once) the action queued for the first request matching it, before that request is served. */
  interfere(method: string, pathAndQuery: string): void {
    const entry = this.#interferences.find(({ match }) => matches(match, method, pathAndQuery));
    if (entry === undefined) return;
    this.#interferences = this.#interferences.filter((other) => other !== entry);
    entry.action();
  }

  /** Denies matching requests until the returned function is called (or `allowAll`). */
  forbid(rule: ForbidRule): () => void {
    this.#forbidden.push(rule);
    return () => {
      this.#forbidden = this.#forbidden.filter((other) => other !== rule);
    };
  }

  allowAll(): void {
    this.#forbidden = [];
  }

  clearFailures(): void {
    this.#failures = [];
    this.#interferences = [];
  }

  /** A 403 worded as RBAC words it, when a rule denies this request. */
  denial(verb: Verb, route: ResourceRoute, user: string): ApiError | undefined {
    const { def, namespace, name } = route;
    const denied = this.#forbidden.some(
      (rule) =>
        (rule.verb === '*' || rule.verb === verb) &&
        rule.resource === def.resource &&
        (rule.group === undefined || rule.group === def.group) &&
        (rule.name === undefined || rule.name === name) &&
        (rule.namespace === undefined || rule.namespace === namespace),
    );
    if (!denied) return undefined;
    const scope = namespace === undefined ? 'at the cluster scope' : `in the namespace "${namespace}"`;
    const why = `User "${user}" cannot ${verb} resource "${def.resource}" in API group "${def.group}" ${scope}`;
    return forbidden({ group: def.group, resource: def.resource }, name ?? '', why);
  }
}
