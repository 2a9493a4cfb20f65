import { type ClientRequest, Agent as HttpAgent, request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import { ApiException, type KubeConfig } from '@kubernetes/client-node';
import { LabellerError } from '../errors.ts';
import { markStartup } from '../observability/startup.ts';
import { VERSION } from '../version.ts';

/** What one call sends besides its method and path. */
interface ApiCall {
  readonly query?: Readonly<Record<string, string | number | boolean | undefined>>;
  /** Sent as JSON. */
  readonly body?: unknown;
  /** The body's media type; JSON unless said (a merge patch says so here). */
  readonly contentType?: string;
  readonly accept?: string;
}

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface ApiRequester {
  /** One request; the answer's JSON body (undefined when empty), or ApiException for a status outside 2xx. */
  request<T>(method: Method, path: string, call?: ApiCall): Promise<T>;
  /**
   * A watch: each line of the stream is handed to `onEvent` (a line that is not JSON is skipped, as
   * client-node's Watch does). Resolves with a stop function once the server answered; `onDone` is called
   * once: null when the server ended the stream, the error otherwise (a TimeoutError after `idleMs` without
   * a byte, an AbortError after stop()).
   */
  watch(path: string, query: ApiCall['query'], idleMs: number, onEvent: (type: string, object: unknown) => void, onDone: (error: unknown) => void): Promise<() => void>;
}

/** An answer that takes longer than this is given up (a watch has its own idle limit instead). */
const REQUEST_TIMEOUT_MS = 60_000;

/**
 * The API server through client-node's KubeConfig — its authentication (token files re-read, exec and OIDC
 * providers, client certificates), TLS settings and proxy agents, as its applyToHTTPSOptions hands them to
 * node:https for clients of its own — and Node's HTTP stack. Not client-node's generated API classes: loading
 * CoreV1Api loads its ObjectSerializer and all 759 model classes, for five calls. Not its fetch-based HTTP
 * library and Watch either: they bring up undici (its modules, its WebAssembly HTTP parser, Node's http2),
 * where Node's own HTTP client is in the binary already. Without them, and with undici left out of the bundle
 * (scripts/build.ts), an idle labeller holds 6.5 MiB less, 4.4 MiB of it anonymous, and its first requests
 * answer 40-60 ms sooner (issue 18). Answers are the API server's JSON as sent: timestamps are strings, a list's
 * token is `continue`. Failures are client-node's ApiException (status, the body's text, the headers), as its
 * generated classes throw them, or API_NO_ANSWER when none came.
 */
export function apiRequester(config: KubeConfig): ApiRequester {
  const cluster = config.getCurrentCluster();
  if (cluster === null) throw new Error('the kubeconfig names no current cluster');
  const plain = cluster.server.startsWith('http:');
  const socks = !plain && cluster.proxyUrl?.startsWith('socks') === true;
  // KubeConfig's own agent for a server without a proxy does not keep connections open; every request would
  // then begin with a TLS handshake. The request options carry the TLS settings, so a keep-alive agent of
  // ours serves the same connections. A proxy (proxy-url) keeps KubeConfig's agent.
  const keepAlive = cluster.proxyUrl === undefined ? (plain ? new HttpAgent({ keepAlive: true }) : new HttpsAgent({ keepAlive: true })) : undefined;

  /**
   * Sends the request; resolves with the response once its head arrived. `onIdle` runs after `idleMs` without
   * a byte. A kept-alive connection the server closed while it sat idle fails as soon as it is used: the
   * request never reached the server, so it is sent once more on a new connection, as Node's documentation
   * advises.
   */
  async function open(method: Method, path: string, call: ApiCall, idleMs: number, onIdle: (request: ClientRequest) => void, signal?: AbortSignal): Promise<IncomingMessage> {
    const url = new URL(cluster!.server + path);
    for (const [key, value] of Object.entries(call.query ?? {})) if (value !== undefined) url.searchParams.set(key, String(value));
    const body = call.body === undefined ? undefined : JSON.stringify(call.body);
    const options: RequestOptions & { headers: Record<string, string | number> } = {
      method,
      headers: {
        Accept: call.accept ?? 'application/json',
        'User-Agent': `dt-node-labeller/${VERSION}`,
        ...(body === undefined ? {} : { 'Content-Type': call.contentType ?? 'application/json', 'Content-Length': Buffer.byteLength(body) }),
      },
    };
    await config.applyToHTTPSOptions(options);
    if (socks) {
      // socks-proxy-agent opens TLS over the tunnel without the host, and names the server only when it is not
      // an IP address, so Node would check the certificate against "localhost": an API server addressed by IP
      // (kubeadm's kubeconfigs, the in-cluster service address) would always fail. Check it against what a
      // direct connection checks: the kubeconfig's tls-server-name, else the server's host.
      const identity = (options as { servername?: string }).servername ?? url.hostname.replace(/^\[|\]$/g, '');
      Object.assign(options, { checkServerIdentity: (_host: string, certificate: PeerCertificate) => checkServerIdentity(identity, certificate) });
    }
    if (keepAlive !== undefined) options.agent = keepAlive;
    if (signal !== undefined) options.signal = signal;
    const send = () =>
      new Promise<IncomingMessage>((resolve, reject) => {
        const sent = (plain ? httpRequest : httpsRequest)(url, options, resolve);
        sent.setTimeout(idleMs, () => onIdle(sent));
        sent.on('error', (error) => reject(sent.reusedSocket && (error as { code?: unknown }).code === 'ECONNRESET' ? new StaleConnection(error) : noAnswer(error)));
        sent.end(body);
      });
    return send().catch((error: unknown) => {
      if (!(error instanceof StaleConnection)) throw error;
      return send().catch((again: unknown) => Promise.reject(again instanceof StaleConnection ? noAnswer(again.cause) : again));
    });
  }

  return {
    async request<T>(method: Method, path: string, call: ApiCall = {}): Promise<T> {
      const response = await open(method, path, call, REQUEST_TIMEOUT_MS, (sent) =>
        sent.destroy(timeout(`no answer to ${method} ${path.split('?')[0]} for ${REQUEST_TIMEOUT_MS / 1000} s`)),
      );
      markStartup('firstAnswer');
      const text = await readText(response);
      const status = response.statusCode ?? 0;
      if (status < 200 || status > 299) throw apiException(response, text);
      return (text === '' ? undefined : JSON.parse(text)) as T;
    },

    async watch(path, query, idleMs, onEvent, onDone) {
      const abort = new AbortController();
      let done = false;
      const finish = (error: unknown) => {
        if (done) return;
        done = true;
        abort.abort();
        onDone(error);
      };
      let response: IncomingMessage;
      try {
        const idle = () => finish(timeout(`the watch sent nothing for ${idleMs / 1000} s`));
        response = await open('GET', path, { query: { ...query, watch: true } }, idleMs, idle, abort.signal);
      } catch (error) {
        finish(error);
        return () => {};
      }
      if (response.statusCode !== 200) {
        const text = await readText(response).catch(() => '');
        finish(apiException(response, text));
        return () => {};
      }
      // The request's idle timer (set in open) keeps running while the stream is open: idleMs without a byte ends it.
      // One JSON event per line. Split here rather than by node:readline, whose ten modules cost 4 ms of every
      // start with the image's flags (issue 18); a chunk without a newline is only appended, so a long line
      // costs one join, and a line longer than any object the API server stores ends the watch.
      response.setEncoding('utf8');
      let partial = '';
      response.on('data', (chunk: string) => {
        if (done) return;
        if (!chunk.includes('\n')) {
          partial += chunk;
          if (partial.length > MAX_WATCH_LINE) finish(noAnswer(new Error(`the watch sent a line longer than ${MAX_WATCH_LINE / 2 ** 20} MiB`)));
          return;
        }
        const lines = (partial + chunk).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) {
          if (done) return;
          let event: { type?: unknown; object?: unknown };
          try {
            event = JSON.parse(line) as typeof event;
          } catch {
            continue;
          }
          if (typeof event.type === 'string') onEvent(event.type, event.object);
        }
      });
      response.on('error', (error) => finish(noAnswer(error)));
      response.on('end', () => finish(null));
      response.on('close', () => finish(response.complete ? null : noAnswer(new Error('the watch connection closed'))));
      return () => finish(new DOMException('the watch was stopped', 'AbortError'));
    },
  };
}

