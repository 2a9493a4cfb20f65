// The reconcile loop against an in-memory cluster, in virtual time: every sleep (backoff, intervals) waits
// for the test to advance a VirtualClock, so minutes of retries run in milliseconds and counts are exact.
// Expected labels are written out by hand (helpers/expected-labels.ts), never computed by the code under test.
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { Controller } from '../../src/controller/controller.ts';
import { DesiredLabels } from '../../src/controller/desired-labels.ts';
import { DevicetreeSourceError } from '../../src/devicetree/errors.ts';
import { type Discovery, discover } from '../../src/discover.ts';
import { RetryBackoff } from '../../src/kubernetes/backoff.ts';
import type { Logger } from '../../src/observability/logger.ts';
import { ControllerMetrics } from '../../src/observability/metrics.ts';
import { ownership } from '../../src/patch/ownership.ts';
import type { LabelTarget, ReconcileOutcome } from '../../src/targets/label-target.ts';
import { NodeLabelsTarget } from '../../src/targets/node-labels-target.ts';
import { fixture } from '../helpers/corpus.ts';
import { JETSON_NANO_LABELS } from '../helpers/expected-labels.ts';
import { MemoryCluster } from '../helpers/memory-cluster.ts';
import { VirtualClock } from '../helpers/virtual-clock.ts';

const P = 'beta.devicetree.org';
const OWNED = 'dt-node-labeller.beta.devicetree.org/owned-labels';
const RULES = { nodeNames: [], prefix: P, includeDisabled: false, tegra: { prefix: `tegra.${P}`, gpuPresent: false } };
const OWNER = ownership({ prefix: P, tegraPrefix: `tegra.${P}`, borrowedKeys: ['nvidia.com/gpu.present'] });

interface Harness {
  clock: VirtualClock;
  cluster: MemoryCluster;
  controller: Controller;
  metrics: ControllerMetrics;
  logs: Array<[string, string]>;
  done: Promise<void>;
  /** What the devicetree read gives: a fixture, a thrown error, or a ready Discovery. */
  source: { dtb: string | Error };
  reads: number;
  /** The node lists sent when the devicetree was first read. */
  listsBeforeFirstRead?: number;
}
const running: Harness[] = [];
afterEach(async () => {
  for (const h of running.splice(0)) {
    h.controller.stop();
    await h.clock.advance(0);
    await h.done;
  }
});

function recordingLogger(logs: Array<[string, string]>): Logger {
  const log = (level: string) => (message: unknown) => void logs.push([level, String(message)]);
  return { error: log('error'), warn: log('warn'), info: log('info'), debug: log('debug') } satisfies Logger;
}

interface StartOptions {
  nodeExists?: boolean;
  labels?: Record<string, string>;
  dtb?: string | Error;
  resyncMs?: number | undefined;
  rereadMs?: number | undefined;
  cluster?: MemoryCluster;
  clock?: VirtualClock;
  owner?: typeof OWNER;
  rules?: typeof RULES;
  /** Another target than the node's labels in `cluster`. */
  target?: LabelTarget;
}

function start(options: StartOptions = {}): Harness {
  const clock = options.clock ?? new VirtualClock();
  const cluster = options.cluster ?? new MemoryCluster({ now: clock.now });
  if (options.cluster === undefined && options.nodeExists !== false) cluster.addNode('nano', options.labels ?? { 'kubernetes.io/arch': 'arm64' });
  const logs: Array<[string, string]> = [];
  const logger = recordingLogger(logs);
  const metrics = new ControllerMetrics();
  const h = { clock, cluster, metrics, logs, source: { dtb: options.dtb ?? 'jetson-nano-l4t.dtb' }, reads: 0 } as Harness;
  const read = (): Discovery => {
    if (h.reads++ === 0) h.listsBeforeFirstRead = count(h, 'listNode');
    if (h.source.dtb instanceof Error) throw h.source.dtb;
    return discover({ location: { dtb: fixture(h.source.dtb) }, ...(options.rules ?? RULES) });
  };
  h.controller = new Controller({
    target:
      options.target ??
      new NodeLabelsTarget({
        nodeName: 'nano',
        client: cluster,
        ownership: options.owner ?? OWNER,
        logger,
        metrics,
        sleep: clock.sleep,
        now: clock.now,
        watchTimeoutSeconds: 60,
        events: true,
      }),
    desired: new DesiredLabels(read, logger, metrics),
    logger,
    metrics,
    sleep: clock.sleep,
    retry: new RetryBackoff(),
    resyncMs: options.resyncMs,
    rereadMs: options.rereadMs,
  });
  h.done = h.controller.run();
  running.push(h);
  return h;
}

