// The fake's etcd: objects per collection, one global revision counter stamped on every write, and a
// bounded history of changes per collection that watches replay from (like the watch cache).

import { randomUUID } from 'node:crypto';
import { type KubeObject, clone, jsonEqual } from './json.ts';

export type ChangeType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface Change {
  type: ChangeType;
  /** The object after the change (for DELETED: its last state, stamped with the deletion's revision). */
  object: KubeObject;
  /** The object before the change; lets a filtered watch turn a change into ADDED or DELETED. */
  previous: KubeObject | undefined;
  resourceVersion: number;
}

export type ChangeListener = (change: Change) => void;

/** What resuming from an old revision finds: the changes since, or that they are no longer kept. */
export type HistoryResult = { changes: Change[] } | { expired: true; oldest: number };

class Collection {
  readonly objects = new Map<string, KubeObject>();
  history: Change[] = [];
  /** Every change up to and including this revision has been forgotten. */
  compactedThrough = 0;
  readonly listeners = new Set<ChangeListener>();
}

export function objectKey(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

/** RFC 3339 without fractions, as Kubernetes writes metav1.Time. */
export function kubeTimestamp(date = new Date()): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export class Store {
  #revision = 0;
  readonly #historyLimit: number;
  readonly #collections = new Map<string, Collection>();

  constructor(historyLimit: number) {
    this.#historyLimit = historyLimit;
  }

  /** The latest revision, which is what a list reports as its resourceVersion. */
  get revision(): number {
    return this.#revision;
  }

  get(storage: string, key: string): KubeObject | undefined {
    const object = this.#collection(storage).objects.get(key);
    return object === undefined ? undefined : clone(object);
  }

  /** Copies, in key order (namespace, then name), as etcd returns them. */
  list(storage: string, namespace?: string): KubeObject[] {
    const objects = this.#collection(storage).objects;
    const keys = [...objects.keys()].sort();
    const prefix = namespace === undefined ? undefined : `${namespace}/`;
    return keys.filter((key) => prefix === undefined || key.startsWith(prefix)).map((key) => clone(objects.get(key) as KubeObject));
  }

  /** Stores a new object, stamping uid, creationTimestamp and a revision. The caller checks it is new. */
  create(storage: string, key: string, object: KubeObject): KubeObject {
    const stored = clone(object);
    stored.metadata.uid = randomUUID();
    stored.metadata.creationTimestamp = kubeTimestamp();
    stored.metadata.resourceVersion = String(++this.#revision);
    this.#collection(storage).objects.set(key, stored);
    this.#record(storage, { type: 'ADDED', object: stored, previous: undefined, resourceVersion: this.#revision });
    return clone(stored);
  }

  /**
   * Replaces an object. As on a real server, a write that changes nothing is not a write: no new
   * revision, no event (so an idempotent labeller causes no watch traffic).
   */
  update(storage: string, key: string, object: KubeObject): KubeObject {
    const collection = this.#collection(storage);
    const previous = collection.objects.get(key);
    if (previous === undefined) throw new Error(`store: update of missing ${storage} ${key}`);
    const next = clone(object);
    next.metadata.resourceVersion = previous.metadata.resourceVersion ?? '';
    if (jsonEqual(next, previous)) return clone(previous);
    next.metadata.resourceVersion = String(++this.#revision);
    collection.objects.set(key, next);
    this.#record(storage, { type: 'MODIFIED', object: next, previous, resourceVersion: this.#revision });
    return clone(next);
  }

  delete(storage: string, key: string): KubeObject | undefined {
    const collection = this.#collection(storage);
    const previous = collection.objects.get(key);
    if (previous === undefined) return undefined;
    collection.objects.delete(key);
    const last = clone(previous);
    last.metadata.resourceVersion = String(++this.#revision);
    this.#record(storage, { type: 'DELETED', object: last, previous, resourceVersion: this.#revision });
    return clone(last);
  }

  /** The changes after `revision`, or `expired` when some of them have been forgotten. */
  historySince(storage: string, revision: number): HistoryResult {
    const collection = this.#collection(storage);
    if (revision < collection.compactedThrough) return { expired: true, oldest: collection.compactedThrough };
    return { changes: collection.history.filter((change) => change.resourceVersion > revision) };
  }

  /** Listeners are called synchronously on every change; the objects they get must not be mutated. */
  subscribe(storage: string, listener: ChangeListener): () => void {
    const listeners = this.#collection(storage).listeners;
    listeners.add(listener);
    return () => listeners.delete(listener);
  }

  /** Forgets all history, as an etcd compaction does: watches resuming from before now get 410 Expired. */
  compact(): void {
    for (const collection of this.#collections.values()) {
      collection.history = [];
      collection.compactedThrough = this.#revision;
    }
  }

  #collection(storage: string): Collection {
    let collection = this.#collections.get(storage);
    if (collection === undefined) {
      collection = new Collection(); // nothing happened to it before, so its history is complete
      this.#collections.set(storage, collection);
    }
    return collection;
  }

  #record(storage: string, change: Change): void {
    const collection = this.#collection(storage);
    collection.history.push(change);
    while (collection.history.length > this.#historyLimit) {
      const dropped = collection.history.shift();
      if (dropped !== undefined) collection.compactedThrough = dropped.resourceVersion;
    }
    for (const listener of [...collection.listeners]) listener(change);
  }
}
