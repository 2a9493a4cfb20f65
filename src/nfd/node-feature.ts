// NFD's NodeFeature custom resource (nfd.k8s-sigs.io/v1alpha1): a third party's way to ask nfd-master for
// node labels. One object per node, tied to its node by the nfd.node.kubernetes.io/node-name label;
// nfd-master applies spec.labels to that node and removes them when they leave the object, and matches
// users' NodeFeatureRules against spec.features (merged with those of the node's other NodeFeatures).
import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';

export const NODE_FEATURE_GROUP = 'nfd.k8s-sigs.io';
export const NODE_FEATURE_VERSION = 'v1alpha1';
export const NODE_FEATURE_PLURAL = 'nodefeatures';
/** The label nfd-master reads to know which node a NodeFeature is for. */
export const NODE_NAME_LABEL = 'nfd.node.kubernetes.io/node-name';
const MANAGED_BY = { 'app.kubernetes.io/managed-by': 'dt-node-labeller' } as const;
/** Selects every NodeFeature this labeller made, also those of Nodes that no longer exist. */
export const MANAGED_BY_SELECTOR = Object.entries(MANAGED_BY)
  .map(([key, value]) => `${key}=${value}`)
  .join(',');
const NAME_PREFIX = 'dt-node-labeller-';
const MAX_NAME = 253;

/** One instance feature: a device, here a devicetree node. */
export interface NfdInstance {
  attributes: Record<string, string>;
}

/**
 * NFD's Features (api/nfd/v1alpha1 types.go): named sets of flags, of attributes, and of instances. Ours
 * always has all three; NFD's schema requires none.
 */
export interface NfdFeatures {
  flags?: Record<string, { elements: Record<string, Record<string, never>> }>;
  attributes?: Record<string, { elements: Record<string, string> }>;
  instances?: Record<string, { elements: NfdInstance[] }>;
}

export interface NodeFeature {
  apiVersion: string;
  kind: 'NodeFeature';
  metadata: { name: string; namespace: string; labels?: Record<string, string>; resourceVersion?: string; [key: string]: unknown };
  spec: { labels?: Record<string, string>; features?: NfdFeatures; [key: string]: unknown };
}

/** `dt-node-labeller-<node>`, shortened with a hash when a long node name would make it too long. */
export function nodeFeatureName(nodeName: string): string {
  const name = NAME_PREFIX + nodeName;
  if (name.length <= MAX_NAME) return name;
  const hash = createHash('sha256').update(nodeName).digest('hex').slice(0, 8);
  return `${name.slice(0, MAX_NAME - hash.length - 1).replace(/[.-]+$/, '')}-${hash}`;
}

/** The object we want for this node: our labels, our features when given, and nothing else in spec. */
export function desiredNodeFeature(nodeName: string, namespace: string, labels: Readonly<Record<string, string>>, features?: NfdFeatures): NodeFeature {
  return {
    apiVersion: `${NODE_FEATURE_GROUP}/${NODE_FEATURE_VERSION}`,
    kind: 'NodeFeature',
    metadata: { name: nodeFeatureName(nodeName), namespace, labels: { [NODE_NAME_LABEL]: nodeName, ...MANAGED_BY } },
    spec: features === undefined ? { labels: { ...labels } } : { labels: { ...labels }, features },
  };
}

/**
 * The stored object updated to the desired one, or undefined when it already matches. Keeps whatever else
 * is on it (annotations, other labels, other spec fields), replacing only what we own: spec.labels, and
 * spec.features when the desired object has them (else features someone added are left alone).
 */
export function updatedNodeFeature(stored: NodeFeature, desired: NodeFeature): NodeFeature | undefined {
  const labels = { ...stored.metadata.labels, ...desired.metadata.labels };
  const sameMeta = Object.entries(desired.metadata.labels ?? {}).every(([key, value]) => stored.metadata.labels?.[key] === value);
  const features = desired.spec.features;
  // Maps compare whatever their key order (the API server need not keep it); instance lists in order, which
  // is ours (tree order) and which the API server keeps.
  const sameFeatures = features === undefined || isDeepStrictEqual(stored.spec?.features, features);
  if (sameMeta && sameLabels(stored.spec?.labels ?? {}, desired.spec.labels ?? {}) && sameFeatures) return undefined;
  const spec = { ...stored.spec, labels: { ...desired.spec.labels }, ...(features === undefined ? {} : { features }) };
  return { ...stored, metadata: { ...stored.metadata, labels }, spec };
}

function sameLabels(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => a[key] === b[key]);
}