const hasNanoLabels = (h: Harness) => Object.entries(JETSON_NANO_LABELS).every(([k, v]) => h.cluster.labels('nano')[k] === v);
const metric = async (h: Harness, name: string) => (await h.metrics.registry.getSingleMetricAsString(name)).split('\n').filter((l) => !l.startsWith('#'));
const count = (h: Harness, method: string, from = 0) => h.cluster.log.filter((c) => c.method === method && c.at >= from).length;

test("the node's first list is sent before the devicetree is read, so the two overlap; whenReady() settles once labelled", async () => {
  const h = start();
  let readyAt: number | undefined;
  void h.controller.whenReady().then(() => (readyAt = h.cluster.log.length));
  await h.clock.advance(0);
  assert.equal(h.listsBeforeFirstRead, 1);
  assert.ok(hasNanoLabels(h));
  assert.ok(readyAt !== undefined && readyAt >= h.cluster.log.findIndex((c) => c.method === 'patchNodeMetadata') + 1, 'ready after the patch');
});

test('a target that reports before the devicetree is read is reconciled once the read gives labels', async () => {
  // A watch that answers at once (a cached informer): its report comes before the devicetree is read and
  // must not be lost, nor reconciled twice.
  const written: Array<Readonly<Record<string, string>>> = [];
  const target: LabelTarget = {
    description: 'eager target',
    async reconcile({ labels }) {
      written.push(labels);
      return { result: 'applied', labels: Object.keys(labels).length };
    },
    async watch(changed, _failed, signal) {
      changed();
      await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
    },
  };
  const h = start({ target });
  let ready = false;
  void h.controller.whenReady().then(() => (ready = true));
  await h.clock.advance(0);
  assert.deepEqual(written, [JETSON_NANO_LABELS]);
  assert.ok(ready);
});

test('labels a fresh node with the hand-written Nano labels, records ownership, becomes ready and records an event', async () => {
  const h = start();
  await h.clock.advance(0);
  assert.ok(hasNanoLabels(h));
  assert.ok(h.controller.ready);
  const node = h.cluster.nodes.get('nano')!;
  assert.equal(node.metadata?.labels?.['kubernetes.io/arch'], 'arm64', 'foreign label kept');
  assert.equal(node.metadata?.annotations?.[OWNED], Object.keys(JETSON_NANO_LABELS).sort().join(','));
  assert.equal(h.cluster.events.length, 1);
  assert.equal(h.cluster.events[0]?.reason, 'LabelsUpdated');
  assert.equal(h.cluster.events[0]?.metadata?.namespace, 'default', 'Events about a Node live in default');
  assert.deepEqual(await metric(h, 'dt_node_labeller_labels'), [`dt_node_labeller_labels ${Object.keys(JETSON_NANO_LABELS).length}`]);
  assert.deepEqual(count(h, 'patchNodeMetadata'), 1);
  assert.deepEqual(count(h, 'readNode'), 0, "planned against the watch's list, no extra GET");
});

test('drift repair: removed and edited owned labels come back; foreign edits stay', async () => {
  const h = start();
  await h.clock.advance(0);
  h.cluster.edit('nano', (n) => {
    delete n.metadata!.labels![`${P}/nvidia-gm20b`];
    n.metadata!.labels![`${P}/arm-armv8`] = 'tampered';
    n.metadata!.labels!.team = 'edge';
  });
  await h.clock.advance(0);
  assert.ok(hasNanoLabels(h));
  assert.equal(h.cluster.labels('nano').team, 'edge');
});

test('labels set by someone else, even under our prefix, are left alone and reported', async () => {
  const h = start({ labels: { [`${P}/nvidia-gm20b`]: 'by-hand' } });
  await h.clock.advance(0);
  assert.ok(h.controller.ready);
  assert.equal(h.cluster.labels('nano')[`${P}/nvidia-gm20b`], 'by-hand');
  assert.ok(!h.cluster.nodes.get('nano')!.metadata!.annotations![OWNED]!.includes('nvidia-gm20b'));
  assert.deepEqual(await metric(h, 'dt_node_labeller_label_conflicts'), ['dt_node_labeller_label_conflicts 1']);
  assert.ok(h.logs.some(([level, m]) => level === 'warn' && /someone else/.test(m)));
});

