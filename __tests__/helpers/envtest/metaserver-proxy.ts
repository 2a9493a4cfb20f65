// KubeEdge's MetaServer as edgecore serves it on an edge node (plain HTTP on 127.0.0.1:10550), put in front of
// the real kube-apiserver, which plays the cloud (cloudcore forwards to it with its own credentials; the
// admin's token stands in for them). Each rule is what the KubeEdge sources do (kubeedge/kubeedge, v1.17-v1.20;
// file and function named), restated, not copied; the rest is the real server's answer:
//
// - No authentication without the requireAuthorization feature gate (edge/pkg/metamanager/metaserver/server.go,
//   startHTTPServer): whatever the client sends, the cloud sees cloudcore.
// - Writes go to the cloud synchronously and its answer comes back as it is (agent/agent.go Apply). While the
//   edge is disconnected they fail at once: connect.ErrConnectionLost through responsewriters.ErrorNegotiated
//   is a 500 (its exact text is not in the sources read; "connection lost" here).
// - GET asks the cloud and keeps a successful answer (kubernetes/storage/storage.go REST.Get); on any failure,
//   disconnected included, it answers from what it kept, however stale, or 404.
// - LIST asks the cloud and keeps nothing (REST.List); disconnected, it lists what it kept (storage/sqlite/
//   store.go GetList), with field selectors on metadata.name/metadata.namespace and equality label selectors.
// - WATCH ignores resourceVersion (storage/sqlite/watcher.go Watch: "only support rev == 0"): here the cloud
//   watch is opened without one, so it starts, as the cloud listener's first push does, with every matching
//   object as ADDED; it never sends BOOKMARK (they are dropped) and never 410. A watch open when the edge
//   disconnects goes quiet and, on reconnecting, is fed again from a fresh cloud watch (the listener is
//   re-registered: Agent.syncWatchApplications). One opened while disconnected never gets an event.
// - Non-resource paths other than /version: "request[<path>::<verb>] isn't supported", 500 (server.go
//   BuildBasicHandler); /version passes through. JSON only (kubernetes/serializer/serializer.go).
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { ControlPlane, KubeObject } from './control-plane.ts';

export interface EdgeRecord {
  readonly method: string;
  readonly path: string;
  readonly token: boolean;
  status: number;
}

interface EdgeWatch {
  readonly response: ServerResponse;
  readonly collection: string;
  readonly query: URLSearchParams;
  /** Opened while connected: the cloud feeds it. */
  readonly live: boolean;
  upstream?: { destroy(): void } | undefined;
}

