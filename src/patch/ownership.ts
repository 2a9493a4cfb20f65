/**
 * Which labels a labeller instance may touch, and where it records those it set. As NFD does it: the keys an
 * instance set are listed in one annotation on the Node, a record of its own, and a label is only ever
 * changed or removed when that record says the instance set it, and only inside the namespaces it writes.
 * So a label that someone else set, even under our prefix, is never touched, and two labellers with
 * different prefixes (or --instance names) on one node keep out of each other's way.
 */
export interface Ownership {
  /** `[<instance>.]dt-node-labeller.<prefix>/owned-labels`: for the default prefix and no instance, the key every release used. */
  readonly annotation: string;
  /** Label key prefixes the instance writes: --prefix and --tegra-prefix. */
  readonly prefixes: readonly string[];
  /** Keys outside those prefixes it may write (nvidia.com/gpu.present): set when wanted, never adopted. */
  readonly borrowedKeys: readonly string[];
}

export function ownership(options: { prefix: string; tegraPrefix: string; instance?: string | undefined; borrowedKeys?: readonly string[] }): Ownership {
  const domain = `${options.instance === undefined ? '' : `${options.instance}.`}dt-node-labeller.${options.prefix}`;
  return { annotation: `${domain}/owned-labels`, prefixes: [options.prefix, options.tegraPrefix], borrowedKeys: options.borrowedKeys ?? [] };
}

/** Whether the key lies in the instance's own namespaces (the ones it may adopt labels in). */
export function inOwnNamespaces(owner: Ownership, key: string): boolean {
  const slash = key.indexOf('/');
  return slash > 0 && owner.prefixes.includes(key.slice(0, slash));
}

/** Whether the instance may ever write (or remove) this key. */
export function mayWrite(owner: Ownership, key: string): boolean {
  return inOwnNamespaces(owner, key) || owner.borrowedKeys.includes(key);
}

/** The owned keys recorded on a node (comma-separated), or an empty set. */
export function ownedLabels(owner: Ownership, annotations: Readonly<Record<string, string>> | undefined): Set<string> {
  const value = annotations?.[owner.annotation];
  return new Set(value === undefined ? [] : value.split(',').filter((key) => key !== ''));
}

export function formatOwnedLabels(keys: Iterable<string>): string {
  return [...keys].sort().join(',');
}