test('a 409 Conflict re-reads the node and keeps the concurrent change', async () => {
  let raced = false;
  const h = start();
  h.cluster.beforePatch = () => {
    if (raced) return;
    raced = true;
    h.cluster.edit('nano', (n) => {
      n.metadata!.labels!.concurrent = 'write';
    });
  };
  await h.clock.advance(0);
  assert.ok(hasNanoLabels(h));
  assert.equal(h.cluster.labels('nano').concurrent, 'write');
  assert.ok((await metric(h, 'dt_node_labeller_reconciles_total')).includes('dt_node_labeller_reconciles_total{result="conflict"} 1'));
});

test('a devicetree that changes: stale labels go, new ones come (SIGHUP path)', async () => {
  const h = start();
  await h.clock.advance(0);
  h.source.dtb = 'raspberry-pi-4.dtb';
  h.controller.rereadDevicetree();
  await h.clock.advance(0);
  assert.equal(h.cluster.labels('nano')[`${P}/brcm-bcm2711`], '1');
  assert.equal(h.cluster.labels('nano')[`${P}/nvidia-gm20b`], undefined);
  assert.equal(h.cluster.labels('nano')[`tegra.${P}/soc`], undefined, 'facts of the old tree go too');
  assert.equal(h.cluster.labels('nano')['kubernetes.io/arch'], 'arm64');
});

test('a deleted and re-registered node is labelled again; a node may register late', async () => {
  const h = start();
  await h.clock.advance(0);
  h.cluster.deleteNode('nano');
  await h.clock.advance(0);
  h.cluster.addNode('nano', { fresh: 'node' });
  await h.clock.advance(0);
  assert.ok(hasNanoLabels(h));

  const late = start({ nodeExists: false });
  await late.clock.advance(10_000);
  assert.equal(late.controller.ready, false);
  late.cluster.addNode('nano');
  await late.clock.advance(0);
  assert.ok(hasNanoLabels(late));
});

test('an unreadable devicetree: not ready, error metric, nothing patched; retried with backoff until it reads', async () => {
  const h = start({ dtb: new DevicetreeSourceError('/host/sys/firmware/fdt: permission denied', 'DENIED') });
  await h.clock.advance(0);
  assert.equal(h.controller.ready, false);
  assert.deepEqual(await metric(h, 'dt_node_labeller_devicetree_error'), ['dt_node_labeller_devicetree_error 1']);
  assert.equal(count(h, 'patchNodeMetadata'), 0);
  assert.equal(h.logs.filter(([level, m]) => level === 'error' && /cannot read the devicetree: .*permission denied/.test(m)).length, 1);
  await h.clock.advance(60_000);
  const retries = h.reads - 1;
  assert.ok(retries >= 5 && retries <= 8, `retried with backoff (1 s doubling): ${retries} reads in a minute`);
  assert.equal(h.logs.filter(([level]) => level === 'error').length, 1, 'the same error is logged once, not per retry');
  h.source.dtb = 'jetson-nano-l4t.dtb';
  await h.clock.advance(300_000);
  assert.ok(hasNanoLabels(h), 'labelled once a retry could read it');
  assert.ok(h.controller.ready);
});

test('an empty tree (no root compatible) is an error: the labels stay', async () => {
  const h = start();
  await h.clock.advance(0);
  h.source.dtb = new DevicetreeSourceError('/x: the root node has no compatible, so it does not say what this machine is');
  h.controller.rereadDevicetree();
  await h.clock.advance(0);
  assert.ok(hasNanoLabels(h), 'nothing removed');
  assert.deepEqual(await metric(h, 'dt_node_labeller_devicetree_error'), ['dt_node_labeller_devicetree_error 1']);
});

