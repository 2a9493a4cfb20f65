// The devicetree as NFD features (src/nfd/devicetree-features.ts), on the committed fixtures. Expected values
// are written out by hand from each fixture's source as `dtc -I dtb -O dts` prints it (see
// ../fixtures/README.md); the real L4T blobs are in devicetree-features-l4t.test.ts.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parseBlob } from '../../src/devicetree/parse-blob.ts';
import { DtNode, DtProperty } from '../../src/devicetree/tree.ts';
import { discover } from '../../src/discover.ts';
import { devicetreeFeatures, MAX_NODE_INSTANCE_BYTES, MAX_NODE_INSTANCES, MAX_VALUE_BYTES } from '../../src/nfd/devicetree-features.ts';
import { fixture } from '../helpers/corpus.ts';

const RULES = { nodeNames: [], prefix: 'beta.devicetree.org', includeDisabled: false, tegra: { prefix: 'tegra.beta.devicetree.org', gpuPresent: false } };
const features = (name: string) => {
  const found = discover({ location: { dtb: fixture(name) }, ...RULES, features: true }).features;
  assert.ok(found, 'asked for, so computed');
  return found;
};
const node = (name: string, path: string, compatibles: string[], status: string, enabled: boolean) => ({
  attributes: { name, path, compatible: compatibles[0]!, compatibles: compatibles.join(';'), status, enabled: String(enabled) },
});

test('disabled-gpu (ZynqMP): every node with a compatible, in tree order, its status as written and what it means', () => {
  const { features: f, leftOut } = features('disabled-gpu.dtb');
  assert.deepEqual(leftOut, []);
  assert.deepEqual(f.instances, {
    'devicetree.node': {
      elements: [
        node('', '/', ['acme,edge-board', 'xlnx,zynqmp'], '', true),
        node('cpu@0', '/cpus/cpu@0', ['arm,cortex-a53'], 'okay', true),
        node('cpu@1', '/cpus/cpu@1', ['arm,cortex-a53'], 'fail', false),
        node('cpu@2', '/cpus/cpu@2', ['arm,cortex-a53'], 'ok', true), // the legacy spelling is enabled
        node('cpu@3', '/cpus/cpu@3', ['arm,cortex-a53'], '', true), // no status: enabled
        node('psci', '/psci', ['arm,psci-0.2'], '', true),
        node('axi', '/axi', ['simple-bus'], '', true),
        node('interrupt-controller@f9010000', '/axi/interrupt-controller@f9010000', ['arm,gic-400'], '', true),
        node('gpu@fd4b0000', '/axi/gpu@fd4b0000', ['arm,mali-400'], 'disabled', false),
        node('serial@ff000000', '/axi/serial@ff000000', ['cdns,uart-r1p12', 'xlnx,xuartps'], 'okay', true),
        node('serial@ff010000', '/axi/serial@ff010000', ['cdns,uart-r1p12', 'xlnx,xuartps'], 'disabled', false),
        node('ethernet@ff0e0000', '/axi/ethernet@ff0e0000', ['xlnx,zynqmp-gem', 'cdns,gem'], '', true),
      ],
    },
  });
  // Its only GPU node is disabled, so: no GPU. Not a Tegra: no tegra.system.
  assert.deepEqual(f.attributes, {
    'devicetree.system': { elements: { model: 'ACME Edge Board rev B', compatible: 'acme,edge-board', compatibles: 'acme,edge-board;xlnx,zynqmp', gpu: 'false' } },
  });
  assert.deepEqual(f.flags, {});
});

test('Raspberry Pi 4: /gpu (brcm,bcm2711-vc5, okay) is a GPU; /memory has no compatible and is no instance', () => {
  const { features: f } = features('raspberry-pi-4.dtb');
  assert.deepEqual(f.attributes?.['devicetree.system']?.elements, {
    model: 'Raspberry Pi 4 Model B Rev 1.4',
    compatible: 'raspberrypi,4-model-b',
    compatibles: 'raspberrypi,4-model-b;brcm,bcm2711',
    gpu: 'true',
  });
  assert.equal(f.attributes?.['tegra.system'], undefined);
  const paths = f.instances?.['devicetree.node']?.elements.map((i) => i.attributes.path);
  // root, 4 cpus, soc and its 4 children, /gpu
  assert.deepEqual(paths, [
    '/',
    '/cpus/cpu@0',
    '/cpus/cpu@1',
    '/cpus/cpu@2',
    '/cpus/cpu@3',
    '/soc',
    '/soc/serial@7e201000',
    '/soc/serial@7e215040',
    '/soc/v3d@7ec04000',
    '/soc/interrupt-controller@40041000',
    '/gpu',
  ]);
});

