// HTTP plumbing: reading bodies, writing JSON, and counting every byte sent so tests can assert on the
// traffic a controller causes (watch streams included, as they flow).

import type { IncomingMessage, ServerResponse } from 'node:http';
import { type ApiError, requestEntityTooLarge } from './status.ts';

/** The apiserver's limit on request bodies (3 MiB). */
const MAX_BODY_BYTES = 3 * 1024 * 1024;

export interface RequestRecord {
  method: string;
  /** Path and query, as sent. */
  path: string;
  /** 0 until the response head is written. */
  status: number;
  /** Response body bytes; for a watch, grows as events are streamed. */
  bytes: number;
  /** When the request arrived (ms since the epoch). */
  timestamp: number;
  userAgent: string;
  /** The bearer token the request carried; '' for none (kubectl sends none over plain HTTP). */
  token: string;
  watch: boolean;
  /** For a watch: the events it streamed, in order (type, and the object's name when it has one). */
  events: Array<{ type: string; name?: string }>;
  /** For errors whose body does not say why (a failed JSON patch), the reason. */
  note?: string;
  /** The Accept header as sent ('' for none): how the client asked for the body (as=Table, as=PartialObjectMetadataList...). */
  accept: string;
  /** The `kind` of the JSON body answered (NodeList, PartialObjectMetadataList, Table, Status...); '' for watches and text. */
  kind: string;
}

export class Accounting {
  requests: RequestRecord[] = [];
  bytesSent = 0;

  record(request: IncomingMessage): RequestRecord {
    const record: RequestRecord = {
      method: request.method ?? 'GET',
      path: request.url ?? '/',
      status: 0,
      bytes: 0,
      timestamp: Date.now(),
      userAgent: request.headers['user-agent'] ?? '',
      token: /^Bearer\s+(\S+)/i.exec(request.headers.authorization ?? '')?.[1] ?? '',
      watch: false,
      events: [],
      accept: request.headers.accept ?? '',
      kind: '',
    };
    this.requests.push(record);
    return record;
  }

  /** Starts counting afresh; streams still open keep counting into their (no longer listed) records. */
  reset(): void {
    this.requests = [];
    this.bytesSent = 0;
  }
}

/** Writes one response, counting its body bytes into the request's record and the totals. */
export class CountingWriter {
  readonly response: ServerResponse;
  readonly record: RequestRecord;
  readonly #accounting: Accounting;

  constructor(response: ServerResponse, record: RequestRecord, accounting: Accounting) {
    this.response = response;
    this.record = record;
    this.#accounting = accounting;
  }

  get open(): boolean {
    return !this.response.writableEnded && !this.response.destroyed;
  }

  head(status: number, headers: Record<string, string>): void {
    this.record.status = status;
    this.response.writeHead(status, headers);
  }

  write(chunk: string): void {
    if (!this.open) return;
    this.#count(chunk);
    this.response.write(chunk);
  }

  end(chunk?: string): void {
    if (!this.open) return;
    if (chunk !== undefined) this.#count(chunk);
    this.response.end(chunk);
  }

  /** A JSON body; `indent` writes it as Go's json.MarshalIndent(body, "", "  ") would. */
  json(status: number, body: unknown, headers: Record<string, string> = {}, options: { indent?: boolean } = {}): void {
    const text = options.indent ? JSON.stringify(body, null, 2) : JSON.stringify(body);
    const kind = (body as { kind?: unknown } | null)?.kind;
    this.record.kind = typeof kind === 'string' ? kind : '';
    this.head(status, { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(text)), ...headers });
    this.end(text);
  }

  text(status: number, body: string, headers: Record<string, string> = {}): void {
    this.head(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': String(Buffer.byteLength(body)), ...headers });
    this.end(body);
  }

  /**
   * A Status. `raw` when the request's Accept header leaves no serializer for it: responsewriters'
   * WriteObjectNegotiated then falls back to WriteRawJSON, which indents.
   */
  error(error: ApiError, options: { raw?: boolean } = {}): void {
    if (error.note !== undefined) this.record.note = error.note;
    this.json(error.code, error.status, { ...error.headers }, { indent: options.raw === true });
  }

  #count(chunk: string): void {
    const bytes = Buffer.byteLength(chunk);
    this.record.bytes += bytes;
    this.#accounting.bytesSent += bytes;
  }
}

/** The whole request body as text; bodies over the server's limit are refused with 413. */
export async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) tooLarge = true; // keep reading so the connection stays usable
    else chunks.push(buffer);
  }
  if (tooLarge) throw requestEntityTooLarge(`limit is ${MAX_BODY_BYTES}`);
  return Buffer.concat(chunks).toString('utf8');
}

/** The media type of a Content-Type header, without parameters. */
export function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}
