// tier: full (the real kube-apiserver, and a writer that flips nvidia.com/gpu.present back as GPU Operator does)
// The fight back-off on a real API server: the labeller (in-process, real client, real watch, real patches)
// sets nvidia.com/gpu.present=true on a Jetson, and an "operator" resets it the way NVIDIA GPU Operator's
// ClusterPolicy controller does: controllers/state_manager.go labelGPUNodes() lists Nodes and, for one with
// nvidia.com/gpu.present=true but none of NFD's PCI 10de labels (gpuNodeLabels), sets it to "false", removes
// the nvidia.com/gpu.deploy.* state labels and writes the whole Node back with client.Update (a PUT carrying
// the resourceVersion it read; a 409 fails that reconcile, and the next one tries again). The Operator runs
// that on every ClusterPolicy reconcile, which Node label changes trigger; here it polls every 100 ms.
//
// Holds of minutes are skipped by moving the guard's clock (NodeLabelsTarget's `now`), then asking for a
// reconcile as SIGHUP would; everything else runs in real time. Expected: the labeller writes "true" four
// times (its first write and three repairs), then gives the key up: not listed in its ownership annotation,
// never written again, one LabelsContested Event, dt_node_labeller_contested_labels 1, its other labels kept.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Controller } from '../../src/controller/controller.ts';
import { DesiredLabels } from '../../src/controller/desired-labels.ts';
import { discover } from '../../src/discover.ts';
import { RetryBackoff, realSleep } from '../../src/kubernetes/backoff.ts';
import { kubernetesClient } from '../../src/kubernetes/cluster-client.ts';
import { loadKubeConfig } from '../../src/kubernetes/kube-config.ts';
import type { Logger } from '../../src/observability/logger.ts';
import { ControllerMetrics } from '../../src/observability/metrics.ts';
import { ownership } from '../../src/patch/ownership.ts';
import { NodeLabelsTarget } from '../../src/targets/node-labels-target.ts';
import { fixture } from '../helpers/corpus.ts';
import { envtestSkip } from '../helpers/envtest/assets.ts';
import { ControlPlane, type KubeObject } from '../helpers/envtest/control-plane.ts';
import { eventually } from '../helpers/eventually.ts';
import { JETSON_NANO_LABELS } from '../helpers/expected-labels.ts';

const P = 'beta.devicetree.org';
const PRESENT = 'nvidia.com/gpu.present';
const OWNED = `dt-node-labeller.${P}/owned-labels`;
/** gpu-operator state_manager.go gpuNodeLabels: any one of these with value "true" marks a node with an NVIDIA GPU. */
const NFD_NVIDIA_PCI = ['feature.node.kubernetes.io/pci-10de.present', 'feature.node.kubernetes.io/pci-0302_10de.present', 'feature.node.kubernetes.io/pci-0300_10de.present'];

/** The Operator's labelGPUNodes() for one Node, in a loop; counts the "true" values it reset. */
class OperatorStandIn {
  resets = 0;
  #stopped = false;
  readonly #done: Promise<void>;

