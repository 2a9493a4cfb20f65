// Watch streams: newline-delimited JSON watch events over one chunked response, with the real server's
// resourceVersion semantics (replay from history, 410 Expired as an ERROR event when it is gone), selector
// filtering that turns changes into ADDED/DELETED as objects enter or leave the selection, bookmarks and
// timeoutSeconds.

import type { CountingWriter } from './http.ts';
import type { JsonObject, KubeObject } from './json.ts';
import { type Conversion, partialObjectMetadata } from './negotiation.ts';
import { type ResourceDef, apiVersionOf } from './resources.ts';
import { selectionFromQuery } from './selectors.ts';
import { type Status, badRequest, expiredStatus } from './status.ts';
import type { Change, Store } from './store.ts';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchRequest {
  store: Store;
  def: ResourceDef;
  namespace: string | undefined;
  query: URLSearchParams;
  writer: CountingWriter;
  /** The conversion the Accept header negotiated, if any. */
  convert?: Conversion | undefined;
  /** Answer every resume from a resourceVersion with 410 Expired (a watch cache lagging behind the lists). */
  expireAll?: boolean;
}

/**
 * How each event's object is written (handlers/response.go watchEmbeddedEncoder, doTransformObject): a
 * Status as it is; for as=PartialObjectMetadata only the metadata. A conversion that fails for one object
 * (as=PartialObjectMetadataList, which is not a list's event) is logged by the server, which then sends the
 * object unchanged. as=Table is not converted by the fake (a real server sends one-row Tables).
 */
function renderer(convert: Conversion | undefined): (object: KubeObject) => KubeObject | JsonObject {
  if (convert?.kind === 'PartialObjectMetadata') return (object) => partialObjectMetadata(object, convert.version);
  return (object) => object;
}

/** How the stream starts, from `resourceVersion` and `sendInitialEvents`. */
type Start = { kind: 'current-state'; initialEventsEnd: boolean } | { kind: 'resume'; after: number };

function parseStart(query: URLSearchParams): Start {
  const resourceVersion = query.get('resourceVersion') ?? '';
  if (query.get('sendInitialEvents') === 'true') return { kind: 'current-state', initialEventsEnd: true };
  // Absent or "0": the server starts with synthetic ADDED events for everything that exists.
  if (resourceVersion === '' || resourceVersion === '0') return { kind: 'current-state', initialEventsEnd: false };
  if (!/^\d+$/.test(resourceVersion)) throw badRequest(`resourceVersion: Invalid value: "${resourceVersion}": invalid resource version`);
  return { kind: 'resume', after: Number(resourceVersion) };
}

function parseTimeout(query: URLSearchParams): number | undefined {
  const value = query.get('timeoutSeconds');
  if (value === null || value === '') return undefined;
  if (!/^\d+$/.test(value)) throw badRequest(`timeoutSeconds: Invalid value: "${value}": must be a non-negative integer`);
  return Number(value);
}

export class WatchStream {
  readonly def: ResourceDef;
  readonly allowBookmarks: boolean;
  readonly #writer: CountingWriter;
  readonly #matches: (stored: KubeObject) => boolean;
  readonly #render: (object: KubeObject) => KubeObject | JsonObject;
  /** Changes at or before this revision are not sent (the client has seen them). */
  #after = 0;
  #unsubscribe: (() => void) | undefined;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  readonly #onClose: () => void;

