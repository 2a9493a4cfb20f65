import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { Controller } from '../../src/controller/controller.ts';
import type { Logger } from '../../src/controller/logger.ts';
import { ControllerMetrics } from '../../src/controller/metrics.ts';
import { NodeLabelsTarget } from '../../src/targets/node-labels-target.ts';
import { discover, type Discovery } from '../../src/discover.ts';
import { realSleep } from '../../src/kubernetes/backoff.ts';
import { OWNED_LABELS_ANNOTATION } from '../../src/node-labels/ownership.ts';
import { fixture } from '../helpers/corpus.ts';
import { eventually } from '../helpers/eventually.ts';
import { MemoryCluster } from '../helpers/memory-cluster.ts';

const P = 'beta.devicetree.org';
const nanoLabels = () => discoverFixture('jetson-nano-l4t.dtb').labels;
const discoverFixture = (name: string): Discovery =>
  discover({ location: { dtb: fixture(name) }, nodeNames: ['pwm-fan'], prefix: P, includeDisabled: false, tegra: undefined });

interface Harness {
  cluster: MemoryCluster;
  controller: Controller;
  metrics: ControllerMetrics;
  logs: Array<[string, string]>;
  done: Promise<void>;
  source: { dtb: string | undefined };
}
const running: Harness[] = [];
afterEach(async () => {
  for (const h of running.splice(0)) {
    h.controller.stop();
    await h.done;
  }
});

const nodeTarget = (cluster: MemoryCluster, logger: Logger, metrics: ControllerMetrics, eventNamespace: string | undefined) =>
  new NodeLabelsTarget({ nodeName: 'nano', client: cluster, logger, metrics, sleep: realSleep, backoff: { initialMs: 2, maxMs: 20 }, watchTimeoutSeconds: 60, eventNamespace });

function start(options: { nodeExists?: boolean; labels?: Record<string, string>; dtb?: string | null; resyncMs?: number } = {}): Harness {
  const cluster = new MemoryCluster();
  if (options.nodeExists !== false) cluster.addNode('nano', options.labels ?? { 'kubernetes.io/arch': 'arm64' });
  const logs: Array<[string, string]> = [];
  const log = (level: string) => (message: unknown) => void logs.push([level, String(message)]);
  const logger = { error: log('error'), warn: log('warn'), info: log('info'), debug: log('debug') } as unknown as Logger;
  const metrics = new ControllerMetrics();
  const source = { dtb: options.dtb === null ? undefined : (options.dtb ?? 'jetson-nano-l4t.dtb') };
  const controller = new Controller({
    target: nodeTarget(cluster, logger, metrics, 'default'),
    discover: () => {
      if (source.dtb === undefined) throw new Error('no devicetree found');
      return discoverFixture(source.dtb);
    },
    logger,
    metrics,
    sleep: realSleep,
    backoff: { initialMs: 2, maxMs: 20 },
    resyncMs: options.resyncMs,
    rereadMs: undefined,
  });
  const h = { cluster, controller, metrics, logs, done: controller.run(), source };
  running.push(h);
  return h;
}

const hasNanoLabels = (h: Harness) => () => {
  const labels = h.cluster.labels('nano');
  return Object.entries(nanoLabels()).every(([k, v]) => labels[k] === v);
};
const metric = async (h: Harness, name: string) => (await h.metrics.registry.getSingleMetricAsString(name)).split('\n').filter((l) => !l.startsWith('#'));

test('labels a fresh node, records ownership, becomes ready and emits an event', async () => {
  const h = start();
  await eventually(hasNanoLabels(h), 'labels applied');
  await eventually(() => h.controller.ready, 'ready');
  const node = h.cluster.nodes.get('nano')!;
  assert.equal(node.metadata?.labels?.['kubernetes.io/arch'], 'arm64', 'foreign label kept');
  assert.equal(node.metadata?.annotations?.[OWNED_LABELS_ANNOTATION], Object.keys(nanoLabels()).sort().join(','));
  assert.equal(h.cluster.events.length, 1);
  assert.equal(h.cluster.events[0]?.reason, 'LabelsUpdated');
  assert.match(h.cluster.events[0]?.message ?? '', /added beta\.devicetree\.org\/arm-armv8, /);
  assert.deepEqual(await metric(h, 'dt_node_labeller_labels'), [`dt_node_labeller_labels ${Object.keys(nanoLabels()).length}`]);
  assert.ok((await metric(h, 'dt_node_labeller_reconciles_total')).includes('dt_node_labeller_reconciles_total{result="applied"} 1'));
});

test('drift repair: removed and edited owned labels come back; foreign edits stay', async () => {
  const h = start();
  await eventually(hasNanoLabels(h), 'labels applied');
  h.cluster.edit('nano', (n) => {
    delete n.metadata!.labels![`${P}/nvidia-gm20b`];
    n.metadata!.labels![`${P}/pwm-fan`] = 'tampered';
    n.metadata!.labels!.team = 'edge';
  });
  await eventually(hasNanoLabels(h), 'labels repaired');
  assert.equal(h.cluster.labels('nano').team, 'edge');
});

