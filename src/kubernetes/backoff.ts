import { type FailureClass, failureClass, retryAfterMs } from './api-errors.ts';

/** Capped exponential backoff with full jitter, so a fleet of DaemonSet pods does not retry in step. */
export interface BackoffOptions {
  readonly initialMs: number;
  readonly maxMs: number;
  /** Random source in [0, 1); injectable for deterministic tests. */
  readonly random?: () => number;
}

export class Backoff {
  readonly #options: BackoffOptions;
  #attempt = 0;

  constructor(options: BackoffOptions) {
    this.#options = options;
  }

  /** The next delay: uniform in [ceiling / 2, ceiling], the ceiling doubling per failure up to maxMs. */
  next(): number {
    const ceiling = Math.min(this.#options.maxMs, this.#options.initialMs * 2 ** Math.min(this.#attempt, 30));
    this.#attempt++;
    const random = this.#options.random ?? Math.random;
    return Math.round(ceiling / 2 + (random() * ceiling) / 2);
  }

  reset(): void {
    this.#attempt = 0;
  }
}

/** A sleep that ends early (resolving) when the signal aborts; injectable so tests need not wait. */
export type Sleep = (ms: number, signal: AbortSignal) => Promise<void>;

export const realSleep: Sleep = (ms, signal) =>
  new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

/**
 * Per failure class, as client-go's workqueue rate limiters: transient failures back off 0.5 s doubling to
 * 8 s, so the labeller notices within 10 s that the API server is back; rejected requests (403, 422, ...)
 * 2 s doubling to 5 min, so a fleet missing one RBAC rule falls below one request a minute per node within
 * two minutes instead of hammering the server until someone notices.
 */
export const RETRY_POLICY: Readonly<Record<FailureClass, BackoffOptions>> = {
  transient: { initialMs: 500, maxMs: 8000 },
  rejected: { initialMs: 2000, maxMs: 300_000 },
};

/** One Backoff per failure class; a success resets them all. Honours the server's Retry-After. */
export class RetryBackoff {
  readonly #backoffs: Record<FailureClass, Backoff>;

  constructor(policy: Readonly<Record<FailureClass, BackoffOptions>> = RETRY_POLICY) {
    this.#backoffs = { transient: new Backoff(policy.transient), rejected: new Backoff(policy.rejected) };
  }

  /** How long to wait before retrying after `error`. */
  next(error: unknown): number {
    const delay = this.#backoffs[failureClass(error)].next();
    return Math.max(delay, retryAfterMs(error) ?? 0);
  }

  reset(): void {
    this.#backoffs.transient.reset();
    this.#backoffs.rejected.reset();
  }
}
