import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isValidDnsSubdomain } from '../../src/labels/kubernetes-names.ts';
import { desiredNodeFeature, NODE_NAME_LABEL, nodeFeatureName, updatedNodeFeature } from '../../src/nfd/node-feature.ts';

test('one NodeFeature per node, tied to it by the label nfd-master reads', () => {
  const object = desiredNodeFeature('nano', 'kube-system', { 'beta.devicetree.org/nvidia-gm20b': '1' });
  assert.equal(object.apiVersion, 'nfd.k8s-sigs.io/v1alpha1');
  assert.equal(object.metadata.name, 'dt-node-labeller-nano');
  assert.equal(object.metadata.namespace, 'kube-system');
  assert.equal(object.metadata.labels?.[NODE_NAME_LABEL], 'nano');
  assert.deepEqual(object.spec, { labels: { 'beta.devicetree.org/nvidia-gm20b': '1' } });
});

test('a long node name still gives a valid, distinct object name', () => {
  const long = `${'a'.repeat(62)}.${'b'.repeat(62)}.${'c'.repeat(62)}.${'d'.repeat(61)}`;
  const name = nodeFeatureName(long);
  assert.ok(name.length <= 253 && isValidDnsSubdomain(name), name);
  assert.notEqual(name, nodeFeatureName(`${long.slice(0, -1)}e`));
});

test('an update replaces only what we own and is undefined when nothing differs', () => {
  const desired = desiredNodeFeature('nano', 'ns', { a: '1' });
  const stored = {
    ...desired,
    metadata: { ...desired.metadata, resourceVersion: '7', labels: { ...desired.metadata.labels, team: 'x' }, annotations: { note: 'kept' } },
    spec: { labels: { a: '1' }, features: { flags: {} } },
  };
  assert.equal(updatedNodeFeature(stored, desired), undefined);
  const changed = updatedNodeFeature({ ...stored, spec: { ...stored.spec, labels: { a: '2', old: '1' } } }, desired);
  assert.deepEqual(changed?.spec, { labels: { a: '1' }, features: { flags: {} } });
  assert.equal(changed?.metadata.resourceVersion, '7', 'the write is guarded by what was read');
  assert.equal(changed?.metadata.labels?.team, 'x');
  assert.deepEqual(changed?.metadata.annotations, { note: 'kept' });
});

const FEATURES = {
  flags: {},
  attributes: { 'devicetree.system': { elements: { model: 'm', gpu: 'true' } } },
  instances: { 'devicetree.node': { elements: [{ attributes: { path: '/', status: '' } }, { attributes: { path: '/gpu', status: 'okay' } }] } },
};

test('features: ours replace spec.features; maps compare whatever their key order, instance lists in order', () => {
  const desired = desiredNodeFeature('nano', 'ns', { a: '1' }, FEATURES);
  assert.deepEqual(desired.spec, { labels: { a: '1' }, features: FEATURES });
  const stored = { ...desired, metadata: { ...desired.metadata, resourceVersion: '3' }, spec: { labels: { a: '1' }, features: structuredClone(FEATURES), other: 'kept' } };
  assert.equal(updatedNodeFeature(stored, desired), undefined);
  // the API server may give map keys back in another order: still the same
  const reordered = { instances: FEATURES.instances, attributes: { 'devicetree.system': { elements: { gpu: 'true', model: 'm' } } }, flags: {} };
  assert.equal(updatedNodeFeature({ ...stored, spec: { ...stored.spec, features: reordered } }, desired), undefined);
  // a changed attribute, someone else's feature, or reordered instances: replaced by ours, other spec fields kept
  const theirs = { ...FEATURES, attributes: { ...FEATURES.attributes, 'other.thing': { elements: { x: '1' } } } };
  const swapped = { ...FEATURES, instances: { 'devicetree.node': { elements: [...FEATURES.instances['devicetree.node'].elements].reverse() } } };
  for (const features of [theirs, swapped, { ...FEATURES, attributes: { 'devicetree.system': { elements: { model: 'm', gpu: 'false' } } } }]) {
    const updated = updatedNodeFeature({ ...stored, spec: { ...stored.spec, features } }, desired);
    assert.deepEqual(updated?.spec, { labels: { a: '1' }, features: FEATURES, other: 'kept' });
    assert.equal(updated?.metadata.resourceVersion, '3');
  }
});
