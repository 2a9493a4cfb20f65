// A KubeEdge edge node: the built CLI's `run` talks to edgecore's MetaServer over plain HTTP on loopback,
// with no credentials (the default, without the requireAuthorization feature gate), as the chart's KubeEdge
// mode runs it (`--api-server http://127.0.0.1:10550`, no kubeconfig, not in a pod). The fake API server's
// MetaServer mode plays edgecore in front of the cloud, with the rules fake-api/metaserver.ts cites from
// the KubeEdge sources: no BOOKMARKs, resourceVersion ignored on watch, stale reads from the edge's store
// and writes failing at once (500) while the edge is disconnected.
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { fixture } from '../helpers/corpus.ts';
import { eventually } from '../helpers/eventually.ts';
import { JETSON_NANO_LABELS } from '../helpers/expected-labels.ts';
import { FakeApiServer } from '../helpers/fake-api-server.ts';
import type { MetaServer } from '../helpers/fake-api/metaserver.ts';
import { LabellerProcess } from '../helpers/labeller-process.ts';

const P = 'beta.devicetree.org';
const NODE = 'xavier-nx-edge';

describe('run on a KubeEdge edge node, through the MetaServer', () => {
  const server = new FakeApiServer();
  let meta: MetaServer;
  let dir = '';
  const processes: LabellerProcess[] = [];

  before(async () => {
    await server.start();
    meta = server.metaServerMode();
    dir = mkdtempSync(join(tmpdir(), 'metaserver-'));
  });
  after(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  afterEach(async () => {
    for (const labeller of processes.splice(0)) await labeller.kill();
    meta.reconnect();
    for (const node of server.store.list('nodes')) server.deleteNode(node.metadata.name);
  });

  /** As the chart's KubeEdge mode starts it: the MetaServer's plain-HTTP URL, no kubeconfig, no pod credentials. */
  function startEdge(extra: string[] = []): LabellerProcess {
    const dtb = join(dir, 'edge.dtb');
    copyFileSync(fixture('jetson-nano-l4t.dtb'), dtb);
    const labeller = LabellerProcess.start(
      ['run', '--dtb', dtb, '--node-name', NODE, '--api-server', server.url, '--metrics-address', '127.0.0.1:0', '--log-level', 'debug', ...extra],
      { KUBECONFIG: join(dir, 'no-kubeconfig'), HOME: dir, KUBERNETES_SERVICE_HOST: '' },
    );
    processes.push(labeller);
    return labeller;
  }

  const labels = () => server.getNode(NODE)?.metadata.labels ?? {};
  const labelled = () => Object.entries(JETSON_NANO_LABELS).every(([k, v]) => labels()[k] === v);

  test('labels its node with no credentials over plain HTTP, records its Event, and sends the MetaServer nothing it cannot serve', async () => {
    server.addNode(NODE, { labels: { 'node-role.kubernetes.io/edge': '' } });
    server.resetStats();
    const labeller = startEdge();
    await eventually(labelled, 'the labels, through the MetaServer', 5000);
    await eventually(async () => (await labeller.http('/readyz')).status === 200, 'ready');
    assert.equal(server.events('default').filter((e) => e.reason === 'LabelsUpdated').length, 1, 'the Event, forwarded to the cloud');
    assert.ok(server.requests.every((r) => r.token === ''), 'no credentials over plain HTTP');
    assert.ok(server.requests.every((r) => r.status < 500), `no request the MetaServer cannot serve: ${server.requests.filter((r) => r.status >= 500).map((r) => r.path).join(', ')}`);
    assert.equal(labeller.logsMatching(/ refused| failed/).length, 0, labeller.transcript());
  });

  test('repairs drift the cloud side makes (events pushed to the edge, no BOOKMARKs, no resourceVersion resume)', async () => {
    server.addNode(NODE);
    startEdge();
    await eventually(labelled, 'the labels', 5000);
    server.updateNode(NODE, (node) => void delete node.metadata.labels![`${P}/nvidia-gm20b`]);
    await eventually(labelled, 'the removed label back', 5000);
  });

  test('a disconnected edge keeps its labels, backs off without hammering edgecore, and converges soon after reconnecting', async () => {
    server.addNode(NODE);
    const labeller = startEdge();
    await eventually(labelled, 'the labels', 5000);
    meta.disconnect();
    // The cloud side changes while the edge is cut off; the edge sees nothing, and writes would fail.
    server.updateNode(NODE, (node) => void delete node.metadata.labels![`${P}/nvidia-tegra210`]);
    labeller.child.kill('SIGHUP'); // a re-read: labels unchanged, so no write is due
    await delay(500);
    server.resetStats();
    // A resync against the edge's stale store finds nothing to do: force a write attempt by a devicetree change.
    copyFileSync(fixture('raspberry-pi-4.dtb'), join(dir, 'edge.dtb'));
    labeller.child.kill('SIGHUP');
    await delay(12_000);
    const failed = server.requests.filter((r) => r.method === 'PATCH');
    assert.ok(failed.length >= 2 && failed.length <= 7, `${failed.length} PATCHes in 12 s while disconnected: backing off to one per 8 s`);
    assert.ok(failed.every((r) => r.status === 500), 'each failed at once');
    assert.equal(labels()[`${P}/nvidia-gm20b`], '1', 'nothing removed while the edge could not write');
    const reconnected = Date.now();
    meta.reconnect();
    await eventually(() => labels()[`${P}/raspberrypi-4-model-b`] === '1' && labels()[`${P}/nvidia-gm20b`] === undefined, 'converged after reconnecting', 10_000);
    assert.ok(Date.now() - reconnected < 10_000);
    assert.ok(((await labeller.metric('dt_node_labeller_api_errors_total{code="500"}')) ?? 0) >= 2, 'the failed writes are counted as 500s');
  });

  test('plain HTTP to an address that is not loopback is one error line at start, not an endless retry', async () => {
    const labeller = LabellerProcess.start(['run', '--dtb', fixture('jetson-nano-l4t.dtb'), '--node-name', NODE, '--api-server', 'http://10.0.0.1:10550', '--metrics-address', '127.0.0.1:0'], {
      KUBECONFIG: join(dir, 'none'),
      HOME: dir,
      KUBERNETES_SERVICE_HOST: '',
    });
    processes.push(labeller);
    const exit = await labeller.exited;
    assert.equal(exit.code, 1);
    assert.equal(labeller.otherOutput.filter((line) => line !== '').length, 1, labeller.transcript());
    assert.match(labeller.otherOutput[0]!, /^error: http:\/\/10\.0\.0\.1:10550: plain HTTP is refused except to a loopback address/);
  });
});
