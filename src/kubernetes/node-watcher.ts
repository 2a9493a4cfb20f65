import type { V1Node } from '@kubernetes/client-node';
import { httpStatus } from '../errors.ts';
import { Backoff, RetryBackoff, type Sleep } from './backoff.ts';
import type { ClusterClient, WatchEventType } from './cluster-client.ts';

export interface NodeWatcherOptions {
  readonly client: ClusterClient;
  readonly nodeName: string;
  /** Called after every list and every change to the cached node. */
  readonly onChange: () => void;
  /** A list or watch failed (410 aside); the watcher backs off and tries again. */
  readonly onError: (error: unknown) => void;
  /** The watch's resourceVersion expired (410 Gone); the node is listed again. */
  readonly onExpired?: () => void;
  readonly sleep: Sleep;
  /** Server-side watch timeout; the watch is resumed from the last resourceVersion when it ends. */
  readonly watchTimeoutSeconds: number;
  readonly retry?: RetryBackoff;
  /** Injectable clock (ms) for tests. */
  readonly now?: () => number;
}

/**
 * A watch that lasted this long was healthy: whatever ends it, the backoff starts over, so one failure after
 * minutes of service waits half a second, not as long as the fifth failure in a row did.
 */
const HEALTHY_WATCH_MS = 5000;
/**
 * Relisting after 410 Gone: at once the first time (the history was compacted), then backing off, because
 * 410 after 410 means the watch cache lags behind the lists (several API servers behind a load balancer)
 * and relisting at once would be a LIST loop.
 */
const EXPIRED_BACKOFF = { initialMs: 1000, maxMs: 30_000 };

/**
 * The informer of one Node (fieldSelector metadata.name=<node>), so memory and traffic do not grow with the
 * cluster: lists once, then watches from the list's resourceVersion and resumes from the last one seen;
 * 410 Gone means list again. It is the only writer of the cached node, so what it holds is always the
 * newest version the server has sent, in the server's order.
 */
export class NodeWatcher {
  readonly #options: NodeWatcherOptions;
  readonly #abort = new AbortController();
  readonly #retry: RetryBackoff;
  readonly #expired = new Backoff(EXPIRED_BACKOFF);
  #expiredInARow = 0;
  #resourceVersion: string | undefined;
  #stopWatch: (() => void) | undefined;
  #node: V1Node | null | undefined;

  constructor(options: NodeWatcherOptions) {
    this.#options = options;
    this.#retry = options.retry ?? new RetryBackoff();
  }

  /** The node as last listed or watched: undefined before the first list, null when it does not exist. */
  get node(): V1Node | null | undefined {
    return this.#node;
  }

  async run(): Promise<void> {
    const { client, nodeName, sleep } = this.#options;
    const now = this.#options.now ?? Date.now;
    while (!this.#abort.signal.aborted) {
      const started = now();
      let delay: number;
      try {
        if (this.#resourceVersion === undefined) {
          const { node, resourceVersion } = await client.listNode(nodeName);
          this.#resourceVersion = resourceVersion;
          this.#set(node ?? null);
          // A turn before watching: what the list set off (the first PATCH) goes out on the list's connection
          // first, before the watch opens a connection of its own, a TLS handshake's work (issue 18).
          await new Promise((resolve) => setImmediate(resolve));
        }
        await this.#watchOnce();
        // The server ended the watch (its timeout): resume at once, unless it ends them as soon as they start.
        delay = now() - started >= HEALTHY_WATCH_MS ? this.#healthy() : this.#retry.waiting();
      } catch (error) {
        if (this.#abort.signal.aborted) break;
        if (now() - started >= HEALTHY_WATCH_MS) this.#healthy();
        if (httpStatus(error) === 410) {
          this.#resourceVersion = undefined;
          this.#options.onExpired?.();
          delay = this.#expiredInARow++ === 0 ? 0 : this.#expired.next();
        } else {
          // The server refused this resourceVersion itself (an ERROR event, not a lost connection): resuming
          // from it would fail the same way forever, so list again after the backoff, as client-go's reflector does.
          if ((error as { inWatchStream?: boolean } | undefined)?.inWatchStream === true) this.#resourceVersion = undefined;
          this.#options.onError(error);
          // A watch never stops: even a failure nobody foresaw is tried again, at the transient pace.
          delay = this.#retry.next(error) ?? this.#retry.waiting();
        }
      }
      if (delay > 0) await sleep(delay, this.#abort.signal);
    }
  }

  stop(): void {
    this.#abort.abort();
    this.#stopWatch?.();
  }

  /** A watch ran long enough to count as healthy: every backoff starts over. Returns the delay: none. */
  #healthy(): number {
    this.#retry.reset();
    this.#expired.reset();
    this.#expiredInARow = 0;
    return 0;
  }

  #set(node: V1Node | null): void {
    this.#node = node;
    this.#options.onChange();
  }

  #watchOnce(): Promise<void> {
    const { client, nodeName, watchTimeoutSeconds } = this.#options;
    return new Promise((resolve, reject) => {
      let failure: unknown;
      const onEvent = (type: WatchEventType, object: unknown) => {
        if (type === 'ERROR') {
          const status = object as { code?: number; message?: string } | undefined;
          failure = Object.assign(new Error(status?.message ?? 'watch error'), { statusCode: status?.code ?? 500, inWatchStream: true });
          return;
        }
        this.#handle(type, object as V1Node);
      };
      const onDone = (error: unknown) => {
        this.#stopWatch = undefined;
        // An idle stream ends with a TimeoutError (api-request.ts), a stopped one with AbortError: resume.
        if (failure !== undefined) reject(failure);
        else if (error && (error as Error).name !== 'TimeoutError' && (error as Error).name !== 'AbortError') reject(error);
        else resolve();
      };
      client.watchNode(nodeName, this.#resourceVersion ?? '', watchTimeoutSeconds, onEvent, onDone).then((stop) => {
        this.#stopWatch = stop;
        if (this.#abort.signal.aborted) stop();
      }, reject);
    });
  }

  #handle(type: WatchEventType, node: V1Node): void {
    const resourceVersion = node.metadata?.resourceVersion;
    if (resourceVersion !== undefined) this.#resourceVersion = resourceVersion;
    if (type === 'ADDED' || type === 'MODIFIED') this.#set(node);
    else if (type === 'DELETED') this.#set(null);
  }
}