/**
 * Longest watch line accepted, in characters: an event carries one object, and the API server stores none
 * larger than etcd's request limit (1.5 MiB by default, at most a few MiB), so a longer line is a broken stream.
 */
const MAX_WATCH_LINE = 16 * 2 ** 20;

async function readText(response: IncomingMessage): Promise<string> {
  response.setEncoding('utf8');
  let text = '';
  try {
    for await (const chunk of response) text += chunk as string;
  } catch (error) {
    throw noAnswer(error);
  }
  return text;
}

/** A request that got no (whole) answer: the system error (ECONNREFUSED, a TLS failure, ...) is its cause. */
function noAnswer(error: unknown): unknown {
  if (error instanceof LabellerError || (error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError'))) return error;
  const why = (error as { code?: unknown }).code ?? (error as Error).message;
  return new LabellerError('API_NO_ANSWER', `no answer from the API server (${String(why)})`, { cause: error });
}

function timeout(message: string): Error {
  return new DOMException(message, 'TimeoutError');
}

/** A status outside 2xx, as client-node's generated classes report it: the status, the body's text, the headers. */
function apiException(response: IncomingMessage, text: string): ApiException<string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(response.headers)) if (value !== undefined) headers[name] = String(value);
  return new ApiException(response.statusCode ?? 0, `HTTP ${response.statusCode}`, text, headers);
}

/** A path segment (a name or namespace), percent-encoded as the generated client sends it. */
export const segment = encodeURIComponent;

/** A kept-alive connection that turned out to be closed before the request went out. */
class StaleConnection extends Error {
  constructor(cause: unknown) {
    super('the kept-alive connection was closed', { cause });
  }
}
