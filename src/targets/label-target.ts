import type { NfdFeatures } from '../nfd/node-feature.ts';

/** What the devicetree says this node should carry. */
export interface DesiredState {
  readonly labels: Readonly<Record<string, string>>;
  /** NFD features, computed only for the target that publishes them (NodeFeature); the others ignore them. */
  readonly features?: NfdFeatures | undefined;
}

/** What one reconcile did: changed the target, found it already right, or cannot act yet (node not registered). */
export type ReconcileOutcome = { result: 'applied' | 'unchanged'; labels: number } | 'waiting';

/**
 * Where the labels are published: the Node's own labels (the default), an NFD feature file, or an NFD
 * NodeFeature object. The controller owns the loop (triggers, backoff, readiness, metrics); a target only
 * knows how to compare and write its one thing.
 */
export interface LabelTarget {
  /** What this target writes, for log lines: `node nano`, `NodeFeature ns/name`, a file path. */
  readonly description: string;
  /** The permissions a 403 means are missing, for the one log line it gets (targets that call an API). */
  readonly permissionHint?: string;
  /**
   * Makes the target hold exactly `desired` (of what it owns). `fresh` asks it to re-read instead of
   * trusting cached state. Throws on API/IO failure; the controller backs off and retries.
   */
  reconcile(desired: DesiredState, fresh: boolean): Promise<ReconcileOutcome>;
  /**
   * Optional: follows changes to the target and calls `changed` when it may have drifted, until `signal`
   * aborts. Without it, drift is repaired at the next resync.
   */
  watch?(changed: () => void, failed: (error: unknown) => void, signal: AbortSignal): Promise<void>;
}
