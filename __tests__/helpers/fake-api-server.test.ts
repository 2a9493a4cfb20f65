// Tests of the fake API server itself: that it keeps the real API's semantics the controller tests rely on,
// and that real kubectl works against it.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { type IncomingMessage, get as httpGet } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import { decodePointerToken } from './fake-api/patch.ts';
import { FakeApiServer, type KubeObject } from './fake-api-server.ts';
import { kubectl, kubectlMissing } from './kubectl.ts';

// ---- Helpers ----

interface Response {
  status: number;
  headers: Headers;
  body: any;
}

async function call(base: string, method: string, path: string, options: { body?: unknown; contentType?: string; accept?: string } = {}): Promise<Response> {
  const headers: Record<string, string> = { Authorization: 'Bearer test-token' };
  if (options.accept !== undefined) headers.Accept = options.accept;
  let body: string | undefined;
  if (options.body !== undefined) {
    body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    headers['Content-Type'] = options.contentType ?? 'application/json';
  }
  const response = await fetch(base + path, { method, headers, ...(body === undefined ? {} : { body }) });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // plain-text bodies stay text
  }
  return { status: response.status, headers: response.headers, body: parsed };
}

const mergePatch = (base: string, name: string, patch: unknown) => call(base, 'PATCH', `/api/v1/nodes/${name}`, { body: patch, contentType: 'application/merge-patch+json' });
const jsonPatch = (base: string, name: string, patch: unknown) => call(base, 'PATCH', `/api/v1/nodes/${name}`, { body: patch, contentType: 'application/json-patch+json' });

interface WatchEvent {
  type: string;
  object: any;
}

/** A watch stream read line by line, with waits that fail after a timeout instead of hanging the suite. */
class WatchClient {
  readonly events: WatchEvent[] = [];
  ended = false;
  /** False when the connection was cut before the chunked body ended. */
  complete = true;
  statusCode = 0;
  readonly #waiters = new Set<() => void>();
  #response: IncomingMessage | undefined;
  readonly #request: ReturnType<typeof httpGet>;
  readonly opened: Promise<void>;

  constructor(url: string) {
    let buffer = '';
    const opened = Promise.withResolvers<void>();
    this.opened = opened.promise;
    this.opened.catch(() => {}); // a test that never awaits it must not see an unhandled rejection
    this.#request = httpGet(url, (response) => {
      this.#response = response;
      this.statusCode = response.statusCode ?? 0;
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        buffer += chunk;
        let newline = buffer.indexOf('\n');
        while (newline >= 0) {
          this.events.push(JSON.parse(buffer.slice(0, newline)) as WatchEvent);
          buffer = buffer.slice(newline + 1);
          newline = buffer.indexOf('\n');
        }
        this.#wake();
      });
      response.on('error', () => {}); // a cut connection is observed through `complete`
      response.on('close', () => {
        this.complete = response.complete;
        this.ended = true;
        this.#wake();
      });
      opened.resolve();
    });
    this.#request.on('error', opened.reject);
  }

  /** Waits until `condition` holds (checked after every chunk and at the end). */
  async until(condition: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
    const deadline = setTimeout(() => this.#wake(), timeoutMs);
    try {
      const started = Date.now();
      while (!condition()) {
        if (Date.now() - started >= timeoutMs) assert.fail(`timed out waiting for ${what}; events: ${JSON.stringify(this.events.map((e) => e.type))}`);
        await new Promise<void>((resolve) => {
          this.#waiters.add(resolve);
          setTimeout(resolve, 50);
        });
      }
    } finally {
      clearTimeout(deadline);
    }
  }

  untilEvents(count: number): Promise<void> {
    return this.until(() => this.events.length >= count, `${count} events`);
  }

  untilEnded(): Promise<void> {
    return this.until(() => this.ended, 'the end of the stream');
  }

  close(): void {
    this.#response?.destroy();
    this.#request.destroy();
  }

  #wake(): void {
    for (const waiter of this.#waiters) waiter();
    this.#waiters.clear();
  }
}

