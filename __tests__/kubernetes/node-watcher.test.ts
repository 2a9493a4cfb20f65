// The NodeWatcher against a scripted client, in virtual time: each watch call does what the test says
// (stream events, end, fail with a status, expire with an ERROR 410 event), and every list and watch call is
// recorded with its resourceVersion and the virtual time, so resumes and backoff delays are exact.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { V1Node } from '@kubernetes/client-node';
import type { ClusterClient, WatchEventType } from '../../src/kubernetes/cluster-client.ts';
import { NodeWatcher } from '../../src/kubernetes/node-watcher.ts';
import { VirtualClock } from '../helpers/virtual-clock.ts';

type Step =
  | { events?: Array<[WatchEventType, string]>; ending: 'end' | 'hang' }
  | { events?: Array<[WatchEventType, string]>; ending: 'fail'; status?: number }
  | { events?: Array<[WatchEventType, string]>; ending: 'expire' }
  | { events?: Array<[WatchEventType, string]>; ending: 'error-event'; status: number };

const node = (rv: string): V1Node => ({ metadata: { name: 'nano', resourceVersion: rv } });

/** A client whose watches follow `steps` in turn (the last one repeats) after `runFor` ms of virtual time. */
function scripted(clock: VirtualClock, steps: Step[], runFor: (index: number) => number) {
  const calls: Array<{ what: 'list' | 'watch'; rv?: string; at: number }> = [];
  let watches = 0;
  let listRv = 10;
  const client: Pick<ClusterClient, 'listNode' | 'watchNode'> = {
    async listNode() {
      calls.push({ what: 'list', at: clock.now() });
      return { node: node(String(++listRv)), resourceVersion: String(listRv) };
    },
    async watchNode(_name, resourceVersion, _timeout, onEvent, onDone) {
      calls.push({ what: 'watch', rv: resourceVersion, at: clock.now() });
      const index = watches++;
      const step = steps[Math.min(index, steps.length - 1)]!;
      const abort = new AbortController();
      void (async () => {
        for (const [type, rv] of step.events ?? []) onEvent(type, node(rv));
        if (step.ending === 'hang') return;
        await clock.sleep(runFor(index), abort.signal);
        if (abort.signal.aborted) return;
        if (step.ending === 'expire') {
          onEvent('ERROR', { code: 410, message: 'too old resource version' });
          onDone(null);
        } else if (step.ending === 'error-event') {
          onEvent('ERROR', { code: step.status, message: 'etcd event received with PrevKv=nil' });
          onDone(null);
        } else if (step.ending === 'fail') onDone(Object.assign(new Error('broken'), { statusCode: step.status }));
        else onDone(null);
      })();
      return () => {
        abort.abort();
        onDone(null);
      };
    },
  };
  return { client: client as ClusterClient, calls };
}

function start(clock: VirtualClock, client: ClusterClient) {
  const seen: Array<V1Node | null | undefined> = [];
  const errors: unknown[] = [];
  let expired = 0;
  const watcher = new NodeWatcher({
    client,
    nodeName: 'nano',
    onChange: () => seen.push(watcher.node),
    onError: (error) => errors.push(error),
    onExpired: () => expired++,
    sleep: clock.sleep,
    watchTimeoutSeconds: 290,
    now: clock.now,
  });
  const done = watcher.run();
  return { watcher, seen, errors, done, expired: () => expired };
}

test("lists, then watches from the list's resourceVersion; resumes from the last event or BOOKMARK seen", async () => {
  const clock = new VirtualClock();
  const { client, calls } = scripted(
    clock,
    [
      {
        events: [
          ['MODIFIED', '12'],
          ['BOOKMARK', '15'],
        ],
        ending: 'end',
      },
      { ending: 'hang' },
    ],
    () => 290_000,
  );
  const w = start(clock, client);
  await clock.advance(300_000);
  assert.deepEqual(
    calls.map((c) => [c.what, c.rv]),
    [
      ['list', undefined],
      ['watch', '11'],
      ['watch', '15'],
    ],
  );
  assert.equal(calls[2]!.at, 290_000, 'a watch the server ended normally is resumed at once');
  assert.equal(w.watcher.node?.metadata?.resourceVersion, '12', 'a BOOKMARK moves the resourceVersion, not the node');
  w.watcher.stop();
  await clock.advance(0);
  await w.done;
});

