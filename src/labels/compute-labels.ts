import type { DtNode } from '../devicetree/tree.ts';
import { isValidDnsSubdomain, isValidLabelKey } from './kubernetes-names.ts';
import { compatibleToLabelName } from './label-name.ts';

export const DEFAULT_PREFIX = 'beta.devicetree.org';

/** A compatible string that produced no label, and why; callers log these and carry on. */
interface SkippedCompatible {
  readonly node: string;
  readonly compatible: string;
  readonly reason: string;
}

export interface LabelSet {
  /** Key → value, keys sorted. The value counts the selected nodes carrying that compatible. */
  readonly labels: Readonly<Record<string, string>>;
  /** Key → where its value came from: the devicetree node paths it counts (for `labels -o wide`). */
  readonly sources: Readonly<Record<string, readonly string[]>>;
  readonly skipped: readonly SkippedCompatible[];
}

/**
 * Each distinct non-empty compatible of each node becomes `<prefix>/<name>`; a node adds 1 to a key's
 * count at most once, even when two of its compatibles map to the same name.
 */
export function computeLabels(nodes: readonly DtNode[], prefix: string = DEFAULT_PREFIX): LabelSet {
  if (!isValidDnsSubdomain(prefix)) throw new RangeError(`label prefix "${prefix}" is not a DNS subdomain`);
  const paths = new Map<string, string[]>();
  const skipped: SkippedCompatible[] = [];
  for (const node of nodes) {
    const keys = new Set<string>();
    for (const compatible of node.compatibles) {
      if (compatible === '') continue;
      const name = compatibleToLabelName(compatible);
      const key = `${prefix}/${name}`;
      if (name === undefined || !isValidLabelKey(key)) {
        skipped.push({ node: node.path, compatible, reason: 'no valid label name can be made from it' });
        continue;
      }
      keys.add(key);
    }
    for (const key of keys) {
      const nodes = paths.get(key);
      if (nodes === undefined) paths.set(key, [node.path]);
      else nodes.push(node.path);
    }
  }
  const labels: Record<string, string> = {};
  const sources: Record<string, readonly string[]> = {};
  for (const key of [...paths.keys()].sort()) {
    const nodes = paths.get(key)!;
    labels[key] = String(nodes.length);
    sources[key] = nodes;
  }
  return { labels, sources, skipped };
}
