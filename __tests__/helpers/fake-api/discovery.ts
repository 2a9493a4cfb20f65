// Discovery, in the legacy (unaggregated) form. kubectl 1.32 first asks for aggregated discovery
// (apidiscovery.k8s.io/v2 APIGroupDiscoveryList) but reads the response's Content-Type and falls back to
// the legacy documents when it is plain application/json, then fetches /api/v1 and each /apis/<g>/<v>.

import type { JsonObject } from './json.ts';
import { RESOURCES, type ResourceDef, apiGroups, apiVersionOf } from './resources.ts';

export const SERVER_VERSION = { major: '1', minor: '32', gitVersion: 'v1.32.0-fake' } as const;

function versionInfo(): JsonObject {
  return {
    ...SERVER_VERSION,
    gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean',
    buildDate: '2024-12-11T00:00:00Z',
    goVersion: 'go1.23.3',
    compiler: 'gc',
    platform: 'linux/amd64',
  };
}

function apiResource(def: ResourceDef): JsonObject {
  const resource: JsonObject = { name: def.resource, singularName: def.singular, namespaced: def.namespaced, kind: def.kind, verbs: [...def.verbs] };
  if (def.shortNames.length > 0) resource.shortNames = [...def.shortNames];
  if (def.categories.length > 0) resource.categories = [...def.categories];
  return resource;
}

function resourceList(group: string, version: string): JsonObject | undefined {
  const defs = RESOURCES.filter((def) => def.group === group && def.version === version);
  if (defs.length === 0) return undefined;
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: apiVersionOf({ group, version }), resources: defs.map(apiResource) };
}

function apiGroup(name: string, versions: readonly string[]): JsonObject {
  const entries = versions.map((version) => ({ groupVersion: `${name}/${version}`, version }));
  return { name, versions: entries, preferredVersion: entries[0] ?? null };
}

function namedGroups(): JsonObject[] {
  return [...apiGroups()].filter(([name]) => name !== '').map(([name, versions]) => apiGroup(name, versions));
}

/** The discovery document at `pathname`, or undefined when the path is not a discovery path. */
export function discoveryDocument(pathname: string, serverAddress: string): JsonObject | undefined {
  const path = pathname.replace(/\/+$/, '');
  if (path === '/version') return versionInfo();
  if (path === '/api') {
    return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
  }
  if (path === '/apis') return { kind: 'APIGroupList', apiVersion: 'v1', groups: namedGroups() };
  if (path === '/api/v1') return resourceList('', 'v1');
  const parts = path.split('/');
  if (parts[1] !== 'apis' || parts.length < 3 || parts.length > 4) return undefined;
  const group = parts[2] ?? '';
  const versions = apiGroups().get(group);
  if (group === '' || versions === undefined) return undefined;
  if (parts.length === 3) return { kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(group, versions) };
  return resourceList(group, parts[3] ?? '');
}
