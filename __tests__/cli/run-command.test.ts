// End-to-end: the built CLI's `run`, `run --once` and `cleanup` as child processes against the fake API
// server, with the machine's real kubectl making the changes a cluster admin would make.
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
/** The default instance's ownership annotation, the key every release has used (written out, not imported). */
const OWNED_LABELS_ANNOTATION = 'dt-node-labeller.beta.devicetree.org/owned-labels';
import { fixture } from '../helpers/corpus.ts';
import { eventually } from '../helpers/eventually.ts';
import { JETSON_NANO_LABELS } from '../helpers/expected-labels.ts';
import { FakeApiServer } from '../helpers/fake-api-server.ts';
import { kubectl, kubectlMissing } from '../helpers/kubectl.ts';
import { LabellerProcess } from '../helpers/labeller-process.ts';

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

const skip = kubectlMissing() ?? false;

describe('run: end to end against the fake API server, driven by kubectl', { skip }, () => {
  const server = new FakeApiServer();
  let dir = '';
  let kubeconfig = '';
  let dtb = '';
  const processes: LabellerProcess[] = [];

  before(async () => {
    await server.start();
    dir = mkdtempSync(join(tmpdir(), 'run-e2e-'));
    kubeconfig = server.writeKubeconfig(dir);
  });
  after(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  afterEach(async () => {
    for (const labeller of processes.splice(0)) await labeller.kill();
    await server.outage(false); // a failed test must not leave the next one without a server
    server.clearFaults();
    for (const node of server.store.list('nodes')) server.deleteNode(node.metadata.name);
  });

  /** Starts `run` for node `name` on a private copy of a fixture blob (so tests can swap it). */
  function startRun(name: string, extra: string[] = [], blob = 'jetson-nano-l4t.dtb', env: Record<string, string> = {}): LabellerProcess {
    dtb = join(dir, `${name}.dtb`);
    copyFileSync(fixture(blob), dtb);
    const labeller = LabellerProcess.start(['run', '--dtb', dtb, '--node-name', name, '--kubeconfig', kubeconfig, '--metrics-address', '127.0.0.1:0', '--log-level', 'debug', ...extra], env);
    processes.push(labeller);
    return labeller;
  }

  const labelsOf = (name: string): Record<string, string> => server.getNode(name)?.metadata.labels ?? {};
  const hasAll = (name: string, expected: Record<string, string>) => () => Object.entries(expected).every(([k, v]) => labelsOf(name)[k] === v);
  const hasNone = (name: string, keys: string[]) => () => keys.every((k) => !(k in labelsOf(name)));
  async function kc(...args: string[]): Promise<string> {
    const result = await kubectl(kubeconfig, join(dir, 'cache'), args);
    assert.equal(result.code, 0, `kubectl ${args.join(' ')}: ${result.stderr}`);
    return result.stdout;
  }

  test('labels its node, records ownership, serves metrics, becomes ready and records an event', async () => {
    server.addNode('nano', { labels: { 'kubernetes.io/hostname': 'nano' } });
    const labeller = startRun('nano');
    await eventually(hasAll('nano', NANO), 'the Jetson Nano labels', CONVERGE_MS);
    const node = JSON.parse(await kc('get', 'node', 'nano', '-o', 'json'));
    assert.deepEqual(node.metadata.labels, { 'kubernetes.io/hostname': 'nano', ...NANO });
    assert.equal(node.metadata.annotations[OWNED_LABELS_ANNOTATION], Object.keys(NANO).sort().join(','));

    await eventually(async () => (await labeller.http('/readyz')).status === 200, 'readiness', CONVERGE_MS);
    assert.equal((await labeller.http('/healthz')).status, 200);
    assert.equal(await labeller.metric('dt_node_labeller_labels'), Object.keys(NANO).length);
    assert.equal(await labeller.metric('dt_node_labeller_reconciles_total{result="applied"}'), 1);
    assert.equal(await labeller.metric('dt_node_labeller_devicetree_error'), 0);
    const { body } = await labeller.http('/metrics');
    assert.match(body, /^dt_node_labeller_info\{version="[^"]+",source="[^"]+nano\.dtb",model="NVIDIA Jetson Nano Developer Kit"\} 1$/m);
    assert.match(body, /^process_resident_memory_bytes \d+/m);
    assert.ok((await labeller.metric('dt_node_labeller_last_successful_reconcile_timestamp_seconds')) ?? 0 > Date.now() / 1000 - 60);

    const events = await kc('get', 'events', '-n', 'default', '-o', 'json');
    const event = JSON.parse(events).items.find((e: { reason: string }) => e.reason === 'LabelsUpdated');
    assert.ok(event, `a LabelsUpdated event: ${events}`);
    assert.equal(event.involvedObject.name, 'nano');
    assert.match(event.message, /added .*nvidia-jetson-nano/);
    assert.ok(labeller.logs.every((line) => line.node === 'nano'), 'every log line names the node');
    assert.deepEqual(labeller.otherOutput, [], 'nothing but JSON log lines on stderr');
    assert.equal(labeller.stdout, '');
  });

  test('puts back an owned label that kubectl removed or overwrote; leaves foreign labels alone', async () => {
    server.addNode('nano');
    startRun('nano');
    await eventually(hasAll('nano', NANO), 'the labels', CONVERGE_MS);

    await kc('label', 'node', 'nano', `${P}/nvidia-gm20b-`);
    await eventually(hasAll('nano', NANO), 'the removed label back', CONVERGE_MS);
    await kc('label', 'node', 'nano', `${P}/nvidia-jetson-nano=0`, '--overwrite');
    await eventually(hasAll('nano', NANO), 'the overwritten label back', CONVERGE_MS);

    await kc('label', 'node', 'nano', 'team=vision', `${P}/custom=yes`);
    await kc('annotate', 'node', 'nano', 'owner=platform');
    await eventually(() => labelsOf('nano').team === 'vision', 'the foreign label stored');
    // Give it a resync-free moment to misbehave: another drift repair proves it has seen the new state.
    await kc('label', 'node', 'nano', `${P}/nvidia-gm20b-`);
    await eventually(hasAll('nano', NANO), 'the label back again', CONVERGE_MS);
    const node = server.getNode('nano');
    assert.equal(node?.metadata.labels?.team, 'vision');
    assert.equal(node?.metadata.labels?.[`${P}/custom`], 'yes');
    assert.equal(node?.metadata.annotations?.owner, 'platform');
    assert.equal(node?.metadata.annotations?.[OWNED_LABELS_ANNOTATION], Object.keys(NANO).sort().join(','), 'foreign keys are not claimed');
  });

  test('a label someone else already set under its prefix is left alone and reported', async () => {
    server.addNode('nano', { labels: { [`${P}/nvidia-gm20b`]: 'set-by-admin' } });
    const labeller = startRun('nano');
    const { [`${P}/nvidia-gm20b`]: _, ...rest } = NANO;
    await eventually(hasAll('nano', rest), 'the other labels', CONVERGE_MS);
    assert.equal(labelsOf('nano')[`${P}/nvidia-gm20b`], 'set-by-admin');
    await eventually(async () => (await labeller.metric('dt_node_labeller_label_conflicts')) === 1, 'the conflict metric', CONVERGE_MS);
    await labeller.waitForLog(/set by someone else/);
    assert.ok(!server.getNode('nano')?.metadata.annotations?.[OWNED_LABELS_ANNOTATION]?.includes('nvidia-gm20b,'));
  });

  test('SIGHUP re-reads the devicetree: labels that are no longer true go, new ones come, foreign ones stay', async () => {
    server.addNode('board', { labels: { [`${P}/custom`]: 'admin' } });
    const labeller = startRun('board');
    await eventually(hasAll('board', NANO), 'the Nano labels', CONVERGE_MS);
    copyFileSync(fixture('raspberry-pi-4.dtb'), dtb);
    labeller.child.kill('SIGHUP');
    await eventually(() => hasAll('board', PI4)() && hasNone('board', Object.keys(NANO))(), 'the Pi labels instead', CONVERGE_MS);
    assert.equal(labelsOf('board')[`${P}/custom`], 'admin');
    assert.equal(server.getNode('board')?.metadata.annotations?.[OWNED_LABELS_ANNOTATION], Object.keys(PI4).sort().join(','));
    const messages = () => server.events('default').filter((e) => (e.involvedObject as { name?: string } | undefined)?.name === 'board').map((e) => String(e.message));
    await eventually(
      () => messages().some((m) => /added .*raspberrypi-4-model-b.*; removed .*nvidia-jetson-nano/.test(m)),
      `an event naming the added and removed labels; got ${messages().join(' | ')}`,
    );
  });

  test('--adopt-existing takes over the Go labeller\'s matching labels, and leaves the rest alone', async () => {
    const fromGo = { ...NANO, [`${P}/nvidia-gm20b`]: '2', [`${P}/gone-board`]: '1' };
    server.addNode('nano', { labels: fromGo });
    const labeller = startRun('nano', ['--adopt-existing']);
    const adopted = Object.keys(NANO).filter((k) => k !== `${P}/nvidia-gm20b`).sort();
    await eventually(() => server.getNode('nano')?.metadata.annotations?.[OWNED_LABELS_ANNOTATION] === adopted.join(','), 'the matching labels adopted', CONVERGE_MS);
    assert.deepEqual(labelsOf('nano'), fromGo, 'adopting changes no label');
    await eventually(async () => (await labeller.metric('dt_node_labeller_label_conflicts')) === 1, 'the differing one reported');
  });

  test('--reread-interval picks up a changed devicetree without a signal (overlays applied at run time)', async () => {
    server.addNode('board');
    startRun('board', ['--reread-interval', '1s']);
    await eventually(hasAll('board', NANO), 'the Nano labels', CONVERGE_MS);
    copyFileSync(fixture('raspberry-pi-4.dtb'), dtb);
    await eventually(() => hasAll('board', PI4)() && hasNone('board', Object.keys(NANO))(), 'the Pi labels after the next re-read', CONVERGE_MS);
  });

  test('another --prefix is another instance: the old labels stay until cleanup --prefix OLD removes them', async () => {
    server.addNode('nano');
    const first = startRun('nano');
    await eventually(hasAll('nano', NANO), 'the labels', CONVERGE_MS);
    assert.equal((await first.signal('SIGTERM')).code, 0);
    assert.ok(hasAll('nano', NANO)(), 'a normal shutdown leaves the labels in place');

    startRun('nano', ['--prefix', 'devicetree.example.com']);
    const renamed = Object.fromEntries(Object.entries(NANO).map(([k, v]) => [k.replace(/^(tegra\.)?beta\.devicetree\.org/, (_, t = '') => `${t}devicetree.example.com`), v]));
    await eventually(hasAll('nano', renamed), 'the labels under the new prefix', CONVERGE_MS);
    assert.ok(hasAll('nano', NANO)(), 'the new instance never removes keys outside its own namespaces');
    const cleaned = await runToEnd(['cleanup', '--node-name', 'nano', '--kubeconfig', kubeconfig]);
    assert.equal(cleaned.code, 0, cleaned.stderr);
    assert.ok(hasNone('nano', Object.keys(NANO))(), 'cleanup with the old (default) prefix removed the old labels');
    assert.ok(hasAll('nano', renamed)(), 'and nothing of the new instance');
  });

  test('a deleted and re-registered node is labelled again', async () => {
    server.addNode('nano');
    const labeller = startRun('nano');
    await eventually(hasAll('nano', NANO), 'the labels', CONVERGE_MS);
    await kc('delete', 'node', 'nano');
    await labeller.waitForLog(/node not found/, CONVERGE_MS);
    server.addNode('nano', { labels: { 'kubernetes.io/hostname': 'nano' } });
    await eventually(hasAll('nano', NANO), 'the labels on the new node', CONVERGE_MS);
  });

  test('waits for a node that is not registered yet, not ready meanwhile', async () => {
    const labeller = startRun('late');
    await labeller.waitForLog(/node not found/, CONVERGE_MS);
    assert.equal((await labeller.http('/readyz')).status, 503);
    server.addNode('late');
    await eventually(hasAll('late', NANO), 'the labels once it registers', CONVERGE_MS);
    await eventually(async () => (await labeller.http('/readyz')).status === 200, 'readiness', CONVERGE_MS);
  });

  test('a concurrent writer makes its patch conflict (409); it re-reads and keeps both changes', async () => {
    server.addNode('nano');
    server.interfereNext({ method: 'PATCH', pathIncludes: '/nodes/nano' }, () =>
      server.updateNode('nano', (node) => void (node.metadata.labels = { ...node.metadata.labels, 'racing.example.com/writer': 'kept' })),
    );
    const labeller = startRun('nano');
    await eventually(hasAll('nano', { ...NANO, 'racing.example.com/writer': 'kept' }), 'both writers\' labels', CONVERGE_MS);
    await eventually(async () => (await labeller.metric('dt_node_labeller_reconciles_total{result="conflict"}')) === 1, 'the conflict counted');
    assert.ok(server.requests.some((r) => r.method === 'PATCH' && r.status === 409), 'the server answered 409');
  });

  test('through an API outage it keeps serving metrics, then converges soon after the API returns', async () => {
    server.addNode('nano');
    const labeller = startRun('nano');
    await eventually(hasAll('nano', NANO), 'the labels', CONVERGE_MS);
    const errorsBefore = (await labeller.metric('dt_node_labeller_api_errors_total{code="none"}')) ?? 0;
    await server.outage(true, 'refuse');
    await labeller.waitForLog(/(watching|labelling) node nano failed/, CONVERGE_MS);
    assert.equal((await labeller.http('/healthz')).status, 200, 'alive during the outage');
    await eventually(async () => ((await labeller.metric('dt_node_labeller_api_errors_total{code="none"}')) ?? 0) > errorsBefore, 'errors counted');
    await delay(2000);
    server.updateNode('nano', (node) => void delete node.metadata.labels?.[`${P}/nvidia-gm20b`]); // a change it could not see
    await server.outage(false);
    await eventually(hasAll('nano', NANO), 'convergence within 10 s of the API coming back', 10_000, 20);
  });

  test('503s and 429s are retried with backoff; it converges once they stop', async () => {
    server.addNode('nano');
    server.failNext(3, { status: 503, pathIncludes: '/api/v1/nodes' });
    server.failNext(2, { status: 429, method: 'PATCH', plainText: true });
    const labeller = startRun('nano');
    await eventually(hasAll('nano', NANO), 'the labels after the failures', 10_000, 20);
    assert.ok(((await labeller.metric('dt_node_labeller_api_errors_total{code="503"}')) ?? 0) >= 1);
    assert.equal(await labeller.metric('dt_node_labeller_api_errors_total{code="429"}'), 2);
  });

  test('a missing permission is one clear log line; it recovers when the permission is granted', async () => {
    server.addNode('nano');
    const allow = server.forbid({ verb: 'patch', resource: 'nodes' });
    const labeller = startRun('nano');
    const line = await labeller.waitForLog(/ refused: /, CONVERGE_MS);
    assert.match(line.message, /^labelling node nano refused: .*cannot patch resource "nodes".* — the service account needs get, list, watch and patch on nodes$/);
    await eventually(async () => ((await labeller.metric('dt_node_labeller_api_errors_total{code="403"}')) ?? 0) >= 3, 'several denied attempts', 10_000, 20);
    assert.equal(labeller.logsMatching(/ refused: /).length, 1, 'logged once as an error; retries only at debug level');
    assert.equal((await labeller.http('/readyz')).status, 503);
    allow();
    await eventually(hasAll('nano', NANO), 'the labels once allowed (the next retry is at most 16 s away)', 20_000, 20);
  });

  test('an unreadable devicetree: error logged and exported, not ready, still alive; SIGHUP recovers', async () => {
    server.addNode('nano');
    const labeller = startRun('nano');
    await eventually(hasAll('nano', NANO), 'the labels', CONVERGE_MS);
    rmSync(dtb);
    labeller.child.kill('SIGHUP');
    await labeller.waitForLog(/cannot read the devicetree/, CONVERGE_MS);
    assert.equal(await labeller.metric('dt_node_labeller_devicetree_error'), 1);
    assert.equal((await labeller.http('/readyz')).status, 503);
    assert.equal((await labeller.http('/healthz')).status, 200);
    assert.ok(hasAll('nano', NANO)(), 'labels already applied stay: an unreadable tree is not new hardware');
    copyFileSync(fixture('jetson-nano-l4t.dtb'), dtb);
    labeller.child.kill('SIGHUP');
    await eventually(async () => (await labeller.http('/readyz')).status === 200, 'ready again', CONVERGE_MS);
    assert.equal(await labeller.metric('dt_node_labeller_devicetree_error'), 0);
  });

  test('a machine without any devicetree (x86, ACPI): says so once, stays up, ready and idle, touches nothing', async () => {
    server.addNode('x86', { labels: { 'kubernetes.io/arch': 'amd64' } });
    const labeller = LabellerProcess.start(['run', '--host-root', join(dir, 'no-such-host'), '--node-name', 'x86', '--kubeconfig', kubeconfig, '--metrics-address', '127.0.0.1:0']);
    processes.push(labeller);
    const line = await labeller.waitForLog(/has no devicetree/, CONVERGE_MS);
    assert.equal(line.level, 'info');
    await delay(500);
    assert.equal(labeller.child.exitCode, null, 'no crash loop');
    assert.equal((await labeller.http('/readyz')).status, 200, 'ready: a DaemonSet rollout must not stall on it');
    assert.equal(await labeller.metric('dt_node_labeller_devicetree_present'), 0);
    assert.equal(await labeller.metric('dt_node_labeller_devicetree_error'), 0);
    assert.match((await labeller.http('/metrics')).body, /^dt_node_labeller_info\{version="[^"]+",source="",model=""\} 1$/m);
    assert.deepEqual(labelsOf('x86'), { 'kubernetes.io/arch': 'amd64' });
    assert.equal(server.requests.filter((r) => r.method === 'PATCH' && r.path.startsWith('/api/v1/nodes/x86')).length, 0);
  });

  test('SIGTERM and SIGINT end it cleanly within 5 s, also in the middle of backing off; labels stay', async () => {
    server.addNode('nano');
    const labeller = startRun('nano');
    await eventually(hasAll('nano', NANO), 'the labels', CONVERGE_MS);
    const exit = await labeller.signal('SIGTERM');
    assert.deepEqual([exit.code, exit.signal], [0, null]);
    assert.ok(exit.ms < 5000, `took ${exit.ms} ms`);
    await labeller.waitForLog(/stopped; labels stay in place/);
    assert.ok(hasAll('nano', NANO)());

    await server.outage(true, '503');
    try {
      const backingOff = startRun('nano');
      await backingOff.waitForLog(/failed/, CONVERGE_MS);
      const interrupted = await backingOff.signal('SIGINT');
      assert.equal(interrupted.code, 0);
      assert.ok(interrupted.ms < 5000, `took ${interrupted.ms} ms`);
    } finally {
      await server.outage(false);
    }
  });

  test('survives dropped watches and an expired resourceVersion (410): it relists and keeps converging', async () => {
    server.resetStats();
    server.addNode('nano');
    const labeller = startRun('nano');
    await eventually(hasAll('nano', NANO), 'the labels', CONVERGE_MS);
    await eventually(() => server.openWatches === 1, 'its watch');
    server.dropWatches();
    await kc('label', 'node', 'nano', `${P}/nvidia-gm20b-`);
    await eventually(hasAll('nano', NANO), 'repair after a dropped watch', 10_000, 20);

    await eventually(() => server.openWatches === 1, 'its watch again', 10_000);
    for (let i = 0; i < 3; i++) server.updateNode('nano', (node) => void (node.metadata.annotations = { ...node.metadata.annotations, churn: String(i) }));
    server.compactHistory();
    server.dropWatches();
    await kc('label', 'node', 'nano', `${P}/nvidia-tegra210-`);
    await eventually(hasAll('nano', NANO), 'repair after a relist', 10_000, 20);
    const watches = server.requests.filter((r) => r.watch && r.path.includes('fieldSelector=metadata.name%3Dnano'));
    assert.ok(watches.length >= 3, `watches resumed: ${watches.map((r) => r.path).join('\n')}`);
    const lists = server.requests.filter((r) => !r.userAgent.startsWith('kubectl') && r.path.startsWith('/api/v1/nodes?'));
    assert.ok(lists.length >= 2, 'listed at start and after the 410');
    assert.deepEqual(lists.filter((r) => !r.path.includes('fieldSelector=metadata.name%3Dnano')), [], 'never lists other nodes');
    assert.ok(labeller.logsMatching(/410|expired|relist/i).length > 0, labeller.transcript());
  });

  test('--once labels the node and exits 0; exits 1 when it cannot', async () => {
    server.addNode('nano');
    copyFileSync(fixture('jetson-nano-l4t.dtb'), join(dir, 'once.dtb'));
    const once = LabellerProcess.start(['run', '--once', '--dtb', join(dir, 'once.dtb'), '--node-name', 'nano', '--kubeconfig', kubeconfig]);
    processes.push(once);
    assert.deepEqual(await once.exited, { code: 0, signal: null });
    assert.ok(hasAll('nano', NANO)());

    const missing = LabellerProcess.start(['run', '--once', '--dtb', join(dir, 'missing.dtb'), '--node-name', 'nano', '--kubeconfig', kubeconfig]);
    processes.push(missing);
    assert.deepEqual(await missing.exited, { code: 1, signal: null });
    assert.match(missing.transcript(), /cannot read the devicetree/);
  });

  test('a URL that is not a Kubernetes API server is an error, not "node not found"; --once ends naming it', async () => {
    const web = createServer((_request, response) => response.writeHead(404, { 'content-type': 'text/html' }).end('<!DOCTYPE HTML>\n<html><body>Not Found</body></html>\n'));
    await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(web.address() as AddressInfo).port}`;
      copyFileSync(fixture('jetson-nano-l4t.dtb'), join(dir, 'web.dtb'));
      const once = LabellerProcess.start(['run', '--once', '--dtb', join(dir, 'web.dtb'), '--node-name', 'nano', '--api-server', url], { KUBECONFIG: join(dir, 'none'), HOME: dir });
      processes.push(once);
      assert.deepEqual(await once.exited, { code: 1, signal: null });
      assert.equal(once.logsMatching(/waiting for it to register/).length, 0, once.transcript());
      assert.match(once.logsMatching(/ refused: /)[0]?.message ?? '', /HTTP 404, and the answer is not a Kubernetes Status/);
      assert.equal(once.logs.at(-1)?.message, `could not label node nano at ${url} in 5 attempts; giving up (--once)`);
    } finally {
      web.close();
    }
  });

  test('cleanup removes only the labels it owns, from its node or from every node', async () => {
    for (const name of ['a', 'b', 'c']) server.addNode(name, { labels: { 'kubernetes.io/hostname': name, [`${P}/custom`]: 'admin' } });
    for (const name of ['a', 'b']) {
      const labeller = startRun(name);
      await eventually(hasAll(name, NANO), `labels on ${name}`, CONVERGE_MS);
      await labeller.signal('SIGTERM');
    }
    const one = await runToEnd(['cleanup', '--node-name', 'a', '--kubeconfig', kubeconfig]);
    assert.equal(one.code, 0, one.stderr);
    assert.match(one.stdout, /^a: removed beta\.devicetree\.org\/arm-armv8, /);
    assert.deepEqual(server.getNode('a')?.metadata.labels, { 'kubernetes.io/hostname': 'a', [`${P}/custom`]: 'admin' });
    assert.equal(server.getNode('a')?.metadata.annotations?.[OWNED_LABELS_ANNOTATION], undefined);
    assert.ok(hasAll('b', NANO)(), 'only its own node');

    const all = await runToEnd(['cleanup', '--all-nodes', '--kubeconfig', kubeconfig]);
    assert.equal(all.code, 0, all.stderr);
    assert.match(all.stdout, /^a: nothing to remove\nb: removed .*\nc: nothing to remove\n$/);
    for (const name of ['a', 'b', 'c']) assert.deepEqual(server.getNode(name)?.metadata.labels, { 'kubernetes.io/hostname': name, [`${P}/custom`]: 'admin' });
  });

  async function runToEnd(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const child = LabellerProcess.start(args, env);
    processes.push(child);
    const { code } = await child.exited;
    return { code, stdout: child.stdout, stderr: child.transcript() };
  }

  test('--nfd-features-file: writes the labels for NFD instead of patching, keeps the file true, cleanup removes it', async () => {
    server.addNode('nano');
    const features = join(dir, 'features.d');
    mkdirSync(features, { recursive: true });
    const file = join(features, 'dt-node-labeller');
    const labeller = startRun('nano', ['--nfd-features-file', file, '--resync-interval', '10s']);
    const expected = `${Object.entries(NANO).map(([k, v]) => `${k}=${v}`).join('\n')}\n`;
    await eventually(() => existsSync(file) && readFileSync(file, 'utf8').endsWith(expected), 'the feature file', CONVERGE_MS);
    await eventually(async () => (await labeller.http('/readyz')).status === 200, 'readiness');
    assert.deepEqual(readdirSync(features), ['dt-node-labeller'], 'no temporary file left behind');
    assert.deepEqual(labelsOf('nano'), {}, 'the node itself is left to NFD');

    rmSync(file);
    await eventually(() => existsSync(file), 'the deleted file rewritten at the next resync', 15_000);
    copyFileSync(fixture('raspberry-pi-4.dtb'), dtb);
    labeller.child.kill('SIGHUP');
    await eventually(() => readFileSync(file, 'utf8').includes(`${P}/raspberrypi-4-model-b=1`) && !readFileSync(file, 'utf8').includes('nvidia'), 'the new labels', CONVERGE_MS);

    await labeller.signal('SIGTERM');
    const removed = await runToEnd(['cleanup', '--nfd-features-file', file]);
    assert.equal(removed.code, 0, removed.stderr);
    assert.equal(existsSync(file), false);
  });

  test('--publish-nodefeature: publishes a NodeFeature for nfd-master instead of patching; repairs it; cleanup deletes it', async () => {
    server.addNode('nano');
    const labeller = startRun('nano', ['--publish-nodefeature', '--resync-interval', '10s'], 'jetson-nano-l4t.dtb', { POD_NAMESPACE: 'nfd' });
    const objectOf = () => server.nodeFeatures('nfd').find((o) => o.metadata.name === 'dt-node-labeller-nano');
    await eventually(() => objectOf() !== undefined, 'the NodeFeature', CONVERGE_MS);
    assert.equal(objectOf()?.metadata.labels?.['nfd.node.kubernetes.io/node-name'], 'nano');
    assert.deepEqual((objectOf()?.spec as { labels: unknown }).labels, NANO);
    await eventually(async () => (await labeller.http('/readyz')).status === 200, 'readiness');
    assert.deepEqual(labelsOf('nano'), {}, 'the node itself is left to nfd-master');

    const listed = await kc('get', 'nodefeatures', '-n', 'nfd', '-o', 'name');
    assert.match(listed, /nodefeature\.nfd\.k8s-sigs\.io\/dt-node-labeller-nano/);
    await kc('patch', 'nodefeature', 'dt-node-labeller-nano', '-n', 'nfd', '--type', 'merge', '-p', JSON.stringify({ spec: { labels: { [`${P}/nvidia-gm20b`]: null, 'extra.example.com/x': 'y' } } }));
    await eventually(() => JSON.stringify((objectOf()?.spec as { labels: unknown }).labels) === JSON.stringify(NANO), 'the edited object repaired at resync', 15_000);
    await kc('delete', 'nodefeature', 'dt-node-labeller-nano', '-n', 'nfd');
    await eventually(() => objectOf() !== undefined, 'the deleted object recreated', 15_000);

    await labeller.signal('SIGTERM');
    const cleaned = await runToEnd(['cleanup', '--publish-nodefeature', '--node-name', 'nano', '--kubeconfig', kubeconfig], { POD_NAMESPACE: 'nfd' });
    assert.equal(cleaned.code, 0, cleaned.stderr);
    assert.equal(cleaned.stdout, 'nano: removed NodeFeature nfd/dt-node-labeller-nano\n');
    assert.equal(objectOf(), undefined);
  });
});
