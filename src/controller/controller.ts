import type { CoreV1Event, V1Node } from '@kubernetes/client-node';
import type { Discovery } from '../discover.ts';
import { apiMessage, apiStatus } from '../kubernetes/api-errors.ts';
import { Backoff, type BackoffOptions, type Sleep } from '../kubernetes/backoff.ts';
import type { ClusterClient } from '../kubernetes/cluster-client.ts';
import { NodeWatcher } from '../kubernetes/node-watcher.ts';
import { type LabelPlan, type ObservedNode, planLabelPatch } from '../node-labels/plan-patch.ts';
import { VERSION } from '../version.ts';
import type { Logger } from './logger.ts';
import type { ControllerMetrics } from './metrics.ts';

export interface ControllerOptions {
  readonly nodeName: string;
  readonly client: ClusterClient;
  /** Reads the devicetree and computes the labels; throws when it cannot. */
  readonly discover: () => Discovery;
  readonly logger: Logger;
  readonly metrics: ControllerMetrics;
  readonly sleep: Sleep;
  readonly backoff: BackoffOptions;
  /** Full reconcile against a fresh GET this often, whatever the watch says; undefined: never. */
  readonly resyncMs: number | undefined;
  /** Re-read the devicetree this often (overlays applied at run time); undefined: only on SIGHUP. */
  readonly rereadMs: number | undefined;
  readonly watchTimeoutSeconds: number;
  /** Namespace for Kubernetes Events about the node; undefined: emit none. */
  readonly eventNamespace: string | undefined;
}

/** How often one reconcile re-reads the node and re-plans after 409 Conflict before backing off. */
const CONFLICT_RETRIES = 5;

/**
 * Keeps the labels of one Node equal to what its devicetree says. Level-triggered: every trigger (watch
 * event, resync, devicetree re-read) just marks the state dirty, and one loop at a time compares the node
 * as it is with what is desired and patches the difference. Failures back off; the loop never exits.
 */
export class Controller {
  readonly #o: ControllerOptions;
  readonly #abort = new AbortController();
  readonly #backoff: Backoff;
  #desired: Readonly<Record<string, string>> | undefined;
  /** The node as last seen: undefined = not known yet, null = it does not exist. */
  #node: V1Node | null | undefined;
  #dirty = false;
  #fresh = false;
  #loop: Promise<void> | undefined;
  #devicetreeOk = false;
  #reconciledOnce = false;
  #lastConflicts = '';
  #forbiddenLogged = false;

  constructor(options: ControllerOptions) {
    this.#o = options;
    this.#backoff = new Backoff(options.backoff);
  }

  /** Ready once the devicetree is readable and the node has matched it at least once. */
  get ready(): boolean {
    return this.#devicetreeOk && this.#reconciledOnce;
  }

