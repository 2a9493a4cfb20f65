import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseBlob } from '../../src/devicetree/parse-blob.ts';
import { nameMatches, selectNodes } from '../../src/selection/select-nodes.ts';
import { buildBlob } from '../helpers/fdt-builder.ts';

test('a name matches exactly, or followed by digits and a unit address', () => {
  for (const name of ['cpu', 'cpu@0', 'cpu@', 'cpu1@100', 'cpu12@x,y']) assert.ok(nameMatches(name, 'cpu'), name);
  for (const name of ['cpus', 'cpu-map', 'cpu1', 'acpu@0', 'cpux@0', 'cp', 'CPU@0', '']) assert.ok(!nameMatches(name, 'cpu'), name);
  assert.ok(nameMatches('pwm-fan', 'pwm-fan'));
  assert.ok(nameMatches('pwm-fan@0', 'pwm-fan'));
  assert.ok(!nameMatches('pwm-fans', 'pwm-fan'));
  assert.ok(!nameMatches('@0', ''), 'an empty wanted name matches nothing but the empty name');
});

const tree = parseBlob(
  buildBlob({
    name: '',
    props: { compatible: 'acme,board' },
    children: [
      {
        name: 'cpus',
        children: [
          { name: 'cpu@0', props: { compatible: 'arm,cortex-a53' } },
          { name: 'cpu@1', props: { compatible: 'arm,cortex-a53', status: 'okay' } },
          { name: 'cpu@2', props: { compatible: 'arm,cortex-a53', status: 'ok' } },
          { name: 'cpu@3', props: { compatible: 'arm,cortex-a53', status: 'fail' } },
          { name: 'cpu-map', children: [{ name: 'cluster0', children: [{ name: 'core0' }] }] },
        ],
      },
      { name: 'soc', children: [{ name: 'gpu@1000', props: { status: 'disabled' } }, { name: 'pwm-fan' }] },
    ],
  }),
).root;
const paths = (nodes: { path: string }[]) => nodes.map((n) => n.path);

test('the root and matching enabled nodes anywhere, in tree order', () => {
  const { selected, disabled } = selectNodes(tree, { names: ['cpu', 'gpu'], includeDisabled: false });
  assert.deepEqual(paths(selected), ['/', '/cpus/cpu@0', '/cpus/cpu@1', '/cpus/cpu@2']);
  assert.deepEqual(paths(disabled), ['/cpus/cpu@3', '/soc/gpu@1000']);
});

test('--include-disabled keeps them, extra names add nodes, duplicates select once', () => {
  const { selected, disabled } = selectNodes(tree, { names: ['cpu', 'gpu', 'pwm-fan', 'gpu', 'cpu'], includeDisabled: true });
  assert.deepEqual(paths(selected), ['/', '/cpus/cpu@0', '/cpus/cpu@1', '/cpus/cpu@2', '/cpus/cpu@3', '/soc/gpu@1000', '/soc/pwm-fan']);
  assert.deepEqual(disabled, []);
});

test('a disabled root is skipped like any other node', () => {
  const root = parseBlob(buildBlob({ name: '', props: { compatible: 'a,b', status: 'disabled' } })).root;
  assert.deepEqual(paths(selectNodes(root, { names: [], includeDisabled: false }).disabled), ['/']);
});
