// A small fault-injecting HTTPS proxy in front of the real kube-apiserver: the faults a network, a load
// balancer or an overloaded server cause (5xx and 429 answers, dropped connections, refused connections,
// delays), and a hook to run another writer's change just before a request goes through, so the real server
// answers 409 Conflict. Everything else is the real server's answer, passed through byte for byte. It serves
// the API server's own certificate (valid for 127.0.0.1), so a kubeconfig's CA fits both.
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, request as httpsRequest, type Server } from 'node:https';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { setTimeout as delay } from 'node:timers/promises';
import type { ControlPlane } from './control-plane.ts';

export interface RequestMatch {
  /** HTTP method, e.g. 'PATCH'. */
  readonly method?: string;
  /** A substring of the path and query. */
  readonly pathIncludes?: string;
}

export interface Failure extends RequestMatch {
  readonly status: number;
  /** 'status' (default): a Kubernetes Status body, as the API server's own filters answer; 'text': a proxy's plain page. */
  readonly body?: 'status' | 'text';
}

export interface ProxyRecord {
  readonly method: string;
  readonly path: string;
  readonly watch: boolean;
  /** Whether it carried a bearer token. */
  readonly token: boolean;
  /** The status answered, 0 while waiting, -1 when the connection was dropped first. */
  status: number;
  /** Set when the proxy answered itself instead of the server. */
  injected: boolean;
  /** When the request arrived (ms since the epoch). */
  readonly timestamp: number;
  /** The Accept header as sent ('' for none). */
  readonly accept: string;
  /** Response body bytes passed to the client (headers and chunk framing not counted); grows while a watch streams. */
  bytes: number;
  /** The `kind` a JSON answer starts with (NodeList, PartialObjectMetadataList, Status...); '' for watches, text and compressed bodies. */
  kind: string;
  /** For a watch: the events streamed so far, in order (type, and the object's name when it has one). */
  readonly events: Array<{ type: string; name?: string }>;
  /** Set once the response has ended or its connection closed. */
  ended: boolean;
}

const matches = (match: RequestMatch, method: string, path: string) =>
  (match.method === undefined || match.method === method) && (match.pathIncludes === undefined || path.includes(match.pathIncludes));

const REASONS: Record<number, string> = { 429: 'TooManyRequests', 500: 'InternalError', 502: 'BadGateway', 503: 'ServiceUnavailable', 504: 'Timeout' };

export class FaultProxy {
  readonly records: ProxyRecord[] = [];
  readonly #plane: ControlPlane;
  readonly #sockets = new Set<Socket>();
  #server: Server | undefined;
  #port = 0;
  #failures: Array<Failure & { remaining: number }> = [];
  #hooks: Array<RequestMatch & { action: () => Promise<void> }> = [];
  #delayMs = 0;

  private constructor(plane: ControlPlane) {
    this.#plane = plane;
  }

  static async start(plane: ControlPlane): Promise<FaultProxy> {
    const proxy = new FaultProxy(plane);
    await proxy.#listen(0);
    return proxy;
  }

  get url(): string {
    return `https://127.0.0.1:${this.#port}`;
  }

  /** Watches the server answered 200 that are still streaming. */
  get openWatches(): number {
    return this.records.filter((r) => r.watch && r.status === 200 && !r.ended).length;
  }

  /** Response body bytes passed to clients, over every record kept. */
  get bytesSent(): number {
    return this.records.reduce((sum, r) => sum + r.bytes, 0);
  }

  async #listen(port: number): Promise<void> {
    const certs = join(this.#plane.dir, 'certs');
    const server = createServer(
      { cert: readFileSync(join(certs, 'apiserver.crt')), key: readFileSync(join(certs, 'apiserver.key')) },
      (request, response) => void this.#handle(request, response),
    );
    server.on('connection', (socket: Socket) => {
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
    });
    server.listen(port, '127.0.0.1');
    await once(server, 'listening');
    this.#server = server;
    this.#port = (server.address() as { port: number }).port;
  }

  /** The next `count` requests that match answer `failure.status` without reaching the server. */
  failNext(count: number, failure: Failure): void {
    this.#failures.push({ ...failure, remaining: count });
  }

  /** Runs `action` (another writer's change, usually) before the next matching request goes through. */
  beforeNext(match: RequestMatch, action: () => Promise<void>): void {
    this.#hooks.push({ ...match, action });
  }

  /** Holds every request (and the start of every watch) for `ms` before passing it on. */
  setDelay(ms: number): void {
    this.#delayMs = ms;
  }

