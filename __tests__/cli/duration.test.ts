import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDuration } from '../../src/cli/duration.ts';
import { parseListenAddress } from '../../src/controller/status-server.ts';

test('durations', () => {
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('30s'), 30_000);
  assert.equal(parseDuration('1m30s'), 90_000);
  assert.equal(parseDuration('1.5h'), 5_400_000);
  assert.equal(parseDuration('off'), undefined);
  assert.equal(parseDuration('0'), undefined);
  for (const bad of ['', '5', 'm', '5 m', '-5s', '5d', '5mx']) assert.throws(() => parseDuration(bad), /duration/, bad);
});

test('listen addresses', () => {
  assert.deepEqual(parseListenAddress(':8080'), { host: undefined, port: 8080 });
  assert.deepEqual(parseListenAddress('127.0.0.1:0'), { host: '127.0.0.1', port: 0 });
  assert.deepEqual(parseListenAddress('[::1]:9000'), { host: '::1', port: 9000 });
  for (const bad of ['8080', 'host:', ':99999', 'a:b']) assert.throws(() => parseListenAddress(bad), /listen address/, bad);
});