test("labels set by someone else, even under our prefix, are left alone and reported", async () => {
  const h = start({ labels: { [`${P}/nvidia-gm20b`]: 'by-hand' } });
  await eventually(() => h.controller.ready, 'ready');
  assert.equal(h.cluster.labels('nano')[`${P}/nvidia-gm20b`], 'by-hand');
  assert.ok(!h.cluster.nodes.get('nano')!.metadata!.annotations![OWNED_LABELS_ANNOTATION]!.includes('nvidia-gm20b'));
  assert.deepEqual(await metric(h, 'dt_node_labeller_label_conflicts'), ['dt_node_labeller_label_conflicts 1']);
  assert.ok(h.logs.some(([level, m]) => level === 'warn' && /someone else/.test(m)));
});

test('a 409 Conflict re-reads the node and keeps the concurrent change', async () => {
  let raced = false;
  const h = start();
  h.cluster.beforePatch = () => {
    if (raced) return;
    raced = true;
    h.cluster.edit('nano', (n) => void (n.metadata!.labels!.concurrent = 'write'));
  };
  await eventually(hasNanoLabels(h), 'labels applied');
  assert.equal(h.cluster.labels('nano').concurrent, 'write');
  assert.ok((await metric(h, 'dt_node_labeller_reconciles_total')).includes('dt_node_labeller_reconciles_total{result="conflict"} 1'));
});

test('a devicetree that changes: stale labels go, new ones come (SIGHUP path)', async () => {
  const h = start();
  await eventually(hasNanoLabels(h), 'nano labels');
  h.source.dtb = 'raspberry-pi-4.dtb';
  h.controller.rereadDevicetree();
  await eventually(() => h.cluster.labels('nano')[`${P}/brcm-bcm2711`] === '1', 'pi labels');
  await eventually(() => h.cluster.labels('nano')[`${P}/nvidia-gm20b`] === undefined, 'nano labels removed');
  assert.equal(h.cluster.labels('nano')['kubernetes.io/arch'], 'arm64');
});

test('a deleted and re-registered node is labelled again', async () => {
  const h = start();
  await eventually(hasNanoLabels(h), 'labels applied');
  h.cluster.deleteNode('nano');
  await new Promise((r) => setTimeout(r, 20));
  h.cluster.addNode('nano', { fresh: 'node' });
  await eventually(hasNanoLabels(h), 'labels applied again');
});

test('the node may register after the labeller starts', async () => {
  const h = start({ nodeExists: false });
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(h.controller.ready, false);
  h.cluster.addNode('nano');
  await eventually(hasNanoLabels(h), 'labels applied');
});

test('an unreadable devicetree: not ready, error metric, nothing patched, then recovery', async () => {
  const h = start({ dtb: null });
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(h.controller.ready, false);
  assert.deepEqual(await metric(h, 'dt_node_labeller_devicetree_error'), ['dt_node_labeller_devicetree_error 1']);
  assert.ok(h.logs.some(([level, m]) => level === 'error' && /cannot read the devicetree: no devicetree found/.test(m)));
  h.source.dtb = 'jetson-nano-l4t.dtb';
  h.controller.rereadDevicetree();
  await eventually(hasNanoLabels(h), 'labels applied after recovery');
  await eventually(() => h.controller.ready, 'ready');
});

test('5xx and 429 back off and converge; 403 is logged once, clearly', async () => {
  const h = start({ nodeExists: true });
  h.cluster.fail(3, 503, 'patchNodeMetadata');
  h.cluster.fail(1, 429, 'patchNodeMetadata');
  await eventually(hasNanoLabels(h), 'labels after transient failures');
  const errors = await metric(h, 'dt_node_labeller_api_errors_total');
  assert.ok(errors.includes('dt_node_labeller_api_errors_total{code="503"} 3'), errors.join('\n'));
  assert.ok(errors.includes('dt_node_labeller_api_errors_total{code="429"} 1'));

  const forbidden = start();
  forbidden.cluster.fail(5, 403, 'patchNodeMetadata');
  await eventually(hasNanoLabels(forbidden), 'labels after permission fixed');
  const denials = forbidden.logs.filter(([, m]) => /permission denied/.test(m));
  assert.equal(denials.length, 1);
  assert.match(denials[0]![1], /needs get, list, watch and patch on nodes/);
});

test('a dropped watch is resumed and changes after it are still seen', async () => {
  const h = start();
  await eventually(hasNanoLabels(h), 'labels applied');
  h.cluster.dropWatches();
  await eventually(() => h.cluster.calls.filter((c) => c === 'watchNode').length >= 2, 'watch resumed', 5000);
  h.cluster.edit('nano', (n) => void delete n.metadata!.labels![`${P}/nvidia-tegra210`]);
  await eventually(hasNanoLabels(h), 'repaired after resume');
});

test('runOnce labels and reports success; fails without a devicetree', async () => {
  const cluster = new MemoryCluster();
  cluster.addNode('nano');
  const quiet = { error() {}, warn() {}, info() {}, debug() {} } as unknown as Logger;
  const make = (dtb: string | undefined) => {
    const metrics = new ControllerMetrics();
    return new Controller({
      target: nodeTarget(cluster, quiet, metrics, undefined),
      discover: () => {
        if (dtb === undefined) throw new Error('none');
        return discoverFixture(dtb);
      },
      logger: quiet,
      metrics,
      sleep: realSleep,
      backoff: { initialMs: 1, maxMs: 5 },
      resyncMs: undefined,
      rereadMs: undefined,
    });
  };
  cluster.fail(2, 500, 'patchNodeMetadata');
  assert.equal(await make('jetson-nano-l4t.dtb').runOnce(5), true);
  assert.equal(cluster.labels('nano')[`${P}/nvidia-gm20b`], '1');
  assert.equal(await make(undefined).runOnce(5), false);
});
