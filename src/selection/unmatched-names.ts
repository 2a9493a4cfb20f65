// -n names that match no node of the tree, with the node names the user may have meant: a warning, since a
// typo would otherwise silently label nothing.
import type { DtNode } from '../devicetree/tree.ts';
import { nameMatches } from './select-nodes.ts';

export interface UnmatchedName {
  readonly name: string;
  /** Base names of nodes whose compatible mentions the name (-n sdhci → mmc, for mmc@700b0600 "nvidia,tegra210-sdhci"). */
  readonly suggestions: readonly string[];
}

/** The requested names that match no node at all, each with the node names the user may have meant. */
export function unmatchedNames(root: DtNode, names: readonly string[]): UnmatchedName[] {
  if (names.length === 0) return []; // the usual run, without -n: no second walk of the tree
  const nodes = [...root.walk()];
  return [...new Set(names)]
    .filter((name) => !nodes.some((node) => nameMatches(node.name, name)))
    .map((name) => {
      const word = new RegExp(`(^|[^a-z0-9])${name.toLowerCase().replace(/[.+]/g, '\\$&')}([^a-z0-9]|$)`);
      const suggestions = new Set<string>();
      for (const node of nodes) {
        if (node.compatibles.some((compatible) => word.test(compatible.toLowerCase()))) suggestions.add(node.baseName);
      }
      return { name, suggestions: [...suggestions].sort().slice(0, 5) };
    });
}
