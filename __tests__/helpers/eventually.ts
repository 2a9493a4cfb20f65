import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';

/**
 * Polls `check` until it holds (it may be async), failing the test after `ms` with what was awaited; `what` may
 * be a function, to describe the state at the time of failure (a process's log, say).
 */
export async function eventually(check: () => boolean | Promise<boolean>, what: string | (() => string), ms = 3000, pollMs = 5): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out after ${ms} ms waiting for: ${typeof what === 'function' ? what() : what}`);
    await delay(pollMs);
  }
}
