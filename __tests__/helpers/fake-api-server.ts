// An in-process fake Kubernetes API server for controller tests: plain HTTP on 127.0.0.1, an ephemeral
// port, real API semantics for what a node labeller and kubectl use (nodes, events, NFD NodeFeatures),
// fault injection and traffic accounting. A test helper; nothing here ships.
//
// Implemented as on a real server: one global resourceVersion stamped on every write; no-op writes are
// not writes; PUT and PATCH with a stale resourceVersion are 409 Conflict; names, labels and annotations
// checked by the fake's own copy of apimachinery's validation, 422 Invalid with its messages; Events judged
// by events.go's rules (an Event about a Node lives in "default"); watches replay from a bounded history
// and report 410 Expired as an ERROR event; list paging; Accept negotiation with metadata-only answers
// (as=PartialObjectMetadata / PartialObjectMetadataList) and server-side Tables for kubectl, 406 for the
// rest; legacy discovery. Not implemented: server-side apply (415), subresources (404), managedFields,
// list-merging strategic patches, YAML and protobuf bodies (a request that accepts only those gets 406),
// Tables in watch streams.
//
// Authentication: any bearer token is accepted, and by default so is none, because kubectl never sends
// credentials to a plain-HTTP server (see `requireToken`). RBAC is all-allowed unless `forbid` says not.
//
// Modules: fake-api/store (objects, revisions, history), watch, handlers (REST verbs), patch, validation,
// selectors, discovery, negotiation (Accept, as=), tables, events (the two event APIs and their validation),
// faults, status (Status bodies), http (bodies, and the per-request accounting: bytes, Accept, kind answered).

import { writeFileSync } from 'node:fs';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { discoveryDocument } from './fake-api/discovery.ts';
import { type FailureSpec, Faults, type ForbidRule, type RequestMatch, verbOf } from './fake-api/faults.ts';
import {
  type Reply,
  type ResourceRequest,
  createErrors,
  createObject,
  deleteCollection,
  deleteObject,
  getObject,
  listObjects,
  patchObject,
  replaceObject,
  updateErrors,
} from './fake-api/handlers.ts';
import { Accounting, CountingWriter, type RequestRecord, readBody } from './fake-api/http.ts';
import type { KubeObject } from './fake-api/json.ts';
import { acceptsPlainStatus, negotiateOutput } from './fake-api/negotiation.ts';
import { NODES } from './fake-api/resources.ts';
import { type ResourceRoute, parseResourcePath } from './fake-api/routes.ts';
import { ApiError, type FieldError, internalError, methodNotAllowed, pathNotFound, serviceUnavailable, unauthorized } from './fake-api/status.ts';
import { Store } from './fake-api/store.ts';
import { type WatchStream, startWatch } from './fake-api/watch.ts';
import { MetaServer } from './fake-api/metaserver.ts';

export type { FailureSpec, ForbidRule, RequestMatch, Verb } from './fake-api/faults.ts';
export type { RequestRecord } from './fake-api/http.ts';
export type { KubeObject, ObjectMeta } from './fake-api/json.ts';
export type { Status } from './fake-api/status.ts';

export interface FakeApiServerOptions {
  /** Changes kept per collection for watches to resume from; older resourceVersions get 410. Default 1000. */
  historyLimit?: number;
  /** Who the bearer token authenticates as, for 403 messages. */
  user?: string;
  /** The token written into kubeconfigs. */
  token?: string;
  /**
   * Answer 401 to requests without an `Authorization: Bearer` header. Off by default because kubectl
   * (client-go's ClientConfig) only sends credentials over TLS: against this plain-HTTP server it sends
   * none. Any token is accepted either way; `requests[].token` shows what each request carried.
   */
  requireToken?: boolean;
}

export interface NodeOptions {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/**
 * 'refuse' closes the listening socket (and every open connection), so clients get ECONNREFUSED, and
 * listens again on the same port when the outage ends; '503' keeps accepting and answers every request
 * with 503 ServiceUnavailable.
 */
export type OutageMode = 'refuse' | '503';

const DEFAULT_USER = 'system:serviceaccount:default:dt-node-labeller';
/** Paths a real server lets anyone read (system:public-info-viewer). */
const PUBLIC_PATHS = new Set(['/version', '/healthz', '/livez', '/readyz']);

const isTrue = (value: string | null) => value !== null && ['1', 't', 'T', 'true', 'TRUE', 'True'].includes(value);

export class FakeApiServer {
  readonly store: Store;
  readonly #faults = new Faults();
  readonly #accounting = new Accounting();
  readonly #watches = new Set<WatchStream>();
  readonly #user: string;
  readonly #token: string;
  readonly #requireToken: boolean;
  #server: Server | undefined;
  #port = 0;
  #latencyMs = 0;
  #outage: OutageMode | undefined;