  /** Cuts every open connection, watches included, mid-stream. */
  dropConnections(): void {
    for (const socket of this.#sockets) socket.destroy();
  }

  /** While refusing, nothing listens on the port (clients get ECONNREFUSED); afterwards it listens again on the same port. */
  async refuse(on: boolean): Promise<void> {
    if (on) {
      const server = this.#server;
      if (server === undefined) return;
      this.#server = undefined;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      this.dropConnections();
      await closed;
    } else if (this.#server === undefined) {
      await this.#listen(this.#port);
    }
  }

  clearFaults(): void {
    this.#failures = [];
    this.#hooks = [];
    this.#delayMs = 0;
  }

  async stop(): Promise<void> {
    this.clearFaults();
    await this.refuse(true);
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const method = request.method ?? 'GET';
    const path = request.url ?? '/';
    const record: ProxyRecord = {
      method,
      path,
      watch: /[?&]watch=(1|true)/.test(path),
      token: /^Bearer ./.test(request.headers.authorization ?? ''),
      status: 0,
      injected: false,
      timestamp: Date.now(),
      accept: request.headers.accept ?? '',
      bytes: 0,
      kind: '',
      events: [],
      ended: false,
    };
    this.records.push(record);
    response.once('close', () => {
      if (record.status === 0) record.status = -1;
      record.ended = true;
    });
    if (this.#delayMs > 0) await delay(this.#delayMs);
    const failure = this.#failures.find((f) => f.remaining > 0 && matches(f, method, path));
    if (failure !== undefined) {
      failure.remaining--;
      record.status = failure.status;
      record.injected = true;
      request.resume();
      if (failure.body === 'text') {
        const text = `${failure.status} from a proxy\n`;
        record.bytes = Buffer.byteLength(text);
        response.writeHead(failure.status, { 'Content-Type': 'text/plain' }).end(text);
      } else {
        const reason = REASONS[failure.status] ?? 'InternalError';
        const status = JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `injected ${failure.status}`, reason, code: failure.status });
        record.bytes = Buffer.byteLength(status);
        record.kind = 'Status';
        response.writeHead(failure.status, { 'Content-Type': 'application/json', ...(failure.status === 429 ? { 'Retry-After': '1' } : {}) }).end(status);
      }
      return;
    }
    const hook = this.#hooks.findIndex((h) => matches(h, method, path));
    if (hook >= 0) await this.#hooks.splice(hook, 1)[0]!.action();
    this.#forward(request, response, record);
  }

  #forward(request: IncomingMessage, response: ServerResponse, record: ProxyRecord): void {
    const headers = { ...request.headers };
    delete headers.host;
    const upstream = httpsRequest(`${this.#plane.url}${request.url ?? '/'}`, { method: request.method, headers, ca: this.#plane.ca }, (answer) => {
      record.status = answer.statusCode ?? 0;
      response.writeHead(answer.statusCode ?? 502, answer.headers);
      // Node holds a head back until the first body write: a watch's head must reach the client at once, as
      // the server sent it (client-node's watch() resolves only then).
      response.flushHeaders();
      FaultProxy.#account(answer, record);
      answer.pipe(response);
      answer.once('error', () => response.destroy());
    });
    upstream.once('error', () => {
      // The real server is down (restarting): what a load balancer with no healthy backend says.
      if (!response.headersSent) {
        record.status = 503;
        record.bytes = 'no upstream\n'.length;
        response.writeHead(503, { 'Content-Type': 'text/plain' }).end('no upstream\n');
      } else response.destroy();
    });
    // A client that goes away (or a dropped connection) ends the upstream request too, watches included.
    response.once('close', () => upstream.destroy());
    request.pipe(upstream);
  }

  /** Counts the answer's body bytes into its record, and reads its kind (a JSON body) or its events (a watch). */
  static #account(answer: IncomingMessage, record: ProxyRecord): void {
    const plain = answer.headers['content-encoding'] === undefined && /json/.test(answer.headers['content-type'] ?? '');
    const decoder = new StringDecoder('utf8');
    let head = '';
    let line = '';
    answer.on('data', (chunk: Buffer) => {
      record.bytes += chunk.length;
      if (!plain) return;
      if (!record.watch) {
        if (head.length < 64) head += chunk.toString('utf8', 0, 64);
        record.kind = /^\{"kind":"([^"]+)"/.exec(head)?.[1] ?? '';
        return;
      }
      const lines = (line + decoder.write(chunk)).split('\n');
      line = lines.pop() ?? '';
      for (const text of lines) {
        if (text.trim() === '') continue;
        try {
          const event = JSON.parse(text) as { type: string; object?: { metadata?: { name?: string } } };
          const name = event.object?.metadata?.name;
          record.events.push(name === undefined ? { type: event.type } : { type: event.type, name });
        } catch {
          record.events.push({ type: '(not JSON)' });
        }
      }
    });
  }
}