test('Jetson Nano (L4T fixture): the Jetson facts as tegra.system, their prefix stripped, beside the GPU', () => {
  const { features: f } = features('jetson-nano-l4t.dtb');
  const tegra = f.attributes?.['tegra.system']?.elements ?? {};
  assert.equal(tegra.soc, 'tegra210');
  assert.equal(tegra['gpu.family'], 'maxwell');
  assert.equal(tegra['gpu.compute.major'], '5');
  assert.equal(tegra.module, 'p3448-0000');
  assert.equal(f.attributes?.['devicetree.system']?.elements.gpu, 'true');
  // exactly the labels under the tegra prefix, nothing else (the compatible-derived keys are spec.labels')
  const labels = discover({ location: { dtb: fixture('jetson-nano-l4t.dtb') }, ...RULES }).labels;
  const facts = Object.fromEntries(
    Object.entries(labels)
      .filter(([k]) => k.startsWith('tegra.beta.devicetree.org/'))
      .map(([k, v]) => [k.slice('tegra.beta.devicetree.org/'.length), v]),
  );
  assert.deepEqual(tegra, facts);
});

test('Thor (fixture): no GPU node, but the SoC table gives its GPU, so gpu is true', () => {
  const { features: f } = features('jetson-agx-thor.dtb');
  assert.equal(f.attributes?.['tegra.system']?.elements.soc, 'tegra264');
  assert.equal(f.attributes?.['devicetree.system']?.elements.gpu, 'true');
  assert.deepEqual(
    f.instances?.['devicetree.node']?.elements.map((i) => i.attributes.path),
    ['/'],
  );
});

test('without Jetson facts (--no-tegra-facts) there is no tegra.system; features only when asked for', () => {
  const without = discover({ location: { dtb: fixture('jetson-nano-l4t.dtb') }, ...RULES, tegra: undefined, features: true }).features!;
  assert.equal(without.features.attributes?.['tegra.system'], undefined);
  assert.equal(discover({ location: { dtb: fixture('jetson-nano-l4t.dtb') }, ...RULES }).features, undefined);
});

/** A root with `count` children, each with a compatible of `length` characters. */
function wideTree(count: number, length = 10): DtNode {
  const root = new DtNode('');
  root.properties.push(new DtProperty('compatible', Buffer.from('acme,board\0')));
  for (let i = 0; i < count; i++) {
    const child = new DtNode(`dev@${i.toString(16)}`, root);
    child.properties.push(new DtProperty('compatible', Buffer.from(`${'x'.repeat(length)}\0`)));
    root.children.push(child);
  }
  return root;
}
const nodesOf = (root: DtNode) => devicetreeFeatures({ root, labels: {}, tegraPrefix: undefined, gpuCompatibles: new Set() });

test(`caps: at most ${MAX_NODE_INSTANCES} instances, the first in tree order; the rest are named as left out`, () => {
  const { features: f, leftOut } = nodesOf(wideTree(MAX_NODE_INSTANCES + 10));
  const kept = f.instances?.['devicetree.node']?.elements ?? [];
  assert.equal(kept.length, MAX_NODE_INSTANCES);
  assert.equal(kept.at(-1)?.attributes.path, `/dev@${(MAX_NODE_INSTANCES - 2).toString(16)}`, 'the root, then the first children');
  assert.equal(leftOut.length, 11);
  assert.match(leftOut[0]!, /^\/dev@3ff: more than 1024 nodes/);
});

test(`caps: at most ${MAX_NODE_INSTANCE_BYTES / 1024} KiB of instances; one value over ${MAX_VALUE_BYTES} bytes leaves its node out`, () => {
  const { features: f, leftOut } = nodesOf(wideTree(200, 2000));
  const kept = f.instances?.['devicetree.node']?.elements ?? [];
  const bytes = Buffer.byteLength(JSON.stringify(kept));
  assert.ok(bytes <= MAX_NODE_INSTANCE_BYTES && bytes > MAX_NODE_INSTANCE_BYTES - 5000, `${bytes} bytes`);
  assert.equal(kept.length + leftOut.length, 201);

  const long = nodesOf(wideTree(2, MAX_VALUE_BYTES + 1));
  assert.deepEqual(
    long.features.instances?.['devicetree.node']?.elements.map((i) => i.attributes.path),
    ['/'],
  );
  assert.deepEqual(long.leftOut, ['/dev@0: an attribute longer than 4096 bytes', '/dev@1: an attribute longer than 4096 bytes']);
});

test('a parse of the same blob gives an equal object (stable across re-reads)', () => {
  const blob = readFileSync(fixture('disabled-gpu.dtb'));
  const once = devicetreeFeatures({ root: parseBlob(blob).root, labels: {}, tegraPrefix: undefined, gpuCompatibles: new Set() });
  const again = devicetreeFeatures({ root: parseBlob(blob).root, labels: {}, tegraPrefix: undefined, gpuCompatibles: new Set() });
  assert.deepEqual(once, again);
});
