import { apiErrorCode, apiMessage, apiStatus, failureClass, refusedBy } from '../kubernetes/api-errors.ts';
import { Backoff, type BackoffOptions, RETRY_POLICY, type RetryBackoff, type Sleep } from '../kubernetes/backoff.ts';
import type { Logger } from '../observability/logger.ts';
import type { ControllerMetrics } from '../observability/metrics.ts';
import type { DesiredState, LabelTarget } from '../targets/label-target.ts';
import type { DesiredLabels } from './desired-labels.ts';

export interface ControllerOptions {
  /** Where the labels go: the node itself, an NFD feature file or an NFD NodeFeature object. */
  readonly target: LabelTarget;
  /** The devicetree's labels, read on demand. */
  readonly desired: DesiredLabels;
  readonly logger: Logger;
  readonly metrics: ControllerMetrics;
  readonly sleep: Sleep;
  /** Retries of failed reconciles, per failure class. */
  readonly retry: RetryBackoff;
  /** Retries of a devicetree that could not be read (absent: see DEVICETREE_ABSENT_RECHECK). */
  readonly devicetreeRetry?: BackoffOptions;
  /** Full reconcile against a fresh read of the target this often; undefined: never. */
  readonly resyncMs: number | undefined;
  /** Re-read the devicetree this often (overlays applied at run time); undefined: only on SIGHUP. */
  readonly rereadMs: number | undefined;
}

/** A devicetree that could not be read is tried again after 1 s, doubling up to 5 min. */
const DEVICETREE_RETRY: BackoffOptions = { initialMs: 1000, maxMs: 300_000 };
/** A machine without a devicetree is looked at again this often, in case one is mounted later. */
const DEVICETREE_ABSENT_RECHECK_MS = 3_600_000;

/**
 * Keeps a target (by default its own Node's labels) equal to what the devicetree says. Level-triggered:
 * every trigger (a watch event, the resync timer, a devicetree re-read) only marks the state dirty, and one
 * loop at a time compares the target as it is with what is desired and writes the difference. Failures
 * back off per failure class; the loop runs until stop().
 */
export class Controller {
  readonly #o: ControllerOptions;
  readonly #abort = new AbortController();
  #dirty = false;
  #fresh = false;
  #draining = false;
  #loop: Promise<void> = Promise.resolve();
  #reconciledOnce = false;
  #rejectedLogged = false;
  /** Ends the devicetree loop's current wait (SIGHUP re-read, or a failed read that needs a retry). */
  #wake: (() => void) | undefined;

  constructor(options: ControllerOptions) {
    this.#o = options;
  }