test('a machine without a devicetree: ready and idle, nothing written, present=0', async () => {
  const h = start({ dtb: new DevicetreeSourceError('no devicetree found (tried ...)', 'NONE') });
  await h.clock.advance(600_000);
  assert.ok(h.controller.ready, 'ready, so a DaemonSet rollout does not stall on it');
  assert.equal(count(h, 'patchNodeMetadata'), 0);
  assert.deepEqual(await metric(h, 'dt_node_labeller_devicetree_present'), ['dt_node_labeller_devicetree_present 0']);
  assert.deepEqual(await metric(h, 'dt_node_labeller_devicetree_error'), ['dt_node_labeller_devicetree_error 0']);
  assert.equal(h.reads, 1, 'looked at again only hourly');
  await h.clock.advance(3_600_000);
  assert.equal(h.reads, 2);
});

test('intervals that are off do nothing: no GETs, no devicetree re-reads', async () => {
  const h = start({ resyncMs: undefined, rereadMs: undefined });
  await h.clock.advance(0);
  const before = h.cluster.log.length;
  await h.clock.advance(3_600_000);
  assert.equal(h.cluster.log.length, before, 'no request in an hour');
  assert.equal(h.reads, 1, 'the devicetree was read once');
  const timed = start({ resyncMs: 300_000, rereadMs: 600_000 });
  await timed.clock.advance(3_600_000);
  assert.equal(count(timed, 'readNode'), 12, 'a resync GET every 5 minutes');
  assert.equal(timed.reads, 7, 'a re-read every 10 minutes, after the first');
});

test('transient failures (503, 429, no answer) back off from 0.5 s to at most 8 s and converge', async () => {
  const h = start({ nodeExists: true });
  h.cluster.fail(6, 503, 'patchNodeMetadata');
  await h.clock.advance(0);
  assert.equal(count(h, 'patchNodeMetadata'), 1);
  await h.clock.advance(30_000);
  assert.ok(hasNanoLabels(h));
  assert.equal(count(h, 'patchNodeMetadata'), 7);
  const patches = h.cluster.log.filter((c) => c.method === 'patchNodeMetadata').map((c) => c.at);
  const gaps = patches.slice(1).map((at, i) => at - patches[i]!);
  assert.ok(
    gaps.every((gap) => gap >= 250 && gap <= 8000),
    `gaps ${gaps.join(', ')}`,
  );
  const errors = await metric(h, 'dt_node_labeller_api_errors_total');
  assert.ok(errors.includes('dt_node_labeller_api_errors_total{code="503"} 6'), errors.join('\n'));
});

test('a persistent 403: logged once naming the check, and within ten minutes at most one request a minute', async () => {
  const h = start();
  const forbid = h.cluster.failAlways(403, 'patchNodeMetadata');
  await h.clock.advance(10 * 60_000);
  const requests = (from: number, to: number) => h.cluster.log.filter((c) => c.at >= from && c.at < to && c.method !== 'watchNode').length;
  assert.ok(requests(9 * 60_000, 10 * 60_000) <= 1, `10th minute: ${requests(9 * 60_000, 10 * 60_000)} requests`);
  for (let minute = 3; minute < 10; minute++) assert.ok(requests(minute * 60_000, (minute + 1) * 60_000) <= 1, `minute ${minute + 1}`);
  const refusals = h.logs.filter(([level, m]) => level === 'error' && /refused/.test(m));
  assert.equal(refusals.length, 1);
  assert.match(refusals[0]![1], /needs get, list, watch and patch on nodes|injected 403/);
  forbid();
  await h.clock.advance(6 * 60_000);
  assert.ok(hasNanoLabels(h), 'labelled once the permission is there');
});

test('no lost wakeup: a request arriving in any microtask after a pass ends is served', async () => {
  // A target whose reconcile resolves after `depth` microtasks; at every depth after it resolves, a new
  // request comes in. The loop must see each one, however the promise chains interleave.
  for (let depth = 0; depth < 40; depth++) {
    const clock = new VirtualClock();
    let calls = 0;
    let requestAfter: (() => void) | undefined;
    const target: LabelTarget = {
      description: 'stub',
      permissionHint: '',
      async reconcile(): Promise<ReconcileOutcome> {
        calls++;
        if (calls === 1) {
          let n = depth;
          const later = () => (n-- > 0 ? queueMicrotask(later) : requestAfter?.());
          queueMicrotask(later);
        }
        return { result: 'unchanged', labels: 0 };
      },
    };
    const logs: Array<[string, string]> = [];
    const metrics = new ControllerMetrics();
    const desired = new DesiredLabels(() => discover({ location: { dtb: fixture('jetson-nano-l4t.dtb') }, ...RULES }), recordingLogger(logs), metrics);
    const controller = new Controller({
      target,
      desired,
      logger: recordingLogger(logs),
      metrics,
      sleep: clock.sleep,
      retry: new RetryBackoff(),
      resyncMs: undefined,
      rereadMs: undefined,
    });
    requestAfter = () => controller.requestReconcile();
    const done = controller.run();
    await clock.advance(0);
    assert.equal(calls, 2, `a request ${depth} microtasks after the first pass was lost`);
    controller.stop();
    await done;
  }
});

