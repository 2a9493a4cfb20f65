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

  get attempts(): number {
    return this.#attempt;
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
