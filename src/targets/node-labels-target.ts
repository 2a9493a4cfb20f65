import type { CoreV1Event, V1Node } from '@kubernetes/client-node';
import { apiMessage, unlessNotFound } from '../kubernetes/api-errors.ts';
import type { RetryBackoff, Sleep } from '../kubernetes/backoff.ts';
import { type ClusterClient, NODE_EVENT_NAMESPACE } from '../kubernetes/cluster-client.ts';
import { NodeWatcher } from '../kubernetes/node-watcher.ts';
import { retryOnConflict } from '../kubernetes/retry-on-conflict.ts';
import { EpisodeLog } from '../observability/episodes.ts';
import type { Logger } from '../observability/logger.ts';
import type { ControllerMetrics } from '../observability/metrics.ts';
import { markStartup } from '../observability/startup.ts';
import type { Ownership } from '../patch/ownership.ts';
import { type LabelPlan, observedNode, planLabelPatch } from '../patch/plan-patch.ts';
import { FIGHT_HOLDS_MS, FIGHT_WINDOW_MS, RepairGuard } from '../patch/repair-guard.ts';
import type { DesiredState, LabelTarget, ReconcileOutcome } from './label-target.ts';

export interface NodeLabelsTargetOptions {
  readonly nodeName: string;
  readonly client: ClusterClient;
  readonly ownership: Ownership;
  readonly logger: Logger;
  readonly metrics: ControllerMetrics;
  readonly sleep: Sleep;
  /** The watch's retries (a fresh RetryBackoff by default). */
  readonly watchRetry?: RetryBackoff;
  readonly watchTimeoutSeconds: number;
  /** Record a LabelsUpdated Event on the Node (in NODE_EVENT_NAMESPACE) when labels change. */
  readonly events: boolean;
  /** --adopt-existing: take over labels already set to the desired value (see PlanOptions). */
  readonly adoptMatching?: boolean;
  /** The clock of the fight back-off (RepairGuard); Date.now by default. */
  readonly now?: () => number;
}

/**
 * The default target: the labels of this machine's own Node, changed only by resourceVersion-guarded
 * merge patches that touch nothing but the labels this instance owns and its ownership record. The node
 * as last seen comes from a NodeWatcher, its only writer; reads done here (a resync, a retry after 409)
 * are used for that one plan and not kept.
 */
export class NodeLabelsTarget implements LabelTarget {
  readonly #options: NodeLabelsTargetOptions;
  #watcher: NodeWatcher | undefined;
  /** Our last patch: the node as the server returned it, and the resourceVersion it was planned against. */
  #written: { before: string | undefined; after: V1Node } | undefined;
  readonly #episodes: EpisodeLog;
  readonly #guard: RepairGuard;
  /** The watch's callback and stop signal, for a reconcile when a hold ends. */
  #wake: { changed: () => void; signal: AbortSignal } | undefined;
  readonly description: string;
  readonly permissionHint = 'the service account needs get, list, watch and patch on nodes';

  constructor(options: NodeLabelsTargetOptions) {
    this.#options = options;
    this.#guard = new RepairGuard(options.now);
    this.#episodes = new EpisodeLog(options.logger);
    this.description = `node ${options.nodeName}`;
  }

  async watch(changed: () => void, failed: (error: unknown) => void, signal: AbortSignal): Promise<void> {
    this.#wake = { changed, signal };
    const watcher = new NodeWatcher({
      client: this.#options.client,
      nodeName: this.#options.nodeName,
      onChange: changed,
      onError: failed,
      onExpired: () => this.#options.logger.debug('watch resourceVersion expired (410 Gone); listing the node again'),
      sleep: this.#options.sleep,
      ...(this.#options.watchRetry === undefined ? {} : { retry: this.#options.watchRetry }),
      watchTimeoutSeconds: this.#options.watchTimeoutSeconds,
    });
    this.#watcher = watcher;
    signal.addEventListener('abort', () => watcher.stop(), { once: true });
    if (!signal.aborted) await watcher.run();
  }

  /** Node labels only; features are ignored. */
  reconcile({ labels: desired }: DesiredState, fresh: boolean): Promise<ReconcileOutcome> {
    return retryOnConflict(
      this.description,
      async (retry) => {
        const node = fresh || retry > 0 ? await this.#read() : (this.#cached() ?? (await this.#read()));
        if (node === null) {
          this.#episodes.report('registered', 'warn', 'node not found; waiting for it to register');
          return 'waiting';
        }
        this.#episodes.ok('registered');
        const observed = observedNode(node.metadata);
        const decision = this.#guard.decide(observed.labels, desired);
        const plan = planLabelPatch(observed, desired, {
          ownership: this.#options.ownership,
          adoptMatching: this.#options.adoptMatching === true,
          hold: decision.hold,
          release: decision.release,
        });
        this.#report(plan);
        const labels = Object.keys(desired).length - plan.conflicts.length - decision.release.size;
        if (plan.patch === undefined) return { result: 'unchanged', labels };
        const updated = await this.#options.client.patchNodeMetadata(this.#options.nodeName, plan.patch);
        this.#written = { before: node.metadata?.resourceVersion, after: updated };
        markStartup('labelsStored');
        this.#guard.commit(decision, plan.patch.metadata.labels);
        this.#options.logger.info('labels updated', { added: plan.added, changed: plan.changed, removed: plan.removed, contested: plan.contested });
        await this.#recordEvent(updated, labelsEventText(plan));
        await this.#reportFights(updated, decision.repairs, decision.givingUp);
        return { result: 'applied', labels };
      },
      () => {
        this.#options.metrics.reconciles.inc({ result: 'conflict' });
        this.#options.logger.debug('node changed while patching; reading it again');
      },
    );
  }

  /**
   * The watcher's node; undefined before it listed. Until the watch delivers our own last patch, the
   * cache still shows the version that patch was planned against: then the patch's answer is newer.
   */
  #cached(): V1Node | null | undefined {
    const node = this.#watcher?.node;
    const written = this.#written;
    if (written !== undefined && node?.metadata?.resourceVersion === written.before) return written.after;
    return node;
  }

