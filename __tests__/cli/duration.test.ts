import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatAddress, parseListenAddress } from '../../src/app/listen-address.ts';
import { intervalParser, parseDuration } from '../../src/cli/duration.ts';

test('durations', () => {
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('30s'), 30_000);
  assert.equal(parseDuration('1m30s'), 90_000);
  assert.equal(parseDuration('1.5h'), 5_400_000);
  assert.equal(parseDuration('off'), 'off', 'never undefined: Commander would store ""');
  assert.equal(parseDuration('0'), 'off');
  for (const bad of ['', '5', 'm', '5 m', '-5s', '5d', '5mx']) assert.throws(() => parseDuration(bad), /duration/, bad);
});

test('intervals have sane bounds: nothing that would spin, nothing past 24 h (Node timers overflow at ~596 h)', () => {
  const resync = intervalParser({ min: 10_000 });
  assert.equal(resync('5m'), 300_000);
  assert.equal(resync('off'), 'off');
  assert.equal(resync('24h'), 86_400_000);
  for (const bad of ['1ms', '9s', '720h', '25h']) assert.throws(() => resync(bad), /must be off, or between 10s and 24h/, bad);
});

test('listen addresses', () => {
  assert.deepEqual(parseListenAddress(':8080'), { host: undefined, port: 8080 });
  assert.deepEqual(parseListenAddress('127.0.0.1:0'), { host: '127.0.0.1', port: 0 });
  assert.deepEqual(parseListenAddress('[::1]:9000'), { host: '::1', port: 9000 });
  for (const bad of ['8080', 'host:', ':99999', 'a:b', 'nonsense']) assert.throws(() => parseListenAddress(bad), /listen address/, bad);
  assert.equal(formatAddress({ address: '::1', family: 'IPv6', port: 33577 }), '[::1]:33577');
  assert.equal(formatAddress({ address: '127.0.0.1', family: 'IPv4', port: 8080 }), '127.0.0.1:8080');
});
