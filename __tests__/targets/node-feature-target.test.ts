import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { NodeFeatureClient } from '../../src/kubernetes/node-feature-client.ts';
import type { NodeFeature } from '../../src/nfd/node-feature.ts';
import type { Logger } from '../../src/observability/logger.ts';
import { ControllerMetrics } from '../../src/observability/metrics.ts';
import { NodeFeatureTarget } from '../../src/targets/node-feature-target.ts';

const quiet = { error() {}, warn() {}, info() {}, debug() {} } satisfies Logger;
const conflict = () => Object.assign(new Error('Conflict'), { statusCode: 409 });

/** One namespace's NodeFeatures in memory, with resourceVersion checks and an optional writer racing us. */
class Objects implements NodeFeatureClient {
  readonly stored = new Map<string, NodeFeature>();
  revision = 0;
  writes = 0;
  race: (() => void) | undefined;
  async getNodeFeature(_namespace: string, name: string) {
    const object = this.stored.get(name);
    return object === undefined ? undefined : structuredClone(object);
  }
  async createNodeFeature(_namespace: string, object: NodeFeature) {
    this.#interfere();
    if (this.stored.has(object.metadata.name)) throw conflict();
    this.#store(object);
  }
  async replaceNodeFeature(_namespace: string, object: NodeFeature) {
    this.#interfere();
    if (this.stored.get(object.metadata.name)?.metadata.resourceVersion !== object.metadata.resourceVersion) throw conflict();
    this.#store(object);
  }
  async deleteNodeFeature(_namespace: string, name: string) {
    return this.stored.delete(name);
  }
  async listNodeFeatureNames() {
    return [...this.stored.keys()];
  }
  #interfere() {
    const race = this.race;
    this.race = undefined;
    race?.();
  }
  #store(object: NodeFeature) {
    this.writes++;
    this.stored.set(object.metadata.name, { ...structuredClone(object), metadata: { ...object.metadata, resourceVersion: String(++this.revision) } });
  }
}

const target = (objects: Objects, metrics = new ControllerMetrics()) => new NodeFeatureTarget({ client: objects, nodeName: 'nano', namespace: 'nfd', logger: quiet, metrics });

test('creates the object, then leaves it alone while it matches', async () => {
  const objects = new Objects();
  assert.deepEqual(await target(objects).reconcile({ labels: { 'p/a': '1' } }), { result: 'applied', labels: 1 });
  assert.deepEqual(await target(objects).reconcile({ labels: { 'p/a': '1' } }), { result: 'unchanged', labels: 1 });
  assert.equal(objects.writes, 1);
  assert.deepEqual(objects.stored.get('dt-node-labeller-nano')?.spec, { labels: { 'p/a': '1' } });
});

test('a concurrent change is a 409: it re-reads and keeps what the other writer added outside spec.labels', async () => {
  const objects = new Objects();
  const metrics = new ControllerMetrics();
  await target(objects).reconcile({ labels: { 'p/a': '1' } });
  objects.race = () => {
    const stored = objects.stored.get('dt-node-labeller-nano');
    if (stored === undefined) return;
    stored.metadata.annotations = { note: 'theirs' };
    stored.metadata.resourceVersion = String(++objects.revision);
  };
  assert.deepEqual(await target(objects, metrics).reconcile({ labels: { 'p/a': '2' } }), { result: 'applied', labels: 1 });
  const stored = objects.stored.get('dt-node-labeller-nano');
  assert.deepEqual(stored?.spec, { labels: { 'p/a': '2' } });
  assert.deepEqual(stored?.metadata.annotations, { note: 'theirs' });
  assert.match(await metrics.registry.getSingleMetricAsString('dt_node_labeller_reconciles_total'), /result="conflict"} 1/);
});

test('features go into spec.features and a change of features alone is written', async () => {
  const objects = new Objects();
  const features = (gpu: string) => ({ flags: {}, attributes: { 'devicetree.system': { elements: { gpu } } }, instances: {} });
  assert.deepEqual(await target(objects).reconcile({ labels: { 'p/a': '1' }, features: features('true') }), { result: 'applied', labels: 1 });
  assert.deepEqual(objects.stored.get('dt-node-labeller-nano')?.spec, { labels: { 'p/a': '1' }, features: features('true') });
  assert.deepEqual(await target(objects).reconcile({ labels: { 'p/a': '1' }, features: features('true') }), { result: 'unchanged', labels: 1 });
  assert.deepEqual(await target(objects).reconcile({ labels: { 'p/a': '1' }, features: features('false') }), { result: 'applied', labels: 1 });
  assert.deepEqual(objects.stored.get('dt-node-labeller-nano')?.spec.features, features('false'));
  assert.equal(objects.writes, 2);
});
