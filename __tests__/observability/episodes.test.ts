import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EpisodeLog } from '../../src/observability/episodes.ts';
import type { Logger } from '../../src/observability/logger.ts';

function recorder() {
  const lines: string[] = [];
  const at = (level: string) => (message: string) => void lines.push(`${level} ${message}`);
  const logger = { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') } satisfies Logger;
  return { lines, episodes: new EpisodeLog(logger) };
}

test('the first report of an episode at its level, repeats at debug, until ok() ends it', () => {
  const { lines, episodes } = recorder();
  for (let i = 0; i < 3; i++) episodes.report('api', 'error', 'refused');
  assert.equal(episodes.isOpen('api'), true);
  episodes.ok('api');
  assert.equal(episodes.isOpen('api'), false);
  episodes.report('api', 'error', 'refused');
  assert.deepEqual(lines, ['error refused', 'debug refused', 'debug refused', 'error refused']);
});

test('another failure within an episode (another signature) is said at its level; episodes are independent', () => {
  const { lines, episodes } = recorder();
  episodes.report('tree', 'error', 'bad magic');
  episodes.report('tree', 'error', 'truncated');
  episodes.report('tree', 'error', 'truncated');
  episodes.report('events', 'warn', 'no Event: 403 at 10:00', undefined, 'events');
  episodes.report('events', 'warn', 'no Event: 403 at 10:05', undefined, 'events');
  assert.deepEqual(lines, ['error bad magic', 'error truncated', 'debug truncated', 'warn no Event: 403 at 10:00', 'debug no Event: 403 at 10:05']);
});