  constructor(
    def: ResourceDef,
    writer: CountingWriter,
    matches: (stored: KubeObject) => boolean,
    allowBookmarks: boolean,
    onClose: () => void,
    render: (object: KubeObject) => KubeObject | JsonObject = (object) => object,
  ) {
    this.def = def;
    this.#writer = writer;
    this.#matches = matches;
    this.#render = render;
    this.allowBookmarks = allowBookmarks;
    this.#onClose = onClose;
    writer.response.on('close', () => this.#cleanUp());
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Sends the response head at once, so the client knows the watch is established. */
  open(): void {
    this.#writer.record.watch = true;
    this.#writer.head(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
    this.#writer.response.flushHeaders();
  }

  sendCurrentState(store: Store): void {
    for (const object of store.list(this.def.storage)) {
      if (this.#matches(object)) this.#send('ADDED', this.def.fromStorage(object));
    }
    this.#after = store.revision;
  }

  replay(changes: readonly Change[], after: number): void {
    this.#after = after;
    for (const change of changes) this.deliver(change);
  }

  follow(store: Store): void {
    this.#unsubscribe = store.subscribe(this.def.storage, (change) => this.deliver(change));
  }

  closeAfter(seconds: number | undefined): void {
    if (seconds !== undefined) this.#timer = setTimeout(() => this.end(), seconds * 1000);
  }

  /** Sends a change if it concerns this watch's selection, as the event type this client should see. */
  deliver(change: Change): void {
    if (this.#closed || change.resourceVersion <= this.#after) return;
    this.#after = change.resourceVersion;
    const type = this.#eventType(change);
    if (type !== undefined) this.#send(type, this.def.fromStorage(change.object));
  }

  /** A BOOKMARK carries only a resourceVersion (and, closing initial events, an annotation). */
  bookmark(revision: number, initialEventsEnd = false): void {
    if (!this.allowBookmarks || this.#closed) return;
    const metadata: JsonObject = { resourceVersion: String(revision) };
    if (initialEventsEnd) metadata.annotations = { 'k8s.io/initial-events-end': 'true' };
    this.#send('BOOKMARK', { kind: this.def.kind, apiVersion: apiVersionOf(this.def), metadata } as KubeObject);
    this.#after = Math.max(this.#after, revision);
  }

  /** An ERROR event, then the end of the stream, as the server does for an expired resourceVersion. */
  fail(status: Status): void {
    this.#send('ERROR', status);
    this.end();
  }

  /** Ends the stream cleanly (the final empty chunk), like a server-side timeout. */
  end(): void {
    this.#cleanUp();
    this.#writer.end();
  }

  /** Cuts the connection without ending the chunked body, like a crashed server or a broken network. */
  drop(): void {
    this.#cleanUp();
    this.#writer.response.destroy();
  }

  #eventType(change: Change): WatchEventType | undefined {
    const now = this.#matches(change.object);
    const before = change.previous !== undefined && this.#matches(change.previous);
    if (change.type === 'ADDED') return now ? 'ADDED' : undefined;
    if (change.type === 'DELETED') return before ? 'DELETED' : undefined;
    if (now) return before ? 'MODIFIED' : 'ADDED';
    return before ? 'DELETED' : undefined;
  }

  #send(type: WatchEventType, object: KubeObject | Status): void {
    if (this.#closed) return;
    const name = (object as { metadata?: { name?: string } }).metadata?.name;
    this.#writer.record.events.push(name === undefined ? { type } : { type, name });
    const sent = object.kind === 'Status' ? object : this.#render(object as KubeObject);
    this.#writer.write(`${JSON.stringify({ type, object: sent })}\n`);
  }

  #cleanUp(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#unsubscribe?.();
    this.#onClose();
  }
}

/**
 * Serves a watch request. Everything that can be refused (selectors, parameters) is checked before the
 * head is sent, so those errors are ordinary Status responses; an expired resourceVersion is not, it is an
 * ERROR event in a 200 stream, as a real server (its watch cache) sends it.
 */
export function startWatch(request: WatchRequest, streams: Set<WatchStream>): WatchStream {
  const { store, def, namespace, query, writer, convert, expireAll } = request;
  const matches = selectionFromQuery(def, namespace, query);
  const start = parseStart(query);
  const timeoutSeconds = parseTimeout(query);
  const allowBookmarks = query.get('allowWatchBookmarks') === 'true';
  const stream = new WatchStream(def, writer, matches, allowBookmarks, () => streams.delete(stream), renderer(convert));
  streams.add(stream);
  stream.open();
  if (start.kind === 'current-state') {
    stream.sendCurrentState(store);
    if (start.initialEventsEnd) stream.bookmark(store.revision, true);
  } else {
    const history = expireAll ? { expired: true as const, oldest: store.revision + 1 } : store.historySince(def.storage, start.after);
    if ('expired' in history) {
      stream.fail(expiredStatus(`too old resource version: ${start.after} (${history.oldest})`));
      return stream;
    }
    stream.replay(history.changes, start.after);
  }
  stream.follow(store);
  stream.closeAfter(timeoutSeconds);
  return stream;
}