/** /api/v1[/namespaces/NS]/RESOURCE[/NAME] or /apis/G/V/...: the collection path and the object name. */
function resourcePath(pathname: string): { collection: string; name: string | undefined; watchPath: boolean } | undefined {
  let path = pathname;
  const watchPath = /^\/(api\/v1|apis\/[^/]+\/[^/]+)\/watch\//.test(path);
  if (watchPath) path = path.replace(/\/watch\//, '/');
  const match = /^\/(?:api\/v1|apis\/[^/]+\/[^/]+)(?:\/namespaces\/[^/]+)?\/[^/]+(?:\/([^/]+))?$/.exec(path);
  if (match === null || /^\/(api\/v1|apis\/[^/]+\/[^/]+)\/namespaces\/[^/]+$/.test(path)) return undefined;
  const name = match[1];
  return { collection: name === undefined ? path : path.slice(0, -name.length - 1), name, watchPath };
}

const status = (code: number, message: string, reason = '') => ({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });

/** Does a kept object pass the list's selectors (the subset the sqlite store supports)? */
function selected(object: KubeObject, query: URLSearchParams): boolean {
  for (const term of (query.get('fieldSelector') ?? '').split(',').filter(Boolean)) {
    const [field, value] = term.split('=');
    if (field === 'metadata.name' && object.metadata.name !== value) return false;
    if (field === 'metadata.namespace' && object.metadata.namespace !== value) return false;
  }
  for (const term of (query.get('labelSelector') ?? '').split(',').filter(Boolean)) {
    const [key, value] = term.split('=');
    const labels = object.metadata.labels ?? {};
    if (value === undefined ? !(key! in labels) : labels[key!] !== value) return false;
  }
  return true;
}

export class MetaServerProxy {
  readonly records: EdgeRecord[] = [];
  readonly #plane: ControlPlane;
  /** The edge's local store: collection path → name → object. */
  readonly #kept = new Map<string, Map<string, KubeObject>>();
  readonly #watches = new Set<EdgeWatch>();
  #server: Server | undefined;
  #port = 0;
  #connected = true;

  private constructor(plane: ControlPlane) {
    this.#plane = plane;
  }

  static async start(plane: ControlPlane): Promise<MetaServerProxy> {
    const proxy = new MetaServerProxy(plane);
    const server = createServer((request, response) => proxy.#handle(request, response));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    proxy.#server = server;
    proxy.#port = (server.address() as { port: number }).port;
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  /** The edge loses cloudcore: writes fail, reads come from what it kept, watches go quiet. */
  disconnect(): void {
    this.#connected = false;
    for (const watch of this.#watches) {
      watch.upstream?.destroy();
      watch.upstream = undefined;
    }
  }

  /** Back: live watches are fed again, starting with every matching object. */
  reconnect(): void {
    this.#connected = true;
    for (const watch of this.#watches) if (watch.live && watch.upstream === undefined) this.#follow(watch);
  }

  async stop(): Promise<void> {
    this.disconnect();
    for (const watch of this.#watches) watch.response.destroy();
    const server = this.#server;
    if (server === undefined) return;
    this.#server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  }

  #keep(collection: string, object: KubeObject, deleted = false): void {
    let objects = this.#kept.get(collection);
    if (objects === undefined) {
      objects = new Map();
      this.#kept.set(collection, objects);
    }
    if (deleted) objects.delete(object.metadata.name);
    else objects.set(object.metadata.name, structuredClone(object));
  }

  #handle(request: IncomingMessage, response: ServerResponse): void {
    const method = request.method ?? 'GET';
    const url = new URL(request.url ?? '/', 'http://edge');
    const record: EdgeRecord = { method, path: request.url ?? '/', token: /^Bearer ./.test(request.headers.authorization ?? ''), status: 0 };
    this.records.push(record);
    const answer = (code: number, body: unknown) => {
      record.status = code;
      response.writeHead(code, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
    };
    let body = '';
    request.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
    request.on('end', () => {
      const resource = resourcePath(url.pathname);
      if (resource === undefined) {
        if (url.pathname === '/version') void this.#cloud('GET', '/version', undefined, undefined).then((r) => answer(r.status, r.body));
        else answer(500, status(500, `request[${url.pathname}::${method.toLowerCase()}] isn't supported`));
        return;
      }
      const watch = method === 'GET' && resource.name === undefined && (resource.watchPath || ['1', 'true'].includes(url.searchParams.get('watch') ?? ''));
      if (watch) return this.#watch(resource.collection, url.searchParams, response, record);
      if (method !== 'GET') {
        if (!this.#connected) return answer(500, status(500, 'connection lost'));
        void this.#cloud(method, request.url ?? '/', body, request.headers['content-type']).then((r) => answer(r.status, r.body));
        return;
      }
      if (resource.name !== undefined) return void this.#get(resource.collection, resource.name, request.url ?? '/').then((r) => answer(r.status, r.body));
      if (this.#connected) return void this.#cloud('GET', request.url ?? '/', undefined, undefined).then((r) => answer(r.status, r.body));
      const items = [...(this.#kept.get(resource.collection)?.values() ?? [])].filter((object) => selected(object, url.searchParams));
      const highest = Math.max(0, ...items.map((object) => Number(object.metadata.resourceVersion ?? 0)));
      answer(200, { kind: 'List', apiVersion: 'v1', metadata: items.length === 0 ? {} : { resourceVersion: String(highest) }, items });
    });
  }

  async #get(collection: string, name: string, path: string): Promise<{ status: number; body: unknown }> {
    if (this.#connected) {
      const answer = await this.#cloud('GET', path, undefined, undefined);
      if (answer.status === 200) {
        this.#keep(collection, answer.body as KubeObject);
        return answer;
      }
    }
    const kept = this.#kept.get(collection)?.get(name);
    return kept === undefined ? { status: 404, body: status(404, `"${name}" not found`, 'NotFound') } : { status: 200, body: structuredClone(kept) };
  }

  /** One request to the cloud as cloudcore; a connection failure is a 500, as the edge would report it. */
  #cloud(method: string, path: string, body: string | undefined, contentType: string | undefined): Promise<{ status: number; body: unknown }> {
    return new Promise((resolve) => {
      const headers: Record<string, string> = { Authorization: `Bearer ${this.#plane.adminToken}`, Accept: 'application/json' };
      if (contentType !== undefined) headers['Content-Type'] = contentType;
      const upstream = httpsRequest(`${this.#plane.url}${path}`, { method, headers, ca: this.#plane.ca }, (answer) => {
        let text = '';
        answer.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        answer.on('end', () => {
          try {
            resolve({ status: answer.statusCode ?? 500, body: JSON.parse(text) });
          } catch {
            resolve({ status: answer.statusCode ?? 500, body: text });
          }
        });
      });
      upstream.on('error', (error) => resolve({ status: 500, body: status(500, error.message) }));
      upstream.end(body);
    });
  }

  #watch(collection: string, query: URLSearchParams, response: ServerResponse, record: EdgeRecord): void {
    record.status = 200;
    response.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
    response.flushHeaders();
    const watch: EdgeWatch = { response, collection, query, live: this.#connected };
    this.#watches.add(watch);
    response.once('close', () => {
      this.#watches.delete(watch);
      watch.upstream?.destroy();
    });
    if (watch.live) this.#follow(watch);
  }

  /** Feeds a watch from a cloud watch opened without a resourceVersion: every matching object first, then changes. */
  #follow(watch: EdgeWatch): void {
    const query = new URLSearchParams(watch.query);
    for (const dropped of ['resourceVersion', 'resourceVersionMatch', 'allowWatchBookmarks', 'sendInitialEvents']) query.delete(dropped);
    query.set('watch', 'true');
    const upstream = httpsRequest(
      `${this.#plane.url}${watch.collection}?${query}`,
      { headers: { Authorization: `Bearer ${this.#plane.adminToken}`, Accept: 'application/json' }, ca: this.#plane.ca },
      (answer) => {
        let partial = '';
        answer.setEncoding('utf8').on('data', (chunk: string) => {
          const lines = (partial + chunk).split('\n');
          partial = lines.pop() ?? '';
          for (const line of lines.filter((l) => l.trim() !== '')) {
            const event = JSON.parse(line) as { type: string; object: KubeObject };
            if (event.type === 'BOOKMARK' || event.type === 'ERROR') continue;
            this.#keep(watch.collection, event.object, event.type === 'DELETED');
            watch.response.write(`${line}\n`);
          }
        });
        // The cloud ended the watch (its timeout): so does the edge's. A disconnect destroys it instead.
        answer.on('end', () => {
          if (watch.upstream === upstream) watch.response.end();
        });
        answer.on('error', () => undefined);
      },
    );
    upstream.on('error', () => undefined);
    upstream.end();
    watch.upstream = upstream;
  }
}
