// tier: full (the built CLI against the real kube-apiserver)
// End-to-end: the built CLI's `run`, `run --once` and `cleanup` as child processes against a real
// kube-apiserver and etcd (KUBEBUILDER_ASSETS), reached through a fault-injecting proxy (FaultProxy) that
// also records every request the labeller makes. The real kubectl makes the changes a cluster admin would
// make, straight to the API server (not through the proxy), so a proxy fault never hides them from the server.
// Backoff delays, the resync timer and --once's five attempts are proven in virtual time
// (__tests__/controller/controller.test.ts); here only what needs the real process and the real server.
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';

/** The default instance's ownership annotation, the key every release has used (written out, not imported). */
const OWNED_LABELS_ANNOTATION = 'dt-node-labeller.beta.devicetree.org/owned-labels';

import { fixture } from '../helpers/corpus.ts';
import { envtestSkip } from '../helpers/envtest/assets.ts';
import { ControlPlane, type KubeObject } from '../helpers/envtest/control-plane.ts';
import { FaultProxy, type ProxyRecord } from '../helpers/envtest/fault-proxy.ts';
import { installNodeFeatureCrd, NODE_FEATURES_API } from '../helpers/envtest/nfd-crd.ts';
import { eventually } from '../helpers/eventually.ts';
import { JETSON_NANO_LABELS } from '../helpers/expected-labels.ts';
import { LabellerProcess } from '../helpers/labeller-process.ts';
import { startConnectProxy, startSocks5Proxy } from '../helpers/tunnel-proxies.ts';

const P = 'beta.devicetree.org';
const NANO = JETSON_NANO_LABELS;
const PI4 = {
  [`${P}/arm-cortex-a72`]: '4',
  [`${P}/brcm-bcm2711`]: '1',
  [`${P}/brcm-bcm2711-vc5`]: '1',
  [`${P}/raspberrypi-4-model-b`]: '1',
};
/** Convergence after a change must take well under the issue's "within seconds". */
const CONVERGE_MS = 5000;
/** How often a wait asks the real API server again (every ask is an HTTPS request, so not every 5 ms). */
const POLL_MS = 20;
/** The ServiceAccount of the missing-permission test, and the names of its RBAC objects. */
const RESTRICTED = 'restricted-labeller';

/** eventually(), polling less often: every check here is a request to the real server or the labeller. */
const until = (check: () => boolean | Promise<boolean>, what: string, ms = CONVERGE_MS) => eventually(check, what, ms, POLL_MS);

/**
 * The labeller's RBAC as the chart grants it (charts/dt-node-labeller/templates/rbac.yaml: get, list, watch
 * and patch on nodes; create on events in "default"), for a ServiceAccount of its own, with `nodeVerbs` in
 * place of the chart's node verbs: a List for `kubectl apply -f -`.
 */
function labellerRbac(nodeVerbs: readonly string[]): string {
  const rbac = 'rbac.authorization.k8s.io/v1';
  const subjects = [{ kind: 'ServiceAccount', name: RESTRICTED, namespace: 'default' }];
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'List',
    items: [
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: RESTRICTED, namespace: 'default' } },
      { apiVersion: rbac, kind: 'ClusterRole', metadata: { name: RESTRICTED }, rules: [{ apiGroups: [''], resources: ['nodes'], verbs: nodeVerbs }] },
      {
        apiVersion: rbac,
        kind: 'ClusterRoleBinding',
        metadata: { name: RESTRICTED },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: RESTRICTED },
        subjects,
      },
      {
        apiVersion: rbac,
        kind: 'Role',
        metadata: { name: `${RESTRICTED}-events`, namespace: 'default' },
        rules: [
          { apiGroups: [''], resources: ['events'], verbs: ['create'] },
          { apiGroups: ['events.k8s.io'], resources: ['events'], verbs: ['create'] },
        ],
      },
      {
        apiVersion: rbac,
        kind: 'RoleBinding',
        metadata: { name: `${RESTRICTED}-events`, namespace: 'default' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: `${RESTRICTED}-events` },
        subjects,
      },
    ],
  });
}