  async #read(): Promise<V1Node | null> {
    return (await unlessNotFound(this.#options.client.readNode(this.#options.nodeName))) ?? null;
  }

  #report(plan: LabelPlan): void {
    this.#options.metrics.labelConflicts.set(plan.conflicts.length);
    // Said again only when the set of keys changes.
    if (plan.conflicts.length === 0) this.#episodes.ok('conflicts');
    else this.#episodes.report('conflicts', 'warn', 'labels already set by someone else are left alone', { labels: plan.conflicts }, plan.conflicts.join(','));
    if (plan.outside.length === 0) this.#episodes.ok('outside');
    else {
      const message = 'labels this instance set under another prefix are left in place; remove them with cleanup and the old prefix';
      this.#episodes.report('outside', 'warn', message, { labels: plan.outside }, plan.outside.join(','));
    }
  }

  /** Says once, in the log, an Event and a metric, which keys were given up; logs each hold as it starts. */
  async #reportFights(node: V1Node, repairs: readonly string[], givingUp: readonly string[]): Promise<void> {
    const holding = repairs.filter((key) => this.#guard.holdLeft(key) > 0);
    if (holding.length > 0) {
      const ms = Math.max(...holding.map((key) => this.#guard.holdLeft(key)));
      this.#options.logger.warn('another writer keeps changing labels this labeller sets; leaving them alone for a while', { labels: holding, seconds: ms / 1000 });
      // Nothing else may happen on the node when the hold ends: look again then.
      const wake = this.#wake;
      if (wake !== undefined) void this.#options.sleep(ms, wake.signal).then(() => wake.signal.aborted || wake.changed());
    }
    this.#options.metrics.contestedLabels.set(this.#guard.givenUp.size);
    if (givingUp.length === 0) return;
    const minutes = FIGHT_WINDOW_MS / 60_000;
    const message = `another writer changed ${givingUp.join(', ')} again within ${minutes} minutes of each of this labeller's last ${FIGHT_HOLDS_MS.length + 1} repairs; this labeller no longer owns or repairs ${givingUp.length === 1 ? 'it' : 'them'} (see "Contested labels" in the README)`;
    this.#options.logger.warn(message, { labels: givingUp });
    await this.#recordEvent(node, { reason: 'LabelsContested', type: 'Warning', message });
  }

  async #recordEvent(node: V1Node, text: EventText): Promise<void> {
    if (!this.#options.events) return;
    try {
      await this.#options.client.createNodeEvent(nodeEvent(node, text));
      this.#episodes.ok('events');
    } catch (error) {
      // An Event is a courtesy: its failure never fails the reconcile, and is reported once while it lasts.
      const message = `could not record a ${text.reason} Event in namespace ${NODE_EVENT_NAMESPACE}: ${apiMessage(error)} (the service account needs create on events there; --no-events turns them off)`;
      this.#episodes.report('events', 'warn', message, undefined, 'events');
    }
  }
}

interface EventText {
  readonly reason: string;
  readonly type: 'Normal' | 'Warning';
  readonly message: string;
}

function labelsEventText(plan: LabelPlan): EventText {
  const parts = [
    ['added', plan.added],
    ['changed', plan.changed],
    ['removed', plan.removed],
  ] as const;
  const message = parts
    .filter(([, keys]) => keys.length > 0)
    .map(([what, keys]) => `${what} ${keys.join(', ')}`)
    .join('; ');
  return { reason: 'LabelsUpdated', type: 'Normal', message: message === '' ? 'ownership record updated' : `devicetree labels ${message}` };
}

function nodeEvent(node: V1Node, { reason, type, message }: EventText): CoreV1Event {
  const now = new Date();
  const name = node.metadata?.name ?? '';
  return {
    metadata: { generateName: `${name}.`, namespace: NODE_EVENT_NAMESPACE },
    involvedObject: { kind: 'Node', apiVersion: 'v1', name, ...(node.metadata?.uid === undefined ? {} : { uid: node.metadata.uid }) },
    reason,
    message,
    type,
    source: { component: 'dt-node-labeller', host: name },
    firstTimestamp: now,
    lastTimestamp: now,
    count: 1,
    reportingComponent: 'dt-node-labeller',
    reportingInstance: name,
  };
}
