// The three patch formats a client can send without server-side apply. JSON patch follows the library the
// real server uses (evanphx/json-patch v4), quirks included, because clients are written against that.

import { type JsonObject, type JsonValue, clone, isJsonObject, jsonEqual, setMember } from './json.ts';
import { badRequest, patchNotApplicable, requestEntityTooLarge } from './status.ts';

export const MERGE_PATCH = 'application/merge-patch+json';
export const STRATEGIC_MERGE_PATCH = 'application/strategic-merge-patch+json';
export const JSON_PATCH = 'application/json-patch+json';
export const APPLY_PATCH = 'application/apply-patch+yaml';

/** apiserver's maxJSONPatchOperations. */
const MAX_JSON_PATCH_OPERATIONS = 10_000;

// ---- RFC 7386 merge patch ----

/** RFC 7386: objects merge member by member, `null` deletes, anything else (arrays too) replaces. */
export function mergePatch(target: JsonValue | undefined, patch: JsonValue): JsonValue {
  if (!isJsonObject(patch)) return clone(patch);
  const result: JsonObject = isJsonObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    if (value === null) delete result[key];
    else setMember(result, key, mergePatch(result[key], value));
  }
  return result;
}

/** The server refuses a merge patch that is not a JSON object (jsonpatch.ErrBadJSONPatch). */
export function applyMergePatch(document: JsonObject, patch: JsonValue): JsonValue {
  if (!isJsonObject(patch)) throw badRequest('Invalid JSON Patch');
  return mergePatch(document, patch);
}

// ---- Strategic merge patch, approximately ----

/**
 * Strategic merge patch without the Go types' schema: maps merge as in a merge patch (which is exactly what
 * it does for labels and annotations), lists are replaced (the real one merges lists that have a patch merge
 * key, like status.conditions by `type`), and the directives kubectl and client-go emit are honoured or
 * dropped: `$patch: replace|delete` on a map, `$deleteFromPrimitiveList/<field>`, and the ordering-only
 * `$setElementOrder/<field>` and `$retainKeys`.
 */
export function applyStrategicMergePatch(document: JsonObject, patch: JsonValue): JsonValue {
  if (!isJsonObject(patch)) throw badRequest('Invalid JSON Patch');
  return strategicMerge(document, patch) ?? {};
}

function strategicMerge(target: JsonValue | undefined, patch: JsonObject): JsonValue | undefined {
  if (patch.$patch === 'delete') return undefined;
  if (patch.$patch === 'replace') return withoutDirectives(patch);
  const result: JsonObject = isJsonObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined || key === '$patch' || key === '$retainKeys' || key.startsWith('$setElementOrder/')) continue;
    if (key.startsWith('$deleteFromPrimitiveList/')) {
      deleteFromPrimitiveList(result, key.slice('$deleteFromPrimitiveList/'.length), value);
    } else if (value === null) {
      delete result[key];
    } else if (isJsonObject(value)) {
      const merged = strategicMerge(result[key], value);
      if (merged === undefined) delete result[key];
      else setMember(result, key, merged);
    } else {
      setMember(result, key, clone(value));
    }
  }
  return result;
}

function withoutDirectives(patch: JsonObject): JsonObject {
  const result: JsonObject = {};
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith('$') || value === undefined || value === null) continue;
    setMember(result, key, isJsonObject(value) ? withoutDirectives(value) : clone(value));
  }
  return result;
}

function deleteFromPrimitiveList(target: JsonObject, field: string, values: JsonValue): void {
  const list = target[field];
  if (!Array.isArray(list) || !Array.isArray(values)) return;
  setMember(target, field, list.filter((item) => !values.some((value) => jsonEqual(item, value))));
}

// ---- RFC 6902 JSON patch, as evanphx/json-patch v4 applies it ----

class PatchFailure extends Error {}

type Container = JsonObject | JsonValue[];

interface Operation {
  op: string;
  path: string | undefined;
  from: string | undefined;
  /** `undefined` when the operation has no value member at all; JSON null is `null`. */
  value: JsonValue | undefined;
}

