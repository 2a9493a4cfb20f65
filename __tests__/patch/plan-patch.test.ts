import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ownedLabels, ownership } from '../../src/patch/ownership.ts';
import { type LabelPlan, type ObservedNode, observedNode, planLabelPatch as plan_ } from '../../src/patch/plan-patch.ts';

const P = 'beta.devicetree.org';
/** The annotation every release has used for the default instance: written out, not computed. */
const OWNED_LABELS_ANNOTATION = 'dt-node-labeller.beta.devicetree.org/owned-labels';
const OWNER = ownership({ prefix: P, tegraPrefix: `tegra.${P}`, borrowedKeys: ['nvidia.com/gpu.present'] });
const planLabelPatch = (n: ObservedNode, desired: Record<string, string>, options: { adoptMatching?: boolean } = {}): LabelPlan =>
  plan_(n, desired, { ownership: OWNER, ...options });
const node = (labels: Record<string, string>, owned?: string[], extraAnnotations: Record<string, string> = {}): ObservedNode => ({
  resourceVersion: '42',
  labels,
  annotations: { ...extraAnnotations, ...(owned === undefined ? {} : { [OWNED_LABELS_ANNOTATION]: owned.join(',') }) },
});

test('a fresh node gets every label and the ownership record, guarded by its resourceVersion', () => {
  const plan = planLabelPatch(node({ 'kubernetes.io/arch': 'arm64' }), { [`${P}/nvidia-gm20b`]: '1', [`${P}/arm-cortex-a57`]: '4' });
  assert.deepEqual(plan.patch, {
    metadata: {
      resourceVersion: '42',
      labels: { [`${P}/nvidia-gm20b`]: '1', [`${P}/arm-cortex-a57`]: '4' },
      annotations: { [OWNED_LABELS_ANNOTATION]: `${P}/arm-cortex-a57,${P}/nvidia-gm20b` },
    },
  });
  assert.deepEqual(plan.added, [`${P}/arm-cortex-a57`, `${P}/nvidia-gm20b`]);
  assert.deepEqual([plan.changed, plan.removed, plan.conflicts], [[], [], []]);
});

test('a node that already matches needs no patch', () => {
  const plan = planLabelPatch(node({ [`${P}/a`]: '1', other: 'x' }, [`${P}/a`]), { [`${P}/a`]: '1' });
  assert.equal(plan.patch, undefined);
});

test('drift repair: an owned label that was removed or edited is set again', () => {
  const plan = planLabelPatch(node({ [`${P}/b`]: 'other' }, [`${P}/a`, `${P}/b`]), { [`${P}/a`]: '1', [`${P}/b`]: '2' });
  assert.deepEqual(plan.patch?.metadata.labels, { [`${P}/a`]: '1', [`${P}/b`]: '2' });
  assert.deepEqual(plan.patch?.metadata.annotations, {}, 'the record is already right');
  assert.deepEqual([plan.added, plan.changed], [[`${P}/a`], [`${P}/b`]]);
});

test('stale owned labels are removed in the namespaces the instance writes, never outside them', () => {
  const owned = ['old.example.com/a', `${P}/a`, `${P}/gone`, `tegra.${P}/soc`, 'nvidia.com/gpu.present'];
  const labels = { 'old.example.com/a': '1', [`${P}/a`]: '1', [`${P}/gone`]: '1', [`tegra.${P}/soc`]: 'tegra210', 'nvidia.com/gpu.present': 'true' };
  const plan = planLabelPatch(node(labels, owned), { [`${P}/a`]: '1' });
  assert.deepEqual(plan.patch?.metadata.labels, { [`${P}/gone`]: null, [`tegra.${P}/soc`]: null, 'nvidia.com/gpu.present': null });
  assert.deepEqual(plan.patch?.metadata.annotations, { [OWNED_LABELS_ANNOTATION]: `${P}/a,old.example.com/a` }, 'the key outside stays recorded');
  assert.deepEqual(plan.removed, [`${P}/gone`, 'nvidia.com/gpu.present', `tegra.${P}/soc`]);
  assert.deepEqual(plan.outside, ['old.example.com/a']);
});

test('each instance has its own record: another prefix or --instance never sees ours', () => {
  const other = ownership({ prefix: 'dt.example.com', tegraPrefix: 'tegra.dt.example.com' });
  assert.equal(other.annotation, 'dt-node-labeller.dt.example.com/owned-labels');
  assert.equal(ownership({ prefix: P, tegraPrefix: `tegra.${P}`, instance: 'init' }).annotation, `init.${OWNED_LABELS_ANNOTATION}`);
  const theirs = node({ [`${P}/a`]: '1' }, [`${P}/a`]);
  const plan = plan_(theirs, { 'dt.example.com/a': '1' }, { ownership: other });
  assert.deepEqual(plan.patch?.metadata.labels, { 'dt.example.com/a': '1' }, 'our record is not theirs: nothing of ours is removed');
  assert.deepEqual(plan.patch?.metadata.annotations, { [other.annotation]: 'dt.example.com/a' });
  assert.throws(() => plan_(theirs, { [`${P}/b`]: '1' }, { ownership: other }), /outside the namespaces/);
});