  /**
   * Ready once the target has matched a readable devicetree, and on a machine that has no devicetree at
   * all (nothing to do is done), so a DaemonSet rollout does not stall on ACPI servers.
   */
  get ready(): boolean {
    const state = this.#o.desired.state;
    return state === 'absent' || (state === 'ok' && this.#reconciledOnce);
  }

  /** Runs until stop(): reads the devicetree, follows the target, reconciles. */
  async run(): Promise<void> {
    const { target, resyncMs } = this.#o;
    this.#o.desired.read();
    // A watched target reconciles when the watch first reports it; reconciling now would read it twice.
    if (target.watch === undefined) this.requestReconcile(false);
    const signal = this.#abort.signal;
    const tasks: Promise<unknown>[] = [this.#devicetreeLoop()];
    if (target.watch !== undefined) {
      tasks.push(
        target.watch(
          () => this.requestReconcile(false),
          (error) => this.#apiError(`watching ${target.description}`, error),
          signal,
        ),
      );
    }
    if (resyncMs !== undefined) tasks.push(this.#every(resyncMs, () => this.requestReconcile(true)));
    await Promise.all(tasks);
    await this.#loop;
  }

  /**
   * Reconciles once and returns whether the target now matches (for --once): true also when the machine has
   * no devicetree (nothing to label). Leaves nothing running.
   */
  async runOnce(attempts: number): Promise<boolean> {
    try {
      this.#o.desired.read();
      if (this.#o.desired.state === 'absent') return true;
      const desired = this.#o.desired.current;
      if (desired === undefined) return false;
      for (let attempt = 1; attempt <= attempts && !this.#abort.signal.aborted; attempt++) {
        let failure: unknown;
        try {
          if (await this.#reconcile(desired, true)) return true;
        } catch (error) {
          this.#failed(error);
          failure = error;
        }
        // Not labelled (an error, or the node not registered yet): wait, but as an init container should,
        // in seconds, not a refusal's five-minute backoff.
        if (attempt < attempts) await this.#o.sleep(Math.min(this.#o.retry.next(failure), RETRY_POLICY.transient.maxMs), this.#abort.signal);
      }
      return false;
    } finally {
      this.stop();
    }
  }

  stop(): void {
    this.#abort.abort();
  }

  /** Reads the devicetree again now (SIGHUP) and reconciles when the labels changed. */
  rereadDevicetree(): void {
    if (this.#o.desired.read()) this.requestReconcile(false);
    this.#wake?.();
  }

  /** Marks the state dirty; `fresh` makes the next pass re-read the target instead of trusting a cache. */
  requestReconcile(fresh: boolean): void {
    this.#dirty = true;
    this.#fresh ||= fresh;
    if (this.#draining) return;
    this.#draining = true;
    this.#loop = this.#drain();
  }

  /**
   * Reconciles while something asked for it. `#draining` is cleared in the same synchronous step as the
   * last look at `#dirty` (a `finally` with no await in between), so a request arriving at any moment
   * either is seen by this loop or starts the next one: none is lost.
   */
  async #drain(): Promise<void> {
    try {
      while (this.#dirty && !this.#abort.signal.aborted) {
        this.#dirty = false;
        const fresh = this.#fresh;
        this.#fresh = false;
        const desired = this.#o.desired.current;
        if (desired === undefined || this.#o.desired.state === 'absent') return;
        try {
          if (await this.#reconcile(desired, fresh)) this.#o.retry.reset();
        } catch (error) {
          this.#failed(error);
          this.#dirty = true;
          await this.#o.sleep(this.#o.retry.next(error), this.#abort.signal);
        }
      }
    } finally {
      this.#draining = false;
    }
  }

  /** One level-triggered pass. True when the target now matches the devicetree. */
  async #reconcile(desired: DesiredState, fresh: boolean): Promise<boolean> {
    const { target, metrics, logger } = this.#o;
    const outcome = await target.reconcile(desired, fresh);
    if (outcome === 'waiting') return false;
    metrics.reconciles.inc({ result: outcome.result });
    metrics.lastSuccess.set(Date.now() / 1000);
    metrics.labelsApplied.set(outcome.labels);
    if (!this.#reconciledOnce) logger.info('node labelled; ready', { target: target.description });
    this.#reconciledOnce = true;
    this.#rejectedLogged = false;
    return true;
  }

  #failed(error: unknown): void {
    this.#o.metrics.reconciles.inc({ result: 'error' });
    this.#apiError(`labelling ${this.#o.target.description}`, error);
  }

  #apiError(doing: string, error: unknown): void {
    const code = apiErrorCode(error);
    if (code !== undefined) this.#o.metrics.apiErrors.inc({ code });
    const status = apiStatus(error);
    if (failureClass(error) === 'rejected') {
      // Refusals (401, 403, 422, a 404 from something that is no API server ...) repeat until someone changes
      // RBAC, a policy or the configuration: one error line per episode, not per retry.
      if (!this.#rejectedLogged) this.#o.logger.error(`${doing} refused: ${apiMessage(error)} — ${this.#refusalHint(error)}`, { status });
      else this.#o.logger.debug(`${doing} refused again: ${apiMessage(error)}`, { status });
      this.#rejectedLogged = true;
      return;
    }
    if (code === undefined) this.#o.logger.warn(`${doing} failed: ${apiMessage(error)}`);
    else this.#o.logger.warn(`${doing} failed: ${apiMessage(error)}`, { status: status ?? 'no response' });
  }

  #refusalHint(error: unknown): string {
    switch (refusedBy(error)) {
      case 'admission policy':
        return "the chart's ValidatingAdmissionPolicy refused it: it lets the labeller change only its own labels on its own Node";
      case 'admission webhook':
        return 'an admission webhook refused it';
      case 'RBAC':
        return this.#o.target.permissionHint;
      default:
        return apiStatus(error) === 401 ? 'the credentials were not accepted' : `retrying, less and less often, down to once every ${RETRY_POLICY.rejected.maxMs / 60_000} minutes`;
    }
  }

  /**
   * Re-reads the devicetree every --reread-interval, and retries a failed read with backoff (a machine
   * without one is looked at again hourly). SIGHUP reads at once and restarts the wait.
   */
  async #devicetreeLoop(): Promise<void> {
    const retry = new Backoff(this.#o.devicetreeRetry ?? DEVICETREE_RETRY);
    while (!this.#abort.signal.aborted) {
      const state = this.#o.desired.state;
      if (state === 'ok') retry.reset();
      const wait = state === 'ok' ? this.#o.rereadMs : state === 'absent' ? DEVICETREE_ABSENT_RECHECK_MS : retry.next();
      if (await this.#sleepUnlessWoken(wait)) continue; // woken: SIGHUP has read already
      if (!this.#abort.signal.aborted) this.rereadDevicetree();
    }
  }

  /** Sleeps `ms` (undefined: until woken); true when woken early. */
  async #sleepUnlessWoken(ms: number | undefined): Promise<boolean> {
    const woken = new AbortController();
    this.#wake = () => woken.abort();
    const signal = AbortSignal.any([this.#abort.signal, woken.signal]);
    if (ms === undefined) {
      if (!signal.aborted) await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
    } else await this.#o.sleep(ms, signal);
    this.#wake = undefined;
    return woken.signal.aborted;
  }

  /** Calls `tick` every `ms` until stopped. */
  async #every(ms: number, tick: () => void): Promise<void> {
    while (!this.#abort.signal.aborted) {
      await this.#o.sleep(ms, this.#abort.signal);
      if (!this.#abort.signal.aborted) tick();
    }
  }
}
