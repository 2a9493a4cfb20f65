import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FdtError } from '../../src/devicetree/errors.ts';
import { LabellerError } from '../../src/errors.ts';
import { Backoff, RetryBackoff, realSleep } from '../../src/kubernetes/backoff.ts';

test('delays double up to the cap, with jitter in the upper half', () => {
  const low = new Backoff({ initialMs: 100, maxMs: 1000, random: () => 0 });
  assert.deepEqual(
    [1, 2, 3, 4, 5, 6].map(() => low.next()),
    [50, 100, 200, 400, 500, 500],
  );
  const high = new Backoff({ initialMs: 100, maxMs: 1000, random: () => 0.999999 });
  assert.deepEqual(
    [1, 2, 3, 4, 5].map(() => high.next()),
    [100, 200, 400, 800, 1000],
  );
  high.reset();
  assert.equal(high.next(), 100);
});

test('the sleep ends early when aborted', async () => {
  const abort = new AbortController();
  const started = Date.now();
  setTimeout(() => abort.abort(), 10);
  await realSleep(60_000, abort.signal);
  assert.ok(Date.now() - started < 5000);
});

test('retries per error class: transient 0.5 s to 8 s, refused (403, 422) 2 s to 5 min, terminal none; a success resets both', () => {
  const retry = new RetryBackoff({ transient: { initialMs: 500, maxMs: 8000, random: () => 0.999999 }, refused: { initialMs: 2000, maxMs: 300_000, random: () => 0.999999 } });
  const status = (code: number | undefined) =>
    code === undefined ? Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6443'), { code: 'ECONNREFUSED' }) : Object.assign(new Error('x'), { statusCode: code });
  assert.deepEqual(
    [503, 429, undefined, 500, 502, 503].map((c) => retry.next(status(c))),
    [500, 1000, 2000, 4000, 8000, 8000],
  );
  assert.deepEqual(
    [403, 422, 403, 401].map((c) => retry.next(status(c))),
    [2000, 4000, 8000, 16_000],
    'a class of its own',
  );
  for (let i = 0; i < 10; i++) retry.next(status(403));
  assert.equal(retry.next(status(403)), 300_000);
  retry.reset();
  assert.equal(retry.next(status(403)), 2000);
  assert.equal(retry.next(status(503)), 500);
  // Terminal failures (a broken blob, a feature file too large, a bug) are not retried: the next trigger is.
  for (const terminal of [new FdtError('BAD_MAGIC', 0, 'x'), new LabellerError('FEATURES_TOO_LARGE', 'x'), new RangeError('a bug')]) assert.equal(retry.next(terminal), undefined);
  // Something not there yet (a Node not registered) waits at the transient pace.
  assert.equal(retry.waiting(), 1000);
});