  #laggingWatchCache = false;
  #metaServer: MetaServer | undefined;

  constructor(options: FakeApiServerOptions = {}) {
    this.store = new Store(options.historyLimit ?? 1000);
    this.#user = options.user ?? DEFAULT_USER;
    this.#token = options.token ?? 'fake-token';
    this.#requireToken = options.requireToken ?? false;
  }

  // ---- Lifecycle ----

  /** Listens on 127.0.0.1 on an ephemeral port; resolves the base URL. */
  async start(): Promise<string> {
    await this.#listen(0);
    return this.url;
  }

  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  /** Ends every watch stream, closes every connection and the listening socket. */
  async stop(): Promise<void> {
    this.#metaServer?.stop();
    for (const stream of [...this.#watches]) stream.end();
    await this.#close();
  }

  /**
   * Writes a kubeconfig (JSON, which is YAML) with a bearer token, pointing at this server; returns its
   * path. `insecure-skip-tls-verify` is set because @kubernetes/client-node 2.x refuses an http:// server
   * without it ("HTTP protocol is not allowed when skipTLSVerify is not set or false"); kubectl ignores it.
   */
  writeKubeconfig(dir: string, fileName = 'kubeconfig'): string {
    const config = {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'fake', cluster: { server: this.url, 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'fake-user', user: { token: this.#token } }],
      contexts: [{ name: 'fake', context: { cluster: 'fake', user: 'fake-user', namespace: 'default' } }],
      'current-context': 'fake',
      preferences: {},
    };
    const path = join(dir, fileName);
    writeFileSync(path, `${JSON.stringify(config, null, 2)}\n`);
    return path;
  }

  async #listen(port: number): Promise<void> {
    const server = createServer((request, response) => void this.#handle(request, response));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port, host: '127.0.0.1' }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.#server = server;
    this.#port = (server.address() as AddressInfo).port;
  }

  async #close(): Promise<void> {
    const server = this.#server;
    if (server === undefined) return;
    this.#server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  }

  // ---- Objects ----

  /** The latest resourceVersion (what a list now would report). */
  get resourceVersion(): string {
    return String(this.store.revision);
  }

  /**
   * Creates a Ready node with exactly the given labels and annotations (no kubelet defaults, so tests see
   * only what they set and what the code under test adds). Emits ADDED.
   */
  addNode(name: string, options: NodeOptions = {}): KubeObject {
    if (this.store.get(NODES.storage, name) !== undefined) throw new Error(`fake API: node ${name} already exists`);
    const node = nodeObject(name, options);
    this.#assertValid(node, createErrors(NODES, node));
    return this.store.create(NODES.storage, name, node);
  }

  /** Adds `count` nodes named `<prefix>-<i>`, for large-cluster tests; returns their names. */
  addNodes(count: number, prefix = 'node'): string[] {
    const names = Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
    for (const name of names) this.addNode(name);
    return names;
  }

  /** A deep copy of the node as stored, or undefined. */
  getNode(name: string): KubeObject | undefined {
    return this.store.get(NODES.storage, name);
  }

  /**
   * A write by "someone else" (another controller, an admin): `mutate` edits a copy (or returns a new
   * object); the result gets a new resourceVersion and watchers get MODIFIED, unless nothing changed.
   */
  updateNode(name: string, mutate: (node: KubeObject) => KubeObject | void): KubeObject {
    const node = this.getNode(name);
    if (node === undefined) throw new Error(`fake API: no node ${name}`);
    const next = mutate(node) ?? node;
    next.metadata.name = name;
    this.#assertValid(next, updateErrors(NODES, next, node));
    return this.store.update(NODES.storage, name, next);
  }

  /** Deletes a node (watchers get DELETED); false when there was none. */
  deleteNode(name: string): boolean {
    return this.store.delete(NODES.storage, name) !== undefined;
  }

  /** Stored events (core v1 form, whichever API created them), in one namespace or all. */
  events(namespace?: string): KubeObject[] {
    return this.store.list('events', namespace);
  }

  nodeFeatures(namespace?: string): KubeObject[] {
    return this.store.list('nodefeatures', namespace);
  }

  #assertValid(node: KubeObject, errors: readonly FieldError[]): void {
    if (errors.length > 0) throw new Error(`fake API: a real server would refuse node ${node.metadata.name}: ${JSON.stringify(errors)}`);
  }

  // ---- Fault injection ----

  /**
   * The next `count` requests matching `spec` (method, path substring) fail with `spec.status`, before
   * authentication and routing, as a proxy or an overloaded server would fail them. Rules queue up.
   */
  failNext(count: number, spec: FailureSpec): void {
    this.#faults.failNext(count, spec);
  }

  /**
   * Runs `action` (a write by someone else, usually) just before the next request matching `match` is
   * served: the way to make a client's guarded write meet a real 409 Conflict.
   */
  interfereNext(match: RequestMatch, action: () => void): void {
    this.#faults.interfereNext(match, action);
  }

  /** Requests matching the rule get RBAC's 403 until the returned function is called. */
  forbid(rule: ForbidRule): () => void {
    return this.#faults.forbid(rule);
  }

  /** Lifts every `forbid` rule and drops pending `failNext` failures and `interfereNext` actions. */
  clearFaults(): void {
    this.#faults.allowAll();
    this.#faults.clearFailures();
  }

  /** Starts or ends an outage (see OutageMode). Ending a 'refuse' outage listens on the same port again. */
  async outage(on: boolean, mode: OutageMode = 'refuse'): Promise<void> {
    if (on) {
      this.#outage = mode;
      if (mode === 'refuse') {
        this.dropWatches();
        await this.#close();
      }
      return;
    }
    const previous = this.#outage;
    this.#outage = undefined;
    if (previous === 'refuse') await this.#listen(this.#port);
  }

  /** Cuts every open watch connection mid-stream (no clean end of the chunked body). */
  dropWatches(): void {
    for (const stream of [...this.#watches]) stream.drop();
  }

  /** Forgets all history, like an etcd compaction: watches resuming from before now get ERROR 410 Expired. */
  compactHistory(): void {
    this.store.compact();
  }

  /**
   * While on, every watch that resumes from a resourceVersion gets ERROR 410 Expired at once, as from an
   * apiserver whose watch cache lags behind the one that served the list (several servers behind a load
   * balancer): a client that relists at once on 410 loops.
   */
  laggingWatchCache(on: boolean): void {
    this.#laggingWatchCache = on;
  }

  /**
   * From now on the server answers as KubeEdge's MetaServer on an edge node would, in front of this fake
   * cloud (see fake-api/metaserver.ts for each rule and its source). Returns its control: disconnect() and
   * reconnect() cut and restore the edge's link to the cloud.
   */
  metaServerMode(): MetaServer {
    this.#metaServer ??= new MetaServer(this.store, this.#watches);
    return this.#metaServer;
  }

  /** Sends a BOOKMARK at the current resourceVersion on every watch that asked for bookmarks. */
  sendBookmarks(): void {
    for (const stream of this.#watches) stream.bookmark(this.store.revision);
  }

  /** Delays every request (and the start of every watch) by `ms`. */
  setLatency(ms: number): void {
    this.#latencyMs = ms;
  }

  get openWatches(): number {
    return this.#watches.size;
  }

  // ---- Accounting ----

  /** Every request since the last reset, in arrival order; watch records grow while they stream. */
  get requests(): readonly RequestRecord[] {
    return this.#accounting.requests;
  }

  /** Response body bytes sent since the last reset, watch streams included. */
  get bytesSent(): number {
    return this.#accounting.bytesSent;
  }

  resetStats(): void {
    this.#accounting.reset();
  }

  // ---- Serving ----

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const writer = new CountingWriter(response, this.#accounting.record(request), this.#accounting);
    try {
      const body = await readBody(request);
      if (this.#latencyMs > 0) await delay(this.#latencyMs);
      if (!writer.open) return; // the client (or an outage) went away meanwhile
      this.#serve(request, body, writer);
    } catch (error) {
      if (!writer.open) return;
      if (response.headersSent) {
        writer.end();
        return;
      }
      const apiError = error instanceof ApiError ? error : internalError(error instanceof Error ? error.message : String(error));
      writer.error(apiError, { raw: !acceptsPlainStatus(request.headers.accept) });
    }
  }

  /** The order a request meets things in: outage, injected failure, authentication, public paths, discovery, RBAC, the resource. */
  #serve(request: IncomingMessage, body: string, writer: CountingWriter): void {
    const method = request.method ?? 'GET';
    const pathAndQuery = request.url ?? '/';
    const url = new URL(pathAndQuery, 'http://fake');
    if (this.#outage === '503') throw serviceUnavailable('the server is currently unable to handle the request');
    this.#faults.interfere(method, pathAndQuery);
    const injected = this.#faults.takeFailure(method, pathAndQuery);
    if (injected !== undefined) {
      if ('error' in injected) throw injected.error;
      writer.text(injected.status, injected.text, injected.headers);
      return;
    }
    const pathname = url.pathname.replace(/\/+$/, '') || '/';
    if (this.#requireToken && !PUBLIC_PATHS.has(pathname) && writer.record.token === '') throw unauthorized();
    if (this.#metaServer !== undefined && parseResourcePath(url.pathname) === undefined) {
      const unsupported = this.#metaServer.nonResource(method, pathname);
      if (unsupported !== undefined) throw unsupported;
    }
    if (pathname === '/healthz' || pathname === '/livez' || pathname === '/readyz') {
      writer.text(200, 'ok');
      return;
    }
    const discovery = discoveryDocument(pathname, `127.0.0.1:${this.#port}`);
    if (discovery !== undefined) {
      if (method !== 'GET') throw methodNotAllowed();
      writer.json(200, discovery);
      return;
    }
    const route = parseResourcePath(url.pathname);
    if (route === undefined) throw pathNotFound();
    this.#serveResource(method, route, url.searchParams, request, body, writer);
  }

  #serveResource(method: string, route: ResourceRoute, query: URLSearchParams, request: IncomingMessage, body: string, writer: CountingWriter): void {
    const watch = method === 'GET' && route.name === undefined && (route.watchPath || isTrue(query.get('watch')));
    const denial = this.#faults.denial(verbOf(method, route, watch), route, this.#user);
    if (denial !== undefined) throw denial;
    if (this.#metaServer !== undefined) {
      // JSON objects only, as MetaServer serializes them; the fake cloud behind it answers the rest.
      const cloud = () => dispatch(method, { store: this.store, def: route.def, namespace: route.namespace, name: route.name, query, output: { convert: undefined }, contentType: request.headers['content-type'], body });
      const reply = this.#metaServer.serve(method, route, query, writer, cloud);
      if (reply !== undefined) writer.json(reply.status, reply.body);
      return;
    }
    // Every resource handler negotiates the response's form first (a 406 comes before a 404 or a 422).
    const output = negotiateOutput(request.headers.accept, route.def);
    if (watch) {
      startWatch({ store: this.store, def: route.def, namespace: route.namespace, query, writer, convert: output.convert, expireAll: this.#laggingWatchCache }, this.#watches);
      return;
    }
    const resourceRequest: ResourceRequest = {
      store: this.store,
      def: route.def,
      namespace: route.namespace,
      name: route.name,
      query,
      output,
      contentType: request.headers['content-type'],
      body,
    };
    const reply = dispatch(method, resourceRequest);
    writer.json(reply.status, reply.body);
  }
}

/**
 * The verb's handler. For a namespaced kind, the path without a namespace only lists and watches (the
 * apiserver's installer, api_installer.go registerResourceHandlers, registers nothing else "across
 * namespace"), so POST and DELETE there find no route.
 */
function dispatch(method: string, request: ResourceRequest): Reply {
  const one = request.name !== undefined;
  const acrossNamespaces = request.def.namespaced && request.namespace === undefined;
  switch (method) {
    case 'GET':
      return one ? getObject(request) : listObjects(request);
    case 'POST':
      if (one || acrossNamespaces) throw methodNotAllowed();
      return createObject(request);
    case 'PUT':
      if (!one) throw methodNotAllowed();
      return replaceObject(request);
    case 'PATCH':
      if (!one) throw methodNotAllowed();
      return patchObject(request);
    case 'DELETE':
      if (acrossNamespaces) throw methodNotAllowed();
      return one ? deleteObject(request) : deleteCollection(request);
    default:
      throw methodNotAllowed();
  }
}

/** A node as a kubelet would have registered it, Ready, with the given metadata. */
function nodeObject(name: string, options: NodeOptions): KubeObject {
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  const metadata: KubeObject['metadata'] = { name };
  if (options.labels !== undefined) metadata.labels = { ...options.labels };
  if (options.annotations !== undefined) metadata.annotations = { ...options.annotations };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata,
    spec: {},
    status: {
      conditions: [
        { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: now, lastTransitionTime: now },
      ],
      addresses: [{ type: 'Hostname', address: name }],
      nodeInfo: { kubeletVersion: 'v1.32.0', osImage: 'Ubuntu 24.04 LTS', kernelVersion: '6.8.0', containerRuntimeVersion: 'containerd://1.7.24', architecture: 'arm64', operatingSystem: 'linux' },
    },
  };
}
