import { printable } from './devicetree/errors.ts';
import { type Discovery, MAX_LABELS } from './discover.ts';

/**
 * What a user should hear about a read, one line each: -n names that matched nothing (with the node names
 * whose compatible mentions them: -n sdhci → mmc), labels left out by the cap, and what the NFD features'
 * caps left out. Shared by the dry run's warnings and the controller's log.
 */
export function discoveryWarnings(result: Discovery): string[] {
  const lines = result.unmatched.map(
    ({ name, suggestions }) => `-n ${name} matches no node${suggestions.length > 0 ? `; nodes whose compatible mentions it: ${suggestions.map(printable).join(', ')}` : ''}`,
  );
  if (result.leftOut.length > 0) {
    const shown = result.leftOut.slice(0, 3).map(printable).join(', ');
    lines.push(`${result.leftOut.length} labels left out: a node gets at most ${MAX_LABELS} (${shown}${result.leftOut.length > 3 ? ', …' : ''})`);
  }
  const featuresLeftOut = result.features?.leftOut ?? [];
  if (featuresLeftOut.length > 0) {
    const shown = featuresLeftOut.slice(0, 3).map(printable).join('; ');
    lines.push(`${featuresLeftOut.length} devicetree nodes or attributes left out of the NFD features (${shown}${featuresLeftOut.length > 3 ? '; …' : ''})`);
  }
  return lines;
}
