// tier: full (the real kube-apiserver)
// The real client (Node's HTTP client with client-node 2.0.1's KubeConfig, pinned) against the real kube-apiserver (envtest), through a fault
// proxy that keeps every request on record and can cut or refuse connections: what the watcher and the
// controller rely on — how a watch ends, how 410 and 409 arrive, what a patch sends, how lists page — so
// that a client-node upgrade (or a server release) that changes any of it fails here rather than in a cluster.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { httpStatus } from '../../src/errors.ts';
import { apiMessage } from '../../src/kubernetes/api-errors.ts';
import { type ClusterClient, kubernetesClient, WATCH_IDLE_TIMEOUT_MS, type WatchEventType } from '../../src/kubernetes/cluster-client.ts';
import { loadKubeConfig } from '../../src/kubernetes/kube-config.ts';
import { nodeFeatureClient } from '../../src/kubernetes/node-feature-client.ts';
import { desiredNodeFeature, NODE_FEATURE_GROUP, NODE_FEATURE_PLURAL, NODE_FEATURE_VERSION } from '../../src/nfd/node-feature.ts';
import { envtestSkip } from '../helpers/envtest/assets.ts';
import { ControlPlane } from '../helpers/envtest/control-plane.ts';
import { FaultProxy } from '../helpers/envtest/fault-proxy.ts';
import { eventually } from '../helpers/eventually.ts';

interface WatchRun {
  events: Array<[WatchEventType, { metadata?: { name?: string; resourceVersion?: string }; code?: number; reason?: string }]>;
  done: Promise<unknown>;
  stop: () => void;
}

/** Requests in flight at once when a test sets up hundreds of objects: a few seconds for 450, not a minute. */
const BATCH = 25;

async function inBatches(count: number, make: (i: number) => Promise<unknown>): Promise<void> {
  for (let start = 0; start < count; start += BATCH) {
    await Promise.all(Array.from({ length: Math.min(BATCH, count - start) }, (_, i) => make(start + i)));
  }
}

/** NFD's NodeFeature CRD, as much of it as the client touches: namespaced, spec.labels a string map. */
const NODE_FEATURE_CRD = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: `${NODE_FEATURE_PLURAL}.${NODE_FEATURE_GROUP}` },
  spec: {
    group: NODE_FEATURE_GROUP,
    scope: 'Namespaced',
    names: { plural: NODE_FEATURE_PLURAL, singular: 'nodefeature', kind: 'NodeFeature', listKind: 'NodeFeatureList' },
    versions: [
      {
        name: NODE_FEATURE_VERSION,
        served: true,
        storage: true,
        schema: {
          openAPIV3Schema: {
            type: 'object',
            required: ['spec'],
            properties: {
              spec: {
                type: 'object',
                properties: {
                  labels: { type: 'object', additionalProperties: { type: 'string' } },
                  features: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
                },
              },
            },
          },
        },
      },
    ],
  },
};