test("someone else's labels are never touched, even under our prefix", () => {
  const labels = { [`${P}/nvidia-gm20b`]: 'set-by-hand', [`${P}/theirs`]: '1', team: 'edge' };
  const plan = planLabelPatch(node(labels, []), { [`${P}/nvidia-gm20b`]: '1', [`${P}/ours`]: '1' });
  assert.deepEqual(plan.patch?.metadata.labels, { [`${P}/ours`]: '1' });
  assert.deepEqual(plan.conflicts, [`${P}/nvidia-gm20b`]);
  assert.equal(plan.patch?.metadata.annotations[OWNED_LABELS_ANNOTATION], `${P}/ours`);
});

test('cleanup: desired {} removes every owned label and the record, nothing else', () => {
  const plan = planLabelPatch(node({ [`${P}/a`]: '1', [`${P}/theirs`]: '1' }, [`${P}/a`], { keep: 'me' }), {});
  assert.deepEqual(plan.patch?.metadata, { resourceVersion: '42', labels: { [`${P}/a`]: null }, annotations: { [OWNED_LABELS_ANNOTATION]: null } });
});

test('an owned label someone already removed is dropped from the record', () => {
  const plan = planLabelPatch(node({}, [`${P}/a`]), {});
  assert.deepEqual(plan.patch?.metadata, { resourceVersion: '42', labels: {}, annotations: { [OWNED_LABELS_ANNOTATION]: null } });
  assert.deepEqual(plan.removed, []);
  assert.equal(planLabelPatch(node({}), {}).patch, undefined, 'nothing owned, nothing wanted: no patch');
});

test('the record parses leniently', () => {
  assert.deepEqual([...ownedLabels(OWNER, { [OWNED_LABELS_ANNOTATION]: 'a,,b,' })], ['a', 'b']);
  assert.deepEqual([...ownedLabels(OWNER, undefined)], []);
});

test('adoptMatching takes over labels already set to the desired value (migration), never differing ones', () => {
  const before = node({ [`${P}/a`]: '1', [`${P}/b`]: 'by-hand' });
  const desired = { [`${P}/a`]: '1', [`${P}/b`]: '1' };
  assert.deepEqual(planLabelPatch(before, desired).conflicts, [`${P}/a`, `${P}/b`], 'off by default');
  const plan = planLabelPatch(before, desired, { adoptMatching: true });
  assert.deepEqual(plan.conflicts, [`${P}/b`]);
  assert.deepEqual(plan.patch?.metadata, { resourceVersion: '42', labels: {}, annotations: { [OWNED_LABELS_ANNOTATION]: `${P}/a` } });
  assert.deepEqual([plan.added, plan.changed, plan.removed], [[], [], []], 'adopting changes no label');
  const borrowed = planLabelPatch(node({ 'nvidia.com/gpu.present': 'true' }), { 'nvidia.com/gpu.present': 'true' }, { adoptMatching: true });
  assert.deepEqual(borrowed.conflicts, ['nvidia.com/gpu.present'], "a key set by NVIDIA's tools or a person is never adopted");
});

test('a held key (fight back-off) stays owned and is not written, whatever its value', () => {
  const plan = plan_(
    node({ [`${P}/a`]: 'theirs', [`${P}/b`]: 'other' }, [`${P}/a`, `${P}/b`]),
    { [`${P}/a`]: '1', [`${P}/b`]: '2' },
    { ownership: OWNER, hold: new Set([`${P}/a`]) },
  );
  assert.deepEqual(plan.patch?.metadata.labels, { [`${P}/b`]: '2' }, 'only the other key is repaired');
  assert.deepEqual(plan.patch?.metadata.annotations, {}, 'still owned: the record stays');
  assert.deepEqual(plan.contested, [`${P}/a`]);
});

test("a released key is dropped from the record and left with the other writer's value, never removed", () => {
  const owned = [`${P}/a`, `${P}/b`];
  const plan = plan_(node({ [`${P}/a`]: 'theirs', [`${P}/b`]: '2' }, owned), { [`${P}/a`]: '1', [`${P}/b`]: '2' }, { ownership: OWNER, release: new Set([`${P}/a`]) });
  assert.deepEqual(plan.patch?.metadata.labels, {}, 'no label written or removed');
  assert.deepEqual(plan.patch?.metadata.annotations, { [OWNED_LABELS_ANNOTATION]: `${P}/b` });
  assert.deepEqual([plan.conflicts, plan.contested], [[], [`${P}/a`]]);
  // Cleanup (nothing desired) afterwards removes only what is still owned.
  const cleanup = planLabelPatch(node({ [`${P}/a`]: 'theirs', [`${P}/b`]: '2' }, [`${P}/b`]), {});
  assert.deepEqual(cleanup.patch?.metadata.labels, { [`${P}/b`]: null });
});

test('the observed maps find only what the Node has: a key named like an Object member finds nothing (issue 17)', () => {
  const node = observedNode({ labels: { a: '1' }, annotations: JSON.parse('{"__proto__": "x"}') as Record<string, string> });
  for (const key of ['constructor', 'toString', 'hasOwnProperty', '__proto__']) assert.equal(node.labels[key], undefined, key);
  assert.equal(node.labels.a, '1');
  // biome-ignore lint/complexity/useLiteralKeys: the point is a key spelled like the accessor
  // biome-ignore lint/suspicious/noProto: the point is a key spelled like the accessor
  assert.equal(node.annotations['__proto__'], 'x', 'an annotation of that name is kept as a key');
  assert.deepEqual(Object.keys(observedNode(undefined).labels), []);
});