test('410 Gone: relists at once the first time, then backs off while it repeats (a lagging watch cache)', async () => {
  const clock = new VirtualClock();
  const { client, calls } = scripted(clock, [{ ending: 'expire' }], () => 0);
  const w = start(clock, client);
  await clock.advance(120_000);
  const lists = calls.filter((c) => c.what === 'list').map((c) => c.at);
  assert.ok(lists.length >= 5 && lists.length <= 12, `${lists.length} lists in 2 minutes, not a LIST loop`);
  assert.equal(lists[1], 0, 'the first 410 relists at once');
  const gaps = lists.slice(2).map((at, i) => at - lists[i + 1]!);
  assert.ok(
    gaps.every((gap, i) => gap >= 500 && (i === 0 || gap >= gaps[i - 1]! / 2.5)),
    `gaps grow: ${gaps.join(', ')}`,
  );
  assert.ok(Math.max(...gaps) <= 30_000, 'capped at 30 s');
  assert.equal(w.errors.length, 0, '410 is not reported as an error');
  assert.ok(w.expired() >= 5);
  w.watcher.stop();
  await clock.advance(0);
  await w.done;
});

test('a watch that was healthy resets the backoff: one failure after minutes waits half a second, not 8', async () => {
  const clock = new VirtualClock();
  // Five watches fail at once (503), the sixth runs for ten minutes, then fails.
  const { client, calls } = scripted(clock, [...Array<Step>(5).fill({ ending: 'fail', status: 503 }), { ending: 'fail', status: 503 }, { ending: 'hang' }], (i) =>
    i < 5 ? 0 : 600_000,
  );
  const w = start(clock, client);
  await clock.advance(700_000);
  const watches = calls.filter((c) => c.what === 'watch').map((c) => c.at);
  const failedAt = watches[5]! + 600_000;
  const resumedAfter = watches[6]! - failedAt;
  assert.ok(resumedAfter <= 500, `resumed ${resumedAfter} ms after the healthy watch failed`);
  const early = watches.slice(1, 6).map((at, i) => at - watches[i]!);
  assert.ok(early[4]! > early[0]!, `backoff grew while failing fast: ${early.join(', ')}`);
  assert.equal(w.errors.length, 6);
  w.watcher.stop();
  await clock.advance(0);
  await w.done;
});

test('DELETED empties the cache; ADDED fills it again; the node absent at the list is null', async () => {
  const clock = new VirtualClock();
  const { client } = scripted(
    clock,
    [
      {
        events: [
          ['DELETED', '20'],
          ['ADDED', '21'],
        ],
        ending: 'hang',
      },
    ],
    () => 0,
  );
  const w = start(clock, client);
  await clock.advance(1000);
  assert.deepEqual(
    w.seen.map((n) => n?.metadata?.resourceVersion ?? n),
    ['11', null, '21'],
  );
  w.watcher.stop();
  await clock.advance(0);
  await w.done;
});

test('403 on the watch backs off per class: slower and slower, up to 5 minutes', async () => {
  const clock = new VirtualClock();
  const { client, calls } = scripted(clock, [{ ending: 'fail', status: 403 }], () => 0);
  const w = start(clock, client);
  await clock.advance(20 * 60_000);
  const watches = calls.filter((c) => c.what === 'watch').map((c) => c.at);
  const lastMinutes = watches.filter((at) => at >= 10 * 60_000).length;
  assert.ok(lastMinutes <= 5, `${lastMinutes} watches in the last 10 minutes`);
  assert.ok(watches.length <= 16, `${watches.length} watches in 20 minutes`);
  w.watcher.stop();
  await clock.advance(0);
  await w.done;
});

test('an ERROR event other than 410 in the stream: backs off, then lists again instead of resuming from the refused resourceVersion', async () => {
  // kube-apiserver v1.34 without a watch cache sent ERROR 500 "etcd event received with PrevKv=nil" to a watch
  // resumed from just before a compaction (seen in cli/run-command.test.ts); resuming from it failed forever.
  const clock = new VirtualClock();
  const { client, calls } = scripted(clock, [{ ending: 'error-event', status: 500 }, { ending: 'hang' }], () => 0);
  const w = start(clock, client);
  await clock.advance(10_000);
  assert.deepEqual(
    calls.map((c) => [c.what, c.rv]),
    [
      ['list', undefined],
      ['watch', '11'],
      ['list', undefined],
      ['watch', '12'],
    ],
  );
  assert.ok(calls[2]!.at > 0, 'after a backoff, not at once');
  assert.equal(w.errors.length, 1, 'reported as an error');
  w.watcher.stop();
  await clock.advance(0);
  await w.done;
});