test('one writer of the node cache: a late patch answer does not hide a newer watch event', async () => {
  const h = start();
  await h.clock.advance(0);
  // Our next patch's answer is held back; meanwhile someone else changes the node, and the watch says so.
  let answer: (() => void) | undefined;
  h.cluster.patchAnswer = (release) => (answer = release);
  h.cluster.edit('nano', (n) => void delete n.metadata!.labels![`${P}/nvidia-gm20b`]);
  await h.clock.advance(0);
  h.cluster.edit('nano', (n) => {
    n.metadata!.labels!.team = 'edge';
  });
  h.cluster.patchAnswer = undefined;
  answer?.();
  await h.clock.advance(0);
  const conflicts = (await metric(h, 'dt_node_labeller_reconciles_total')).find((l) => l.includes('conflict'));
  h.cluster.edit('nano', (n) => void delete n.metadata!.labels![`${P}/arm-armv8`]);
  await h.clock.advance(0);
  assert.ok(hasNanoLabels(h));
  assert.equal(h.cluster.labels('nano').team, 'edge');
  const after = (await metric(h, 'dt_node_labeller_reconciles_total')).find((l) => l.includes('conflict'));
  assert.equal(after, conflicts, 'the repair after the newer event was planned against it: no 409');
});

test('watch events delivered late and out of order still converge', async () => {
  const h = start();
  await h.clock.advance(0);
  h.cluster.holdEvents();
  h.cluster.edit('nano', (n) => void delete n.metadata!.labels![`${P}/nvidia-gm20b`]);
  h.cluster.edit('nano', (n) => {
    n.metadata!.labels!.team = 'edge';
  });
  h.cluster.releaseEvents('reversed');
  await h.clock.advance(0);
  await h.clock.advance(300_000);
  assert.ok(hasNanoLabels(h));
});

test('two instances with different prefixes on one node settle: both label sets, then no writes', async () => {
  const clock = new VirtualClock();
  const cluster = new MemoryCluster({ now: clock.now });
  cluster.addNode('nano');
  start({ cluster, clock });
  const other = { ...RULES, prefix: 'dt.example.com', tegra: { prefix: 'tegra.dt.example.com', gpuPresent: false } };
  start({ cluster, clock, rules: other, owner: ownership({ prefix: 'dt.example.com', tegraPrefix: 'tegra.dt.example.com' }) });
  await clock.advance(30_000);
  const labels = cluster.labels('nano');
  assert.ok(hasNanoLabels({ cluster } as Harness));
  assert.equal(labels['dt.example.com/nvidia-gm20b'], '1');
  const patches = cluster.log.filter((c) => c.method === 'patchNodeMetadata').length;
  await clock.advance(600_000);
  assert.equal(cluster.log.filter((c) => c.method === 'patchNodeMetadata').length, patches, 'no writes once converged');
  assert.ok(patches <= 4, `${patches} patches to converge`);
});

test('runOnce labels and reports success; fails on an unreadable devicetree; succeeds with none at all', async () => {
  const clock = new VirtualClock();
  const cluster = new MemoryCluster({ now: clock.now });
  cluster.addNode('nano');
  const quiet = recordingLogger([]);
  const make = (dtb: string | Error) => {
    const metrics = new ControllerMetrics();
    const read = () => {
      if (dtb instanceof Error) throw dtb;
      return discover({ location: { dtb: fixture(dtb) }, ...RULES });
    };
    return new Controller({
      target: new NodeLabelsTarget({ nodeName: 'nano', client: cluster, ownership: OWNER, logger: quiet, metrics, sleep: clock.sleep, watchTimeoutSeconds: 60, events: false }),
      desired: new DesiredLabels(read, quiet, metrics),
      logger: quiet,
      metrics,
      sleep: clock.sleep,
      retry: new RetryBackoff(),
      resyncMs: undefined,
      rereadMs: undefined,
    });
  };
  cluster.fail(2, 500, 'patchNodeMetadata');
  const once = make('jetson-nano-l4t.dtb').runOnce(5);
  await clock.advance(30_000);
  assert.equal(await once, true);
  assert.equal(cluster.labels('nano')[`${P}/nvidia-gm20b`], '1');
  assert.equal(await make(new DevicetreeSourceError('/x: permission denied', 'DENIED')).runOnce(5), false);
  assert.equal(await make(new DevicetreeSourceError('no devicetree found', 'NONE')).runOnce(5), true);
});

