/**
 * The labels this labeller owns on a Node are listed in one annotation on that Node, as NFD does. It is
 * what makes removal safe: a label is only ever changed or removed when this record says we set it, so a
 * label that someone else set — even under our prefix — is never touched. The key does not depend on
 * --prefix, so labels set under an old prefix are still known (and cleaned up) after a change.
 */
export const OWNED_LABELS_ANNOTATION = 'dt-node-labeller.beta.devicetree.org/owned-labels';

/** The owned keys recorded on a node (comma-separated), or an empty set. */
export function ownedLabels(annotations: Readonly<Record<string, string>> | undefined): Set<string> {
  const value = annotations?.[OWNED_LABELS_ANNOTATION];
  return new Set(value === undefined ? [] : value.split(',').filter((key) => key !== ''));
}

export function formatOwnedLabels(keys: Iterable<string>): string {
  return [...keys].sort().join(',');
}
