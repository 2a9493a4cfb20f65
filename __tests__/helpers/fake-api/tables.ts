// Server-side printing: `kubectl get` asks for `as=Table` and prints the rows it gets. Columns follow
// kubectl's printers for nodes and events, and the CRD default (Name, Age) for everything else.

import { type JsonObject, type JsonValue, type KubeObject, isJsonObject, readPath } from './json.ts';
import { partialObjectMetadata } from './negotiation.ts';
import type { ResourceDef } from './resources.ts';
import { badRequest, goQuote } from './status.ts';

interface Column {
  name: string;
  type: 'string' | 'integer' | 'date';
  format?: string;
  description: string;
  priority?: number;
  cell: (object: KubeObject) => string | number;
}

/** apimachinery's duration.HumanDuration, as kubectl shows ages. */
export function humanDuration(milliseconds: number): string {
  const seconds = Math.floor(milliseconds / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) return hours % 24 === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${hours % 24}h`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  return `${Math.floor(hours / 24 / 365)}y`;
}

function age(timestamp: JsonValue | undefined): string {
  return typeof timestamp === 'string' ? humanDuration(Date.now() - Date.parse(timestamp)) : '<unknown>';
}

const text = (value: JsonValue | undefined, fallback = '<none>') => (typeof value === 'string' && value !== '' ? value : fallback);

const NAME: Column = { name: 'Name', type: 'string', format: 'name', description: 'Name must be unique within a namespace.', cell: (o) => o.metadata.name };
const AGE: Column = {
  name: 'Age',
  type: 'string',
  description: 'CreationTimestamp is a timestamp representing the server time when this object was created.',
  cell: (o) => age(o.metadata.creationTimestamp),
};

function nodeStatus(node: KubeObject): string {
  const conditions = readPath(node, 'status.conditions');
  const ready = Array.isArray(conditions) ? conditions.find((c) => isJsonObject(c) && c.type === 'Ready') : undefined;
  const state = isJsonObject(ready) ? (ready.status === 'True' ? 'Ready' : ready.status === 'False' ? 'NotReady' : 'Unknown') : 'Unknown';
  return readPath(node, 'spec.unschedulable') === true ? `${state},SchedulingDisabled` : state;
}

function nodeRoles(node: KubeObject): string {
  const roles = Object.keys(node.metadata.labels ?? {})
    .filter((key) => key.startsWith('node-role.kubernetes.io/'))
    .map((key) => key.slice('node-role.kubernetes.io/'.length))
    .filter((role) => role !== '');
  return roles.length === 0 ? '<none>' : roles.sort().join(',');
}

function nodeAddress(node: KubeObject, type: string): string {
  const addresses = readPath(node, 'status.addresses');
  const match = Array.isArray(addresses) ? addresses.find((a) => isJsonObject(a) && a.type === type) : undefined;
  return isJsonObject(match) ? text(match.address) : '<none>';
}

const NODE_COLUMNS: Column[] = [
  NAME,
  { name: 'Status', type: 'string', description: 'The status of the node', cell: nodeStatus },
  { name: 'Roles', type: 'string', description: 'The roles of the node', cell: nodeRoles },
  AGE,
  { name: 'Version', type: 'string', description: 'Kubelet Version reported by the node.', cell: (n) => text(readPath(n, 'status.nodeInfo.kubeletVersion'), '') },
  { name: 'Internal-IP', type: 'string', priority: 1, description: 'List of internal IPs.', cell: (n) => nodeAddress(n, 'InternalIP') },
  { name: 'External-IP', type: 'string', priority: 1, description: 'List of external IPs.', cell: (n) => nodeAddress(n, 'ExternalIP') },
  { name: 'OS-Image', type: 'string', priority: 1, description: 'OS Image reported by the node.', cell: (n) => text(readPath(n, 'status.nodeInfo.osImage'), '<unknown>') },
  { name: 'Kernel-Version', type: 'string', priority: 1, description: 'Kernel Version reported by the node.', cell: (n) => text(readPath(n, 'status.nodeInfo.kernelVersion'), '<unknown>') },
  { name: 'Container-Runtime', type: 'string', priority: 1, description: 'Container Runtime Version reported by the node.', cell: (n) => text(readPath(n, 'status.nodeInfo.containerRuntimeVersion'), '<unknown>') },
];

function eventLastSeen(event: KubeObject): string {
  const seen = readPath(event, 'series.lastObservedTime') ?? event.lastTimestamp ?? event.eventTime ?? event.metadata.creationTimestamp;
  return age(seen);
}

function eventObject(event: KubeObject): string {
  const involved = isJsonObject(event.involvedObject) ? event.involvedObject : isJsonObject(event.regarding) ? event.regarding : {};
  return `${text(involved.kind, '').toLowerCase()}/${text(involved.name, '')}`;
}

const EVENT_COLUMNS: Column[] = [
  { name: 'Last Seen', type: 'string', description: 'Time since the most recent occurrence of the event', cell: eventLastSeen },
  { name: 'Type', type: 'string', description: 'Type of this event (Normal, Warning)', cell: (e) => text(e.type, '') },
  { name: 'Reason', type: 'string', description: 'Why the action was taken.', cell: (e) => text(e.reason, '') },
  { name: 'Object', type: 'string', description: 'The object that this event is about.', cell: eventObject },
  { name: 'Message', type: 'string', description: 'A human-readable description of the status of this operation.', cell: (e) => text(e.message ?? e.note, '') },
];

function columnsFor(def: ResourceDef): Column[] {
  if (def.resource === 'nodes') return NODE_COLUMNS;
  if (def.resource === 'events') return EVENT_COLUMNS;
  return [NAME, AGE];
}

/**
 * The request's `includeObject`, checked as handlers/response.go optionsForTransform does (with
 * ValidateTableOptions): a value other than Metadata, Object, None or empty is a 400.
 */
export function tableIncludeObject(query: URLSearchParams): string {
  const includeObject = query.get('includeObject') ?? '';
  if (!['', 'Metadata', 'Object', 'None'].includes(includeObject)) {
    throw badRequest(`Unable to convert to Table as requested: includeObject: Invalid value: ${goQuote(includeObject)}: must be 'Metadata', 'Object', 'None', or empty`);
  }
  return includeObject;
}

/** What each row carries besides its cells, per the request's `includeObject` (Metadata by default). */
function rowObject(object: KubeObject, includeObject: string, version: string): JsonObject | undefined {
  if (includeObject === 'None') return undefined;
  if (includeObject === 'Object') return object;
  return partialObjectMetadata(object, version);
}

/** A meta.k8s.io Table (v1 or v1beta1) of served objects (with kind and apiVersion), carrying the list's metadata. */
export function toTable(def: ResourceDef, objects: readonly KubeObject[], listMetadata: JsonObject, includeObject: string, version = 'v1'): JsonObject {
  const columns = columnsFor(def);
  return {
    kind: 'Table',
    apiVersion: `meta.k8s.io/${version}`,
    metadata: listMetadata,
    columnDefinitions: columns.map(({ name, type, format, description, priority }) => ({ name, type, format: format ?? '', description, priority: priority ?? 0 })),
    rows: objects.map((object) => {
      const row: JsonObject = { cells: columns.map((column) => column.cell(object)) };
      const attached = rowObject(object, includeObject, version);
      if (attached !== undefined) row.object = attached;
      return row;
    }),
  };
}