/** The error code of a GET on a fresh connection, or '' when it connects. */
function connectError(base: string): Promise<string> {
  return new Promise((resolve) => {
    const request = httpGet(`${base}/version`, { agent: false }, (response) => {
      response.resume();
      resolve('');
    });
    request.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

function labelsOf(server: FakeApiServer, name: string): Record<string, string> | undefined {
  return server.getNode(name)?.metadata.labels;
}

// ---- The API ----

describe('fake API server: REST semantics', () => {
  const server = new FakeApiServer();
  let base = '';

  before(async () => {
    base = await server.start();
  });
  after(() => server.stop());
  beforeEach(() => {
    for (const node of server.store.list('nodes')) server.deleteNode(node.metadata.name);
    server.addNode('n1', { labels: { 'kubernetes.io/hostname': 'n1', keep: 'me' } });
    server.addNode('n2', { labels: { 'kubernetes.io/hostname': 'n2', role: 'edge' } });
  });

  test('lists nodes with the list resourceVersion, gets one, 404s a missing one', async () => {
    const list = await call(base, 'GET', '/api/v1/nodes');
    assert.equal(list.status, 200);
    assert.equal(list.body.kind, 'NodeList');
    assert.equal(list.body.metadata.resourceVersion, server.resourceVersion);
    assert.deepEqual(
      list.body.items.map((node: KubeObject) => node.metadata.name),
      ['n1', 'n2'],
    );
    assert.equal(list.body.items[0].kind, undefined, 'built-in list items carry no kind, as on a real server');

    const one = await call(base, 'GET', '/api/v1/nodes/n1');
    assert.equal(one.body.kind, 'Node');
    assert.equal(one.body.apiVersion, 'v1');
    assert.match(one.body.metadata.uid, /^[0-9a-f-]{36}$/);
    assert.match(one.body.metadata.creationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

    const missing = await call(base, 'GET', '/api/v1/nodes/nope');
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.body, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'nodes "nope" not found',
      reason: 'NotFound',
      details: { name: 'nope', kind: 'nodes' },
      code: 404,
    });
    assert.equal((await call(base, 'GET', '/api/v1/pods')).status, 404);
  });

  test('filters lists by fieldSelector and labelSelector, and refuses unsupported fields', async () => {
    const names = async (query: string) => (await call(base, 'GET', `/api/v1/nodes?${query}`)).body.items.map((n: KubeObject) => n.metadata.name);
    assert.deepEqual(await names('fieldSelector=metadata.name%3Dn2'), ['n2']);
    assert.deepEqual(await names('fieldSelector=metadata.name!%3Dn2'), ['n1']);
    assert.deepEqual(await names('labelSelector=role%3Dedge'), ['n2']);
    assert.deepEqual(await names('labelSelector=keep'), ['n1']);
    assert.deepEqual(await names('labelSelector=!keep'), ['n2']);
    assert.deepEqual(await names('labelSelector=role!%3Dedge'), ['n1']);
    assert.deepEqual(await names(`labelSelector=${encodeURIComponent('role in (edge,core),kubernetes.io/hostname')}`), ['n2']);
    const refused = await call(base, 'GET', '/api/v1/nodes?fieldSelector=spec.podCIDR%3Dx');
    assert.equal(refused.status, 400);
    assert.equal(refused.body.reason, 'BadRequest');
  });

  test('pages lists with limit and continue', async () => {
    server.addNodes(25, 'big');
    const seen: string[] = [];
    let token = '';
    let pages = 0;
    do {
      const page = await call(base, 'GET', `/api/v1/nodes?limit=10${token ? `&continue=${encodeURIComponent(token)}` : ''}`);
      seen.push(...page.body.items.map((n: KubeObject) => n.metadata.name));
      token = page.body.metadata.continue ?? '';
      if (pages === 0) assert.equal(page.body.metadata.remainingItemCount, 17);
      pages++;
    } while (token !== '');
    assert.equal(pages, 3);
    assert.equal(seen.length, 27);
    assert.equal(new Set(seen).size, 27);
  });

  test('a merge patch adds and removes labels (null deletes) and bumps the resourceVersion', async () => {
    const before = server.getNode('n1');
    const response = await mergePatch(base, 'n1', { metadata: { labels: { 'beta.devicetree.org/x': '1', keep: null } } });
    assert.equal(response.status, 200);
    assert.deepEqual(response.body.metadata.labels, { 'kubernetes.io/hostname': 'n1', 'beta.devicetree.org/x': '1' });
    assert.deepEqual(labelsOf(server, 'n1'), response.body.metadata.labels);
    assert.ok(Number(response.body.metadata.resourceVersion) > Number(before?.metadata.resourceVersion));
    assert.equal(response.body.metadata.resourceVersion, server.resourceVersion);
    assert.equal(response.body.metadata.uid, before?.metadata.uid);
  });

  test('a patch that changes nothing is not a write: same resourceVersion', async () => {
    const rv = server.getNode('n1')?.metadata.resourceVersion;
    const response = await mergePatch(base, 'n1', { metadata: { labels: { keep: 'me' } } });
    assert.equal(response.status, 200);
    assert.equal(response.body.metadata.resourceVersion, rv);
    assert.equal(server.getNode('n1')?.metadata.resourceVersion, rv);
  });

  test('a merge patch carrying a stale resourceVersion is 409 Conflict; the current one applies', async () => {
    const stale = server.getNode('n1')?.metadata.resourceVersion;
    server.updateNode('n1', (node) => {
      node.metadata.annotations = { 'someone.else/touched': 'yes' };
    });
    const refused = await mergePatch(base, 'n1', { metadata: { resourceVersion: stale, labels: { a: 'b' } } });
    assert.equal(refused.status, 409);
    assert.equal(refused.body.reason, 'Conflict');
    assert.equal(
      refused.body.message,
      'Operation cannot be fulfilled on nodes "n1": the object has been modified; please apply your changes to the latest version and try again',
    );
    assert.deepEqual(refused.body.details, { name: 'n1', kind: 'nodes' });
    assert.equal(labelsOf(server, 'n1')?.a, undefined);

    const current = server.getNode('n1')?.metadata.resourceVersion;
    const applied = await mergePatch(base, 'n1', { metadata: { resourceVersion: current, labels: { a: 'b' } } });
    assert.equal(applied.status, 200);
    assert.equal(labelsOf(server, 'n1')?.a, 'b');
  });

  test('PUT is conditional on the body resourceVersion and keeps the stored status', async () => {
    const node = server.getNode('n2') as KubeObject;
    node.metadata.labels = { replaced: 'yes' };
    node.status = { conditions: [] };
    const ok = await call(base, 'PUT', '/api/v1/nodes/n2', { body: node });
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.body.metadata.labels, { replaced: 'yes' });
    assert.equal(ok.body.status.conditions[0].type, 'Ready', 'status only changes through /status');
    const stale = await call(base, 'PUT', '/api/v1/nodes/n2', { body: node });
    assert.equal(stale.status, 409);
    const renamed = await call(base, 'PUT', '/api/v1/nodes/n2', { body: { ...node, metadata: { name: 'other' } } });
    assert.equal(renamed.status, 400);
  });

  test('an invalid label key or value, or annotation key, is 422 Invalid and leaves the object unchanged', async () => {
    const before = server.getNode('n1');
    const badKey = await mergePatch(base, 'n1', { metadata: { labels: { 'bad key!': 'x' } } });
    assert.equal(badKey.status, 422);
    assert.equal(badKey.body.reason, 'Invalid');
    assert.equal(badKey.body.details.kind, 'Node');
    assert.equal(badKey.body.details.causes[0].field, 'metadata.labels');
    assert.equal(badKey.body.details.causes[0].reason, 'FieldValueInvalid');
    assert.match(badKey.body.message, /^Node "n1" is invalid: metadata\.labels: Invalid value: "bad key!": name part must consist of/);

    const longValue = await mergePatch(base, 'n1', { metadata: { labels: { ok: 'v'.repeat(64) } } });
    assert.equal(longValue.status, 422);
    assert.match(longValue.body.message, /must be no more than 63 characters/);

    const badPrefix = await mergePatch(base, 'n1', { metadata: { labels: { 'Upper.Case/x': '1' } } });
    assert.equal(badPrefix.status, 422);
    assert.match(badPrefix.body.message, /prefix part a lowercase RFC 1123 subdomain/);

    const badAnnotation = await mergePatch(base, 'n1', { metadata: { annotations: { 'a/b/c': 'x' } } });
    assert.equal(badAnnotation.status, 422);
    assert.equal(badAnnotation.body.details.causes[0].field, 'metadata.annotations');

    assert.deepEqual(server.getNode('n1'), before);
  });

  test('a JSON patch handles ~1 escapes and every operation; a failed test is the real server\'s bare 422', async () => {
    const added = await jsonPatch(base, 'n1', [
      { op: 'add', path: '/metadata/labels/beta.devicetree.org~1x', value: '1' },
      { op: 'add', path: '/metadata/annotations', value: {} },
      { op: 'add', path: '/metadata/annotations/example.com~1note', value: 'y' },
      { op: 'test', path: '/metadata/labels/keep', value: 'me' },
      { op: 'copy', from: '/metadata/labels/keep', path: '/metadata/labels/copied' },
      { op: 'move', from: '/metadata/labels/copied', path: '/metadata/labels/moved' },
      { op: 'replace', path: '/metadata/labels/keep', value: 'changed' },
    ]);
    assert.equal(added.status, 200, JSON.stringify(added.body));
    assert.deepEqual(added.body.metadata.labels, { 'kubernetes.io/hostname': 'n1', keep: 'changed', 'beta.devicetree.org/x': '1', moved: 'me' });
    assert.deepEqual(added.body.metadata.annotations, { 'example.com/note': 'y' });
    // `~` is never valid in a label or annotation key, so `~0` is checked on the decoder: one pass, RFC 6901.
    assert.equal(decodePointerToken('a~01b~1c~00'), 'a~1b/c~0');

    const before = server.getNode('n1');
    const failedTest = await jsonPatch(base, 'n1', [
      { op: 'test', path: '/metadata/labels/keep', value: 'me' },
      { op: 'remove', path: '/metadata/labels/keep' },
    ]);
    assert.equal(failedTest.status, 422);
    assert.deepEqual(failedTest.body, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'the server rejected our request due to an error in our request',
      reason: 'Invalid',
      details: {},
      code: 422,
    });
    assert.equal(server.requests.at(-1)?.note, 'testing value /metadata/labels/keep failed: test failed');
    const missing = await jsonPatch(base, 'n1', [{ op: 'remove', path: '/metadata/labels/nope' }]);
    assert.equal(missing.status, 422);
    assert.deepEqual(server.getNode('n1'), before);

    const removed = await jsonPatch(base, 'n1', [{ op: 'remove', path: '/metadata/labels/beta.devicetree.org~1x' }]);
    assert.equal(removed.body.metadata.labels['beta.devicetree.org/x'], undefined);
  });

  test('strategic merge patch works on labels; server-side apply is 415 with a Status', async () => {
    const smp = await call(base, 'PATCH', '/api/v1/nodes/n2', {
      body: { metadata: { labels: { role: null, smp: 'yes' } } },
      contentType: 'application/strategic-merge-patch+json',
    });
    assert.equal(smp.status, 200);
    assert.deepEqual(smp.body.metadata.labels, { 'kubernetes.io/hostname': 'n2', smp: 'yes' });

    const apply = await call(base, 'PATCH', '/api/v1/nodes/n2?fieldManager=x', { body: 'metadata:\n  labels: {a: b}\n', contentType: 'application/apply-patch+yaml' });
    assert.equal(apply.status, 415);
    assert.equal(apply.body.kind, 'Status');
    assert.equal(apply.body.reason, 'UnsupportedMediaType');
  });

  test('create assigns uid and rv, refuses duplicates and invalid names; delete answers a Success Status', async () => {
    const created = await call(base, 'POST', '/api/v1/nodes', { body: { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n3' } } });
    assert.equal(created.status, 201);
    assert.equal(created.body.metadata.resourceVersion, server.resourceVersion);
    const duplicate = await call(base, 'POST', '/api/v1/nodes', { body: { metadata: { name: 'n3' } } });
    assert.equal(duplicate.status, 409);
    assert.equal(duplicate.body.reason, 'AlreadyExists');
    const badName = await call(base, 'POST', '/api/v1/nodes', { body: { metadata: { name: 'Not_A_Name' } } });
    assert.equal(badName.status, 422);
    const withRv = await call(base, 'POST', '/api/v1/nodes', { body: { metadata: { name: 'n4', resourceVersion: '5' } } });
    assert.equal(withRv.status, 500);

    const deleted = await call(base, 'DELETE', '/api/v1/nodes/n3');
    assert.equal(deleted.status, 200);
    assert.equal(deleted.body.status, 'Success');
    assert.deepEqual({ ...deleted.body.details, uid: undefined }, { name: 'n3', kind: 'nodes', uid: undefined });
    assert.equal(server.getNode('n3'), undefined);
    assert.equal((await call(base, 'DELETE', '/api/v1/nodes/n3')).status, 404);
  });
});

describe('fake API server: events and NodeFeatures', () => {
  const server = new FakeApiServer();
  let base = '';

  before(async () => {
    base = await server.start();
    server.addNode('n1');
  });
  after(() => server.stop());

  const newEvent = {
    metadata: { generateName: 'n1.' },
    eventTime: '2026-01-01T00:00:00.000000Z',
    reportingController: 'dt-node-labeller',
    reportingInstance: 'dt-node-labeller-n1',
    action: 'Label',
    reason: 'Labelled',
    note: 'applied 3 labels',
    type: 'Normal',
    regarding: { apiVersion: 'v1', kind: 'Node', name: 'n1' },
  };

  test('events posted through either API are stored once and listed by both', async () => {
    const viaEvents = await call(base, 'POST', '/apis/events.k8s.io/v1/namespaces/default/events', { body: newEvent });
    assert.equal(viaEvents.status, 201, JSON.stringify(viaEvents.body));
    assert.match(viaEvents.body.metadata.name, /^n1\.[a-z0-9]{5}$/);
    const viaCore = await call(base, 'POST', '/api/v1/namespaces/default/events', {
      body: { metadata: { name: 'n1.core' }, involvedObject: { kind: 'Node', name: 'n1' }, reason: 'Old', message: 'legacy', type: 'Normal', source: { component: 'x' } },
    });
    assert.equal(viaCore.status, 201, JSON.stringify(viaCore.body));

    const core = await call(base, 'GET', '/api/v1/namespaces/default/events');
    assert.deepEqual(core.body.items.map((e: KubeObject) => e.message).sort(), ['applied 3 labels', 'legacy']);
    const modern = await call(base, 'GET', '/apis/events.k8s.io/v1/namespaces/default/events?fieldSelector=reason%3DLabelled');
    assert.equal(modern.body.items.length, 1);
    assert.equal(modern.body.items[0].note, 'applied 3 labels');
    assert.equal(modern.body.items[0].regarding.name, 'n1');
    assert.equal(server.events('default').length, 2);

    const patched = await call(base, 'PATCH', `/apis/events.k8s.io/v1/namespaces/default/events/${viaEvents.body.metadata.name}`, {
      body: { series: { count: 2, lastObservedTime: '2026-01-01T00:01:00.000000Z' } },
      contentType: 'application/merge-patch+json',
    });
    assert.equal(patched.status, 200);
    assert.equal(patched.body.series.count, 2);
  });

  test('an event about a Node outside "default" is refused, as on a real server', async () => {
    const refused = await call(base, 'POST', '/apis/events.k8s.io/v1/namespaces/kube-public/events', { body: newEvent });
    assert.equal(refused.status, 422);
    assert.equal(refused.body.details.causes[0].field, 'regarding.namespace');
    const incomplete = await call(base, 'POST', '/apis/events.k8s.io/v1/namespaces/default/events', { body: { ...newEvent, action: undefined } });
    assert.equal(incomplete.status, 422);
    assert.match(incomplete.body.message, /action: Required value/);
  });

  test('NodeFeatures have the same resourceVersion rules; strategic merge patch is 415 for a custom resource', async () => {
    const path = '/apis/nfd.k8s-sigs.io/v1alpha1/namespaces/node-feature-discovery/nodefeatures';
    const body = { apiVersion: 'nfd.k8s-sigs.io/v1alpha1', kind: 'NodeFeature', metadata: { name: 'n1', labels: { 'nfd.node.kubernetes.io/node-name': 'n1' } }, spec: { labels: { a: '1' } } };
    const created = await call(base, 'POST', path, { body });
    assert.equal(created.status, 201);
    assert.equal(created.body.metadata.generation, 1);
    const kindless = await call(base, 'POST', path, { body: { metadata: { name: 'n2' } } });
    assert.equal(kindless.status, 400, 'a custom resource body must say its kind');

    const rv = created.body.metadata.resourceVersion;
    const patched = await call(base, 'PATCH', `${path}/n1`, { body: { spec: { labels: { a: '2' } } }, contentType: 'application/merge-patch+json' });
    assert.equal(patched.status, 200);
    assert.equal(patched.body.metadata.generation, 2);
    const stale = await call(base, 'PUT', `${path}/n1`, { body: { ...body, metadata: { ...body.metadata, resourceVersion: rv } } });
    assert.equal(stale.status, 409);
    const smp = await call(base, 'PATCH', `${path}/n1`, { body: {}, contentType: 'application/strategic-merge-patch+json' });
    assert.equal(smp.status, 415);

    const list = await call(base, 'GET', path);
    assert.equal(list.body.items[0].kind, 'NodeFeature', 'custom resource list items keep their kind');
    assert.equal((await call(base, 'DELETE', `${path}/n1`)).status, 200);
    assert.equal(server.nodeFeatures().length, 0);
  });
});

describe('fake API server: watches', () => {
  const server = new FakeApiServer({ historyLimit: 50 });
  let base = '';
  const clients: WatchClient[] = [];
  const watch = (query: string, resource = '/api/v1/nodes') => {
    const client = new WatchClient(`${base}${resource}?watch=true&${query}`);
    clients.push(client);
    return client;
  };

  before(async () => {
    base = await server.start();
  });
  after(() => server.stop());
  beforeEach(() => {
    for (const node of server.store.list('nodes')) server.deleteNode(node.metadata.name);
    server.addNode('n1', { labels: { zone: 'a' } });
    server.addNode('n2', { labels: { zone: 'a' } });
  });
  afterEach(() => {
    for (const client of clients.splice(0)) client.close();
  });

  test('without a resourceVersion it starts with ADDED for what exists, then streams changes', async () => {
    const stream = watch('');
    await stream.untilEvents(2);
    assert.deepEqual(
      stream.events.map((e) => [e.type, e.object.metadata.name]),
      [
        ['ADDED', 'n1'],
        ['ADDED', 'n2'],
      ],
    );
    assert.equal(stream.events[0]?.object.kind, 'Node', 'watch event objects carry their kind');
    await mergePatch(base, 'n1', { metadata: { labels: { x: '1' } } });
    await stream.untilEvents(3);
    assert.equal(stream.events[2]?.type, 'MODIFIED');
    assert.equal(stream.events[2]?.object.metadata.labels.x, '1');
    assert.equal(stream.events[2]?.object.metadata.resourceVersion, server.resourceVersion);
  });

  test('from a resourceVersion it replays what happened after it, and only that', async () => {
    const from = server.resourceVersion;
    await mergePatch(base, 'n1', { metadata: { labels: { step: '1' } } });
    await mergePatch(base, 'n1', { metadata: { labels: { step: '2' } } });
    const stream = watch(`resourceVersion=${from}`);
    await stream.untilEvents(2);
    assert.deepEqual(
      stream.events.map((e) => [e.type, e.object.metadata.labels.step]),
      [
        ['MODIFIED', '1'],
        ['MODIFIED', '2'],
      ],
    );
    server.deleteNode('n1');
    await stream.untilEvents(3);
    assert.equal(stream.events[2]?.type, 'DELETED');
    assert.equal(stream.events[2]?.object.metadata.resourceVersion, server.resourceVersion, 'a DELETED object carries the deletion revision');
  });

  test('after compactHistory, resuming gets one ERROR 410 Expired and the stream ends', async () => {
    const from = server.resourceVersion;
    await mergePatch(base, 'n1', { metadata: { labels: { later: 'yes' } } });
    server.compactHistory();
    const stream = watch(`resourceVersion=${from}`);
    await stream.untilEnded();
    assert.equal(stream.statusCode, 200);
    assert.equal(stream.events.length, 1);
    assert.equal(stream.events[0]?.type, 'ERROR');
    assert.equal(stream.events[0]?.object.kind, 'Status');
    assert.equal(stream.events[0]?.object.code, 410);
    assert.equal(stream.events[0]?.object.reason, 'Expired');
    assert.match(stream.events[0]?.object.message, /^too old resource version: \d+ \(\d+\)$/);
    assert.ok(stream.complete, 'the stream ends cleanly');
  });

  test('the bounded history expires old resourceVersions by itself', async () => {
    const from = server.resourceVersion;
    for (let i = 0; i < 60; i++) server.updateNode('n2', (node) => void (node.metadata.annotations = { i: String(i) }));
    const stream = watch(`resourceVersion=${from}`);
    await stream.untilEnded();
    assert.equal(stream.events[0]?.object.code, 410);
  });

  test('a fieldSelector watch sends nothing about other nodes', async () => {
    const stream = watch(`resourceVersion=${server.resourceVersion}&fieldSelector=metadata.name%3Dn2`);
    await stream.opened;
    await mergePatch(base, 'n1', { metadata: { labels: { other: 'node' } } });
    await mergePatch(base, 'n2', { metadata: { labels: { mine: 'yes' } } });
    await stream.untilEvents(1);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(
      stream.events.map((e) => [e.type, e.object.metadata.name]),
      [['MODIFIED', 'n2']],
    );
  });

  test('a labelSelector watch sees objects leave (DELETED) and enter (ADDED) its selection', async () => {
    const stream = watch(`resourceVersion=${server.resourceVersion}&labelSelector=zone%3Da`);
    await stream.opened;
    await mergePatch(base, 'n1', { metadata: { labels: { zone: 'b' } } });
    await mergePatch(base, 'n1', { metadata: { labels: { zone: 'a' } } });
    await stream.untilEvents(2);
    assert.deepEqual(
      stream.events.map((e) => e.type),
      ['DELETED', 'ADDED'],
    );
  });

  test('timeoutSeconds ends the stream cleanly; bookmarks go only to watches that asked', async () => {
    const timed = watch(`resourceVersion=${server.resourceVersion}&timeoutSeconds=1&allowWatchBookmarks=true`);
    const plain = watch(`resourceVersion=${server.resourceVersion}`);
    await Promise.all([timed.opened, plain.opened]);
    server.sendBookmarks();
    await timed.untilEvents(1);
    assert.equal(timed.events[0]?.type, 'BOOKMARK');
    assert.deepEqual(timed.events[0]?.object, { kind: 'Node', apiVersion: 'v1', metadata: { resourceVersion: server.resourceVersion } });
    const started = Date.now();
    await timed.untilEnded();
    assert.ok(timed.complete);
    assert.ok(Date.now() - started < 2000);
    assert.equal(plain.events.length, 0);
    assert.equal(plain.ended, false);
  });

  test('dropWatches cuts the connection mid-stream', async () => {
    const stream = watch(`resourceVersion=${server.resourceVersion}`);
    await stream.opened;
    assert.equal(server.openWatches, 1);
    server.dropWatches();
    await stream.untilEnded();
    assert.equal(stream.complete, false);
    assert.equal(server.openWatches, 0);
  });
});

describe('fake API server: faults, RBAC and accounting', () => {
  const server = new FakeApiServer();
  let base = '';

  before(async () => {
    base = await server.start();
    server.addNode('n1');
  });
  after(() => server.stop());
  afterEach(async () => {
    server.clearFaults();
    server.setLatency(0);
    await server.outage(false);
  });

  test('failNext fails exactly the matching requests, with Status bodies and Retry-After', async () => {
    server.failNext(2, { status: 503, method: 'PATCH' });
    server.failNext(1, { status: 429, pathIncludes: '/nodes/n1', retryAfterSeconds: 7 });
    assert.equal((await mergePatch(base, 'n1', { metadata: { labels: { a: '1' } } })).status, 503);
    const throttled = await call(base, 'GET', '/api/v1/nodes/n1');
    assert.equal(throttled.status, 429);
    assert.equal(throttled.headers.get('retry-after'), '7');
    assert.equal(throttled.body.reason, 'TooManyRequests');
    assert.equal(throttled.body.details.retryAfterSeconds, 7);
    const second = await mergePatch(base, 'n1', { metadata: { labels: { a: '1' } } });
    assert.equal(second.status, 503);
    assert.equal(second.body.reason, 'ServiceUnavailable');
    assert.equal((await mergePatch(base, 'n1', { metadata: { labels: { a: '1' } } })).status, 200);

    server.failNext(1, { status: 500 });
    const internal = await call(base, 'GET', '/api/v1/nodes');
    assert.equal(internal.status, 500);
    assert.equal(internal.body.reason, 'InternalError');
    server.failNext(1, { status: 429, plainText: true });
    const plain = await call(base, 'GET', '/api/v1/nodes');
    assert.equal(plain.status, 429);
    assert.equal(plain.body, 'Too many requests, please try again later.\n');
    assert.equal(plain.headers.get('retry-after'), '1');
  });

  test('forbid answers 403 worded like RBAC until lifted', async () => {
    const lift = server.forbid({ verb: 'patch', resource: 'nodes' });
    const denied = await mergePatch(base, 'n1', { metadata: { labels: { b: '1' } } });
    assert.equal(denied.status, 403);
    assert.equal(denied.body.reason, 'Forbidden');
    assert.equal(
      denied.body.message,
      'nodes "n1" is forbidden: User "system:serviceaccount:default:dt-node-labeller" cannot patch resource "nodes" in API group "" at the cluster scope',
    );
    assert.equal((await call(base, 'GET', '/api/v1/nodes/n1')).status, 200, 'other verbs are still allowed');
    server.forbid({ verb: 'create', resource: 'events' });
    const event = await call(base, 'POST', '/api/v1/namespaces/default/events', { body: {} });
    assert.equal(
      event.body.message,
      'events is forbidden: User "system:serviceaccount:default:dt-node-labeller" cannot create resource "events" in API group "" in the namespace "default"',
    );
    lift();
    assert.equal((await mergePatch(base, 'n1', { metadata: { labels: { b: '1' } } })).status, 200);
  });

  test("outage '503' answers every request with 503; outage 'refuse' refuses connections on the same port", async () => {
    await server.outage(true, '503');
    assert.equal((await call(base, 'GET', '/api/v1/nodes')).status, 503);
    await server.outage(false);
    assert.equal((await call(base, 'GET', '/api/v1/nodes')).status, 200);

    await server.outage(true, 'refuse');
    // A pooled keep-alive connection was cut ("other side closed"); a new one is refused.
    await assert.rejects(() => call(base, 'GET', '/api/v1/nodes'));
    assert.equal(await connectError(base), 'ECONNREFUSED');
    await server.outage(false);
    assert.equal(server.url, base);
    assert.equal((await call(base, 'GET', '/api/v1/nodes')).status, 200);
  });

  test('setLatency delays responses', async () => {
    server.setLatency(150);
    const started = Date.now();
    await call(base, 'GET', '/api/v1/nodes/n1');
    assert.ok(Date.now() - started >= 140);
  });

  test('requests and bytes are accounted, watch streams as they flow', async () => {
    server.resetStats();
    assert.equal(server.requests.length, 0);
    const got = await call(base, 'GET', '/api/v1/nodes/n1');
    const record = server.requests[0];
    assert.equal(record?.method, 'GET');
    assert.equal(record?.path, '/api/v1/nodes/n1');
    assert.equal(record?.status, 200);
    assert.equal(record?.bytes, Buffer.byteLength(JSON.stringify(got.body)));
    assert.equal(record?.token, 'test-token');
    assert.equal(server.bytesSent, record?.bytes);

    const stream = new WatchClient(`${base}/api/v1/nodes?watch=1&resourceVersion=${server.resourceVersion}`);
    await stream.opened;
    const watchRecord = server.requests.find((r) => r.watch);
    assert.equal(watchRecord?.bytes, 0);
    server.updateNode('n1', (node) => void (node.metadata.labels = { counted: 'yes' }));
    await stream.untilEvents(1);
    assert.ok((watchRecord?.bytes ?? 0) > 100);
    assert.equal(server.bytesSent, (record?.bytes ?? 0) + (watchRecord?.bytes ?? 0));
    assert.deepEqual(watchRecord?.events, [{ type: 'MODIFIED', name: 'n1' }], 'the events each watch streamed');
    stream.close();
  });
});

// ---- Real kubectl ----

const skipKubectl = kubectlMissing();

describe('fake API server: real kubectl', { skip: skipKubectl ?? false }, () => {
  const server = new FakeApiServer();
  let dir = '';
  let kubeconfig = '';
  const run = async (...args: string[]) => {
    const result = await kubectl(kubeconfig, join(dir, 'cache'), args);
    assert.equal(result.code, 0, `kubectl ${args.join(' ')}: ${result.stderr}`);
    return result.stdout;
  };

  before(async () => {
    await server.start();
    dir = mkdtempSync(join(tmpdir(), 'fake-api-kubectl-'));
    kubeconfig = server.writeKubeconfig(dir);
    server.addNode('n1', { labels: { 'kubernetes.io/hostname': 'n1' } });
    server.addNode('n2');
  });
  after(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('get nodes prints the server-side table', async () => {
    const out = await run('get', 'nodes');
    assert.match(out, /^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION\n/);
    assert.match(out, /^n1\s+Ready\s+<none>\s+\d+s\s+v1\.32\.0$/m);
    assert.match(out, /^n2\s+Ready/m);
  });

  test('label, relabel with --overwrite, unlabel', async () => {
    assert.match(await run('label', 'node', 'n1', 'a=b'), /node\/n1 labeled/);
    assert.equal(labelsOf(server, 'n1')?.a, 'b');
    const refused = await kubectl(kubeconfig, join(dir, 'cache'), ['label', 'node', 'n1', 'a=c']);
    assert.notEqual(refused.code, 0, 'without --overwrite kubectl refuses to change a label');
    await run('label', 'node', 'n1', 'a=c', '--overwrite');
    assert.equal(labelsOf(server, 'n1')?.a, 'c');
    assert.match(await run('label', 'node', 'n1', 'a-'), /node\/n1 unlabeled/);
    assert.equal(labelsOf(server, 'n1')?.a, undefined);
  });

  test('annotate, and read labels back with jsonpath', async () => {
    await run('annotate', 'node', 'n1', 'example.com/note=hello');
    assert.equal(server.getNode('n1')?.metadata.annotations?.['example.com/note'], 'hello');
    await run('label', 'node', 'n1', 'beta.devicetree.org/nvidia-jetson-nano=1');
    const labels = JSON.parse(await run('get', 'node', 'n1', '-o', 'jsonpath={.metadata.labels}'));
    assert.deepEqual(labels, { 'kubernetes.io/hostname': 'n1', 'beta.devicetree.org/nvidia-jetson-nano': '1' });
    const node = JSON.parse(await run('get', 'node', 'n1', '-o', 'json'));
    assert.equal(node.kind, 'Node');
  });

  test('an invalid label key is the server\'s 422, shown by kubectl', async () => {
    const result = await kubectl(kubeconfig, join(dir, 'cache'), ['label', 'node', 'n1', 'bad key!=x']);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /The Node "n1" is invalid: metadata\.labels: Invalid value: "bad key!"/);
  });

  test('get events, and delete node', async () => {
    await call(server.url, 'POST', '/api/v1/namespaces/default/events', {
      body: { metadata: { name: 'n1.1' }, involvedObject: { kind: 'Node', name: 'n1' }, reason: 'Labelled', message: 'applied', type: 'Normal' },
    });
    assert.match(await run('get', 'events'), /Normal\s+Labelled\s+node\/n1\s+applied/);
    assert.match(await run('delete', 'node', 'n2'), /node "n2" deleted/);
    assert.equal(server.getNode('n2'), undefined);
    const missing = await kubectl(kubeconfig, join(dir, 'cache'), ['get', 'node', 'n2']);
    assert.match(missing.stderr, /Error from server \(NotFound\): nodes "n2" not found/);
  });
});
