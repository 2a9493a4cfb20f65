// Resource URLs: /api/v1/... for the core group, /apis/<group>/<version>/... for the others, with an
// optional namespaces/<ns>/ segment and the legacy watch/ prefix.

import { type ResourceDef, findResource } from './resources.ts';

export interface ResourceRoute {
  def: ResourceDef;
  /** Undefined for cluster-scoped kinds, and for lists across all namespaces. */
  namespace: string | undefined;
  name: string | undefined;
  /** The deprecated /api/v1/watch/... form, which is a watch whatever the query says. */
  watchPath: boolean;
}

/** Splits a path into decoded segments; undefined when a segment is not valid percent-encoding. */
function segments(pathname: string): string[] | undefined {
  try {
    return pathname.split('/').filter((part) => part !== '').map(decodeURIComponent);
  } catch {
    return undefined;
  }
}

/** The resource a path addresses, or undefined when it addresses none the fake serves (a 404). */
export function parseResourcePath(pathname: string): ResourceRoute | undefined {
  const parts = segments(pathname);
  if (parts === undefined) return undefined;
  let group: string;
  let version: string;
  let rest: string[];
  if (parts[0] === 'api' && parts.length >= 2) [group, version, rest] = ['', parts[1] ?? '', parts.slice(2)];
  else if (parts[0] === 'apis' && parts.length >= 3) [group, version, rest] = [parts[1] ?? '', parts[2] ?? '', parts.slice(3)];
  else return undefined;

  const watchPath = rest[0] === 'watch';
  if (watchPath) rest = rest.slice(1);
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  // A third segment would be a subresource (nodes/x/status): none is served.
  if (rest.length === 0 || rest.length > 2) return undefined;
  const def = findResource(group, version, rest[0] ?? '');
  if (def === undefined) return undefined;
  const name = rest[1];
  if (!def.namespaced && namespace !== undefined) return undefined;
  if (def.namespaced && namespace === undefined && name !== undefined) return undefined;
  return { def, namespace, name, watchPath };
}
