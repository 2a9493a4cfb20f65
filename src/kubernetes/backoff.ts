import { classify, type ErrorClass } from '../errors.ts';
import { retryAfterMs } from './api-errors.ts';

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

/** The classes that are retried (src/errors.ts): terminal failures wait for the next trigger instead. */
export type RetriedClass = Exclude<ErrorClass, 'terminal'>;

/**
 * Per error class, as client-go's workqueue rate limiters: transient failures back off 0.5 s doubling to
 * 8 s, so the labeller notices within 10 s that the API server is back; refused ones (403, 422, a missing
 * folder ...) 2 s doubling to 5 min, so a fleet missing one RBAC rule falls below one request a minute per
 * node within two minutes instead of hammering the server until someone notices.
 */
export const RETRY_POLICY: Readonly<Record<RetriedClass, BackoffOptions>> = {
  transient: { initialMs: 500, maxMs: 8000 },
  refused: { initialMs: 2000, maxMs: 300_000 },
};

/** One Backoff per retried class; a success resets them all. Honours the server's Retry-After. */
export class RetryBackoff {
  readonly #backoffs: Record<RetriedClass, Backoff>;

  constructor(policy: Readonly<Record<RetriedClass, BackoffOptions>> = RETRY_POLICY) {
    this.#backoffs = { transient: new Backoff(policy.transient), refused: new Backoff(policy.refused) };
  }

  /** How long to wait before retrying after `error`; undefined for a terminal error, which is not retried. */
  next(error: unknown): number | undefined {
    const { errorClass } = classify(error);
    if (errorClass === 'terminal') return undefined;
    return Math.max(this.#backoffs[errorClass].next(), retryAfterMs(error) ?? 0);
  }

  /** How long to wait for something that is not there yet (a Node not registered): as a transient failure. */
  waiting(): number {
    return this.#backoffs.transient.next();
  }

  reset(): void {
    this.#backoffs.transient.reset();
    this.#backoffs.refused.reset();
  }
}
