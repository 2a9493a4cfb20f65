import type { CoreV1Event, V1Node } from '@kubernetes/client-node';
import { CONFLICT_RETRIES, apiMessage, apiStatus } from '../kubernetes/api-errors.ts';
import { Backoff, type BackoffOptions, type Sleep } from '../kubernetes/backoff.ts';
import type { ClusterClient } from '../kubernetes/cluster-client.ts';
import { NodeWatcher } from '../kubernetes/node-watcher.ts';
import { type LabelPlan, observedNode, planLabelPatch } from '../node-labels/plan-patch.ts';
import type { Logger } from '../controller/logger.ts';
import type { ControllerMetrics } from '../controller/metrics.ts';
import type { LabelTarget, ReconcileOutcome } from './label-target.ts';

export interface NodeLabelsTargetOptions {
  readonly nodeName: string;
  readonly client: ClusterClient;
  readonly logger: Logger;
  readonly metrics: ControllerMetrics;
  readonly sleep: Sleep;
  readonly backoff: BackoffOptions;
  readonly watchTimeoutSeconds: number;
  /** Namespace for Kubernetes Events about the node; undefined: emit none. */
  readonly eventNamespace: string | undefined;
  /** --adopt-existing: take over labels already set to the desired value (see PlanOptions). */
  readonly adoptMatching?: boolean;
}

/**
 * The default target: the labels of this machine's own Node, changed only by resourceVersion-guarded
 * merge patches that touch nothing but the labels it owns and its ownership record. Watches the one Node.
 */
export class NodeLabelsTarget implements LabelTarget {
  readonly #o: NodeLabelsTargetOptions;
  /** The node as last seen: undefined = not known, null = it does not exist. */
  #node: V1Node | null | undefined;
  #lastConflicts = '';
  readonly description: string;
  readonly permissionHint = 'the service account needs get, list, watch and patch on nodes';

  constructor(options: NodeLabelsTargetOptions) {
    this.#o = options;
    this.description = `node ${options.nodeName}`;
  }

  async watch(changed: () => void, failed: (error: unknown) => void, signal: AbortSignal): Promise<void> {
    const watcher = new NodeWatcher({
      client: this.#o.client,
      nodeName: this.#o.nodeName,
      onNode: (node) => {
        this.#node = node ?? null;
        changed();
      },
      onError: failed,
      onExpired: () => this.#o.logger.debug('watch resourceVersion expired (410 Gone); listing the node again'),
      sleep: this.#o.sleep,
      backoff: new Backoff(this.#o.backoff),
      watchTimeoutSeconds: this.#o.watchTimeoutSeconds,
    });
    signal.addEventListener('abort', () => watcher.stop(), { once: true });
    if (!signal.aborted) await watcher.run();
  }

  async reconcile(desired: Readonly<Record<string, string>>, fresh: boolean): Promise<ReconcileOutcome> {
    if (fresh) this.#node = undefined;
    try {
      return await this.#reconcile(desired);
    } catch (error) {
      this.#node = undefined; // after a failure, trust nothing cached
      throw error;
    }
  }

  async #reconcile(desired: Readonly<Record<string, string>>): Promise<ReconcileOutcome> {
    for (let attempt = 0; attempt < CONFLICT_RETRIES; attempt++) {
      const node = this.#node === undefined ? await this.#readNode() : this.#node;
      if (node === null) {
        this.#o.logger.warn('node not found; waiting for it to register');
        return 'waiting';
      }
      const plan = planLabelPatch(observedNode(node.metadata), desired, { adoptMatching: this.#o.adoptMatching === true });
      this.#reportConflicts(plan);
      const labels = Object.keys(desired).length - plan.conflicts.length;
      if (plan.patch === undefined) return { result: 'unchanged', labels };
      try {
        this.#node = await this.#o.client.patchNodeMetadata(this.#o.nodeName, plan.patch);
      } catch (error) {
        if (apiStatus(error) !== 409) throw error;
        this.#o.metrics.reconciles.inc({ result: 'conflict' });
        this.#o.logger.debug('node changed while patching; re-reading it');
        this.#node = undefined;
        continue;
      }
      this.#o.logger.info('labels updated', { added: plan.added, changed: plan.changed, removed: plan.removed });
      await this.#emitEvent(plan);
      return { result: 'applied', labels };
    }
    throw new Error(`the node kept changing: ${CONFLICT_RETRIES} patches in a row met 409 Conflict`);
  }

  async #readNode(): Promise<V1Node | null> {
    try {
      return (this.#node = await this.#o.client.readNode(this.#o.nodeName));
    } catch (error) {
      if (apiStatus(error) === 404) return (this.#node = null);
      throw error;
    }
  }

  #reportConflicts(plan: LabelPlan): void {
    this.#o.metrics.labelConflicts.set(plan.conflicts.length);
    const key = plan.conflicts.join(',');
    if (key !== '' && key !== this.#lastConflicts) {
      this.#o.logger.warn('labels already set by someone else are left alone', { labels: plan.conflicts });
    }
    this.#lastConflicts = key;
  }

  async #emitEvent(plan: LabelPlan): Promise<void> {
    const namespace = this.#o.eventNamespace;
    if (namespace === undefined || this.#node === null || this.#node === undefined) return;
    try {
      await this.#o.client.createEvent(namespace, labelsEvent(this.#node, namespace, plan));
    } catch (error) {
      this.#o.logger.debug(`could not record an event: ${apiMessage(error)}`);
    }
  }
}

function labelsEvent(node: V1Node, namespace: string, plan: LabelPlan): CoreV1Event {
  const parts = [
    ['added', plan.added],
    ['changed', plan.changed],
    ['removed', plan.removed],
  ] as const;
  const message = parts
    .filter(([, keys]) => keys.length > 0)
    .map(([what, keys]) => `${what} ${keys.join(', ')}`)
    .join('; ');
  const now = new Date();
  const name = node.metadata?.name ?? '';
  return {
    metadata: { generateName: `${name}.`, namespace },
    involvedObject: { kind: 'Node', apiVersion: 'v1', name, ...(node.metadata?.uid === undefined ? {} : { uid: node.metadata.uid }) },
    reason: 'LabelsUpdated',
    message: message === '' ? 'ownership record updated' : `devicetree labels ${message}`,
    type: 'Normal',
    source: { component: 'dt-node-labeller', host: name },
    firstTimestamp: now,
    lastTimestamp: now,
    count: 1,
    reportingComponent: 'dt-node-labeller',
    reportingInstance: name,
  };
}
