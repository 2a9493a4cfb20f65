// The REST verbs on a resource, with the real server's rules for what a write must satisfy: type and
// identity checks, resourceVersion preconditions (409), metadata validation (422), system fields kept by
// the server, no-op writes that are not writes. Every function returns the reply or throws an ApiError.

import { randomBytes } from 'node:crypto';
import { mediaType } from './http.ts';
import { type JsonObject, type JsonValue, type KubeObject, isJsonObject, jsonEqual, parseJson } from './json.ts';
import { type Output, asPartialObjectMetadata, asPartialObjectMetadataList } from './negotiation.ts';
import { APPLY_PATCH, JSON_PATCH, MERGE_PATCH, STRATEGIC_MERGE_PATCH, applyJsonPatch, applyMergePatch, applyStrategicMergePatch } from './patch.ts';
import { type ResourceDef, apiVersionOf, groupResource } from './resources.ts';
import { selectionFromQuery } from './selectors.ts';
import { type FieldError, alreadyExists, badRequest, conflict, invalid, notFound, success, unknownError, unsupportedMediaType } from './status.ts';
import { type Store, objectKey } from './store.ts';
import { tableIncludeObject, toTable } from './tables.ts';
import { asKubeObject, objectMetaCreateErrors, objectMetaUpdateErrors, pathSegmentName } from './validation.ts';

export interface ResourceRequest {
  store: Store;
  def: ResourceDef;
  namespace: string | undefined;
  name: string | undefined;
  query: URLSearchParams;
  /** What the Accept header negotiated (negotiation.ts), before anything else was done. */
  output: Output;
  contentType: string | undefined;
  body: string;
}

export interface Reply {
  status: number;
  body: unknown;
}

// ---- Reading ----

/** The object as this API serves it (events.k8s.io renames), with kind and apiVersion. */
function served(def: ResourceDef, stored: KubeObject): KubeObject {
  return { ...def.fromStorage(stored), apiVersion: apiVersionOf(def), kind: def.kind };
}

function keyOf(request: ResourceRequest, name: string): string {
  return objectKey(request.def.namespaced ? request.namespace : undefined, name);
}

function requireExisting(request: ResourceRequest): KubeObject {
  const name = request.name ?? '';
  const existing = request.store.get(request.def.storage, keyOf(request, name));
  if (existing === undefined) throw notFound(groupResource(request.def), name);
  return existing;
}

/**
 * One served object in the form the request negotiated (handlers/response.go transformResponseObject): as
 * it is, a Table of one row, or its PartialObjectMetadata.
 */
function renderOne(request: ResourceRequest, object: KubeObject): JsonObject {
  const convert = request.output.convert;
  if (convert === undefined) return object;
  if (convert.kind === 'Table') {
    return toTable(request.def, [object], { resourceVersion: object.metadata.resourceVersion ?? '' }, tableIncludeObject(request.query), convert.version);
  }
  return asPartialObjectMetadata(request.def, object, convert);
}

/** A list of served objects in the form the request negotiated: `<Kind>List`, Table or PartialObjectMetadataList. */
function renderList(request: ResourceRequest, objects: KubeObject[], metadata: JsonObject): JsonObject {
  const { def } = request;
  const convert = request.output.convert;
  if (convert?.kind === 'Table') return toTable(def, objects, metadata, tableIncludeObject(request.query), convert.version);
  if (convert !== undefined) return asPartialObjectMetadataList(def, objects, metadata, convert);
  // Lists of built-in kinds leave kind and apiVersion off their items; lists of custom resources keep them.
  const items = def.builtIn ? objects.map(({ apiVersion: _a, kind: _k, ...rest }) => rest) : objects;
  return { kind: `${def.kind}List`, apiVersion: apiVersionOf(def), metadata, items };
}

export function getObject(request: ResourceRequest): Reply {
  return { status: 200, body: renderOne(request, served(request.def, requireExisting(request))) };
}

interface ContinueToken {
  rv: number;
  start: string;
}

function decodeContinue(token: string | null): ContinueToken | undefined {
  if (token === null || token === '') return undefined;
  try {
    const decoded = parseJson(Buffer.from(token, 'base64').toString('utf8'));
    if (isJsonObject(decoded) && typeof decoded.rv === 'number' && typeof decoded.start === 'string') return { rv: decoded.rv, start: decoded.start };
  } catch {
    // fall through to the same error as any malformed token
  }
  throw badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
}

