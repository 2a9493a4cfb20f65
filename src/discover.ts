// The whole data flow in one call: bytes → tree → selected nodes → labels. The CLI's dry run and the
// controller both go through here, so they cannot disagree about what a node's labels are.
import { loadTree, type TreeLocation } from './devicetree/load-tree.ts';
import type { DeviceTree } from './devicetree/tree.ts';
import { computeLabels, type LabelSet } from './labels/compute-labels.ts';
import { DEFAULT_NODE_NAMES, selectNodes, type Selection } from './selection/select-nodes.ts';

export interface DiscoverOptions {
  readonly location: TreeLocation;
  /** Extra node names; the defaults (cpu, gpu) are always included. */
  readonly nodeNames: readonly string[];
  readonly prefix: string;
  readonly includeDisabled: boolean;
}

export interface Discovery extends LabelSet {
  readonly tree: DeviceTree;
  readonly selection: Selection;
}

export function discover(options: DiscoverOptions): Discovery {
  const tree = loadTree(options.location);
  const selection = selectNodes(tree.root, {
    names: [...DEFAULT_NODE_NAMES, ...options.nodeNames],
    includeDisabled: options.includeDisabled,
  });
  return { tree, selection, ...computeLabels(selection.selected, options.prefix) };
}