/** RFC 6901 unescaping in one pass, so `~01` becomes `~1` and not `/`. */
export function decodePointerToken(token: string): string {
  return token.replace(/~[01]/g, (escape) => (escape === '~1' ? '/' : '~'));
}

function parseOperations(patch: JsonValue): Operation[] {
  if (!Array.isArray(patch)) throw badRequest('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  if (patch.length > MAX_JSON_PATCH_OPERATIONS) {
    throw requestEntityTooLarge(`The allowed maximum operations in a JSON patch is ${MAX_JSON_PATCH_OPERATIONS}, got ${patch.length}`);
  }
  return patch.map((entry) => {
    if (!isJsonObject(entry)) throw badRequest('json: cannot unmarshal into Go value of type jsonpatch.Operation');
    const text = (member: string) => (typeof entry[member] === 'string' ? (entry[member] as string) : undefined);
    return { op: text('op') ?? 'unknown', path: text('path'), from: text('from'), value: Object.hasOwn(entry, 'value') ? (entry.value ?? null) : undefined };
  });
}

/** Applies the operations in order to a copy; any failure is the server's generic 422 (the reason kept as a note). */
export function applyJsonPatch(document: JsonObject, patch: JsonValue): JsonValue {
  const operations = parseOperations(patch);
  const root: { doc: JsonValue } = { doc: clone(document) };
  try {
    for (const operation of operations) applyOperation(root, operation);
  } catch (error) {
    if (error instanceof PatchFailure) throw patchNotApplicable(error.message);
    throw error;
  }
  return root.doc;
}

function applyOperation(root: { doc: JsonValue }, operation: Operation): void {
  switch (operation.op) {
    case 'add':
      return add(root.doc, requirePath(operation), operation.value ?? null);
    case 'remove':
      remove(root.doc, requirePath(operation));
      return;
    case 'replace':
      return replace(root, requirePath(operation), operation.value ?? null);
    case 'move':
      return move(root.doc, requireFrom(operation), requirePath(operation));
    case 'copy':
      return copy(root.doc, requireFrom(operation), requirePath(operation));
    case 'test':
      return test(root.doc, requirePath(operation), operation.value);
    default:
      throw new PatchFailure(`Unexpected kind: ${operation.op}`);
  }
}

function requirePath(operation: Operation): string {
  if (operation.path === undefined) throw new PatchFailure(`${operation.op} operation failed to decode path: missing value`);
  return operation.path;
}

function requireFrom(operation: Operation): string {
  if (operation.from === undefined) throw new PatchFailure(`${operation.op} operation failed to decode from: missing value`);
  return operation.from;
}

/** The container holding the pointer's last token, and that token; undefined when a step is missing. */
function findParent(doc: JsonValue, pointer: string): { container: Container; key: string } | undefined {
  const tokens = pointer.split('/');
  if (tokens.length < 2) return undefined; // the library treats "" and paths without a leading "/" alike
  let current: JsonValue = doc;
  for (const token of tokens.slice(1, -1)) {
    const next = isContainer(current) ? getMember(current, decodePointerToken(token)) : undefined;
    if (next === undefined || !isContainer(next)) return undefined;
    current = next;
  }
  return isContainer(current) ? { container: current, key: decodePointerToken(tokens[tokens.length - 1] ?? '') } : undefined;
}

function isContainer(value: JsonValue | undefined): value is Container {
  return Array.isArray(value) || isJsonObject(value);
}

/** Negative indices count from the end, as the library allows by default. */
function arrayIndex(array: readonly JsonValue[], key: string, allowEnd: boolean): number | undefined {
  if (!/^-?\d+$/.test(key)) return undefined;
  let index = Number(key);
  const size = allowEnd ? array.length + 1 : array.length;
  if (index < 0) index += size;
  return index >= 0 && index < size ? index : undefined;
}