// The watch cache is off (--watch-cache=false) so that every watch is served from etcd: only there does a
// resourceVersion older than etcd's compaction meet it (410 Expired). The watch cache keeps its own window
// of recent changes and would answer from that, or not at all, whatever etcd has compacted.
describe('kubernetesClient against the real API server', { skip: envtestSkip() }, () => {
  let plane: ControlPlane;
  let proxy: FaultProxy;
  let dir = '';
  let kubeconfig = '';
  let client: ClusterClient;

  before(async () => {
    plane = await ControlPlane.start({ apiServerArgs: ['--watch-cache=false'] });
    proxy = await FaultProxy.start(plane);
    dir = mkdtempSync(join(tmpdir(), 'cluster-client-'));
    kubeconfig = plane.kubeconfig(dir, { server: proxy.url });
    client = kubernetesClient(loadKubeConfig({ kubeconfig }));
    for (const name of ['nfd', 'paged']) await plane.ok('POST', '/api/v1/namespaces', { metadata: { name } });
    await plane.ok('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', NODE_FEATURE_CRD);
    await eventually(
      async () => (await plane.call('GET', `/apis/${NODE_FEATURE_GROUP}/${NODE_FEATURE_VERSION}/namespaces/nfd/${NODE_FEATURE_PLURAL}`)).status === 200,
      'NodeFeature served',
      30_000,
      50,
    );
  });
  after(async () => {
    await proxy?.stop();
    await plane?.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  afterEach(async () => {
    proxy.clearFaults();
    await proxy.refuse(false);
    await plane.deleteAllNodes();
    proxy.records.length = 0;
  });

  const resourceVersion = async (name: string) => {
    const version = (await plane.node(name))?.metadata.resourceVersion;
    assert.ok(version !== undefined, `node ${name} has a resourceVersion`);
    return version;
  };

  async function watch(name: string, from: string, timeoutSeconds = 60): Promise<WatchRun> {
    const events: WatchRun['events'] = [];
    let finish: (error: unknown) => void = () => {};
    const done = new Promise<unknown>((resolve) => (finish = resolve));
    const stop = await client.watchNode(name, from, timeoutSeconds, (type, object) => events.push([type, object as WatchRun['events'][number][1]]), finish);
    return { events, done, stop };
  }

  test('lists one node by field selector and reports the list resourceVersion', async () => {
    await inBatches(3, (i) => plane.createNode(`node-${i}`));
    const latest = Math.max(...(await Promise.all([0, 1, 2].map(async (i) => Number(await resourceVersion(`node-${i}`))))));
    const { node, resourceVersion: listed } = await client.listNode('node-1');
    assert.equal(node?.metadata?.name, 'node-1');
    // etcd's revision when the list was served: the server's own writes (its leases) move it on too, so it is
    // at least the newest node's, not equal to it.
    assert.ok(Number(listed) >= latest, `list resourceVersion ${listed} ≥ ${latest}`);
    const absent = await client.listNode('absent');
    assert.equal(absent.node, undefined);
    assert.ok(Number(absent.resourceVersion) >= Number(listed), 'an empty list still has a resourceVersion to watch from');
    assert.match(proxy.records[0]?.path ?? '', /^\/api\/v1\/nodes\?fieldSelector=metadata\.name%3Dnode-1/);
  });

  test('a watch sees only its node, from the given resourceVersion, and ends cleanly at timeoutSeconds', async () => {
    await inBatches(2, (i) => plane.createNode(`node-${i}`));
    const { resourceVersion: from } = await client.listNode('node-0');
    const run = await watch('node-0', from, 1);
    await plane.updateNode('node-1', (n) => {
      n.metadata.labels = { other: 'x' };
    });
    await plane.updateNode('node-0', (n) => {
      n.metadata.labels = { mine: 'y' };
    });
    // BOOKMARKs are the server's to send (none come from etcd-served watches; the watch cache sends them): not counted.
    const changes = () => run.events.filter(([type]) => type !== 'BOOKMARK');
    await eventually(() => changes().length === 1, 'one event');
    assert.equal(changes()[0]?.[0], 'MODIFIED');
    assert.equal(changes()[0]?.[1].metadata?.name, 'node-0');
    const ended = await run.done;
    // The server's end of the stream is no error (or a TimeoutError): both mean "resume".
    assert.ok(ended === null || ended === undefined || (ended as Error).name === 'TimeoutError', String(ended));
    assert.equal(changes().length, 1, 'nothing about node-1');
  });

  test("the watch idle limit is ours: a quiet watch outlives client-node's 30 s default, a dead one ends", async () => {
    await plane.createNode('quiet');
    const impatient = kubernetesClient(loadKubeConfig({ kubeconfig }), { watchIdleTimeoutMs: 300 });
    let ended: unknown = 'not yet';
    await impatient.watchNode(
      'quiet',
      await resourceVersion('quiet'),
      60,
      () => {},
      (error) => (ended = error),
    );
    await eventually(() => ended !== 'not yet', 'the idle watch given up', 5000);
    assert.equal((ended as Error).name, 'TimeoutError', 'an idle timeout, which the watcher treats as "resume"');
    assert.equal(WATCH_IDLE_TIMEOUT_MS, 120_000);
  });

  test('an expired resourceVersion arrives as an ERROR event with code 410, then the stream ends', async () => {
    await plane.createNode('n');
    const old = await resourceVersion('n');
    // Two writes, so that etcd compacts at least two revisions past `old`. A watch from `old` asks etcd for
    // changes from old+1 on; compacted exactly at old+1, etcd would still stream that change but without its
    // previous value, which kube-apiserver answers with ERROR 500 ("etcd event received with PrevKv=nil").
    await plane.updateNode('n', (n) => {
      n.metadata.labels = { a: '1' };
    });
    await plane.updateNode('n', (n) => {
      n.metadata.labels = { a: '2' };
    });
    await plane.compactEtcd();
    const run = await watch('n', old);
    await run.done;
    assert.deepEqual(
      run.events.map(([type, object]) => [type, object.code, object.reason]),
      [['ERROR', 410, 'Expired']],
    );
  });

  test('a dropped watch connection ends the watch with an error', async () => {
    await plane.createNode('n');
    const run = await watch('n', await resourceVersion('n'));
    await eventually(() => proxy.openWatches === 1, 'the watch open');
    proxy.dropConnections();
    const error = await run.done;
    assert.ok(error instanceof Error, `an error, got ${String(error)}`);
    assert.equal(httpStatus(error), undefined, 'no HTTP status: the watcher backs off and resumes');
  });

  test("a merge patch guarded by a stale resourceVersion is a 409 with the server's message", async () => {
    await plane.createNode('n');
    const stale = await resourceVersion('n');
    await plane.updateNode('n', (n) => {
      n.metadata.labels = { someone: 'else' };
    });
    const patch = { metadata: { resourceVersion: stale, labels: { mine: 'x' }, annotations: {} } };
    const error = await client.patchNodeMetadata('n', patch).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.equal(httpStatus(error), 409);
    assert.match(apiMessage(error), /the object has been modified/);
    const request = proxy.records.find((r) => r.method === 'PATCH');
    assert.equal(request?.status, 409);
    const updated = await client.patchNodeMetadata('n', { metadata: { ...patch.metadata, resourceVersion: await resourceVersion('n') } });
    assert.deepEqual(updated.metadata?.labels, { someone: 'else', mine: 'x' });
  });

  test('a missing node reads as 404; no answer at all has no status', async () => {
    assert.equal(
      httpStatus(
        await client.readNode('absent').then(
          () => undefined,
          (e: unknown) => e,
        ),
      ),
      404,
    );
    await proxy.refuse(true);
    try {
      const error = await client.readNode('absent').then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.equal(httpStatus(error), undefined);
      assert.match(apiMessage(error), /ECONNREFUSED/);
    } finally {
      await proxy.refuse(false);
    }
  });

  test('NodeFeature objects: create, read, replace guarded by resourceVersion, delete', async () => {
    const features = nodeFeatureClient(loadKubeConfig({ kubeconfig }));
    const wanted = desiredNodeFeature('n', 'nfd', { 'beta.devicetree.org/a': '1' });
    assert.equal(await features.getNodeFeature('nfd', wanted.metadata.name), undefined);
    await features.createNodeFeature('nfd', wanted);
    const stored = await features.getNodeFeature('nfd', wanted.metadata.name);
    assert.deepEqual(stored?.spec, wanted.spec);
    assert.equal(
      httpStatus(
        await features.createNodeFeature('nfd', wanted).then(
          () => undefined,
          (e: unknown) => e,
        ),
      ),
      409,
      'AlreadyExists',
    );
    if (stored === undefined) return;
    await features.replaceNodeFeature('nfd', { ...stored, spec: { labels: { 'beta.devicetree.org/a': '2' } } });
    const stale = await features.replaceNodeFeature('nfd', stored).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.equal(httpStatus(stale), 409, 'a replace with the old resourceVersion conflicts');
    assert.equal(await features.deleteNodeFeature('nfd', wanted.metadata.name), true);
    assert.equal(await features.deleteNodeFeature('nfd', wanted.metadata.name), false);
  });

  test('cleanup lists every node metadata-only, in pages, as nfd-gc does', async () => {
    await inBatches(450, (i) => plane.createNode(`edge-${i}`));
    proxy.records.length = 0;
    const names = await client.listNodeNames();
    assert.equal(names.length, 450);
    assert.equal(new Set(names).size, 450);
    const lists = proxy.records.filter((r) => r.method === 'GET' && r.path.startsWith('/api/v1/nodes?'));
    assert.equal(lists.length, 3, 'pages of 200');
    for (const list of lists) {
      assert.match(list.path, /[?&]limit=200/);
      assert.match(list.accept, /as=PartialObjectMetadataList/);
      assert.equal(list.kind, 'PartialObjectMetadataList');
    }
  });

  test('Events about the node go to namespace default, where a real API server accepts them', async () => {
    await plane.createNode('node-e');
    await client.createNodeEvent({
      metadata: { generateName: 'node-e.' },
      involvedObject: { kind: 'Node', apiVersion: 'v1', name: 'node-e' },
      reason: 'LabelsUpdated',
      message: 'devicetree labels added x',
      type: 'Normal',
      source: { component: 'dt-node-labeller' },
    });
    const about = (await plane.events('default')).filter((e) => (e.involvedObject as { name?: string } | undefined)?.name === 'node-e');
    assert.equal(about.length, 1);
  });

  test('NodeFeature objects we made are found by their managed-by label, also for nodes that are gone', async () => {
    const features = nodeFeatureClient(loadKubeConfig({ kubeconfig }));
    for (const node of ['gone-1', 'gone-2']) await features.createNodeFeature('nfd', desiredNodeFeature(node, 'nfd', { 'beta.devicetree.org/a': '1' }));
    await features.createNodeFeature('nfd', {
      ...desiredNodeFeature('other', 'nfd', {}),
      metadata: { name: 'someone-elses', namespace: 'nfd', labels: { 'nfd.node.kubernetes.io/node-name': 'other' } },
    });
    assert.deepEqual((await features.listNodeFeatureNames('nfd', 'app.kubernetes.io/managed-by=dt-node-labeller')).sort(), ['dt-node-labeller-gone-1', 'dt-node-labeller-gone-2']);
  });

  test('NodeFeature objects are listed in pages of 200 too, to the last page', async () => {
    const features = nodeFeatureClient(loadKubeConfig({ kubeconfig }));
    const collection = `/apis/${NODE_FEATURE_GROUP}/${NODE_FEATURE_VERSION}/namespaces/paged/${NODE_FEATURE_PLURAL}`;
    await inBatches(450, (i) => plane.ok('POST', collection, desiredNodeFeature(`edge-${i}`, 'paged', {})));
    proxy.records.length = 0;
    const names = await features.listNodeFeatureNames('paged', 'app.kubernetes.io/managed-by=dt-node-labeller');
    assert.equal(names.length, 450);
    assert.equal(new Set(names).size, 450);
    const lists = proxy.records.filter((r) => r.method === 'GET' && r.path.includes('/namespaces/paged/nodefeatures?'));
    assert.equal(lists.length, 3, 'pages of 200');
    for (const list of lists) assert.match(list.path, /[?&]limit=200/);
  });
});
