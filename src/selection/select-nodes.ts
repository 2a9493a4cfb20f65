import type { DtNode } from '../devicetree/tree.ts';

/** Node names labelled when no -n/--nodes are given, as the Go labeller did. */
export const DEFAULT_NODE_NAMES: readonly string[] = ['cpu', 'gpu'];

export interface SelectionOptions {
  /** Node names to look for anywhere in the tree, in addition to the root. */
  readonly names: readonly string[];
  /** Nodes carrying any of these compatibles are selected whatever their name (known GPUs). */
  readonly compatibles?: ReadonlySet<string>;
  /** Keep nodes whose status says they are disabled or failed. */
  readonly includeDisabled: boolean;
}

export interface Selection {
  /** The root and every matching enabled node, each once, in tree order. */
  readonly selected: DtNode[];
  /** Matching nodes left out because of their status (reported, never labelled). */
  readonly disabled: DtNode[];
}

/**
 * Picks the nodes whose `compatible` strings become labels: the root, every node whose name is exactly N or
 * matches `^N[0-9]*@.*$` (cpu@0, cpu1@100, gpu@57000000) for each requested N, and every node carrying one
 * of the given compatibles (NVIDIA's L4T trees name the GPU node after the chip: /gp10b, /gv11b, /ga10b).
 */
export function selectNodes(root: DtNode, options: SelectionOptions): Selection {
  const names = [...new Set(options.names)];
  const compatibles = options.compatibles ?? new Set<string>();
  const selected: DtNode[] = [];
  const disabled: DtNode[] = [];
  for (const node of root.walk()) {
    if (node !== root && !names.some((name) => nameMatches(node.name, name)) && !hasCompatible(node, compatibles)) continue;
    if (node.enabled || options.includeDisabled) selected.push(node);
    else disabled.push(node);
  }
  return { selected, disabled };
}

function hasCompatible(node: DtNode, wanted: ReadonlySet<string>): boolean {
  if (wanted.size === 0) return false;
  return node.compatibles.some((compatible) => wanted.has(compatible));
}

/** Exactly `wanted`, or `wanted`, optional digits, "@", anything. */
export function nameMatches(nodeName: string, wanted: string): boolean {
  if (nodeName === wanted) return true;
  if (wanted === '' || !nodeName.startsWith(wanted)) return false;
  let i = wanted.length;
  while (i < nodeName.length && nodeName.charCodeAt(i) >= 0x30 && nodeName.charCodeAt(i) <= 0x39) i++;
  return nodeName[i] === '@';
}
