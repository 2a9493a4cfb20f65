import { formatOwnedLabels, inOwnNamespaces, mayWrite, type Ownership, ownedLabels } from './ownership.ts';

/** What the labeller sees of its Node: only the metadata it reads. */
export interface ObservedNode {
  readonly resourceVersion: string | undefined;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
}

/**
 * The part of a Node's metadata the planner reads, with absent maps as empty ones. The maps have no prototype:
 * keys are looked up in them by name, and a name like "constructor" must find only a label of that name.
 */
export function observedNode(metadata: { resourceVersion?: string; labels?: Record<string, string>; annotations?: Record<string, string> } | undefined): ObservedNode {
  return {
    resourceVersion: metadata?.resourceVersion,
    labels: Object.assign(Object.create(null) as Record<string, string>, metadata?.labels),
    annotations: Object.assign(Object.create(null) as Record<string, string>, metadata?.annotations),
  };
}

/**
 * A JSON merge patch (RFC 7386) of the node's metadata: `null` deletes a key. It carries the
 * resourceVersion it was planned against, which the API server treats as a precondition (409 Conflict when
 * the node changed since), so a concurrent writer's change is never overwritten unseen.
 */
export interface LabelPatch {
  readonly metadata: {
    readonly resourceVersion?: string;
    readonly labels: Record<string, string | null>;
    readonly annotations: Record<string, string | null>;
  };
}

export interface LabelPlan {
  /** undefined when the node already matches: nothing to send. */
  readonly patch: LabelPatch | undefined;
  readonly added: string[];
  readonly changed: string[];
  readonly removed: string[];
  /** Desired keys already set by someone else: left alone, reported. */
  readonly conflicts: string[];
  /** Owned keys outside the namespaces this instance writes now (an old --tegra-prefix): kept, never removed. */
  readonly outside: string[];
  /** Desired keys held or released (options.hold, options.release) whose value on the node differs. */
  readonly contested: string[];
}

export interface PlanOptions {
  /** Whose labels these are and where the record lives. */
  readonly ownership: Ownership;
  /**
   * Take ownership of a desired label in the instance's own namespaces that is already set to exactly the
   * desired value by someone else (typically the Go labeller this one replaces). Opt-in: from then on it is
   * removed when it stops being true, which an admin who set it by hand may not expect. Borrowed keys
   * (nvidia.com/gpu.present) are never adopted.
   */
  readonly adoptMatching?: boolean;
  /** Owned keys another writer keeps changing, left as they are for now (still owned): see RepairGuard. */
  readonly hold?: ReadonlySet<string>;
  /** Keys given up to another writer: neither written nor owned any more, and never removed. */
  readonly release?: ReadonlySet<string>;
}

/**
 * Level-triggered: compares the node as it is with what the devicetree says and plans the smallest patch
 * that makes them agree, touching only labels we own (or create) in namespaces we write. Pass
 * `desired = {}` to remove them all.
 */
export function planLabelPatch(node: ObservedNode, desired: Readonly<Record<string, string>>, options: PlanOptions): LabelPlan {
  const { ownership: owner } = options;
  const annotation = owner.annotation;
  const owned = ownedLabels(owner, node.annotations);
  const labels: Record<string, string | null> = {};
  const added: string[] = [];
  const changed: string[] = [];
  const removed: string[] = [];
  const conflicts: string[] = [];
  const outside: string[] = [];
  const contested: string[] = [];
  const nowOwned = new Set<string>();
  for (const [key, value] of Object.entries(desired)) {
    if (!mayWrite(owner, key)) throw new RangeError(`${key} is outside the namespaces this labeller writes`);
    const current = node.labels[key];
    const released = options.release?.has(key) === true;
    const held = !released && options.hold?.has(key) === true && owned.has(key);
    if (released || held) {
      if (held) nowOwned.add(key);
      if (current !== value) contested.push(key);
      continue;
    }
    const adoptable = options.adoptMatching === true && current === value && inOwnNamespaces(owner, key);
    if (current !== undefined && !owned.has(key) && !adoptable) {
      conflicts.push(key);
      continue;
    }
    nowOwned.add(key);
    if (current === value) continue;
    labels[key] = value;
    (current === undefined ? added : changed).push(key);
  }
  for (const key of owned) {
    if (nowOwned.has(key) || options.release?.has(key) === true) continue;
    if (!mayWrite(owner, key)) {
      outside.push(key);
      nowOwned.add(key);
      continue;
    }
    if (node.labels[key] !== undefined) {
      labels[key] = null;
      removed.push(key);
    }
  }
  const record = formatOwnedLabels(nowOwned);
  const annotationChanged = record !== formatOwnedLabels(owned) || (record === '' && annotation in node.annotations);
  const annotations: Record<string, string | null> = annotationChanged ? { [annotation]: record === '' ? null : record } : {};
  const needed = Object.keys(labels).length > 0 || annotationChanged;
  const patch: LabelPatch | undefined = needed
    ? { metadata: { ...(node.resourceVersion === undefined ? {} : { resourceVersion: node.resourceVersion }), labels, annotations } }
    : undefined;
  return { patch, added: added.sort(), changed: changed.sort(), removed: removed.sort(), conflicts: conflicts.sort(), outside: outside.sort(), contested: contested.sort() };
}
