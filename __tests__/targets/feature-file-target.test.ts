// The NFD feature-file target when its folder is wrong (issue 17, defect 5): a configuration error with one
// clear line naming the feature file and its folder (never the random dot file), retried at the refused
// pace, 2 s doubling to 5 min, and logged once per episode; fixing the folder ends it at the next retry.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Controller } from '../../src/controller/controller.ts';
import { DesiredLabels } from '../../src/controller/desired-labels.ts';
import { discover } from '../../src/discover.ts';
import { classify } from '../../src/errors.ts';
import { RetryBackoff } from '../../src/kubernetes/backoff.ts';
import type { Logger } from '../../src/observability/logger.ts';
import { ControllerMetrics } from '../../src/observability/metrics.ts';
import { FeatureFileTarget } from '../../src/targets/feature-file-target.ts';
import { fixture } from '../helpers/corpus.ts';
import { VirtualClock } from '../helpers/virtual-clock.ts';

const dir = mkdtempSync(join(tmpdir(), 'feature-file-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const RULES = { nodeNames: [], prefix: 'beta.devicetree.org', includeDisabled: false, tegra: undefined };
const desired = () => ({ labels: { 'beta.devicetree.org/acme-edge-board': '1' } });

test('a missing folder, or a file where the folder should be: FEATURES_FOLDER, refused, naming the file and the folder', async () => {
  writeFileSync(join(dir, 'a-file'), '');
  for (const folder of [join(dir, 'missing'), join(dir, 'a-file')]) {
    const path = join(folder, 'dt-node-labeller');
    const error = await new FeatureFileTarget(path).reconcile(desired()).then(
      () => assert.fail('no error'),
      (e: unknown) => e,
    );
    assert.deepEqual(classify(error), { code: 'FEATURES_FOLDER', errorClass: 'refused', status: undefined });
    assert.equal((error as Error).message, `cannot write ${path}: the folder ${folder} does not exist (is NFD's features.d mounted there?)`);
  }
});

test('the controller says it once, retries at the refused pace, and writes the file once the folder exists', async () => {
  const clock = new VirtualClock();
  const lines: Array<[string, string]> = [];
  const at = (level: string) => (message: string) => void lines.push([level, message]);
  const logger = { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') } satisfies Logger;
  const metrics = new ControllerMetrics();
  const folder = join(dir, 'features.d');
  const target = new FeatureFileTarget(join(folder, 'dt-node-labeller'));
  let attempts = 0;
  const counting = {
    description: target.description,
    reconcile: (...args: Parameters<FeatureFileTarget['reconcile']>) => {
      attempts++;
      return target.reconcile(...args);
    },
  };
  const controller = new Controller({
    target: counting,
    desired: new DesiredLabels(() => discover({ location: { dtb: fixture('disabled-gpu.dtb') }, ...RULES }), logger, metrics),
    logger,
    metrics,
    sleep: clock.sleep,
    retry: new RetryBackoff(),
    resyncMs: undefined,
    rereadMs: undefined,
  });
  const running = controller.run();
  await clock.advance(10 * 60_000);
  // 2 s doubling to 5 min (each delay in the upper half of its ceiling): at most 10 attempts in ten minutes.
  assert.ok(attempts >= 5 && attempts <= 10, `${attempts} attempts in 10 minutes`);
  const said = lines.filter(([level]) => level === 'error' || level === 'warn');
  assert.equal(said.length, 1, said.map(([, m]) => m).join('\n'));
  assert.match(said[0]![1], /^labelling feature file .*features\.d\/dt-node-labeller refused: cannot write .*: the folder .*features\.d does not exist/);
  assert.ok(!lines.some(([, message]) => /\.tmp/.test(message)), 'no line names the dot file');
  mkdirSync(folder);
  await clock.advance(6 * 60_000);
  assert.match(readFileSync(join(folder, 'dt-node-labeller'), 'utf8'), /^beta\.devicetree\.org\/acme-edge-board=1$/m);
  assert.ok(controller.ready);
  controller.stop();
  await clock.advance(0);
  await running;
});
