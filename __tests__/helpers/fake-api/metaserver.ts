// KubeEdge's MetaServer, as edgecore serves it on an edge node (127.0.0.1:10550), put in front of the fake
// API server (which plays the cloud: cloudcore plus the real kube-apiserver). Each rule below is what the
// KubeEdge sources do (kubeedge/kubeedge, v1.17-v1.20 era; file and function named), restated, not copied:
//
// - Plain HTTP, no authentication without the requireAuthorization feature gate
//   (edge/pkg/metamanager/metaserver/server.go, MetaServer.Start → startHTTPServer).
// - Writes (create, update, patch, delete, Events included) are forwarded to the cloud synchronously and
//   not stored at the edge; its answer comes back with its own status (409, 404, 422 ...): agent/agent.go
//   Apply returns the cloud's StatusError. While the edge is disconnected they fail at once: Agent.Generate
//   returns connect.ErrConnectionLost, a plain error that responsewriters.ErrorNegotiated turns into 500,
//   reason Unknown (its exact text is not in the sources read; "connection lost" here).
// - GET asks the cloud and stores a successful answer locally (kubernetes/storage/storage.go REST.Get →
//   InsertOrUpdateObj); on any failure, disconnected or an error from the cloud, it answers from the local
//   store, however stale, or 404 NotFound.
// - LIST asks the cloud (selectors, limit and continue honoured there) and does not store the answer
//   (REST.List); disconnected, it lists the local store (storage/sqlite/store.go GetList): label selector,
//   field selectors on metadata.name/metadata.namespace only, no paging, resourceVersion = the highest one
//   stored, none when nothing matches.
// - WATCH ignores resourceVersion (storage/sqlite/watcher.go Watch: "only support rev == 0") and starts by
//   replaying every matching object of the local store as ADDED; it never sends BOOKMARK and never 410.
//   Opened while connected, it registers a listener in the cloud, which first pushes every matching object
//   (cloud/pkg/dynamiccontroller, SelectorListener.sendAllObjects) and then each change, both stored
//   locally as they arrive. Changes made while disconnected arrive after reconnecting (the listener is
//   re-registered, Agent.syncWatchApplications). A watch opened while disconnected never registers a
//   listener and gets no events at all, even after reconnecting (REST.Watch ignores the error).
// - Non-resource paths other than /version are "request[<path>::<verb>] isn't supported", 500
//   (server.go BuildBasicHandler); /version passes through (pkg/util/pass-through).
// - JSON only (kubernetes/serializer/serializer.go). Whether `as=PartialObjectMetadataList` works is not
//   clear from the sources; this fake ignores `as=` and answers full objects, the cautious assumption.

import type { CountingWriter } from './http.ts';
import type { KubeObject } from './json.ts';
import type { ResourceDef } from './resources.ts';
import type { ResourceRoute } from './routes.ts';
import { selectionFromQuery } from './selectors.ts';
import { ApiError, notFound, unknownError, internalError } from './status.ts';
import { type Change, type Store, objectKey } from './store.ts';
import { WatchStream } from './watch.ts';

export type CloudCall = () => { status: number; body: unknown };

interface EdgeWatch {
  readonly stream: WatchStream;
  readonly def: ResourceDef;
  readonly matches: (object: KubeObject) => boolean;
  /** Opened while connected: a cloud listener feeds it. */
  readonly live: boolean;
}

export class MetaServer {
  readonly #store: Store;
  /** The server's open watch streams, so dropWatches() and openWatches see these too. */
  readonly #streams: Set<WatchStream>;
  /** The edge's local store (its sqlite meta table): what it has been told, by storage, then object key. */
  readonly #local = new Map<string, Map<string, KubeObject>>();
  readonly #watches = new Set<EdgeWatch>();
  #connected = true;
  #unsubscribe: Array<() => void> = [];

  constructor(store: Store, streams: Set<WatchStream>) {
    this.#store = store;
    this.#streams = streams;
  }

  get connected(): boolean {
    return this.#connected;
  }

  /** The edge loses its connection to cloudcore: writes fail, reads come from the local store. */
  disconnect(): void {
    this.#connected = false;
  }