/** Tokens look like the real ones (base64 JSON); the page after them is read from the current state. */
function encodeContinue(token: ContinueToken): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: token.rv, start: `${token.start}\u0000` })).toString('base64');
}

/** A list, paged by `limit`/`continue` the way client-go's pager and kubectl (limit=500) use it. */
export function listObjects(request: ResourceRequest): Reply {
  const { def, store, query } = request;
  const matches = selectionFromQuery(def, request.namespace, query);
  const token = decodeContinue(query.get('continue'));
  const key = (object: KubeObject) => objectKey(object.metadata.namespace, object.metadata.name);
  const selected = store
    .list(def.storage, request.namespace)
    .filter(matches)
    .filter((object) => token === undefined || key(object) >= token.start);
  const limit = Number(query.get('limit') ?? '0') || 0;
  const page = limit > 0 ? selected.slice(0, limit) : selected;
  const revision = token?.rv ?? store.revision;
  const metadata: JsonObject = { resourceVersion: String(revision) };
  const last = page[page.length - 1];
  if (page.length < selected.length && last !== undefined) {
    metadata.continue = encodeContinue({ rv: revision, start: key(last) });
    // The real server counts the rest only when no selector makes counting expensive.
    if (!query.get('labelSelector') && !query.get('fieldSelector')) metadata.remainingItemCount = selected.length - page.length;
  }
  return { status: 200, body: renderList(request, page.map((object) => served(def, object)), metadata) };
}

// ---- Decoding and checking what a client sends ----

