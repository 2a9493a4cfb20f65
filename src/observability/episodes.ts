import type { Logger, LogMeta } from './logger.ts';

/**
 * Once-per-episode logging. A failure that repeats at every retry (a refusal, a broken devicetree, a
 * missing folder, a conflict with another writer) is logged once at its level when it starts and at debug
 * while it lasts; ok() ends the episode, so the next occurrence is logged at its level again. Within an
 * episode a report with another `signature` (by default its message) is a new failure and is logged again.
 */
export class EpisodeLog {
  readonly #logger: Logger;
  /** Open episodes: name → the signature of what was last logged at its level. */
  readonly #open = new Map<string, string>();

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  report(episode: string, level: 'error' | 'warn' | 'info', message: string, meta?: LogMeta, signature = message): void {
    if (this.#open.get(episode) === signature) {
      this.#logger.debug(message, meta);
      return;
    }
    this.#open.set(episode, signature);
    this.#logger[level](message, meta);
  }

  /** True while an episode is open (reported and not yet ended). */
  isOpen(episode: string): boolean {
    return this.#open.has(episode);
  }

  /** Ends an episode: whatever it was is over (a success, the state it reported has gone). */
  ok(episode: string): void {
    this.#open.delete(episode);
  }
}