  /** The edge is back: live watches get what changed meanwhile, as the re-registered listener pushes it. */
  reconnect(): void {
    this.#connected = true;
    for (const watch of this.#watches) if (watch.live) this.#pushAll(watch);
  }

  /** How many objects the edge holds locally, for tests. */
  localCount(storage: string): number {
    return this.#local.get(storage)?.size ?? 0;
  }

  stop(): void {
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
    this.#unsubscribe = [];
  }

  /** A non-resource path: only /version passes through. */
  nonResource(method: string, pathname: string): ApiError | undefined {
    if (pathname === '/version') return undefined;
    return internalError(`request[${pathname}::${method.toLowerCase()}] isn't supported`);
  }

  /** Serves one resource request the way MetaServer does; `cloud` runs it against the fake cloud. */
  serve(method: string, route: ResourceRoute, query: URLSearchParams, writer: CountingWriter, cloud: CloudCall): { status: number; body: unknown } | undefined {
    const { def, namespace, name } = route;
    if (method === 'GET' && name === undefined && (route.watchPath || query.get('watch') === 'true' || query.get('watch') === '1')) {
      this.#watch(def, namespace, query, writer);
      return undefined;
    }
    if (method !== 'GET') {
      if (!this.#connected) throw unknownError('connection lost');
      return cloud();
    }
    if (name !== undefined) return this.#get(def, namespace, name, cloud);
    if (this.#connected) return cloud();
    return this.#listLocal(def, namespace, query);
  }

  #get(def: ResourceDef, namespace: string | undefined, name: string, cloud: CloudCall): { status: number; body: unknown } {
    const key = objectKey(namespace, name);
    if (this.#connected) {
      try {
        const answer = cloud();
        if (answer.status === 200) this.#remember(def, answer.body as KubeObject);
        return answer;
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        // Falls through: any failure of the cloud is answered from the local store.
      }
    }
    const local = this.#local.get(def.storage)?.get(key);
    if (local === undefined) throw notFound(def, name);
    return { status: 200, body: structuredClone(local) };
  }

  #listLocal(def: ResourceDef, namespace: string | undefined, query: URLSearchParams): { status: number; body: unknown } {
    const matches = selectionFromQuery(def, namespace, query);
    const items = [...(this.#local.get(def.storage)?.values() ?? [])].filter(matches).map((object) => structuredClone(object));
    const highest = Math.max(0, ...[...this.#local.values()].flatMap((objects) => [...objects.values()].map((o) => Number(o.metadata.resourceVersion ?? 0))));
    const metadata = items.length === 0 ? {} : { resourceVersion: String(highest) };
    return { status: 200, body: { kind: `${def.kind}List`, apiVersion: def.group === '' ? def.version : `${def.group}/${def.version}`, metadata, items } };
  }

  #watch(def: ResourceDef, namespace: string | undefined, query: URLSearchParams, writer: CountingWriter): void {
    const matches = selectionFromQuery(def, namespace, query);
    const stream = new WatchStream(def, writer, matches, false, () => {
      this.#watches.delete(watch);
      this.#streams.delete(stream);
    });
    const watch: EdgeWatch = { stream, def, matches, live: this.#connected };
    this.#watches.add(watch);
    this.#streams.add(stream);
    stream.open();
    if (watch.live) {
      // The cloud listener's first push lands in the local store before the replay reads it.
      for (const object of this.#store.list(def.storage)) if (matches(object)) this.#remember(def, def.fromStorage(object));
      this.#follow(def);
    }
    const replay = [...(this.#local.get(def.storage)?.values() ?? [])].filter(matches).sort((a, b) => Number(a.metadata.resourceVersion) - Number(b.metadata.resourceVersion));
    for (const object of replay) stream.deliver({ type: 'ADDED', object, resourceVersion: Number(object.metadata.resourceVersion) } as Change);
    const timeout = query.get('timeoutSeconds');
    stream.closeAfter(timeout === null || timeout === '' ? undefined : Number(timeout));
  }

  /** One store subscription per storage feeds every live watch on it, while connected. */
  #follow(def: ResourceDef): void {
    if (this.#followed.has(def.storage)) return;
    this.#followed.add(def.storage);
    this.#unsubscribe.push(
      this.#store.subscribe(def.storage, (change) => {
        if (!this.#connected) return;
        if (change.type === 'DELETED') this.#local.get(def.storage)?.delete(objectKey(change.object.metadata.namespace, change.object.metadata.name));
        else this.#remember(def, def.fromStorage(change.object));
        for (const watch of this.#watches) if (watch.live && watch.def.storage === def.storage) watch.stream.deliver(change);
      }),
    );
  }

  readonly #followed = new Set<string>();

  /** After a reconnect: every matching object the cloud has, as the listener's first push sends them. */
  #pushAll(watch: EdgeWatch): void {
    for (const object of this.#store.list(watch.def.storage)) {
      if (!watch.matches(object)) continue;
      const previous = this.#local.get(watch.def.storage)?.get(objectKey(object.metadata.namespace, object.metadata.name));
      this.#remember(watch.def, watch.def.fromStorage(object));
      watch.stream.deliver({ type: previous === undefined ? 'ADDED' : 'MODIFIED', object, previous, resourceVersion: Number(object.metadata.resourceVersion) } as Change);
    }
  }

  #remember(def: ResourceDef, object: KubeObject): void {
    let objects = this.#local.get(def.storage);
    if (objects === undefined) this.#local.set(def.storage, (objects = new Map()));
    objects.set(objectKey(object.metadata.namespace, object.metadata.name), structuredClone(object));
  }
}
