// The real client (client-node 2.0.1, pinned) against the fake API server: what the watcher and the
// controller rely on — how a watch ends, how 410 and 409 arrive, what a patch sends — so that a client-node
// upgrade that changes any of it fails here rather than in a cluster.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { apiMessage, apiStatus } from '../../src/kubernetes/api-errors.ts';
import { type ClusterClient, WATCH_IDLE_TIMEOUT_MS, type WatchEventType, kubernetesClient } from '../../src/kubernetes/cluster-client.ts';
import { loadKubeConfig } from '../../src/kubernetes/kube-config.ts';
import { nodeFeatureClient } from '../../src/kubernetes/node-feature-client.ts';
import { desiredNodeFeature } from '../../src/nfd/node-feature.ts';
import { eventually } from '../helpers/eventually.ts';
import { FakeApiServer } from '../helpers/fake-api-server.ts';

interface WatchRun {
  events: Array<[WatchEventType, { metadata?: { name?: string; resourceVersion?: string }; code?: number }]>;
  done: Promise<unknown>;
  stop: () => void;
}

describe('kubernetesClient against the fake API server', () => {
  const server = new FakeApiServer();
  let dir = '';
  let client: ClusterClient;

  before(async () => {
    await server.start();
    dir = mkdtempSync(join(tmpdir(), 'cluster-client-'));
    client = kubernetesClient(loadKubeConfig({ kubeconfig: server.writeKubeconfig(dir) }));
  });
  after(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  afterEach(() => {
    for (const node of server.store.list('nodes')) server.deleteNode(node.metadata.name);
    server.resetStats();
  });

  async function watch(name: string, resourceVersion: string, timeoutSeconds = 60): Promise<WatchRun> {
    const events: WatchRun['events'] = [];
    let finish: (error: unknown) => void = () => {};
    const done = new Promise<unknown>((resolve) => (finish = resolve));
    const stop = await client.watchNode(name, resourceVersion, timeoutSeconds, (type, object) => events.push([type, object as WatchRun['events'][number][1]]), finish);
    return { events, done, stop };
  }

  test('lists one node by field selector and reports the list resourceVersion', async () => {
    server.addNodes(3);
    const { node, resourceVersion } = await client.listNode('node-1');
    assert.equal(node?.metadata?.name, 'node-1');
    assert.equal(resourceVersion, server.resourceVersion);
    assert.deepEqual(await client.listNode('absent'), { node: undefined, resourceVersion: server.resourceVersion });
    assert.match(server.requests[0]?.path ?? '', /^\/api\/v1\/nodes\?fieldSelector=metadata\.name%3Dnode-1/);
  });

  test('a watch sees only its node, from the given resourceVersion, and ends cleanly at timeoutSeconds', async () => {
    server.addNodes(2);
    const { resourceVersion } = await client.listNode('node-0');
    const run = await watch('node-0', resourceVersion, 1);
    server.updateNode('node-1', (n) => void (n.metadata.labels = { other: 'x' }));
    server.updateNode('node-0', (n) => void (n.metadata.labels = { mine: 'y' }));
    await eventually(() => run.events.length === 1, 'one event');
    assert.equal(run.events[0]?.[0], 'MODIFIED');
    assert.equal(run.events[0]?.[1].metadata?.name, 'node-0');
    const ended = await run.done;
    // client-node reports the server's end of the stream as no error (or a TimeoutError): both mean "resume".
    assert.ok(ended === null || ended === undefined || (ended as Error).name === 'TimeoutError', String(ended));
  });

  test('the watch idle limit is ours: a quiet watch outlives client-node\'s 30 s default, a dead one ends', async () => {
    server.addNode('quiet');
    const impatient = kubernetesClient(loadKubeConfig({ kubeconfig: join(dir, 'kubeconfig') }), { watchIdleTimeoutMs: 300 });
    let ended: unknown = 'not yet';
    await impatient.watchNode('quiet', server.resourceVersion, 60, () => {}, (error) => (ended = error));
    await eventually(() => ended !== 'not yet', 'the idle watch given up', 5000);
    assert.equal((ended as Error).name, 'TimeoutError', 'an idle timeout, which the watcher treats as "resume"');
    assert.equal(WATCH_IDLE_TIMEOUT_MS, 120_000);
  });

  test('an expired resourceVersion arrives as an ERROR event with code 410, then the stream ends', async () => {
    server.addNode('n');
    const old = server.resourceVersion;
    server.updateNode('n', (n) => void (n.metadata.labels = { a: '1' }));
    server.compactHistory();
    const run = await watch('n', old);
    await run.done;
    assert.deepEqual(run.events.map(([type, object]) => [type, object.code]), [['ERROR', 410]]);
  });

  test('a dropped watch connection ends the watch with an error', async () => {
    server.addNode('n');
    const run = await watch('n', server.resourceVersion);
    await eventually(() => server.openWatches === 1, 'the watch open');
    server.dropWatches();
    const error = await run.done;
    assert.ok(error instanceof Error, `an error, got ${String(error)}`);
    assert.equal(apiStatus(error), undefined, 'no HTTP status: the watcher backs off and resumes');
  });

  test('a merge patch guarded by a stale resourceVersion is a 409 with the server\'s message', async () => {
    server.addNode('n');
    const stale = server.resourceVersion;
    server.updateNode('n', (n) => void (n.metadata.labels = { someone: 'else' }));
    const patch = { metadata: { resourceVersion: stale, labels: { mine: 'x' }, annotations: {} } };
    const error = await client.patchNodeMetadata('n', patch).then(() => undefined, (e: unknown) => e);
    assert.equal(apiStatus(error), 409);
    assert.match(apiMessage(error), /the object has been modified/);
    const request = server.requests.find((r) => r.method === 'PATCH');
    assert.equal(request?.status, 409);
    const updated = await client.patchNodeMetadata('n', { metadata: { ...patch.metadata, resourceVersion: server.resourceVersion } });
    assert.deepEqual(updated.metadata?.labels, { someone: 'else', mine: 'x' });
  });

  test('a missing node reads as 404; no answer at all has no status', async () => {
    assert.equal(apiStatus(await client.readNode('absent').then(() => undefined, (e: unknown) => e)), 404);
    await server.outage(true, 'refuse');
    try {
      const error = await client.readNode('absent').then(() => undefined, (e: unknown) => e);
      assert.equal(apiStatus(error), undefined);
      assert.match(apiMessage(error), /ECONNREFUSED/);
    } finally {
      await server.outage(false);
    }
  });

  test('NodeFeature objects: create, read, replace guarded by resourceVersion, delete', async () => {
    const features = nodeFeatureClient(loadKubeConfig({ kubeconfig: join(dir, 'kubeconfig') }));
    const wanted = desiredNodeFeature('n', 'nfd', { 'beta.devicetree.org/a': '1' });
    assert.equal(await features.getNodeFeature('nfd', wanted.metadata.name), undefined);
    await features.createNodeFeature('nfd', wanted);
    const stored = await features.getNodeFeature('nfd', wanted.metadata.name);
    assert.deepEqual(stored?.spec, wanted.spec);
    assert.equal(apiStatus(await features.createNodeFeature('nfd', wanted).then(() => undefined, (e: unknown) => e)), 409, 'AlreadyExists');
    if (stored === undefined) return;
    await features.replaceNodeFeature('nfd', { ...stored, spec: { labels: { 'beta.devicetree.org/a': '2' } } });
    const stale = await features.replaceNodeFeature('nfd', stored).then(() => undefined, (e: unknown) => e);
    assert.equal(apiStatus(stale), 409, 'a replace with the old resourceVersion conflicts');
    assert.equal(await features.deleteNodeFeature('nfd', wanted.metadata.name), true);
    assert.equal(await features.deleteNodeFeature('nfd', wanted.metadata.name), false);
  });

  test('cleanup lists every node metadata-only, in pages, as nfd-gc does', async () => {
    server.addNodes(450, 'edge');
    server.resetStats();
    const names = await client.listNodeNames();
    assert.equal(names.length, 450);
    assert.equal(new Set(names).size, 450);
    const lists = server.requests.filter((r) => r.method === 'GET' && r.path.startsWith('/api/v1/nodes?'));
    assert.equal(lists.length, 3, 'pages of 200');
    for (const list of lists) {
      assert.match(list.path, /[?&]limit=200/);
      assert.match(list.accept ?? '', /as=PartialObjectMetadataList/);
      assert.equal(list.kind, 'PartialObjectMetadataList');
    }
  });

  test('Events about the node go to namespace default, where a real API server accepts them', async () => {
    server.addNode('node-e');
    await client.createNodeEvent({
      metadata: { generateName: 'node-e.' },
      involvedObject: { kind: 'Node', apiVersion: 'v1', name: 'node-e' },
      reason: 'LabelsUpdated',
      message: 'devicetree labels added x',
      type: 'Normal',
      source: { component: 'dt-node-labeller' },
    });
    assert.equal(server.events('default').length, 1);
  });

  test('NodeFeature objects we made are found by their managed-by label, also for nodes that are gone', async () => {
    const features = nodeFeatureClient(loadKubeConfig({ kubeconfig: join(dir, 'kubeconfig') }));
    for (const node of ['gone-1', 'gone-2']) await features.createNodeFeature('nfd', desiredNodeFeature(node, 'nfd', { 'beta.devicetree.org/a': '1' }));
    await features.createNodeFeature('nfd', { ...desiredNodeFeature('other', 'nfd', {}), metadata: { name: 'someone-elses', namespace: 'nfd', labels: { 'nfd.node.kubernetes.io/node-name': 'other' } } });
    assert.deepEqual((await features.listNodeFeatureNames('nfd', 'app.kubernetes.io/managed-by=dt-node-labeller')).sort(), ['dt-node-labeller-gone-1', 'dt-node-labeller-gone-2']);
  });

  test('NodeFeature objects are listed in pages of 200 too, to the last page', async () => {
    const features = nodeFeatureClient(loadKubeConfig({ kubeconfig: join(dir, 'kubeconfig') }));
    for (let i = 0; i < 450; i++) await features.createNodeFeature('paged', desiredNodeFeature(`edge-${i}`, 'paged', {}));
    server.resetStats();
    const names = await features.listNodeFeatureNames('paged', 'app.kubernetes.io/managed-by=dt-node-labeller');
    assert.equal(names.length, 450);
    assert.equal(new Set(names).size, 450);
    const lists = server.requests.filter((r) => r.method === 'GET' && r.path.includes('/namespaces/paged/nodefeatures?'));
    assert.equal(lists.length, 3, 'pages of 200');
    for (const list of lists) assert.match(list.path, /[?&]limit=200/);
  });
});