  constructor(plane: ControlPlane, nodeName: string) {
    this.#done = (async () => {
      while (!this.#stopped) {
        const node = await plane.ok<KubeObject>('GET', `/api/v1/nodes/${nodeName}`);
        const labels = node.metadata.labels ?? {};
        if (labels[PRESENT] === 'true' && !NFD_NVIDIA_PCI.some((key) => labels[key] === 'true')) {
          labels[PRESENT] = 'false';
          for (const key of Object.keys(labels)) if (key.startsWith('nvidia.com/gpu.deploy.')) delete labels[key];
          node.metadata.labels = labels;
          const answer = await plane.call('PUT', `/api/v1/nodes/${nodeName}`, node);
          if (answer.status === 200) this.resets++;
          else assert.equal(answer.status, 409, `the Operator's Update: ${JSON.stringify(answer.body)}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#done;
  }
}

const quiet = { error() {}, warn() {}, info() {}, debug() {} } satisfies Logger;

describe('a key GPU Operator keeps resetting, on a real API server', { skip: envtestSkip() }, () => {
  let plane: ControlPlane;
  let dir = '';

  before(async () => {
    plane = await ControlPlane.start();
    dir = mkdtempSync(join(tmpdir(), 'contested-'));
  });
  after(async () => {
    await plane?.stop();
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  test('four writes of "true" within the back-off, then the key is given up, said once, and left alone', async () => {
    await plane.createNode('nano');
    let skew = 0;
    const metrics = new ControllerMetrics();
    const rules = { nodeNames: [], prefix: P, includeDisabled: false, tegra: { prefix: `tegra.${P}`, gpuPresent: true } };
    const controller = new Controller({
      target: new NodeLabelsTarget({
        nodeName: 'nano',
        client: kubernetesClient(loadKubeConfig({ kubeconfig: plane.kubeconfig(dir) })),
        ownership: ownership({ prefix: P, tegraPrefix: `tegra.${P}`, borrowedKeys: [PRESENT] }),
        logger: quiet,
        metrics,
        sleep: realSleep,
        now: () => Date.now() + skew,
        watchTimeoutSeconds: 60,
        events: true,
      }),
      desired: new DesiredLabels(() => discover({ location: { dtb: fixture('jetson-nano-l4t.dtb') }, ...rules }), quiet, metrics),
      logger: quiet,
      metrics,
      sleep: realSleep,
      retry: new RetryBackoff(),
      resyncMs: undefined,
      rereadMs: undefined,
    });
    const running = controller.run();
    const operator = new OperatorStandIn(plane, 'nano');
    try {
      // The first write and two repairs at once; then the key is held.
      await eventually(
        () => operator.resets >= 3,
        () => `3 resets (now ${operator.resets})`,
        15_000,
        50,
      );
      assert.equal(operator.resets, 3);
      await new Promise((resolve) => setTimeout(resolve, 2000));
      assert.equal(operator.resets, 3, 'held: not repaired while the 1-minute hold lasts');
      assert.equal((await plane.labels('nano'))[PRESENT], 'false');

      // The hold ends: one more repair, reset at once; then an 8-minute hold.
      skew += 61_000;
      controller.requestReconcile({ readTarget: true });
      await eventually(
        () => operator.resets >= 4,
        () => `4 resets (now ${operator.resets})`,
        10_000,
        50,
      );
      assert.equal(operator.resets, 4);
      await new Promise((resolve) => setTimeout(resolve, 2000));
      assert.equal(operator.resets, 4, 'held: not repaired while the 8-minute hold lasts');

      // That hold ends: the key is given up, not repaired.
      skew += 8 * 60_000 + 1000;
      controller.requestReconcile({ readTarget: true });
      await eventually(async () => !(await plane.annotations('nano'))[OWNED]?.split(',').includes(PRESENT), `${PRESENT} no longer listed in ${OWNED}`, 10_000, 50);
      controller.requestReconcile({ readTarget: true });
      await new Promise((resolve) => setTimeout(resolve, 3000));
      assert.equal(operator.resets, 4, 'never written again');

      const labels = await plane.labels('nano');
      assert.equal(labels[PRESENT], 'false', "the Operator's value stays");
      for (const [key, value] of Object.entries(JETSON_NANO_LABELS)) assert.equal(labels[key], value, `${key} kept`);
      const owned = (await plane.annotations('nano'))[OWNED]?.split(',') ?? [];
      assert.deepEqual(new Set(owned), new Set(Object.keys(JETSON_NANO_LABELS)));

      const contested = (await plane.events('default')).filter((event) => (event as { reason?: string }).reason === 'LabelsContested');
      assert.equal(contested.length, 1, 'one Event');
      assert.match(String((contested[0] as { message?: string }).message), /nvidia\.com\/gpu\.present/);
      assert.equal((await metrics.contestedLabels.get()).values[0]?.value, 1);
    } finally {
      await operator.stop();
      controller.stop();
      await running;
    }
  });
});
