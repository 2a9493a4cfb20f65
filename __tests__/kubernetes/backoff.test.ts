import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Backoff, realSleep } from '../../src/kubernetes/backoff.ts';

test('delays double up to the cap, with jitter in the upper half', () => {
  const low = new Backoff({ initialMs: 100, maxMs: 1000, random: () => 0 });
  assert.deepEqual([1, 2, 3, 4, 5, 6].map(() => low.next()), [50, 100, 200, 400, 500, 500]);
  const high = new Backoff({ initialMs: 100, maxMs: 1000, random: () => 0.999999 });
  assert.deepEqual([1, 2, 3, 4, 5].map(() => high.next()), [100, 200, 400, 800, 1000]);
  high.reset();
  assert.equal(high.attempts, 0);
  assert.equal(high.next(), 100);
});

test('the sleep ends early when aborted', async () => {
  const abort = new AbortController();
  const started = Date.now();
  setTimeout(() => abort.abort(), 10);
  await realSleep(60_000, abort.signal);
  assert.ok(Date.now() - started < 5000);
});
