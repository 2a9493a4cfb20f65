import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadTree } from '../../src/devicetree/load-tree.ts';
import { parseBlob } from '../../src/devicetree/parse-blob.ts';
import { computeLabels, DEFAULT_PREFIX } from '../../src/labels/compute-labels.ts';
import { DEFAULT_NODE_NAMES, selectNodes } from '../../src/selection/select-nodes.ts';
import { fixture } from '../helpers/corpus.ts';
import { JETSON_NANO_COMPATIBLE_LABELS } from '../helpers/expected-labels.ts';
import { buildBlob } from '../helpers/fdt-builder.ts';

function labelsOf(dtb: string, extra: string[] = [], prefix = DEFAULT_PREFIX) {
  const { root } = loadTree({ dtb: fixture(dtb) });
  return computeLabels(selectNodes(root, { names: [...DEFAULT_NODE_NAMES, ...extra], includeDisabled: false }).selected, prefix);
}

test('headline: an L4T Jetson Nano with -n gpu pwm-fan', () => {
  const { labels, skipped } = labelsOf('jetson-nano-l4t.dtb', ['gpu', 'pwm-fan']);
  assert.deepEqual(labels, { ...JETSON_NANO_COMPATIBLE_LABELS, 'beta.devicetree.org/pwm-fan': '1' });
  assert.deepEqual(skipped, []);
  assert.deepEqual(Object.keys(labels), Object.keys(labels).sort(), 'keys come sorted');
});

test('each label names the nodes it counts', () => {
  const { sources } = labelsOf('jetson-nano-l4t.dtb', ['pwm-fan']);
  assert.deepEqual(sources['beta.devicetree.org/arm-armv8'], ['/cpus/cpu@0', '/cpus/cpu@1', '/cpus/cpu@2', '/cpus/cpu@3']);
  assert.deepEqual(sources['beta.devicetree.org/nvidia-gm20b'], ['/gpu']);
  assert.deepEqual(sources['beta.devicetree.org/pwm-fan'], ['/pwm-fan']);
  assert.deepEqual(sources['beta.devicetree.org/nvidia-jetson-nano'], ['/']);
  assert.equal(labelsOf('raspberry-pi-4.dtb').labels['beta.devicetree.org/brcm-bcm2711-vc5'], '1');
});

test('values count the selected nodes carrying a compatible; disabled nodes do not count', () => {
  const { labels } = labelsOf('disabled-gpu.dtb');
  assert.equal(labels['beta.devicetree.org/arm-cortex-a53'], '3');
  assert.equal(labels['beta.devicetree.org/xilinx-zynqmp'], '1', 'xlnx is renamed xilinx');
  assert.equal(labels['beta.devicetree.org/arm-mali-400'], undefined);
});

test('every key from awkward compatibles is a valid Kubernetes label key', () => {
  const { labels } = labelsOf('odd-compatibles.dtb');
  // apimachinery's IsQualifiedName, restated here (not the code that filtered them): a DNS-subdomain prefix,
  // "/", and a name of at most 63 characters of [A-Za-z0-9_.-] that starts and ends alphanumeric.
  for (const key of Object.keys(labels)) {
    const [prefix, name, extra] = key.split('/');
    assert.equal(prefix, 'beta.devicetree.org', key);
    assert.equal(extra, undefined, key);
    assert.ok(name !== undefined && name.length <= 63 && /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/.test(name), key);
  }
  for (const key of ['qcom-msm8916-mtp-1', 'solidrun-cubox-i-dl', 'jedec-spi-nor', 'fsl-qoriq-rcpm-2.1', 'acme-a-b-c']) {
    assert.ok(`beta.devicetree.org/${key}` in labels, key);
  }
  const longKeys = Object.keys(labels).filter((k) => k.startsWith('beta.devicetree.org/acme-long-compatible'));
  assert.equal(longKeys.length, 2, 'two long compatibles sharing a prefix stay distinct');
});

test('a node counts once per key even when two of its compatibles map to one name; empty strings are ignored', () => {
  const root = parseBlob(
    buildBlob({ name: '', props: { compatible: ['acme,x/1', 'acme,x-1', '', 'acme,x/1'] }, children: [{ name: 'cpu@0', props: { compatible: 'acme,x-1' } }] }),
  ).root;
  const { labels, skipped } = computeLabels(selectNodes(root, { names: ['cpu'], includeDisabled: false }).selected);
  assert.deepEqual(labels, { 'beta.devicetree.org/acme-x-1': '2' });
  assert.deepEqual(skipped, []);
});

test('compatibles that leave nothing usable are reported, not emitted', () => {
  const root = parseBlob(buildBlob({ name: '', props: { compatible: ['///', 'ok,fine'] } })).root;
  const { labels, skipped } = computeLabels([root]);
  assert.deepEqual(labels, { 'beta.devicetree.org/ok-fine': '1' });
  assert.deepEqual(skipped, [{ node: '/', compatible: '///', reason: 'no valid label name can be made from it' }]);
});

test('a custom prefix; an invalid one is refused', () => {
  assert.ok('devicetree.example.com/pwm-fan' in labelsOf('jetson-nano-l4t.dtb', ['pwm-fan'], 'devicetree.example.com').labels);
  assert.throws(() => labelsOf('jetson-nano-l4t.dtb', [], 'Not_A_Domain'), /DNS subdomain/);
});
