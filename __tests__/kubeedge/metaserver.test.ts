// tier: full (the built CLI against the real kube-apiserver)
// A KubeEdge edge node: the built CLI's `run` talks to edgecore's MetaServer over plain HTTP on loopback,
// with no credentials (the default, without the requireAuthorization feature gate), as the chart's KubeEdge
// mode runs it (`--api-server http://127.0.0.1:10550`, no kubeconfig, not in a pod). The MetaServer is a
// proxy with edgecore's rules (envtest/metaserver-proxy.ts cites each from the KubeEdge sources: no BOOKMARKs,
// resourceVersion ignored on watch, stale reads from the edge's store and writes failing at once while the
// edge is disconnected) in front of the real kube-apiserver, which plays the cloud.
import assert from 'node:assert/strict';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { fixture } from '../helpers/corpus.ts';
import { envtestSkip } from '../helpers/envtest/assets.ts';
import { ControlPlane } from '../helpers/envtest/control-plane.ts';
import { MetaServerProxy } from '../helpers/envtest/metaserver-proxy.ts';
import { eventually } from '../helpers/eventually.ts';
import { JETSON_NANO_LABELS } from '../helpers/expected-labels.ts';
import { LabellerProcess } from '../helpers/labeller-process.ts';
import { scratchDirs } from '../helpers/scratch-dirs.ts';

const P = 'beta.devicetree.org';
const NODE = 'xavier-nx-edge';

describe('run on a KubeEdge edge node, through the MetaServer, with the real API server as the cloud', { skip: envtestSkip() }, () => {
  let plane: ControlPlane;
  let meta: MetaServerProxy;
  let dir = '';
  const processes: LabellerProcess[] = [];
  const scratch = scratchDirs('metaserver-');

  before(async () => {
    plane = await ControlPlane.start();
    meta = await MetaServerProxy.start(plane);
    dir = scratch();
  });
  after(async () => {
    await meta?.stop();
    await plane?.stop();
  });
  afterEach(async () => {
    for (const labeller of processes.splice(0)) await labeller.kill();
    meta.reconnect();
    await plane.deleteAllNodes();
  });

  /** As the chart's KubeEdge mode starts it: the MetaServer's plain-HTTP URL, no kubeconfig, no pod credentials. */
  function startEdge(extra: string[] = []): LabellerProcess {
    const dtb = join(dir, 'edge.dtb');
    copyFileSync(fixture('jetson-nano-l4t.dtb'), dtb);
    const labeller = LabellerProcess.start(
      ['run', '--dtb', dtb, '--node-name', NODE, '--api-server', meta.url, '--metrics-address', '127.0.0.1:0', '--log-level', 'debug', ...extra],
      { KUBECONFIG: join(dir, 'no-kubeconfig'), HOME: dir, KUBERNETES_SERVICE_HOST: '' },
    );
    processes.push(labeller);
    return labeller;
  }

  const labelled = async () => {
    const labels = await plane.labels(NODE);
    return Object.entries(JETSON_NANO_LABELS).every(([k, v]) => labels[k] === v);
  };

  test('labels its node with no credentials over plain HTTP, records its Event, and sends the MetaServer nothing it cannot serve', async () => {
    await plane.createNode(NODE, { labels: { 'node-role.kubernetes.io/edge': '' } });
    meta.records.length = 0;
    const labeller = startEdge();
    await eventually(labelled, 'the labels, through the MetaServer', 8000, 50);
    await eventually(async () => (await labeller.http('/readyz')).status === 200, 'ready');
    const events = (await plane.events('default')).filter((e) => e.reason === 'LabelsUpdated');
    assert.equal(events.length, 1, 'the Event, forwarded to the cloud');
    assert.ok(
      meta.records.every((r) => !r.token),
      'no credentials over plain HTTP',
    );
    assert.deepEqual(
      meta.records.filter((r) => r.status >= 500).map((r) => `${r.method} ${r.path} ${r.status}`),
      [],
      'no request the MetaServer cannot serve',
    );
    assert.equal(labeller.logsMatching(/ refused| failed/).length, 0, labeller.transcript());
  });

  test('repairs drift the cloud side makes (events pushed to the edge, no BOOKMARKs, no resourceVersion resume)', async () => {
    await plane.createNode(NODE);
    startEdge();
    await eventually(labelled, 'the labels', 8000, 50);
    await plane.updateNode(NODE, (node) => void delete node.metadata.labels![`${P}/nvidia-gm20b`]);
    await eventually(labelled, 'the removed label back', 8000, 50);
  });

  test('a disconnected edge keeps its labels and fails its writes at once; it converges soon after reconnecting', async () => {
    // The back-off between failed writes is proven in virtual time (controller tests); here, what the edge does.
    await plane.createNode(NODE);
    const labeller = startEdge();
    await eventually(labelled, 'the labels', 8000, 50);
    meta.disconnect();
    // The cloud side changes while the edge is cut off; the edge sees nothing, and writes fail.
    await plane.updateNode(NODE, (node) => void delete node.metadata.labels![`${P}/nvidia-tegra210`]);
    meta.records.length = 0;
    copyFileSync(fixture('raspberry-pi-4.dtb'), join(dir, 'edge.dtb'));
    labeller.child.kill('SIGHUP');
    await eventually(() => meta.records.filter((r) => r.method === 'PATCH').length >= 2, 'two write attempts while disconnected', 15_000, 20);
    const failed = meta.records.filter((r) => r.method === 'PATCH');
    assert.ok(
      failed.every((r) => r.status === 500),
      'each failed at once',
    );
    assert.equal((await plane.labels(NODE))[`${P}/nvidia-gm20b`], '1', 'nothing removed while the edge could not write');
    const reconnected = Date.now();
    meta.reconnect();
    await eventually(
      async () => {
        const labels = await plane.labels(NODE);
        return labels[`${P}/raspberrypi-4-model-b`] === '1' && labels[`${P}/nvidia-gm20b`] === undefined;
      },
      'converged after reconnecting',
      10_000,
      50,
    );
    assert.ok(Date.now() - reconnected < 10_000);
    assert.ok(((await labeller.metric('dt_node_labeller_api_errors_total{code="500"}')) ?? 0) >= 2, 'the failed writes are counted as 500s');
  });

  test('plain HTTP to an address that is not loopback is one error line at start, not an endless retry', async () => {
    const labeller = LabellerProcess.start(
      ['run', '--dtb', fixture('jetson-nano-l4t.dtb'), '--node-name', NODE, '--api-server', 'http://10.0.0.1:10550', '--metrics-address', '127.0.0.1:0'],
      {
        KUBECONFIG: join(dir, 'none'),
        HOME: dir,
        KUBERNETES_SERVICE_HOST: '',
      },
    );
    processes.push(labeller);
    const exit = await labeller.exited;
    assert.equal(exit.code, 1);
    assert.equal(labeller.otherOutput.filter((line) => line !== '').length, 1, labeller.transcript());
    assert.match(labeller.otherOutput[0]!, /^error: http:\/\/10\.0\.0\.1:10550: plain HTTP is refused except to a loopback address/);
  });
});
