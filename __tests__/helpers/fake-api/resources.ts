// The resources the fake serves, described once: routing, discovery, storage and per-kind rules all read
// this table.

import { coreEventFieldPath, coreToEventsV1, eventsV1FieldPath, eventsV1ToCore, validateEventCreate, validateEventUpdate } from './events.ts';
import type { KubeObject } from './json.ts';
import type { FieldError, GroupResource } from './status.ts';
import { nameIsDnsSubdomain, objectMetaCreateErrors } from './validation.ts';

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
  /**
   * The kind's strategy.Validate on create, on the stored form. When it finds nothing, the generic
   * ValidateObjectMetaAccessor (path-segment names) runs after it (handlers.ts createErrors).
   */
  validateCreate: (object: KubeObject) => FieldError[];
  /** The kind's strategy.ValidateUpdate, after the common metadata checks (labels, annotations). */
  validateUpdate: (object: KubeObject, old: KubeObject) => FieldError[];
  /** The GroupKind a 422 names: what the strategy's typer says the stored object is. */
  invalidKind: { group: string; kind: string };
}

const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'] as const;
const identity = (object: KubeObject) => object;
const asIs = (field: string) => field;
const noChecks = () => [];
/**
 * ValidateNode (pkg/apis/core/validation/validation.go) starts with ValidateObjectMeta(&node.ObjectMeta,
 * false, ValidateNodeName) where ValidateNodeName = NameIsDNSSubdomain; a custom resource's strategy
 * (apiextensions-apiserver pkg/registry/customresource/strategy.go) runs ValidateObjectMetaAccessor with
 * NameIsDNSSubdomain too. On update, the common metadata checks cover what their ValidateUpdate adds here.
 */
const dnsSubdomainObject = (namespaced: boolean) => (object: KubeObject) => objectMetaCreateErrors(object.metadata, namespaced, nameIsDnsSubdomain);
/**
 * Both event APIs store the internal core.Event, so a 422 about an event names the core kind "Event" with no
 * group even through events.k8s.io (as seen from real servers: `Event "x" is invalid: involvedObject.namespace:
 * ...` answering a POST to /apis/events.k8s.io/v1beta1, fabric8io/kubernetes-client#2219).
 */
const EVENT_KIND = { group: '', kind: 'Event' };
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
    validateCreate: dnsSubdomainObject(false),
    validateUpdate: noChecks,
    invalidKind: { group: '', kind: 'Node' },
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
    validateCreate: (event) => validateEventCreate(event, 'core'),
    validateUpdate: (event, old) => validateEventUpdate(event, old, 'core'),
    invalidKind: EVENT_KIND,
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
    validateUpdate: (event, old) => validateEventUpdate(event, old, 'events.k8s.io'),
    invalidKind: EVENT_KIND,
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
    validateCreate: dnsSubdomainObject(true),
    validateUpdate: noChecks,
    invalidKind: { group: 'nfd.k8s-sigs.io', kind: 'NodeFeature' },
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
