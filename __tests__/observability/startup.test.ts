// The start-up timeline `run` logs with "node labelled; ready" (bench/controller-idle-rss.ts reads it).
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { test } from 'node:test';
import { markStartup, startupTimeline } from '../../src/observability/startup.ts';

test('a step keeps the moment it was first reached, in whole ms since the process started, after Node bootstrapped', async () => {
  const before = performance.now();
  markStartup('treeRead');
  const first = startupTimeline().treeRead;
  assert.ok(first !== undefined && first >= Math.floor(before) && first <= Math.ceil(performance.now()), `treeRead ${first} not between ${before} and now`);
  assert.ok(Number.isInteger(first));
  await new Promise((resolve) => setTimeout(resolve, 20));
  markStartup('treeRead');
  assert.equal(startupTimeline().treeRead, first, 'a second pass does not move the step');
  const { runtime } = startupTimeline();
  assert.ok(runtime !== undefined && runtime > 0 && runtime <= first, `runtime ${runtime} should come before treeRead ${first}`);
  assert.equal(startupTimeline().labelsStored, undefined, 'a step not reached is absent');
});
