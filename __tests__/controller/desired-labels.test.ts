import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DesiredLabels } from '../../src/controller/desired-labels.ts';
import { type Discovery, discover } from '../../src/discover.ts';
import type { Logger } from '../../src/observability/logger.ts';
import { ControllerMetrics } from '../../src/observability/metrics.ts';
import { fixture } from '../helpers/corpus.ts';

const quiet = { error() {}, warn() {}, info() {}, debug() {} } satisfies Logger;
const RULES = { nodeNames: [], prefix: 'beta.devicetree.org', includeDisabled: false, tegra: undefined };

test('a read whose features changed but whose labels did not still asks for a reconcile (NodeFeature mode)', () => {
  const base = discover({ location: { dtb: fixture('disabled-gpu.dtb') }, ...RULES, features: true });
  const changed: Discovery = {
    ...base,
    features: { leftOut: [], features: { ...base.features!.features, attributes: { 'devicetree.system': { elements: { gpu: 'true' } } } } },
  };
  const reads = [base, base, changed];
  const desired = new DesiredLabels(() => reads.shift()!, quiet, new ControllerMetrics());
  assert.equal(desired.read(), true, 'the first read');
  assert.deepEqual(desired.current?.features, base.features?.features);
  assert.equal(desired.read(), false, 'the same again');
  assert.equal(desired.read(), true, 'only the features differ');
  assert.deepEqual(desired.current?.labels, base.labels);
  assert.deepEqual(desired.current?.features?.attributes, { 'devicetree.system': { elements: { gpu: 'true' } } });
});

test('without features asked for, the desired state carries none', () => {
  const desired = new DesiredLabels(() => discover({ location: { dtb: fixture('disabled-gpu.dtb') }, ...RULES }), quiet, new ControllerMetrics());
  desired.read();
  assert.equal(desired.current?.features, undefined);
});