test('another writer that changes an owned label back every 10 s: three repairs, then given up within ten minutes, with one Event and a metric', async () => {
  const h = start();
  await h.clock.advance(0);
  assert.ok(hasNanoLabels(h));
  const KEY = `${P}/nvidia-gm20b`;
  const patchesBefore = count(h, 'patchNodeMetadata');
  const patchTimes: number[] = [];
  // The other controller: whenever the label is not its value, it sets it (as GPU Operator resets
  // nvidia.com/gpu.present), checking every 10 s, for an hour.
  for (let t = 0; t < 60 * 60_000; t += 10_000) {
    if (h.cluster.labels('nano')[KEY] !== 'false')
      h.cluster.edit('nano', (n) => {
        n.metadata!.labels![KEY] = 'false';
      });
    const before = count(h, 'patchNodeMetadata');
    await h.clock.advance(10_000);
    if (count(h, 'patchNodeMetadata') > before) patchTimes.push(h.clock.now());
  }
  const minutes = patchTimes.map((at) => at / 60_000);
  assert.equal(count(h, 'patchNodeMetadata') - patchesBefore, 4, `patches at minutes ${minutes.join(', ')}`);
  assert.ok(minutes.at(-1)! < 11, `the last patch (giving the label up) ${minutes.at(-1)} minutes in`);
  assert.equal(h.cluster.labels('nano')[KEY], 'false', "the other writer's value stays");
  assert.ok(!h.cluster.nodes.get('nano')!.metadata!.annotations![OWNED]!.split(',').includes(KEY), 'no longer owned: cleanup will not remove it');
  const contested = h.cluster.events.filter((e) => e.reason === 'LabelsContested');
  assert.equal(contested.length, 1);
  assert.equal(contested[0]!.type, 'Warning');
  assert.match(contested[0]!.message ?? '', new RegExp(`${KEY.replace('.', '\\.')}.*no longer owns or repairs it`));
  assert.deepEqual(await metric(h, 'dt_node_labeller_contested_labels'), ['dt_node_labeller_contested_labels 1']);
  // The other labels are still repaired as before.
  h.cluster.edit('nano', (n) => void delete n.metadata!.labels![`${P}/arm-armv8`]);
  await h.clock.advance(0);
  assert.equal(h.cluster.labels('nano')[`${P}/arm-armv8`], '4');
});

test("a contested label given up stays the other writer's after a restart, until it is removed: then the labeller takes it back", async () => {
  const clock = new VirtualClock();
  const cluster = new MemoryCluster({ now: clock.now });
  const KEY = `${P}/nvidia-gm20b`;
  // The state a give-up leaves: the other writer's value, and our record without the key.
  const owned = Object.keys(JETSON_NANO_LABELS)
    .filter((key) => key !== KEY)
    .sort();
  cluster.addNode('nano', { ...JETSON_NANO_LABELS, [KEY]: 'false' }, { [OWNED]: owned.join(',') });
  const h = start({ cluster, clock });
  await h.clock.advance(0);
  assert.equal(h.cluster.labels('nano')[KEY], 'false', 'a label someone else set is left alone');
  assert.deepEqual(await metric(h, 'dt_node_labeller_label_conflicts'), ['dt_node_labeller_label_conflicts 1']);
  h.cluster.edit('nano', (n) => void delete n.metadata!.labels![KEY]);
  await h.clock.advance(0);
  assert.equal(h.cluster.labels('nano')[KEY], '1');
  assert.ok(h.cluster.nodes.get('nano')!.metadata!.annotations![OWNED]!.split(',').includes(KEY));
});
