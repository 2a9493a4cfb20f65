// The whole data flow in one call: bytes → tree → selected nodes → labels (compatible-derived, plus facts).
// The CLI's dry run and the controller both go through here, so they cannot disagree about what a node's
// labels are.
import { DevicetreeSourceError } from './devicetree/errors.ts';
import { loadTree, type TreeLocation } from './devicetree/load-tree.ts';
import { overlayMarker } from './devicetree/overlay.ts';
import type { DeviceTree } from './devicetree/tree.ts';
import { readL4tRelease } from './facts/l4t-release.ts';
import { type TegraFactOptions, tegraFacts } from './facts/tegra-facts.ts';
import { TEGRA_GPU_COMPATIBLES } from './hardware/tegra.ts';
import { computeLabels, type LabelSet } from './labels/compute-labels.ts';
import { type DevicetreeFeatures, devicetreeFeatures } from './nfd/devicetree-features.ts';
import { DEFAULT_NODE_NAMES, type Selection, selectNodes } from './selection/select-nodes.ts';
import { type UnmatchedName, unmatchedNames } from './selection/unmatched-names.ts';

/** Which nodes become which labels: the label rules, as the flags set them. */
export interface LabelRules {
  /** Extra node names; the defaults (cpu, gpu) are always included. */
  readonly nodeNames: readonly string[];
  readonly prefix: string;
  readonly includeDisabled: boolean;
  /** Jetson facts (soc, module, GPU compute capability, L4T release); undefined: none. */
  readonly tegra: TegraFactOptions | undefined;
}

export interface DiscoverOptions extends LabelRules {
  readonly location: TreeLocation;
  /** Also turn the tree into NFD features (only the NodeFeature target publishes them). */
  readonly features?: boolean;
}

/**
 * Labels one node may get. Real boards get a few dozen; a crafted tree could yield thousands, and the Node
 * object and the ownership annotation (all annotations share 256 KiB) have size limits. 200 keys of the
 * longest possible length (317 characters) keep the record under a quarter of that.
 */
export const MAX_LABELS = 200;

export interface Discovery extends LabelSet {
  readonly tree: DeviceTree;
  readonly selection: Selection;
  /** Facts that could not be given, and why. */
  readonly notes: readonly string[];
  /** Compatible-derived keys dropped because the node would get more than MAX_LABELS. */
  readonly leftOut: readonly string[];
  /** -n names that match no node, with the names of nodes whose compatible mentions them. */
  readonly unmatched: readonly UnmatchedName[];
  /** The tree and the Jetson facts as NFD features, when asked for (options.features). */
  readonly features: DevicetreeFeatures | undefined;
}

export function discover(options: DiscoverOptions): Discovery {
  const tree = loadTree(options.location);
  // A tree that does not say what the machine is (an emptied --live-tree folder, a stub) is no basis for
  // labels: treat it as unreadable rather than as "no labels", which would remove every label we own.
  const overlay = overlayMarker(tree.root);
  if (overlay !== undefined) {
    throw new DevicetreeSourceError(`${tree.source.path}: a devicetree overlay (it has ${overlay}), which patches a board's tree and is not one: give the board's .dtb`);
  }
  if (tree.root.compatibles.every((compatible) => compatible === '')) {
    throw new DevicetreeSourceError(`${tree.source.path}: the root node has no compatible, so it does not say what this machine is`);
  }
  const selection = selectNodes(tree.root, {
    names: [...DEFAULT_NODE_NAMES, ...options.nodeNames],
    compatibles: TEGRA_GPU_COMPATIBLES,
    includeDisabled: options.includeDisabled,
  });
  const compatible = computeLabels(selection.selected, options.prefix);
  const l4t = options.tegra !== undefined && 'hostRoot' in options.location ? readL4tRelease(options.location.hostRoot) : undefined;
  const facts = options.tegra === undefined ? { labels: {}, sources: {}, notes: [] } : tegraFacts(tree.root, selection, l4t, options.tegra);
  // Facts are few and always kept; compatible-derived keys beyond the cap are left out, the last in order.
  const room = MAX_LABELS - Object.keys(facts.labels).length;
  const keys = Object.keys(compatible.labels);
  const kept = Object.fromEntries(keys.slice(0, room).map((key) => [key, compatible.labels[key]!]));
  const labels = sortKeys({ ...kept, ...facts.labels });
  return {
    tree,
    selection,
    labels,
    sources: { ...compatible.sources, ...facts.sources },
    skipped: compatible.skipped,
    notes: facts.notes,
    leftOut: keys.slice(room),
    unmatched: unmatchedNames(tree.root, options.nodeNames),
    features: options.features === true ? devicetreeFeatures({ root: tree.root, labels, tegraPrefix: options.tegra?.prefix, gpuCompatibles: TEGRA_GPU_COMPATIBLES }) : undefined,
  };
}

function sortKeys<T>(record: Readonly<Record<string, T>>): Record<string, T> {
  const sorted: Record<string, T> = {};
  for (const key of Object.keys(record).sort()) sorted[key] = record[key]!;
  return sorted;
}
