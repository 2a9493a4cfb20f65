// An in-memory ClusterClient for controller unit tests: one store of Nodes with resourceVersions, merge
// patches with the resourceVersion precondition (409 when stale), watches, injectable failures, and control
// over timing: watch events can be held back and released (in order or reversed) and patch answers
// delayed, so the races a real network allows can be staged. The real API server (envtest/control-plane.ts) tests
// the real client; this one tests decisions quickly.
import type { CoreV1Event, V1Node } from '@kubernetes/client-node';
import type { ClusterClient, WatchEventType } from '../../src/kubernetes/cluster-client.ts';
import type { LabelPatch } from '../../src/patch/plan-patch.ts';

type Listener = { name: string; onEvent: (type: WatchEventType, object: unknown) => void; onDone: (error: unknown) => void };
export type Method = 'listNode' | 'readNode' | 'patchNodeMetadata' | 'watchNode' | 'createNodeEvent' | 'listNodeNames';

export interface Call {
  readonly method: Method;
  /** The clock's time of the call (a virtual clock in timed tests). */
  readonly at: number;
}

export class MemoryCluster implements ClusterClient {
  readonly nodes = new Map<string, V1Node>();
  readonly events: CoreV1Event[] = [];
  readonly log: Call[] = [];
  #rv = 100;
  #listeners = new Set<Listener>();
  #failures: Array<{ method: Method | undefined; status: number; remaining: number }> = [];
  #held: Array<() => void> | undefined;
  readonly #now: () => number;
  /** Runs just before a patch is applied: simulates a concurrent writer. */
  beforePatch: (() => void) | undefined;
  /** Resolves a patch's answer after the patch was applied: a slow network back. */
  patchAnswer: ((answer: () => void) => void) | undefined;

  constructor(options: { now?: () => number } = {}) {
    this.#now = options.now ?? Date.now;
  }

  get calls(): Method[] {
    return this.log.map((call) => call.method);
  }

  addNode(name: string, labels: Record<string, string> = {}, annotations: Record<string, string> = {}): void {
    this.#write(name, { metadata: { name, uid: `uid-${name}-${this.#rv}`, labels, annotations } }, 'ADDED');
  }

  /** A change by someone else. */
  edit(name: string, change: (node: V1Node) => void): void {
    const node = structuredClone(this.#get(name));
    change(node);
    this.#write(name, node, 'MODIFIED');
  }

  deleteNode(name: string): void {
    const node = this.#get(name);
    this.nodes.delete(name);
    this.#emit(name, 'DELETED', { ...node, metadata: { ...node.metadata, resourceVersion: String(++this.#rv) } });
  }

  labels(name: string): Record<string, string> {
    return { ...(this.nodes.get(name)?.metadata?.labels ?? {}) };
  }

  /** The next `count` calls (of `method`, or any) fail with HTTP `status`. */
  fail(count: number, status: number, method?: Method): void {
    if (count > 0) this.#failures.push({ method, status, remaining: count });
  }

  /** Every call of `method` fails with `status` until the returned function is called (a persistent 403). */
  failAlways(status: number, method?: Method): () => void {
    const failure = { method, status, remaining: Number.POSITIVE_INFINITY };
    this.#failures.push(failure);
    return () => (this.#failures = this.#failures.filter((f) => f !== failure));
  }

  /** Watch events are queued from now on instead of delivered. */
  holdEvents(): void {
    this.#held ??= [];
  }

  /** Delivers the queued events, in order or reversed, and delivers new ones at once again. */
  releaseEvents(order: 'in-order' | 'reversed' = 'in-order'): void {
    const held = this.#held ?? [];
    this.#held = undefined;
    for (const deliver of order === 'reversed' ? held.reverse() : held) deliver();
  }

  dropWatches(): void {
    for (const l of this.#listeners) l.onDone(null);
    this.#listeners.clear();
  }

  async listNode(name: string) {
    this.#call('listNode');
    const node = this.nodes.get(name);
    return { node: node && structuredClone(node), resourceVersion: String(this.#rv) };
  }

  async readNode(name: string): Promise<V1Node> {
    this.#call('readNode');
    return structuredClone(this.#get(name));
  }

  async listNodeNames(): Promise<string[]> {
    this.#call('listNodeNames');
    return [...this.nodes.keys()];
  }

  async patchNodeMetadata(name: string, patch: LabelPatch): Promise<V1Node> {
    this.#call('patchNodeMetadata');
    this.beforePatch?.();
    const node = structuredClone(this.#get(name));
    const wanted = patch.metadata.resourceVersion;
    if (wanted !== undefined && wanted !== node.metadata?.resourceVersion) throw Object.assign(new Error('Conflict'), { statusCode: 409 });
    const meta = node.metadata!;
    meta.labels = mergeMap(meta.labels, patch.metadata.labels);
    meta.annotations = mergeMap(meta.annotations, patch.metadata.annotations);
    this.#write(name, node, 'MODIFIED');
    const answer = structuredClone(this.#get(name));
    const delay = this.patchAnswer;
    if (delay !== undefined) await new Promise<void>((resolve) => delay(resolve));
    return answer;
  }

  async watchNode(name: string, _rv: string, _timeout: number, onEvent: Listener['onEvent'], onDone: Listener['onDone']) {
    this.#call('watchNode');
    const listener = { name, onEvent, onDone };
    this.#listeners.add(listener);
    return () => {
      if (this.#listeners.delete(listener)) onDone(null);
    };
  }

  async createNodeEvent(event: CoreV1Event): Promise<void> {
    this.#call('createNodeEvent');
    this.events.push(event);
  }

  #call(method: Method): void {
    this.log.push({ method, at: this.#now() });
    const failure = this.#failures.find((f) => f.method === undefined || f.method === method);
    if (failure !== undefined) {
      if (--failure.remaining <= 0) this.#failures = this.#failures.filter((f) => f !== failure);
      throw Object.assign(new Error(`injected ${failure.status}`), { statusCode: failure.status });
    }
  }

  #get(name: string): V1Node {
    const node = this.nodes.get(name);
    if (node === undefined) throw Object.assign(new Error('NotFound'), { statusCode: 404 });
    return node;
  }

  #write(name: string, node: V1Node, type: WatchEventType): void {
    node.metadata = { ...node.metadata, resourceVersion: String(++this.#rv) };
    this.nodes.set(name, node);
    this.#emit(name, type, node);
  }

  /** Watch events arrive in later microtasks, as client-node delivers them, or are held back. */
  #emit(name: string, type: WatchEventType, node: V1Node): void {
    const copy = structuredClone(node);
    for (const l of this.#listeners) {
      if (l.name !== name) continue;
      const deliver = () => queueMicrotask(() => l.onEvent(type, structuredClone(copy)));
      if (this.#held !== undefined) this.#held.push(deliver);
      else deliver();
    }
  }
}

function mergeMap(base: Record<string, string> | undefined, patch: Record<string, string | null>): Record<string, string> {
  const out = { ...(base ?? {}) };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = value;
  }
  return out;
}
