import type { V1Node } from '@kubernetes/client-node';
import { apiStatus } from './api-errors.ts';
import { Backoff, type Sleep } from './backoff.ts';
import type { ClusterClient, WatchEventType } from './cluster-client.ts';

export interface NodeWatcherOptions {
  readonly client: ClusterClient;
  readonly nodeName: string;
  /** Called with the node after every list and change; undefined when it does not exist (yet). */
  readonly onNode: (node: V1Node | undefined) => void;
  readonly onError: (error: unknown) => void;
  /** Called when the watch's resourceVersion has expired (410 Gone) and the node is listed again. */
  readonly onExpired?: () => void;
  readonly sleep: Sleep;
  readonly backoff: Backoff;
  /** Server-side watch timeout; the watch is resumed from the last resourceVersion when it ends. */
  readonly watchTimeoutSeconds: number;
}

/** A watch that ended faster than this did not really run: treat it as a failure and back off. */
const MIN_HEALTHY_WATCH_MS = 1000;

/**
 * Keeps an up-to-date view of one Node (fieldSelector metadata.name=<node>), so memory and API traffic do
 * not grow with the cluster. Lists once, then watches from the list's resourceVersion and resumes from the
 * last one seen when a watch ends; a 410 Gone (history compacted) means list again.
 */
export class NodeWatcher {
  readonly #options: NodeWatcherOptions;
  readonly #abort = new AbortController();
  #resourceVersion: string | undefined;
  #stopWatch: (() => void) | undefined;

  constructor(options: NodeWatcherOptions) {
    this.#options = options;
  }

  async run(): Promise<void> {
    const { client, nodeName, onNode, onError, sleep, backoff } = this.#options;
    while (!this.#abort.signal.aborted) {
      const started = Date.now();
      try {
        if (this.#resourceVersion === undefined) {
          const { node, resourceVersion } = await client.listNode(nodeName);
          this.#resourceVersion = resourceVersion;
          onNode(node);
        }
        await this.#watchOnce();
        if (Date.now() - started >= MIN_HEALTHY_WATCH_MS) {
          backoff.reset();
          continue;
        }
      } catch (error) {
        if (this.#abort.signal.aborted) break;
        if (apiStatus(error) === 410) {
          this.#resourceVersion = undefined; // history is gone: relist, then watch again at once
          this.#options.onExpired?.();
          continue;
        }
        onError(error);
      }
      await sleep(backoff.next(), this.#abort.signal);
    }
  }

  stop(): void {
    this.#abort.abort();
    this.#stopWatch?.();
  }

  #watchOnce(): Promise<void> {
    const { client, nodeName, watchTimeoutSeconds } = this.#options;
    return new Promise((resolve, reject) => {
      let expired: unknown;
      const onEvent = (type: WatchEventType, object: unknown) => {
        if (type === 'ERROR') {
          expired = { statusCode: (object as { code?: number } | undefined)?.code ?? 500, message: (object as { message?: string } | undefined)?.message };
          return;
        }
        this.#handle(type, object as V1Node);
      };
      const onDone = (error: unknown) => {
        this.#stopWatch = undefined;
        // client-node ends an idle stream with a TimeoutError; that is a normal end: resume.
        if (expired !== undefined) reject(expired);
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
    if (type === 'ADDED' || type === 'MODIFIED') this.#options.onNode(node);
    else if (type === 'DELETED') this.#options.onNode(undefined);
  }
}