  /** Runs until stop(): reads the devicetree, watches the node, reconciles. */
  async run(): Promise<void> {
    this.rereadDevicetree();
    const watcher = new NodeWatcher({
      client: this.#o.client,
      nodeName: this.#o.nodeName,
      onNode: (node) => this.#observe(node ?? null),
      onError: (error) => this.#apiError('watching the node', error),
      onExpired: () => this.#o.logger.debug('watch resourceVersion expired (410 Gone); listing the node again'),
      sleep: this.#o.sleep,
      backoff: new Backoff(this.#o.backoff),
      watchTimeoutSeconds: this.#o.watchTimeoutSeconds,
    });
    this.#abort.signal.addEventListener('abort', () => watcher.stop(), { once: true });
    const timers: Promise<void>[] = [];
    if (this.#o.resyncMs !== undefined) timers.push(this.#every(this.#o.resyncMs, () => this.requestReconcile(true)));
    if (this.#o.rereadMs !== undefined) timers.push(this.#every(this.#o.rereadMs, () => this.rereadDevicetree()));
    await Promise.all([watcher.run(), ...timers]);
    await this.#loop;
  }

  /** Labels the node once and returns whether it now matches (for --once). Leaves nothing running. */
  async runOnce(attempts: number): Promise<boolean> {
    try {
      if (!this.#readDevicetree()) return false;
      for (let attempt = 1; attempt <= attempts && !this.#abort.signal.aborted; attempt++) {
        try {
          this.#node = undefined;
          if (await this.#reconcile()) return true;
        } catch (error) {
          this.#apiError('labelling the node', error);
        }
        if (attempt < attempts) await this.#o.sleep(this.#backoff.next(), this.#abort.signal);
      }
      return false;
    } finally {
      this.stop();
    }
  }

  stop(): void {
    this.#abort.abort();
  }

  /** Reads the devicetree again (start, SIGHUP, --reread-interval) and reconciles if it changed. */
  rereadDevicetree(): void {
    if (this.#readDevicetree()) this.requestReconcile(false);
  }

  /** Reads the devicetree into the desired labels; false (and the error reported) when it cannot. */
  #readDevicetree(): boolean {
    const end = this.#o.metrics.parseDuration.startTimer();
    try {
      const discovery = this.#o.discover();
      end();
      for (const skip of discovery.skipped) this.#o.logger.warn('compatible skipped', { compatible: skip.compatible, devicetreeNode: skip.node, reason: skip.reason });
      const model = discovery.tree.root.property('model')?.asString() ?? '';
      this.#o.metrics.setInfo(VERSION, discovery.tree.source.path, model);
      this.#o.metrics.devicetreeError.set(0);
      if (!this.#devicetreeOk || JSON.stringify(discovery.labels) !== JSON.stringify(this.#desired)) {
        this.#o.logger.info('devicetree read', { source: discovery.tree.source.path, model, labels: Object.keys(discovery.labels).length });
      }
      this.#devicetreeOk = true;
      this.#desired = discovery.labels;
      return true;
    } catch (error) {
      // Keep the labels already applied: an unreadable tree says nothing about the hardware changing.
      this.#devicetreeOk = false;
      this.#o.metrics.devicetreeError.set(1);
      this.#o.logger.error(`cannot read the devicetree: ${error instanceof Error ? error.message : String(error)}`);
      return false;
    }
  }

  /** Marks the state dirty; `fresh` makes the next pass GET the node instead of trusting the watch. */
  requestReconcile(fresh: boolean): void {
    this.#dirty = true;
    this.#fresh ||= fresh;
    this.#loop ??= this.#drain().finally(() => (this.#loop = undefined));
  }

  #observe(node: V1Node | null): void {
    this.#node = node;
    this.requestReconcile(false);
  }

  async #drain(): Promise<void> {
    while (this.#dirty && !this.#abort.signal.aborted) {
      this.#dirty = false;
      try {
        if (this.#fresh) this.#node = undefined;
        this.#fresh = false;
        if (await this.#reconcile()) this.#backoff.reset();
      } catch (error) {
        this.#o.metrics.reconciles.inc({ result: 'error' });
        this.#apiError('labelling the node', error);
        this.#node = undefined; // after a failure, trust nothing cached
        this.#dirty = true;
        await this.#o.sleep(this.#backoff.next(), this.#abort.signal);
      }
    }
  }

  /** One level-triggered pass. True when the node now matches the devicetree. */
  async #reconcile(): Promise<boolean> {
    const desired = this.#desired;
    if (desired === undefined) return false;
    for (let attempt = 0; attempt < CONFLICT_RETRIES; attempt++) {
      const node = this.#node === undefined ? await this.#readNode() : this.#node;
      if (node === null) {
        this.#o.logger.warn('node not found; waiting for it to register');
        return false;
      }
      const plan = planLabelPatch(observed(node), desired);
      this.#reportConflicts(plan);
      if (plan.patch === undefined) return this.#succeeded('unchanged', plan);
      try {
        this.#node = await this.#o.client.patchNodeMetadata(this.#o.nodeName, plan.patch);
        await this.#emitEvent(plan);
        return this.#succeeded('applied', plan);
      } catch (error) {
        if (apiStatus(error) !== 409) throw error;
        this.#o.metrics.reconciles.inc({ result: 'conflict' });
        this.#o.logger.debug('node changed while patching; re-reading it');
        this.#node = undefined;
      }
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

  #succeeded(result: 'applied' | 'unchanged', plan: LabelPlan): boolean {
    const { metrics, logger } = this.#o;
    metrics.reconciles.inc({ result });
    metrics.lastSuccess.set(Date.now() / 1000);
    metrics.labelsApplied.set(Object.keys(this.#desired ?? {}).length - plan.conflicts.length);
    if (result === 'applied') logger.info('labels updated', { added: plan.added, changed: plan.changed, removed: plan.removed });
    if (!this.#reconciledOnce) logger.info('node labelled; ready');
    this.#reconciledOnce = true;
    this.#forbiddenLogged = false;
    return true;
  }

  #reportConflicts(plan: LabelPlan): void {
    this.#o.metrics.labelConflicts.set(plan.conflicts.length);
    const key = plan.conflicts.join(',');
    if (key !== '' && key !== this.#lastConflicts) {
      this.#o.logger.warn('labels already set by someone else are left alone', { labels: plan.conflicts });
    }
    this.#lastConflicts = key;
  }

  #apiError(doing: string, error: unknown): void {
    const status = apiStatus(error);
    this.#o.metrics.apiErrors.inc({ code: status === undefined ? 'none' : String(status) });
    if (status === 403) {
      if (!this.#forbiddenLogged) {
        this.#o.logger.error(`permission denied ${doing}: ${apiMessage(error)} — the service account needs get, list, watch and patch on nodes`);
      }
      this.#forbiddenLogged = true;
      return;
    }
    this.#o.logger.warn(`${doing} failed: ${apiMessage(error)}`, { status: status ?? 'no response' });
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

  /** Calls `tick` every `ms` until stopped. */
  async #every(ms: number, tick: () => void): Promise<void> {
    while (!this.#abort.signal.aborted) {
      await this.#o.sleep(ms, this.#abort.signal);
      if (!this.#abort.signal.aborted) tick();
    }
  }
}

function observed(node: V1Node): ObservedNode {
  return {
    name: node.metadata?.name ?? '',
    resourceVersion: node.metadata?.resourceVersion,
    labels: node.metadata?.labels ?? {},
    annotations: node.metadata?.annotations ?? {},
  };
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
