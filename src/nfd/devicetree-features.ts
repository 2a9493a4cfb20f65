// The devicetree as NFD features (NodeFeature spec.features), for users' own NodeFeatureRules: every node that
// has a compatible as one instance, a few whole-tree attributes, and the Jetson facts as attributes. NFD's
// matching (pkg/apis/nfd/nodefeaturerule) shaped the choices:
// - A rule term naming a feature the node lacks never matches, whatever its expressions (evaluateFeatureMatcher
//   returns false for an unknown feature), so devicetree.system is on every devicetree board: "no GPU" is
//   `gpu IsFalse` there, not a missing feature.
// - An expression on an attribute the element lacks is false for every op but DoesNotExist, NotIn included
//   (evaluateMatchExpression only compares values that exist), so instance attributes are always all present:
//   `status` is "" on a node without one, and `enabled` says what the status means.
// - Term feature names are lower-cased before the lookup, so feature names are lower case.
// - Values are strings; Gt/Lt/GtLt parse them as integers and fail the rule on anything else, so the numeric
//   facts (memory.gib, gpu.compute.major, dla.count, ...) are decimal integers, as the labels already are.
import type { DtNode } from '../devicetree/tree.ts';
import type { NfdFeatures, NfdInstance } from './node-feature.ts';

/** Instances: one per node with a `compatible` property, in tree order. */
const NODE_FEATURE = 'devicetree.node';
/** Attributes of the whole tree, on every devicetree board. */
const SYSTEM_FEATURE = 'devicetree.system';
/** Attributes: the Jetson facts with their key prefix stripped; only on boards that have any. */
const TEGRA_FEATURE = 'tegra.system';

/** Separates the strings of a `compatible` list in the `compatibles` attributes; no real compatible holds one. */
const COMPATIBLE_SEPARATOR = ';';

/**
 * At most this many devicetree.node instances: twice the largest real tree's (AGX Orin's L4T blob has 526
 * nodes with a compatible, about 95 KB as JSON; the 576-blob mainline corpus at most 275).
 */
export const MAX_NODE_INSTANCES = 1024;
/** At most this many bytes of devicetree.node instances as JSON, so a crafted tree cannot near etcd's 1.5 MiB. */
export const MAX_NODE_INSTANCE_BYTES = 256 * 1024;
/** A value longer than this is left out (its whole instance, for a node); real ones are under 1.3 KB. */
export const MAX_VALUE_BYTES = 4096;

export interface FeatureInput {
  readonly root: DtNode;
  /** The labels discover() gives; the Jetson facts are taken from them. */
  readonly labels: Readonly<Record<string, string>>;
  /** The Jetson facts' key prefix without the "/" (tegra.beta.devicetree.org); undefined: no facts. */
  readonly tegraPrefix: string | undefined;
  /** Compatibles of GPUs whose node is not named gpu (NVIDIA names it after the chip: /ga10b). */
  readonly gpuCompatibles: ReadonlySet<string>;
}

export interface DevicetreeFeatures {
  readonly features: NfdFeatures;
  /** What the caps left out, one line each (a node's path and why), for the caller to log. */
  readonly leftOut: readonly string[];
}

/** The tree and its facts as NFD features. Pure: the same tree and labels give the same object. */
export function devicetreeFeatures(input: FeatureInput): DevicetreeFeatures {
  const leftOut: string[] = [];
  const { instances, hasTegraGpuNode, hasEnabledGpu } = nodeInstances(input, leftOut);

  const tegra = tegraAttributes(input.labels, input.tegraPrefix);
  // Thor's GPU sits on PCIe, not in the tree; the facts give it from the SoC table, and that is a GPU too.
  const socGpu = !hasTegraGpuNode && tegra['gpu.family'] !== undefined;
  const system: Record<string, string> = {};
  const root = input.root;
  const model = root.property('model')?.asString();
  const put = (name: string, value: string | undefined) => {
    if (value === undefined) return;
    if (Buffer.byteLength(value) > MAX_VALUE_BYTES) leftOut.push(`${SYSTEM_FEATURE} ${name}: longer than ${MAX_VALUE_BYTES} bytes`);
    else system[name] = value;
  };
  put('model', model);
  put('compatible', root.compatibles[0]);
  put('compatibles', root.compatibles.join(COMPATIBLE_SEPARATOR));
  put('gpu', String(hasEnabledGpu || socGpu));

  const attributes: Record<string, { elements: Record<string, string> }> = { [SYSTEM_FEATURE]: { elements: system } };
  if (Object.keys(tegra).length > 0) attributes[TEGRA_FEATURE] = { elements: tegra };
  return { features: { flags: {}, attributes, instances: { [NODE_FEATURE]: { elements: instances } } }, leftOut };
}

function nodeInstances(input: FeatureInput, leftOut: string[]): { instances: NfdInstance[]; hasTegraGpuNode: boolean; hasEnabledGpu: boolean } {
  const instances: NfdInstance[] = [];
  let bytes = 2; // the list's brackets
  let full = false;
  let hasTegraGpuNode = false;
  let hasEnabledGpu = false;
  for (const node of input.root.walk()) {
    const compatibles = node.compatibles;
    const tegraGpu = compatibles.some((c) => input.gpuCompatibles.has(c));
    hasTegraGpuNode ||= tegraGpu;
    if (node.enabled && (tegraGpu || node.baseName === 'gpu')) hasEnabledGpu = true;
    if (node.property('compatible') === undefined) continue;
    if (full) {
      leftOut.push(`${node.path}: more than ${MAX_NODE_INSTANCES} nodes or ${MAX_NODE_INSTANCE_BYTES / 1024} KiB of ${NODE_FEATURE} instances`);
      continue;
    }
    const attributes = {
      name: node.name,
      path: node.path,
      compatible: compatibles[0] ?? '',
      compatibles: compatibles.join(COMPATIBLE_SEPARATOR),
      status: node.status ?? '',
      enabled: String(node.enabled),
    };
    if (Object.values(attributes).some((value) => Buffer.byteLength(value) > MAX_VALUE_BYTES)) {
      leftOut.push(`${node.path}: an attribute longer than ${MAX_VALUE_BYTES} bytes`);
      continue;
    }
    const size = Buffer.byteLength(JSON.stringify({ attributes })) + 1; // and its comma
    // The caps keep a prefix in tree order: the same tree always publishes the same nodes.
    if (instances.length === MAX_NODE_INSTANCES || bytes + size > MAX_NODE_INSTANCE_BYTES) {
      full = true;
      leftOut.push(`${node.path}: more than ${MAX_NODE_INSTANCES} nodes or ${MAX_NODE_INSTANCE_BYTES / 1024} KiB of ${NODE_FEATURE} instances`);
      continue;
    }
    bytes += size;
    instances.push({ attributes });
  }
  return { instances, hasTegraGpuNode, hasEnabledGpu };
}

/** The labels under `<prefix>/`, keyed by the rest: soc, module, gpu.family, memory.gib, ... */
function tegraAttributes(labels: Readonly<Record<string, string>>, prefix: string | undefined): Record<string, string> {
  const elements: Record<string, string> = {};
  if (prefix === undefined) return elements;
  const start = `${prefix}/`;
  for (const [key, value] of Object.entries(labels)) if (key.startsWith(start)) elements[key.slice(start.length)] = value;
  return elements;
}