function decodeBody(def: ResourceDef, text: string): JsonValue {
  try {
    return parseJson(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw badRequest(`${def.kind} in version "${def.version}" cannot be handled as a ${def.kind}: ${reason}`);
  }
}

/** Type meta: built-in kinds may omit it (the URL says it), custom resources must say their kind. */
function checkTypeMeta(def: ResourceDef, body: JsonValue, text: string): void {
  if (!isJsonObject(body)) return;
  const expected = apiVersionOf(def);
  if (!def.builtIn && (body.kind === undefined || body.kind === '')) throw badRequest(`Object 'Kind' is missing in '${text}'`);
  if (typeof body.apiVersion === 'string' && body.apiVersion !== '' && body.apiVersion !== expected) {
    throw badRequest(`the API version in the data (${body.apiVersion}) does not match the expected API version (${expected})`);
  }
  if (typeof body.kind === 'string' && body.kind !== '' && body.kind !== def.kind) {
    throw badRequest(`${def.kind} in version "${def.version}" cannot be handled as a ${def.kind}: the kind in the data (${body.kind}) does not match the expected kind`);
  }
}

/** The object must be where the URL says: its namespace (for namespaced kinds) and, for writes to one object, its name. */
function checkIdentity(request: ResourceRequest, object: KubeObject): void {
  const { def, namespace, name } = request;
  if (def.namespaced) {
    if (object.metadata.namespace !== undefined && object.metadata.namespace !== '' && object.metadata.namespace !== namespace) {
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    if (namespace !== undefined) object.metadata.namespace = namespace;
  } else {
    delete object.metadata.namespace;
  }
  if (name !== undefined && object.metadata.name !== name) {
    throw badRequest(`the name of the object (${object.metadata.name}) does not match the name on the URL (${name})`);
  }
}

function decodeObject(request: ResourceRequest): KubeObject {
  const body = decodeBody(request.def, request.body);
  checkTypeMeta(request.def, body, request.body);
  const object = asKubeObject(body, request.def);
  object.apiVersion = apiVersionOf(request.def);
  object.kind = request.def.kind;
  checkIdentity(request, object);
  return object;
}

function throwIfAny(def: ResourceDef, name: string, errors: readonly FieldError[]): void {
  if (errors.length > 0) throw invalid(def.invalidKind, name, errors);
}

/**
 * rest.BeforeCreate (k8s.io/apiserver/pkg/registry/rest/create.go): the kind's own validation
 * (strategy.Validate) and, only when that passes, ValidateObjectMetaAccessor with the path-segment name rule
 * every resource gets. Both on the stored (internal) form.
 */
export function createErrors(def: ResourceDef, stored: KubeObject): FieldError[] {
  const own = def.validateCreate(stored);
  return own.length > 0 ? own : objectMetaCreateErrors(stored.metadata, def.namespaced, pathSegmentName);
}

/** rest.BeforeUpdate: the common metadata checks, then the kind's own (strategy.ValidateUpdate). */
export function updateErrors(def: ResourceDef, stored: KubeObject, old: KubeObject): FieldError[] {
  return [...objectMetaUpdateErrors(stored.metadata), ...def.validateUpdate(stored, old)];
}

/** A write carrying a resourceVersion is conditional on it: the optimistic lock every controller relies on. */
function checkPreconditions(def: ResourceDef, object: KubeObject, existing: KubeObject): void {
  const { resourceVersion, uid } = object.metadata;
  if (resourceVersion !== undefined && resourceVersion !== '' && resourceVersion !== existing.metadata.resourceVersion) {
    throw conflict(groupResource(def), existing.metadata.name);
  }
  if (uid !== undefined && uid !== '' && uid !== existing.metadata.uid) {
    throw conflict(groupResource(def), existing.metadata.name, `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${existing.metadata.uid ?? ''}`);
  }
}

const isDryRun = (request: ResourceRequest) => request.query.getAll('dryRun').includes('All');

// ---- Writing ----

/**
 * names.SimpleNameGenerator (k8s.io/apiserver/pkg/storage/names/generate.go): generateName cut to 58 bytes,
 * plus five characters from utilrand's alphabet.
 */
function generatedName(prefix: string): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  const base = Buffer.from(prefix, 'utf8').subarray(0, 58).toString('utf8');
  return base + [...randomBytes(5)].map((byte) => alphabet[byte % alphabet.length]).join('');
}

export function createObject(request: ResourceRequest): Reply {
  const { def, store } = request;
  const object = decodeObject({ ...request, name: undefined });
  const { metadata } = object;
  if (metadata.name === '' && metadata.generateName) metadata.name = generatedName(metadata.generateName);
  const stored = def.toStorage(object);
  throwIfAny(def, metadata.name, createErrors(def, stored));
  if (metadata.resourceVersion) throw unknownError('resourceVersion should not be set on objects to be created');
  const key = keyOf(request, metadata.name);
  if (store.get(def.storage, key) !== undefined) throw alreadyExists(groupResource(def), metadata.name);
  if (def.tracksGeneration) stored.metadata.generation = 1;
  else delete stored.metadata.generation;
  if (isDryRun(request)) return { status: 201, body: renderOne(request, served(def, stored)) };
  return { status: 201, body: renderOne(request, served(def, store.create(def.storage, key, stored))) };
}

/** Everything outside metadata (and status, when it has its own subresource): what generation counts. */
function specOf(def: ResourceDef, object: KubeObject): JsonObject {
  const { metadata: _metadata, status, ...rest } = object;
  return def.statusSubresource || status === undefined ? rest : { ...rest, status };
}

/**
 * The common end of PUT and PATCH: the server keeps its system fields, the stored status (when status is
 * a subresource) and counts generation; then it validates and stores. `next` is in the served form.
 */
function commitUpdate(request: ResourceRequest, existing: KubeObject, next: KubeObject): Reply {
  const { def, store } = request;
  checkPreconditions(def, next, existing);
  const stored = def.toStorage(next);
  stored.metadata.uid = existing.metadata.uid ?? '';
  stored.metadata.creationTimestamp = existing.metadata.creationTimestamp ?? '';
  if (def.statusSubresource) {
    if (existing.status === undefined) delete stored.status;
    else stored.status = existing.status;
  }
  if (def.tracksGeneration) {
    const generation = existing.metadata.generation ?? 1;
    stored.metadata.generation = jsonEqual(specOf(def, stored), specOf(def, existing)) ? generation : generation + 1;
  } else {
    delete stored.metadata.generation;
  }
  throwIfAny(def, next.metadata.name, updateErrors(def, stored, existing));
  if (isDryRun(request)) {
    return { status: 200, body: renderOne(request, served(def, { ...stored, metadata: { ...stored.metadata, resourceVersion: existing.metadata.resourceVersion ?? '' } })) };
  }
  return { status: 200, body: renderOne(request, served(def, store.update(def.storage, keyOf(request, existing.metadata.name), stored))) };
}

export function replaceObject(request: ResourceRequest): Reply {
  const existing = requireExisting(request);
  return commitUpdate(request, existing, decodeObject(request));
}

/** The patch types this resource accepts; strategic merge patch only exists for built-in kinds. */
function acceptedPatchTypes(def: ResourceDef): string[] {
  return def.builtIn ? [JSON_PATCH, MERGE_PATCH, STRATEGIC_MERGE_PATCH] : [JSON_PATCH, MERGE_PATCH];
}

function applyPatch(type: string, document: JsonObject, patch: JsonValue): JsonValue {
  if (type === JSON_PATCH) return applyJsonPatch(document, patch);
  if (type === STRATEGIC_MERGE_PATCH) return applyStrategicMergePatch(document, patch);
  return applyMergePatch(document, patch);
}

/**
 * PATCH applies to the object as currently stored, so a patch without a resourceVersion always applies,
 * and one with a resourceVersion (merge patches carry it in metadata) is a precondition. Server-side apply
 * (application/apply-patch+yaml) is not implemented and is refused as an unknown format.
 */
export function patchObject(request: ResourceRequest): Reply {
  const { def } = request;
  const type = mediaType(request.contentType);
  const accepted = acceptedPatchTypes(def);
  if (!accepted.includes(type) || type === APPLY_PATCH) throw unsupportedMediaType(accepted);
  const existing = requireExisting(request);
  let patch: JsonValue;
  try {
    patch = parseJson(request.body);
  } catch (error) {
    throw badRequest(`error decoding patch: ${error instanceof Error ? error.message : String(error)}`);
  }
  const patched = asKubeObject(applyPatch(type, served(def, existing), patch), def);
  patched.apiVersion = apiVersionOf(def);
  patched.kind = def.kind;
  checkIdentity(request, patched);
  return commitUpdate(request, existing, patched);
}

function deletePreconditions(body: string): { uid?: string; resourceVersion?: string } {
  if (body.trim() === '') return {};
  let options: JsonValue;
  try {
    options = parseJson(body);
  } catch {
    throw badRequest('DeleteOptions in version "v1" cannot be handled as a DeleteOptions');
  }
  const preconditions = isJsonObject(options) && isJsonObject(options.preconditions) ? options.preconditions : {};
  const result: { uid?: string; resourceVersion?: string } = {};
  if (typeof preconditions.uid === 'string') result.uid = preconditions.uid;
  if (typeof preconditions.resourceVersion === 'string') result.resourceVersion = preconditions.resourceVersion;
  return result;
}

/** DELETE answers with a Success Status naming the object, as the real server does for nodes and events. */
export function deleteObject(request: ResourceRequest): Reply {
  const { def, store } = request;
  const existing = requireExisting(request);
  const { uid, resourceVersion } = deletePreconditions(request.body);
  const gr = groupResource(def);
  if (uid !== undefined && uid !== existing.metadata.uid) {
    throw conflict(gr, existing.metadata.name, `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${existing.metadata.uid ?? ''}`);
  }
  if (resourceVersion !== undefined && resourceVersion !== existing.metadata.resourceVersion) {
    throw conflict(gr, existing.metadata.name, `Precondition failed: ResourceVersion in precondition: ${resourceVersion}, ResourceVersion in object meta: ${existing.metadata.resourceVersion ?? ''}`);
  }
  if (!isDryRun(request)) store.delete(def.storage, keyOf(request, existing.metadata.name));
  return { status: 200, body: success(gr, existing.metadata.name, existing.metadata.uid) };
}

/** DELETE on the collection removes what the selectors select and answers with the deleted objects. */
export function deleteCollection(request: ResourceRequest): Reply {
  const { def, store } = request;
  const matches = selectionFromQuery(def, request.namespace, request.query);
  const doomed = store.list(def.storage, request.namespace).filter(matches);
  const deleted = isDryRun(request)
    ? doomed
    : doomed.flatMap((object) => store.delete(def.storage, objectKey(object.metadata.namespace, object.metadata.name)) ?? []);
  return { status: 200, body: renderList(request, deleted.map((o) => served(def, o)), { resourceVersion: String(store.revision) }) };
}