function getMember(container: Container, key: string): JsonValue | undefined {
  if (Array.isArray(container)) {
    const index = arrayIndex(container, key, false);
    return index === undefined ? undefined : container[index];
  }
  return Object.hasOwn(container, key) ? container[key] : undefined;
}

function add(doc: JsonValue, path: string, value: JsonValue): void {
  const parent = findParent(doc, path);
  if (parent === undefined) throw new PatchFailure(`add operation does not apply: doc is missing path: "${path}": missing value`);
  const { container, key } = parent;
  if (!Array.isArray(container)) return setMember(container, key, clone(value));
  const index = key === '-' ? container.length : arrayIndex(container, key, true);
  if (index === undefined) throw new PatchFailure(`error in add for path: '${path}': Unable to access invalid index: ${key}: invalid index referenced`);
  container.splice(index, 0, clone(value));
}

function remove(doc: JsonValue, path: string): JsonValue {
  const parent = findParent(doc, path);
  if (parent === undefined) throw new PatchFailure(`remove operation does not apply: doc is missing path: "${path}": missing value`);
  const { container, key } = parent;
  if (Array.isArray(container)) {
    const index = arrayIndex(container, key, false);
    if (index === undefined) throw new PatchFailure(`error in remove for path: '${path}': Unable to access invalid index: ${key}: invalid index referenced`);
    return container.splice(index, 1)[0] ?? null;
  }
  if (!Object.hasOwn(container, key)) throw new PatchFailure(`error in remove for path: '${path}': Unable to remove nonexistent key: ${key}: missing value`);
  const removed = container[key] ?? null;
  delete container[key];
  return removed;
}

/**
 * Quirk kept from the library: replacing a member an object does not have adds it instead of failing as
 * RFC 6902 says, so `replace /metadata/labels/x` works whether or not label x exists.
 */
function replace(root: { doc: JsonValue }, path: string, value: JsonValue): void {
  if (path === '') {
    if (!isContainer(value)) throw new PatchFailure('replace operation value must be object or array');
    root.doc = clone(value);
    return;
  }
  const parent = findParent(root.doc, path);
  if (parent === undefined) throw new PatchFailure(`replace operation does not apply: doc is missing path: ${path}: missing value`);
  const { container, key } = parent;
  if (!Array.isArray(container)) return setMember(container, key, clone(value));
  const index = arrayIndex(container, key, false);
  if (index === undefined) throw new PatchFailure(`replace operation does not apply: doc is missing key: ${path}: missing value`);
  container[index] = clone(value);
}

function move(doc: JsonValue, from: string, path: string): void {
  if (findParent(doc, from) === undefined) throw new PatchFailure(`move operation does not apply: doc is missing from path: ${from}: missing value`);
  const value = remove(doc, from);
  if (findParent(doc, path) === undefined) throw new PatchFailure(`move operation does not apply: doc is missing destination path: ${path}: missing value`);
  add(doc, path, value);
}

function copy(doc: JsonValue, from: string, path: string): void {
  const source = findParent(doc, from);
  if (source === undefined) throw new PatchFailure(`copy operation does not apply: doc is missing from path: ${from}: missing value`);
  const value = getMember(source.container, source.key) ?? null;
  if (findParent(doc, path) === undefined) throw new PatchFailure(`copy operation does not apply: doc is missing destination path: ${path}: missing value`);
  add(doc, path, value);
}

/** A missing member passes a test for `null` (or for no value), as in the library. */
function test(doc: JsonValue, path: string, expected: JsonValue | undefined): void {
  const failed = new PatchFailure(`testing value ${path} failed: test failed`);
  if (path === '') {
    if (!jsonEqual(doc, expected)) throw failed;
    return;
  }
  const parent = findParent(doc, path);
  if (parent === undefined) throw new PatchFailure(`test operation does not apply: is missing path: ${path}: missing value`);
  const actual = getMember(parent.container, parent.key);
  if (actual === undefined) {
    if (expected === undefined || expected === null) return;
    throw failed;
  }
  if (expected === undefined || !jsonEqual(actual, expected)) throw failed;
}
