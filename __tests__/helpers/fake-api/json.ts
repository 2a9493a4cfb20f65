// JSON value types and the few generic operations the fake API server needs on them.

export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
/** `undefined` members are allowed so typed views (optional properties) stay assignable; they mean "absent". */
export interface JsonObject {
  [key: string]: JsonValue | undefined;
}

export interface ObjectMeta {
  name: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  creationTimestamp?: string;
  generation?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  [key: string]: JsonValue | undefined;
}

/** A stored object. Its shape is checked (see `validation.ts`) before anything is cast to it. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [key: string]: JsonValue | undefined;
}

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function clone<T>(value: T): T {
  return structuredClone(value);
}

/**
 * Sets an own property even for keys like `__proto__`, which plain assignment would turn into a prototype
 * change: a label key that silently vanished instead of being rejected would hide bugs.
 */
export function setMember(target: JsonObject, key: string, value: JsonValue): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Structural equality, ignoring member order and `undefined` members (as JSON does). */
export function jsonEqual(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((item, i) => jsonEqual(item, b[i]));
  }
  if (!isJsonObject(a) || !isJsonObject(b)) return false;
  const keysA = Object.keys(a).filter((key) => a[key] !== undefined);
  const keysB = Object.keys(b).filter((key) => b[key] !== undefined);
  return keysA.length === keysB.length && keysA.every((key) => Object.hasOwn(b, key) && jsonEqual(a[key], b[key]));
}

/** Reads `a.b.c` from an object; undefined when any step is missing or not an object. */
export function readPath(object: JsonObject, dottedPath: string): JsonValue | undefined {
  let current: JsonValue | undefined = object;
  for (const step of dottedPath.split('.')) {
    if (!isJsonObject(current)) return undefined;
    current = Object.hasOwn(current, step) ? current[step] : undefined;
  }
  return current;
}

export function parseJson(text: string): JsonValue {
  return JSON.parse(text) as JsonValue;
}
