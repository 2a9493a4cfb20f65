// The resources the fake serves, described once: routing, discovery, storage and per-kind rules all read
// this table.

import { coreEventFieldPath, coreToEventsV1, eventsV1FieldPath, eventsV1ToCore, validateEventCreate } from './events.ts';
import type { KubeObject } from './json.ts';
import type { FieldError, GroupResource } from './status.ts';

export interface ResourceDef {
  group: string;
  version: string;
  /** Plural, as in the URL. */
  resource: string;
  singular: string;
  kind: string;
  namespaced: boolean;
  shortNames: readonly string[];
  verbs: readonly string[];
  categories: readonly string[];
  /** The store collection; both event APIs share one, as they share storage on a real server. */
  storage: string;
  /**
   * False for custom resources (NodeFeature), which a real server treats differently: no strategic merge
   * patch, list items keep kind and apiVersion, and a body must say its kind.
   */
  builtIn: boolean;
  /** Writes to the main resource keep the stored status; it changes only through /status (not served). */
  statusSubresource: boolean;
  /** metadata.generation starts at 1 and counts changes outside metadata (and status). */
  tracksGeneration: boolean;
  /** Field selectors the real server supports for this resource. */
  fieldSelectors: readonly string[];
  /** Where a selectable field is found in the stored form. */
  fieldPath: (field: string) => string;
  /** Between the served form (this API's) and the stored form. */
  toStorage: (object: KubeObject) => KubeObject;
  fromStorage: (object: KubeObject) => KubeObject;
  /** Kind-specific checks on create, on the stored form, beyond the metadata checks every write gets. */
  validateCreate: (object: KubeObject) => FieldError[];
}

const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'] as const;
const identity = (object: KubeObject) => object;
const asIs = (field: string) => field;
const noChecks = () => [];
const OBJECT_FIELDS = ['metadata.name', 'metadata.namespace'];
const CORE_EVENT_FIELDS = [
  ...OBJECT_FIELDS,
  'involvedObject.kind',
  'involvedObject.namespace',
  'involvedObject.name',
  'involvedObject.uid',
  'involvedObject.apiVersion',
  'involvedObject.resourceVersion',
  'involvedObject.fieldPath',
  'reason',
  'reportingComponent',
  'source',
  'type',
];

export const RESOURCES: readonly ResourceDef[] = [
  {
    group: '',
    version: 'v1',
    resource: 'nodes',
    singular: 'node',
    kind: 'Node',
    namespaced: false,
    shortNames: ['no'],
    verbs: ALL_VERBS,
    categories: [],
    storage: 'nodes',
    builtIn: true,
    statusSubresource: true,
    tracksGeneration: false,
    fieldSelectors: ['metadata.name', 'spec.unschedulable'],
    fieldPath: asIs,
    toStorage: identity,
    fromStorage: identity,
    validateCreate: noChecks,
  },
  {
    group: '',
    version: 'v1',
    resource: 'events',
    singular: 'event',
    kind: 'Event',
    namespaced: true,
    shortNames: ['ev'],
    verbs: ALL_VERBS,
    categories: [],
    storage: 'events',
    builtIn: true,
    statusSubresource: false,
    tracksGeneration: false,
    fieldSelectors: CORE_EVENT_FIELDS,
    fieldPath: coreEventFieldPath,
    toStorage: identity,
    fromStorage: identity,
    validateCreate: (event) => validateEventCreate(event, ''),
  },
  {
    group: 'events.k8s.io',
    version: 'v1',
    resource: 'events',
    singular: 'event',
    kind: 'Event',
    namespaced: true,
    shortNames: ['ev'],
    verbs: ALL_VERBS,
    categories: [],
    storage: 'events',
    builtIn: true,
    statusSubresource: false,
    tracksGeneration: false,
    fieldSelectors: [...CORE_EVENT_FIELDS, 'regarding.kind', 'regarding.namespace', 'regarding.name', 'regarding.uid', 'reportingController'],
    fieldPath: eventsV1FieldPath,
    toStorage: eventsV1ToCore,
    fromStorage: coreToEventsV1,
    validateCreate: (event) => validateEventCreate(event, 'events.k8s.io'),
  },
  {
    group: 'nfd.k8s-sigs.io',
    version: 'v1alpha1',
    resource: 'nodefeatures',
    singular: 'nodefeature',
    kind: 'NodeFeature',
    namespaced: true,
    shortNames: [],
    verbs: ALL_VERBS,
    categories: [],
    storage: 'nodefeatures',
    builtIn: false,
    statusSubresource: false,
    tracksGeneration: true,
    fieldSelectors: OBJECT_FIELDS,
    fieldPath: asIs,
    toStorage: identity,
    fromStorage: identity,
    validateCreate: noChecks,
  },
];

export const NODES = findResource('', 'v1', 'nodes') as ResourceDef;

export function findResource(group: string, version: string, resource: string): ResourceDef | undefined {
  return RESOURCES.find((def) => def.group === group && def.version === version && def.resource === resource);
}

export function apiVersionOf(def: { group: string; version: string }): string {
  return def.group === '' ? def.version : `${def.group}/${def.version}`;
}

export function groupResource(def: ResourceDef): GroupResource {
  return { group: def.group, resource: def.resource };
}

/** Groups in the order discovery lists them, each with its versions. */
export function apiGroups(): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const def of RESOURCES) {
    const versions = groups.get(def.group) ?? [];
    if (!versions.includes(def.version)) versions.push(def.version);
    groups.set(def.group, versions);
  }
  return groups;
}
