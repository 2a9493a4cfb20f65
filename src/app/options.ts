// The typed, validated options the labeller runs with. The CLI (src/cli) maps flags onto these and is never
// imported back: everything below takes these types, never Commander's flags.
import type { TreeLocation } from '../devicetree/load-tree.ts';
import type { LabelRules } from '../discover.ts';
import type { LogFormat, LogLevel } from '../observability/log-levels.ts';
import type { Ownership } from '../patch/ownership.ts';

/** Where the labels are published. */
export type TargetOptions = { readonly kind: 'node' } | { readonly kind: 'features-file'; readonly path: string } | { readonly kind: 'node-feature'; readonly namespace: string };

export type { ClusterAccess } from '../kubernetes/kube-config.ts';

import type { ClusterAccess } from '../kubernetes/kube-config.ts';

export interface RunOptions {
  readonly source: TreeLocation;
  readonly rules: LabelRules;
  readonly ownership: Ownership;
  readonly nodeName: string;
  readonly cluster: ClusterAccess;
  readonly target: TargetOptions;
  /** Label, then exit: 0 labelled, 1 not. */
  readonly once: boolean;
  /** Re-read the devicetree this often; undefined: only on SIGHUP (and to retry a failed read). */
  readonly rereadMs: number | undefined;
  /** Re-check the target against a fresh read this often; undefined: never. */
  readonly resyncMs: number | undefined;
  readonly listen: { readonly host: string | undefined; readonly port: number };
  readonly log: { readonly format: LogFormat; readonly level: LogLevel };
  readonly events: boolean;
  readonly adoptExisting: boolean;
}

export interface CleanupOptions {
  /** One Node by name, or every Node of the cluster. */
  readonly nodes: { readonly name: string } | 'all';
  readonly cluster: ClusterAccess;
  readonly target: TargetOptions;
  readonly ownership: Ownership;
}
