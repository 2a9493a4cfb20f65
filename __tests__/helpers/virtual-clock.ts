// Virtual time for controller tests: a Sleep whose timers fire only when the test advances the clock, so
// ten minutes of backoff take milliseconds and every figure is exact.
import { setImmediate as nextMacrotask } from 'node:timers/promises';
import type { Sleep } from '../../src/kubernetes/backoff.ts';

interface Timer {
  readonly at: number;
  readonly resolve: () => void;
}

export class VirtualClock {
  #now = 0;
  #timers: Timer[] = [];

  readonly now = (): number => this.#now;

  readonly sleep: Sleep = (ms, signal) =>
    new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const timer: Timer = { at: this.#now + ms, resolve };
      this.#timers.push(timer);
      signal.addEventListener(
        'abort',
        () => {
          this.#timers = this.#timers.filter((t) => t !== timer);
          resolve();
        },
        { once: true },
      );
    });

  /** Lets every pending promise chain run (microtasks, and the macrotasks they queue). */
  async settle(): Promise<void> {
    for (let i = 0; i < 5; i++) await nextMacrotask();
  }

  /** Moves time forward by `ms`, firing each timer at its moment and letting the work it starts run. */
  async advance(ms: number): Promise<void> {
    const end = this.#now + ms;
    for (;;) {
      await this.settle();
      const due = this.#timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at)[0];
      if (due === undefined) break;
      this.#timers = this.#timers.filter((t) => t !== due);
      this.#now = Math.max(this.#now, due.at);
      due.resolve();
    }
    this.#now = end;
    await this.settle();
  }
}
