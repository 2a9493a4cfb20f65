// The whole data flow in one call: bytes → tree → selected nodes → labels (compatible-derived, plus facts).
// The CLI's dry run and the controller both go through here, so they cannot disagree about what a node's
// labels are.
import { DevicetreeSourceError } from './devicetree/errors.ts';
import { loadTree, type TreeLocation } from './devicetree/load-tree.ts';
import type { DeviceTree } from './devicetree/tree.ts';
import { readL4tRelease } from './facts/l4t-release.ts';
import { tegraFacts, type TegraFactOptions } from './facts/tegra-facts.ts';
import { TEGRA_GPU_COMPATIBLES } from './hardware/tegra.ts';
import { computeLabels, type LabelSet } from './labels/compute-labels.ts';
import { DEFAULT_NODE_NAMES, selectNodes, type Selection } from './selection/select-nodes.ts';

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
}

export interface Discovery extends LabelSet {
  readonly tree: DeviceTree;
  readonly selection: Selection;
  /** Facts that could not be given, and why. */
  readonly notes: readonly string[];
}

export function discover(options: DiscoverOptions): Discovery {
  const tree = loadTree(options.location);
  // A tree that does not say what the machine is (an emptied --live-tree folder, a stub) is no basis for
  // labels: treat it as unreadable rather than as "no labels", which would remove every label we own.
  if ((tree.root.property('compatible')?.asStringList() ?? []).every((compatible) => compatible === '')) {
    throw new DevicetreeSourceError(`${tree.source.path}: the root node has no compatible, so it does not say what this machine is`);
  }
  const selection = selectNodes(tree.root, {
    names: [...DEFAULT_NODE_NAMES, ...options.nodeNames],
    compatibles: TEGRA_GPU_COMPATIBLES,
    includeDisabled: options.includeDisabled,
  });
  const compatibleLabels = computeLabels(selection.selected, options.prefix);
  if (options.tegra === undefined) return { tree, selection, ...compatibleLabels, notes: [] };
  const l4t = 'hostRoot' in options.location ? readL4tRelease(options.location.hostRoot) : undefined;
  const facts = tegraFacts(tree.root, selection.selected, l4t, options.tegra);
  return {
    tree,
    selection,
    labels: sortKeys({ ...compatibleLabels.labels, ...facts.labels }),
    sources: { ...compatibleLabels.sources, ...facts.sources },
    skipped: compatibleLabels.skipped,
    notes: facts.notes,
  };
}

function sortKeys<T>(record: Readonly<Record<string, T>>): Record<string, T> {
  const sorted: Record<string, T> = {};
  for (const key of Object.keys(record).sort()) sorted[key] = record[key]!;
  return sorted;
}