describe('run: end to end against the real API server, driven by kubectl', { skip: envtestSkip() }, () => {
  let plane: ControlPlane;
  let proxy: FaultProxy;
  let dir = '';
  /** The admin's credentials, but the proxy's address: what every labeller and cleanup in this file uses. */
  let kubeconfig = '';
  let dtb = '';
  const processes: LabellerProcess[] = [];
  /** Where this test's requests start in proxy.records. */
  let mark = 0;
  /** NFD's NodeFeature CRD and a namespace for the objects, set up in the background for the one test using them. */
  let nodeFeatureApi: Promise<unknown>;

  before(async () => {
    // --watch-cache=false: watches are served from etcd itself, not from the API server's in-memory cache. After
    // compactEtcd(), a watch resumed from an older resourceVersion then ends with 410 Gone the real way (etcd
    // reports the revision compacted), as it does in a busy cluster whose history has moved on; with the watch
    // cache on, the cache keeps its own window of recent events and would replay them instead.
    // --shutdown-watch-termination-grace-period: with the default (0) a kube-apiserver told to stop (SIGTERM)
    // keeps an open watch, and so itself, running past the 10 s after which restartApiServer() kills it; with a
    // grace period it ends its watches at once and a restart takes about 4 s.
    plane = await ControlPlane.start({ apiServerArgs: ['--watch-cache=false', '--shutdown-watch-termination-grace-period=2s'] });
    proxy = await FaultProxy.start(plane);
    dir = mkdtempSync(join(tmpdir(), 'run-e2e-'));
    kubeconfig = plane.kubeconfig(dir, { server: proxy.url });
    nodeFeatureApi = Promise.all([installNodeFeatureCrd(plane), plane.ok('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'nfd' } })]).then(
      () => undefined,
      (error: unknown) => error, // thrown by the test that needs it, not as an unhandled rejection here
    );
  });
  after(async () => {
    await proxy?.stop();
    await plane?.stop();
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    mark = proxy.records.length;
  });
  afterEach(async () => {
    for (const labeller of processes.splice(0)) await labeller.kill();
    proxy.clearFaults();
    await proxy.refuse(false); // a failed test must not leave the next one without a server
    await plane.deleteAllNodes();
    await plane.deleteEvents('default');
  });

  /** Starts `run` for node `name` on a private copy of a fixture blob (so tests can swap it). */
  function startRun(name: string, extra: string[] = [], blob = 'jetson-nano-l4t.dtb', env: Record<string, string> = {}, config = kubeconfig): LabellerProcess {
    dtb = join(dir, `${name}.dtb`);
    copyFileSync(fixture(blob), dtb);
    const labeller = LabellerProcess.start(
      ['run', '--dtb', dtb, '--node-name', name, '--kubeconfig', config, '--metrics-address', '127.0.0.1:0', '--log-level', 'debug', ...extra],
      env,
    );
    processes.push(labeller);
    return labeller;
  }

  /** The requests that reached the proxy during this test (the labellers' and cleanups'; kubectl goes around it). */
  const seen = (): ProxyRecord[] => proxy.records.slice(mark);
  const openWatches = () => seen().filter((r) => r.watch && r.status === 200 && !r.ended).length;
  const labelsOf = (name: string): Promise<Record<string, string>> => plane.labels(name);
  const hasAll = (name: string, expected: Record<string, string>) => async () => {
    const labels = await labelsOf(name);
    return Object.entries(expected).every(([k, v]) => labels[k] === v);
  };
  const hasNone = (name: string, keys: string[]) => async () => {
    const labels = await labelsOf(name);
    return keys.every((k) => !(k in labels));
  };
  const owned = async (name: string) => (await plane.annotations(name))[OWNED_LABELS_ANNOTATION];
  /** LabelsUpdated Events about Node `name` (the API server records events of its own in "default" too). */
  const labelEvents = async (name: string) =>
    (await plane.events('default')).filter((e) => {
      const about = e.involvedObject as { kind?: string; name?: string } | undefined;
      return e.reason === 'LabelsUpdated' && about?.kind === 'Node' && about.name === name;
    });
  /**
   * Waits until the labeller of node `name` has written its `events`-th LabelsUpdated Event (its last request
   * after a patch) and holds its watch: nothing of it is on the way to the proxy, so proxy.refuse(true) can
   * cut all its connections. (A connection still in its TLS handshake is not one the proxy can cut yet: a
   * request on it would pass a refusing proxy, which then waits for that connection to be idle.)
   */
  async function idle(name: string, events: number): Promise<void> {
    await until(hasAll(name, NANO), 'the labels');
    await until(async () => (await labelEvents(name)).length === events, `LabelsUpdated event ${events}`);
    await until(() => openWatches() === 1 && seen().every((r) => r.watch || r.ended), 'only its watch open');
  }
  async function kc(...args: string[]): Promise<string> {
    const result = await plane.kubectl(args);
    assert.equal(result.code, 0, `kubectl ${args.join(' ')}: ${result.stderr}`);
    return result.stdout;
  }

  test('labels its node, records ownership, serves metrics, becomes ready and records an event', async () => {
    await plane.createNode('nano', { labels: { 'kubernetes.io/hostname': 'nano' } });
    const labeller = startRun('nano');
    await until(hasAll('nano', NANO), 'the Jetson Nano labels');
    const node = JSON.parse(await kc('get', 'node', 'nano', '-o', 'json'));
    assert.deepEqual(node.metadata.labels, { 'kubernetes.io/hostname': 'nano', ...NANO });
    assert.equal(node.metadata.annotations[OWNED_LABELS_ANNOTATION], Object.keys(NANO).sort().join(','));

    await until(async () => (await labeller.http('/readyz')).status === 200, 'readiness');
    assert.equal((await labeller.http('/healthz')).status, 200);
    // The port is bound once labelled (src/app/run.ts), so that binding it does not delay the labels.
    const messages = labeller.logs.map((line) => String(line.message));
    assert.ok(messages.indexOf('node labelled; ready') < messages.findIndex((message) => message.startsWith('serving')), messages.join('\n'));
    assert.equal(await labeller.metric('dt_node_labeller_labels'), Object.keys(NANO).length);
    assert.equal(await labeller.metric('dt_node_labeller_reconciles_total{result="applied"}'), 1);
    assert.equal(await labeller.metric('dt_node_labeller_devicetree_error'), 0);
    const { body } = await labeller.http('/metrics');
    assert.match(body, /^dt_node_labeller_info\{version="[^"]+",source="[^"]+nano\.dtb",model="NVIDIA Jetson Nano Developer Kit"\} 1$/m);
    assert.match(body, /^process_resident_memory_bytes \d+/m);
    assert.ok(((await labeller.metric('dt_node_labeller_last_successful_reconcile_timestamp_seconds')) ?? 0) > Date.now() / 1000 - 60);

    // The Event is written after the patch: it may arrive a moment after the labels.
    await until(async () => (await labelEvents('nano')).length === 1, 'a LabelsUpdated event');
    const events = await kc('get', 'events', '-n', 'default', '-o', 'json');
    const event = JSON.parse(events).items.find((e: { reason: string; involvedObject: { kind: string } }) => e.reason === 'LabelsUpdated' && e.involvedObject.kind === 'Node');
    assert.ok(event, `a LabelsUpdated event about a Node: ${events}`);
    assert.equal(event.involvedObject.name, 'nano');
    assert.equal(event.involvedObject.uid, node.metadata.uid, 'about this very Node object');
    assert.match(event.message, /added .*nvidia-jetson-nano/);
    assert.ok(
      labeller.logs.every((line) => line.node === 'nano'),
      'every log line names the node',
    );
    assert.deepEqual(labeller.otherOutput, [], 'nothing but JSON log lines on stderr');
    assert.equal(labeller.stdout, '');
    assert.ok(
      seen().every((r) => r.token),
      "every request carried the kubeconfig's bearer token",
    );
  });

  test('puts back an owned label that kubectl removed or overwrote; leaves foreign labels alone', async () => {
    await plane.createNode('nano');
    startRun('nano');
    await until(hasAll('nano', NANO), 'the labels');

    await kc('label', 'node', 'nano', `${P}/nvidia-gm20b-`);
    await until(hasAll('nano', NANO), 'the removed label back');
    await kc('label', 'node', 'nano', `${P}/nvidia-jetson-nano=0`, '--overwrite');
    await until(hasAll('nano', NANO), 'the overwritten label back');

    await kc('label', 'node', 'nano', 'team=vision', `${P}/custom=yes`);
    await kc('annotate', 'node', 'nano', 'owner=platform');
    // Give it a resync-free moment to misbehave: another drift repair proves it has seen the new state.
    await kc('label', 'node', 'nano', `${P}/nvidia-gm20b-`);
    await until(hasAll('nano', NANO), 'the label back again');
    const node = await plane.node('nano');
    assert.equal(node?.metadata.labels?.team, 'vision');
    assert.equal(node?.metadata.labels?.[`${P}/custom`], 'yes');
    assert.equal(node?.metadata.annotations?.owner, 'platform');
    assert.equal(node?.metadata.annotations?.[OWNED_LABELS_ANNOTATION], Object.keys(NANO).sort().join(','), 'foreign keys are not claimed');
  });

  test('a label someone else already set under its prefix is left alone and reported', async () => {
    await plane.createNode('nano', { labels: { [`${P}/nvidia-gm20b`]: 'set-by-admin' } });
    const labeller = startRun('nano');
    const { [`${P}/nvidia-gm20b`]: _, ...rest } = NANO;
    await until(hasAll('nano', rest), 'the other labels');
    assert.equal((await labelsOf('nano'))[`${P}/nvidia-gm20b`], 'set-by-admin');
    await until(async () => (await labeller.metric('dt_node_labeller_label_conflicts')) === 1, 'the conflict metric');
    await labeller.waitForLog(/set by someone else/);
    assert.equal(await owned('nano'), Object.keys(rest).sort().join(','), "the admin's label is not claimed");
  });

  test('SIGHUP re-reads the devicetree: labels that are no longer true go, new ones come, foreign ones stay', async () => {
    await plane.createNode('board', { labels: { [`${P}/custom`]: 'admin' } });
    const labeller = startRun('board');
    await until(hasAll('board', NANO), 'the Nano labels');
    copyFileSync(fixture('raspberry-pi-4.dtb'), dtb);
    labeller.child.kill('SIGHUP');
    await until(async () => (await hasAll('board', PI4)()) && (await hasNone('board', Object.keys(NANO))()), 'the Pi labels instead');
    assert.equal((await labelsOf('board'))[`${P}/custom`], 'admin');
    assert.equal(await owned('board'), Object.keys(PI4).sort().join(','));
    let messages: string[] = [];
    await until(async () => {
      messages = (await labelEvents('board')).map((e) => String(e.message));
      return messages.some((m) => /added .*raspberrypi-4-model-b.*; removed .*nvidia-jetson-nano/.test(m));
    }, 'an event naming the added and removed labels').catch((error: Error) => assert.fail(`${error.message}; got ${messages.join(' | ')}`));
  });

  test("--adopt-existing takes over the Go labeller's matching labels, and leaves the rest alone", async () => {
    const fromGo = { ...NANO, [`${P}/nvidia-gm20b`]: '2', [`${P}/gone-board`]: '1' };
    await plane.createNode('nano', { labels: fromGo });
    const labeller = startRun('nano', ['--adopt-existing']);
    const adopted = Object.keys(NANO)
      .filter((k) => k !== `${P}/nvidia-gm20b`)
      .sort();
    await until(async () => (await owned('nano')) === adopted.join(','), 'the matching labels adopted');
    assert.deepEqual(await labelsOf('nano'), fromGo, 'adopting changes no label');
    await until(async () => (await labeller.metric('dt_node_labeller_label_conflicts')) === 1, 'the differing one reported');
  });

  test('--reread-interval picks up a changed devicetree without a signal (overlays applied at run time)', async () => {
    await plane.createNode('board');
    startRun('board', ['--reread-interval', '1s']);
    await until(hasAll('board', NANO), 'the Nano labels');
    copyFileSync(fixture('raspberry-pi-4.dtb'), dtb);
    await until(async () => (await hasAll('board', PI4)()) && (await hasNone('board', Object.keys(NANO))()), 'the Pi labels after the next re-read');
  });

  test('another --prefix is another instance: the old labels stay until cleanup --prefix OLD removes them', async () => {
    await plane.createNode('nano');
    const first = startRun('nano');
    await until(hasAll('nano', NANO), 'the labels');
    assert.equal((await first.signal('SIGTERM')).code, 0);
    assert.ok(await hasAll('nano', NANO)(), 'a normal shutdown leaves the labels in place');

    startRun('nano', ['--prefix', 'devicetree.example.com']);
    const renamed = Object.fromEntries(Object.entries(NANO).map(([k, v]) => [k.replace(/^(tegra\.)?beta\.devicetree\.org/, (_, t = '') => `${t}devicetree.example.com`), v]));
    await until(hasAll('nano', renamed), 'the labels under the new prefix');
    assert.ok(await hasAll('nano', NANO)(), 'the new instance never removes keys outside its own namespaces');
    const cleaned = await runToEnd(['cleanup', '--node-name', 'nano', '--kubeconfig', kubeconfig]);
    assert.equal(cleaned.code, 0, cleaned.stderr);
    assert.ok(await hasNone('nano', Object.keys(NANO))(), 'cleanup with the old (default) prefix removed the old labels');
    assert.ok(await hasAll('nano', renamed)(), 'and nothing of the new instance');
  });

  test('a deleted and re-registered node is labelled again', async () => {
    await plane.createNode('nano');
    const labeller = startRun('nano');
    await until(hasAll('nano', NANO), 'the labels');
    await kc('delete', 'node', 'nano');
    await labeller.waitForLog(/node not found/, CONVERGE_MS);
    await plane.createNode('nano', { labels: { 'kubernetes.io/hostname': 'nano' } });
    await until(hasAll('nano', NANO), 'the labels on the new node');
  });

  test('waits for a node that is not registered yet, not ready meanwhile', async () => {
    const labeller = startRun('late');
    await labeller.waitForLog(/node not found/, CONVERGE_MS);
    // Not ready, so the port was bound at the latest half a second in (src/app/run.ts): the probes are answered.
    await labeller.waitForLog(/serving/, CONVERGE_MS);
    assert.equal((await labeller.http('/readyz')).status, 503);
    await plane.createNode('late');
    await until(hasAll('late', NANO), 'the labels once it registers');
    await until(async () => (await labeller.http('/readyz')).status === 200, 'readiness');
  });

  test('a concurrent writer makes its patch conflict (409); it re-reads and keeps both changes', async () => {
    await plane.createNode('nano');
    // Another writer changes the node just before the labeller's patch reaches the server, so the patch's
    // resourceVersion precondition is stale and the real server answers 409 Conflict.
    proxy.beforeNext({ method: 'PATCH', pathIncludes: '/nodes/nano' }, async () => {
      await plane.updateNode('nano', (node) => {
        node.metadata.labels = { ...node.metadata.labels, 'racing.example.com/writer': 'kept' };
      });
    });
    const labeller = startRun('nano');
    await until(hasAll('nano', { ...NANO, 'racing.example.com/writer': 'kept' }), "both writers' labels");
    await until(async () => (await labeller.metric('dt_node_labeller_reconciles_total{result="conflict"}')) === 1, 'the conflict counted');
    const patches = seen().filter((r) => r.method === 'PATCH' && r.path.startsWith('/api/v1/nodes/nano'));
    assert.ok(
      patches.some((r) => r.status === 409 && !r.injected),
      `the real server answered 409: ${JSON.stringify(patches)}`,
    );
  });

  test('through an API outage it keeps serving metrics, then converges soon after the API returns', async () => {
    await plane.createNode('nano');
    const labeller = startRun('nano');
    await idle('nano', 1);
    const errorsBefore = (await labeller.metric('dt_node_labeller_api_errors_total{code="none"}')) ?? 0;
    await proxy.refuse(true);
    await labeller.waitForLog(/(watching|labelling) node nano failed/, CONVERGE_MS);
    assert.equal((await labeller.http('/healthz')).status, 200, 'alive during the outage');
    await until(async () => ((await labeller.metric('dt_node_labeller_api_errors_total{code="none"}')) ?? 0) > errorsBefore, 'errors counted');
    // A change it cannot see: the admin reaches the server, the labeller does not.
    await plane.updateNode('nano', (node) => void delete node.metadata.labels?.[`${P}/nvidia-gm20b`]);
    await proxy.refuse(false);
    await until(hasAll('nano', NANO), 'convergence within 10 s of the API coming back', 10_000);
  });

  test('503s and 429s are retried with backoff; it converges once they stop', async () => {
    await plane.createNode('nano');
    proxy.failNext(1, { status: 503, pathIncludes: '/api/v1/nodes' });
    // Plain text, as the real server's max-in-flight and priority-and-fairness filters answer 429 (not a
    // Status). Theirs carries Retry-After: 1; the proxy's carries none, so no second is spent per 429.
    proxy.failNext(2, { status: 429, method: 'PATCH', body: 'text' });
    const labeller = startRun('nano');
    await until(hasAll('nano', NANO), 'the labels after the failures', 10_000);
    assert.ok(((await labeller.metric('dt_node_labeller_api_errors_total{code="503"}')) ?? 0) >= 1);
    assert.equal(await labeller.metric('dt_node_labeller_api_errors_total{code="429"}'), 2);
    assert.deepEqual(
      seen()
        .filter((r) => r.injected)
        .map((r) => `${r.method} ${r.status}`),
      ['GET 503', 'PATCH 429', 'PATCH 429'],
      'the list failed, then the patch twice',
    );
  });

  test('a missing permission is one clear log line; it recovers when the permission is granted', async () => {
    await plane.createNode('nano');
    // Real RBAC: a ServiceAccount with the chart's permissions but for patch on nodes, its token from the
    // TokenRequest API, and a kubeconfig (through the proxy) carrying it.
    await plane.kubectl(['apply', '-f', '-'], { input: labellerRbac(['get', 'list', 'watch']) }).then((r) => assert.equal(r.code, 0, r.stderr));
    const token = await plane.token('default', RESTRICTED);
    // RBAC changes reach the API server's authorizer through an informer, a moment after they are stored: a
    // labeller that starts sooner would also be refused its watch, a second episode this test does not expect.
    await until(async () => (await plane.call('GET', '/api/v1/nodes/nano', undefined, { token })).status === 200, 'the granted verbs in force');
    const restricted = plane.kubeconfig(dir, { token, server: proxy.url, fileName: 'restricted.kubeconfig' });
    const labeller = startRun('nano', [], 'jetson-nano-l4t.dtb', {}, restricted);
    const line = await labeller.waitForLog(/ refused: /, CONVERGE_MS);
    assert.match(line.message, /^labelling node nano refused: .*cannot patch resource "nodes".* — the service account needs get, list, watch and patch on nodes$/);
    assert.match(line.message, /User "system:serviceaccount:default:restricted-labeller" cannot patch/, "the real server names the token's user");
    assert.equal(line.status, 403);
    assert.equal(line.level, 'error');
    await until(async () => ((await labeller.metric('dt_node_labeller_api_errors_total{code="403"}')) ?? 0) >= 1, 'the denial counted');
    assert.equal((await labeller.http('/readyz')).status, 503);
    assert.deepEqual(await labelsOf('nano'), {}, 'nothing written without the permission');
    await plane.kubectl(['apply', '-f', '-'], { input: labellerRbac(['get', 'list', 'watch', 'patch']) }).then((r) => assert.equal(r.code, 0, r.stderr));
    // The next attempt is at most 2 s after the first. That later denials are logged at debug level only, and
    // come less and less often, is proven in virtual time (controller.test.ts), without seconds of real backoff.
    await until(hasAll('nano', NANO), 'the labels once allowed', 10_000);
    const refused = labeller.logsMatching(/ refused: /);
    assert.equal(refused.length, 1, `one error line for the episode:\n${refused.map((l) => l.message).join('\n')}`);
    assert.ok(
      labeller.logsMatching(/ refused again: /).every((l) => l.level === 'debug'),
      'denials after the first at debug level only',
    );
    await until(async () => (await labelEvents('nano')).length === 1, 'the LabelsUpdated event, recorded with the events Role');
    await until(async () => (await labeller.http('/readyz')).status === 200, 'ready');
  });

  test('an unreadable devicetree: error logged and exported, not ready, still alive; SIGHUP recovers', async () => {
    await plane.createNode('nano');
    const labeller = startRun('nano');
    await until(hasAll('nano', NANO), 'the labels');
    rmSync(dtb);
    labeller.child.kill('SIGHUP');
    await labeller.waitForLog(/cannot read the devicetree/, CONVERGE_MS);
    assert.equal(await labeller.metric('dt_node_labeller_devicetree_error'), 1);
    assert.equal((await labeller.http('/readyz')).status, 503);
    assert.equal((await labeller.http('/healthz')).status, 200);
    assert.ok(await hasAll('nano', NANO)(), 'labels already applied stay: an unreadable tree is not new hardware');
    copyFileSync(fixture('jetson-nano-l4t.dtb'), dtb);
    labeller.child.kill('SIGHUP');
    await until(async () => (await labeller.http('/readyz')).status === 200, 'ready again');
    assert.equal(await labeller.metric('dt_node_labeller_devicetree_error'), 0);
  });

  test('a machine without any devicetree (x86, ACPI): says so once, stays up, ready and idle, touches nothing', async () => {
    await plane.createNode('x86', { labels: { 'kubernetes.io/arch': 'amd64' } });
    mkdirSync(join(dir, 'x86-host'), { recursive: true }); // a host root with no devicetree in it
    const labeller = LabellerProcess.start(['run', '--host-root', join(dir, 'x86-host'), '--node-name', 'x86', '--kubeconfig', kubeconfig, '--metrics-address', '127.0.0.1:0']);
    processes.push(labeller);
    const line = await labeller.waitForLog(/has no devicetree/, CONVERGE_MS);
    assert.equal(line.level, 'info');
    await delay(500);
    assert.equal(labeller.child.exitCode, null, 'no crash loop');
    assert.equal((await labeller.http('/readyz')).status, 200, 'ready: a DaemonSet rollout must not stall on it');
    assert.equal(await labeller.metric('dt_node_labeller_devicetree_present'), 0);
    assert.equal(await labeller.metric('dt_node_labeller_devicetree_error'), 0);
    assert.match((await labeller.http('/metrics')).body, /^dt_node_labeller_info\{version="[^"]+",source="",model=""\} 1$/m);
    assert.deepEqual(await labelsOf('x86'), { 'kubernetes.io/arch': 'amd64' });
    assert.equal(seen().filter((r) => r.method === 'PATCH' && r.path.startsWith('/api/v1/nodes/x86')).length, 0);
  });

  test('SIGTERM and SIGINT end it cleanly within 5 s, also in the middle of backing off; labels stay', async () => {
    await plane.createNode('nano');
    const labeller = startRun('nano');
    await until(hasAll('nano', NANO), 'the labels');
    const exit = await labeller.signal('SIGTERM');
    assert.deepEqual([exit.code, exit.signal], [0, null]);
    assert.ok(exit.ms < 5000, `took ${exit.ms} ms`);
    await labeller.waitForLog(/stopped; labels stay in place/);
    assert.ok(await hasAll('nano', NANO)());

    // An API outage that answers: every request 503 (from the proxy, as a load balancer with no healthy
    // server would answer), so the next labeller is backing off when the signal comes.
    proxy.failNext(1_000_000, { status: 503 });
    try {
      const backingOff = startRun('nano');
      await backingOff.waitForLog(/failed/, CONVERGE_MS);
      const interrupted = await backingOff.signal('SIGINT');
      assert.equal(interrupted.code, 0);
      assert.ok(interrupted.ms < 5000, `took ${interrupted.ms} ms`);
    } finally {
      proxy.clearFaults();
    }
  });

  test('a metrics port another process holds does not hold up the labels; SIGTERM while it waits for the port exits 0', async () => {
    // As in a DaemonSet hand-over on the host network: the pod being replaced still has the port.
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    try {
      const port = (holder.address() as AddressInfo).port;
      await plane.createNode('nano');
      const labeller = startRun('nano', ['--metrics-address', `127.0.0.1:${port}`]);
      await until(hasAll('nano', NANO), 'the labels, with the port still taken');
      await labeller.waitForLog(new RegExp(`port ${port} is in use; trying again`));
      const exit = await labeller.signal('SIGTERM');
      assert.deepEqual([exit.code, exit.signal], [0, null], labeller.transcript());
      assert.ok(exit.ms < 5000, `took ${exit.ms} ms`);
      assert.equal(labeller.logsMatching(/serving \/metrics/).length, 0, 'it never took the port');
    } finally {
      holder.close();
    }
  });

  test('survives dropped watches and an expired resourceVersion (410): it relists and keeps converging', async () => {
    await plane.createNode('nano');
    const labeller = startRun('nano');
    // Its first Event written too, not only its watch open: a connection cut while that POST is on its way
    // loses the Event (it is not retried), and the count below would be one short.
    await idle('nano', 1);
    proxy.dropConnections();
    await kc('label', 'node', 'nano', `${P}/nvidia-gm20b-`);
    await until(hasAll('nano', NANO), 'repair after a dropped watch', 10_000);

    await idle('nano', 2);
    const listsBefore = seen().filter((r) => !r.watch && r.method === 'GET' && r.path.startsWith('/api/v1/nodes?')).length;
    // While it cannot reach the server, the node changes and etcd compacts its history past the
    // resourceVersion the labeller will resume its watch from: the real server then ends that watch with 410.
    // Several changes, not one: compactEtcd() compacts at the newest revision, and a watch resumed from just
    // before it starts at the compacted revision itself, which etcd allows; the API server then fails it with
    // 500 "etcd event received with PrevKv=nil" (the change's previous version is gone), not 410.
    await proxy.refuse(true);
    for (let i = 0; i < 3; i++)
      await plane.updateNode('nano', (node) => {
        node.metadata.annotations = { ...node.metadata.annotations, churn: String(i) };
      });
    await plane.updateNode('nano', (node) => void delete node.metadata.labels?.[`${P}/nvidia-tegra210`]);
    await plane.compactEtcd();
    await proxy.refuse(false);
    await until(hasAll('nano', NANO), 'repair after a relist', 10_000);

    const watches = seen().filter((r) => r.watch && r.path.includes('fieldSelector=metadata.name%3Dnano'));
    assert.ok(watches.length >= 3, `watches resumed: ${watches.map((r) => r.path).join('\n')}`);
    const expired = watches.filter((r) => r.events.some((e) => e.type === 'ERROR'));
    assert.ok(expired.length >= 1 && expired.every((r) => r.status === 200), `the real server answers 200 and ends the stream with an ERROR event: ${JSON.stringify(watches)}`);
    const lists = seen().filter((r) => !r.watch && r.method === 'GET' && r.path.startsWith('/api/v1/nodes?'));
    assert.ok(lists.length >= 2 && lists.length > listsBefore, `listed at start and after the 410: ${lists.map((r) => r.path).join('\n')}`);
    assert.deepEqual(
      lists.filter((r) => !r.path.includes('fieldSelector=metadata.name%3Dnano')),
      [],
      'never lists other nodes',
    );
    assert.ok(labeller.logsMatching(/^watch resourceVersion expired \(410 Gone\); listing the node again$/).length > 0, labeller.transcript());
  });

  test('--once labels the node and exits 0; exits 1 when it cannot', async () => {
    await plane.createNode('nano');
    copyFileSync(fixture('jetson-nano-l4t.dtb'), join(dir, 'once.dtb'));
    // Side by side: the second never reaches the API server.
    const once = LabellerProcess.start(['run', '--once', '--dtb', join(dir, 'once.dtb'), '--node-name', 'nano', '--kubeconfig', kubeconfig]);
    const missing = LabellerProcess.start(['run', '--once', '--dtb', join(dir, 'missing.dtb'), '--node-name', 'nano', '--kubeconfig', kubeconfig]);
    processes.push(once, missing);
    assert.deepEqual(await once.exited, { code: 0, signal: null });
    assert.ok(await hasAll('nano', NANO)());

    assert.deepEqual(await missing.exited, { code: 1, signal: null });
    assert.match(missing.transcript(), /cannot read the devicetree/);
    // The closing line names the server from the kubeconfig (here the proxy's address).
    assert.equal(missing.logs.at(-1)?.message, `could not label node nano at ${proxy.url} in 5 attempts; giving up (--once)`);
  });

  test('a kubeconfig whose user is an exec credential plugin: the plugin runs and its token is used', async () => {
    // The client-go credential plugin protocol (Kubernetes docs, "client-go credential plugins"): the kubeconfig
    // names a command, which prints an ExecCredential whose status carries the token. The bundle loads
    // node:child_process only when such a plugin is run (scripts/build.ts), so this is its test.
    await plane.createNode('nano');
    copyFileSync(fixture('jetson-nano-l4t.dtb'), join(dir, 'exec.dtb'));
    const config = JSON.parse(readFileSync(kubeconfig, 'utf8')) as { users: [{ name: string; user: Record<string, unknown> }] };
    const token = config.users[0].user.token as string;
    const ran = join(dir, 'exec-plugin-ran');
    const credential = { apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status: { token } };
    const plugin = `require('node:fs').appendFileSync(${JSON.stringify(ran)}, 'ran\\n'); console.log(${JSON.stringify(JSON.stringify(credential))});`;
    config.users[0].user = { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: process.execPath, args: ['-e', plugin], interactiveMode: 'Never' } };
    const execConfig = join(dir, 'exec.kubeconfig');
    writeFileSync(execConfig, JSON.stringify(config));
    const once = LabellerProcess.start(['run', '--once', '--dtb', join(dir, 'exec.dtb'), '--node-name', 'nano', '--kubeconfig', execConfig]);
    processes.push(once);
    assert.deepEqual(await once.exited, { code: 0, signal: null }, once.transcript());
    assert.ok(await hasAll('nano', NANO)());
    assert.ok(readFileSync(ran, 'utf8').startsWith('ran\n'), 'the plugin ran');
  });

  test("a kubeconfig's proxy-url: requests go through an HTTP CONNECT proxy or a SOCKS5 proxy", async () => {
    // client-node's proxy agents (hpagent, socks-proxy-agent with socks) are evaluated on first use in the
    // bundle (scripts/lazy-imports.ts), so these are their tests: TLS runs through each tunnel to the server.
    await Promise.all(['via-connect', 'via-socks'].map((name) => plane.createNode(name)));
    const [connectProxy, socksProxy] = await Promise.all([startConnectProxy(), startSocks5Proxy()]);
    try {
      const config = JSON.parse(readFileSync(kubeconfig, 'utf8')) as { clusters: [{ cluster: Record<string, unknown> }] };
      const server = new URL(config.clusters[0].cluster.server as string);
      for (const [name, tunnel] of [
        ['via-connect', connectProxy],
        ['via-socks', socksProxy],
      ] as const) {
        config.clusters[0].cluster['proxy-url'] = tunnel.url;
        const proxied = join(dir, `${name}.kubeconfig`);
        writeFileSync(proxied, JSON.stringify(config));
        copyFileSync(fixture('jetson-nano-l4t.dtb'), join(dir, `${name}.dtb`));
        const once = LabellerProcess.start(['run', '--once', '--dtb', join(dir, `${name}.dtb`), '--node-name', name, '--kubeconfig', proxied]);
        processes.push(once);
        assert.deepEqual(await once.exited, { code: 0, signal: null }, once.transcript());
        assert.ok(await hasAll(name, NANO)(), `${name} is labelled`);
        assert.ok(tunnel.tunnels.length > 0 && tunnel.tunnels.every((target) => target === server.host), `${name}: tunnels to ${tunnel.tunnels.join(', ')}`);
      }
      // The server is addressed by IP, which socks-proxy-agent does not name to TLS (api-request.ts checks the
      // certificate itself): a name the certificate does not carry is still refused.
      config.clusters[0].cluster['tls-server-name'] = 'not-the-api-server.example';
      const wrongName = join(dir, 'wrong-name.kubeconfig');
      writeFileSync(wrongName, JSON.stringify(config));
      const refused = LabellerProcess.start(['run', '--once', '--dtb', join(dir, 'via-socks.dtb'), '--node-name', 'via-socks', '--kubeconfig', wrongName]);
      processes.push(refused);
      assert.deepEqual(await refused.exited, { code: 1, signal: null }, refused.transcript());
      assert.match(refused.transcript(), /ERR_TLS_CERT_ALTNAME_INVALID/);
    } finally {
      await Promise.all([connectProxy.stop(), socksProxy.stop()]);
    }
  });

  test('a URL that is not a Kubernetes API server is an error, not "node not found"', async () => {
    const web = createServer((_request, response) => response.writeHead(404, { 'content-type': 'text/html' }).end('<!DOCTYPE HTML>\n<html><body>Not Found</body></html>\n'));
    await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(web.address() as AddressInfo).port}`;
      copyFileSync(fixture('jetson-nano-l4t.dtb'), join(dir, 'web.dtb'));
      const once = LabellerProcess.start(['run', '--once', '--dtb', join(dir, 'web.dtb'), '--node-name', 'nano', '--api-server', url], {
        KUBECONFIG: join(dir, 'none'),
        HOME: dir,
      });
      processes.push(once);
      // The first attempt's answer is what matters; the four more attempts --once makes (and the
      // giving-up line) take 10-20 s of real backoff, proven in virtual time and by the --once test above.
      const refused = await once.waitForLog(/ refused: /, CONVERGE_MS);
      assert.match(refused.message, /HTTP 404, and the answer is not a Kubernetes Status/);
      assert.equal(once.logsMatching(/waiting for it to register/).length, 0, once.transcript());
      await once.kill();
    } finally {
      web.close();
    }
  });

  test('cleanup removes only the labels it owns, from its node or from every node', async () => {
    for (const name of ['a', 'b', 'c']) await plane.createNode(name, { labels: { 'kubernetes.io/hostname': name, [`${P}/custom`]: 'admin' } });
    const labellers = ['a', 'b'].map((name) => startRun(name));
    for (const name of ['a', 'b']) await until(hasAll(name, NANO), `labels on ${name}`);
    for (const labeller of labellers) await labeller.signal('SIGTERM');
    const one = await runToEnd(['cleanup', '--node-name', 'a', '--kubeconfig', kubeconfig]);
    assert.equal(one.code, 0, one.stderr);
    assert.match(one.stdout, /^a: removed beta\.devicetree\.org\/arm-armv8, /);
    assert.deepEqual(await labelsOf('a'), { 'kubernetes.io/hostname': 'a', [`${P}/custom`]: 'admin' });
    assert.equal(await owned('a'), undefined);
    assert.ok(await hasAll('b', NANO)(), 'only its own node');

    const all = await runToEnd(['cleanup', '--all-nodes', '--kubeconfig', kubeconfig]);
    assert.equal(all.code, 0, all.stderr);
    assert.match(all.stdout, /^a: nothing to remove\nb: removed .*\nc: nothing to remove\n$/);
    for (const name of ['a', 'b', 'c']) assert.deepEqual(await labelsOf(name), { 'kubernetes.io/hostname': name, [`${P}/custom`]: 'admin' });
    const listed = seen().filter((r) => r.method === 'GET' && r.path.startsWith('/api/v1/nodes?') && !r.path.includes('fieldSelector'));
    assert.ok(listed.length >= 1 && listed.every((r) => r.kind === 'PartialObjectMetadataList'), `--all-nodes lists metadata only: ${JSON.stringify(listed)}`);
  });

  async function runToEnd(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const child = LabellerProcess.start(args, env);
    processes.push(child);
    const { code } = await child.exited;
    return { code, stdout: child.stdout, stderr: child.transcript() };
  }

  // No API server is involved in this mode: it is here with the other run modes.
  test('--nfd-features-file: writes the labels for NFD instead of patching, keeps the file true, cleanup removes it', async () => {
    await plane.createNode('nano');
    const features = join(dir, 'features.d');
    mkdirSync(features, { recursive: true });
    const file = join(features, 'dt-node-labeller');
    const labeller = startRun('nano', ['--nfd-features-file', file]);
    const expected = `${Object.entries(NANO)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n')}\n`;
    await until(() => existsSync(file) && readFileSync(file, 'utf8').endsWith(expected), 'the feature file');
    await until(async () => (await labeller.http('/readyz')).status === 200, 'readiness');
    assert.deepEqual(readdirSync(features), ['dt-node-labeller'], 'no temporary file left behind');
    assert.deepEqual(await labelsOf('nano'), {}, 'the node itself is left to NFD');

    // A deleted file is written again at the next reconcile. The resync that triggers one on its own is proven
    // in virtual time; here a SIGHUP with a changed devicetree triggers it without a 10 s wait.
    rmSync(file);
    copyFileSync(fixture('raspberry-pi-4.dtb'), dtb);
    labeller.child.kill('SIGHUP');
    await until(
      () => existsSync(file) && readFileSync(file, 'utf8').includes(`${P}/raspberrypi-4-model-b=1`) && !readFileSync(file, 'utf8').includes('nvidia'),
      'the deleted file rewritten with the new labels',
    );

    await labeller.signal('SIGTERM');
    const removed = await runToEnd(['cleanup', '--nfd-features-file', file]);
    assert.equal(removed.code, 0, removed.stderr);
    assert.equal(existsSync(file), false);
    assert.deepEqual(seen(), [], 'no request to any API server');
  });

  test('--publish-nodefeature: publishes a NodeFeature for nfd-master instead of patching; repairs it; cleanup deletes it', async () => {
    // The CRD, and namespace nfd: a real server has namespaces, and refuses (404) an object in one that does not exist.
    const failed = await nodeFeatureApi;
    if (failed !== undefined) throw failed;
    await plane.createNode('nano');
    const labeller = startRun('nano', ['--publish-nodefeature'], 'jetson-nano-l4t.dtb', { POD_NAMESPACE: 'nfd' });
    const objectOf = async () => {
      const answer = await plane.call<KubeObject & { spec: { labels?: Record<string, string> } }>('GET', `${NODE_FEATURES_API}/namespaces/nfd/nodefeatures/dt-node-labeller-nano`);
      return answer.status === 200 ? answer.body : undefined;
    };
    await until(async () => (await objectOf()) !== undefined, 'the NodeFeature');
    const published = await objectOf();
    assert.equal(published?.metadata.labels?.['nfd.node.kubernetes.io/node-name'], 'nano');
    assert.deepEqual(published?.spec.labels, NANO);
    await until(async () => (await labeller.http('/readyz')).status === 200, 'readiness');
    assert.deepEqual(await labelsOf('nano'), {}, 'the node itself is left to nfd-master');

    const listed = await kc('get', 'nodefeatures', '-n', 'nfd', '-o', 'name');
    assert.match(listed, /nodefeature\.nfd\.k8s-sigs\.io\/dt-node-labeller-nano/);
    // Repairs: the object's labels are replaced whole at the next reconcile, and a deleted object is created
    // again. The resync that triggers reconciles on its own is proven in virtual time; a SIGHUP with a changed
    // devicetree triggers them here without two 10 s waits.
    await kc(
      'patch',
      'nodefeature',
      'dt-node-labeller-nano',
      '-n',
      'nfd',
      '--type',
      'merge',
      '-p',
      JSON.stringify({ spec: { labels: { [`${P}/nvidia-gm20b`]: null, 'extra.example.com/x': 'y' } } }),
    );
    copyFileSync(fixture('raspberry-pi-4.dtb'), dtb);
    labeller.child.kill('SIGHUP');
    await until(async () => JSON.stringify((await objectOf())?.spec.labels) === JSON.stringify(PI4), 'the edited object holding exactly the new labels');
    await kc('delete', 'nodefeature', 'dt-node-labeller-nano', '-n', 'nfd');
    copyFileSync(fixture('jetson-nano-l4t.dtb'), dtb);
    labeller.child.kill('SIGHUP');
    await until(async () => JSON.stringify((await objectOf())?.spec.labels) === JSON.stringify(NANO), 'the deleted object recreated');

    await labeller.signal('SIGTERM');
    const cleaned = await runToEnd(['cleanup', '--publish-nodefeature', '--node-name', 'nano', '--kubeconfig', kubeconfig], { POD_NAMESPACE: 'nfd' });
    assert.equal(cleaned.code, 0, cleaned.stderr);
    assert.equal(cleaned.stdout, 'nano: removed NodeFeature nfd/dt-node-labeller-nano\n');
    assert.equal(await objectOf(), undefined);
  });

  test('the API server restarts while it runs: it reconnects and repairs a label kubectl removed afterwards', async () => {
    await plane.createNode('nano');
    const labeller = startRun('nano');
    await until(hasAll('nano', NANO), 'the labels');
    await until(() => openWatches() === 1, 'its watch');
    const watchesBefore = seen().filter((r) => r.watch).length;
    await plane.restartApiServer();
    await kc('label', 'node', 'nano', `${P}/nvidia-gm20b-`);
    await until(hasAll('nano', NANO), 'the label back after the restart', 15_000);
    assert.ok(seen().filter((r) => r.watch).length > watchesBefore, 'it watched again');
    assert.equal(labeller.child.exitCode, null, 'still running');
    assert.equal((await labeller.http('/readyz')).status, 200);
  });
});
