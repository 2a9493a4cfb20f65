import { type Classified, classify } from '../errors.ts';
import { apiErrorCode, apiMessage, refusedBy } from '../kubernetes/api-errors.ts';
import { Backoff, type BackoffOptions, RETRY_POLICY, type RetryBackoff, type Sleep } from '../kubernetes/backoff.ts';
import { EpisodeLog } from '../observability/episodes.ts';
import type { Logger } from '../observability/logger.ts';
import type { ControllerMetrics } from '../observability/metrics.ts';
import { markStartup, startupTimeline } from '../observability/startup.ts';
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
  readonly #options: ControllerOptions;
  readonly #abort = new AbortController();
  #dirty = false;
  #fresh = false;
  #draining = false;
  #loop: Promise<void> = Promise.resolve();
  #reconciledOnce = false;
  /** Settled the first time `ready` turns true. */
  readonly #becameReady = Promise.withResolvers<void>();
  readonly #episodes: EpisodeLog;
  /** Ends the devicetree loop's current wait (SIGHUP re-read, or a failed read that needs a retry). */
  #wake: (() => void) | undefined;

  constructor(options: ControllerOptions) {
    this.#options = options;
    this.#episodes = new EpisodeLog(options.logger);
  }

  /**
   * Ready once the target has matched a readable devicetree, and on a machine that has no devicetree at
   * all (nothing to do is done), so a DaemonSet rollout does not stall on ACPI servers.
   */
  get ready(): boolean {
    const state = this.#options.desired.state;
    return state === 'absent' || (state === 'ok' && this.#reconciledOnce);
  }

  /** Resolves the first time `ready` turns true (never, if it never does). */
  whenReady(): Promise<void> {
    return this.#becameReady.promise;
  }

  #noteReady(): void {
    if (this.ready) this.#becameReady.resolve();
  }

  /** Runs until stop(): reads the devicetree, follows the target, reconciles. */
  async run(): Promise<void> {
    const { target, resyncMs } = this.#options;
    const signal = this.#abort.signal;
    const tasks: Promise<unknown>[] = [];
    if (target.watch !== undefined) {
      tasks.push(
        target.watch(
          () => this.requestReconcile(),
          (error) => this.#apiError(this.#watching, error),
          signal,
        ),
      );
      // The watch's first list is on its way before the devicetree is read: the API server works on the TLS
      // handshake and the list while this process parses (issue 18). One turn of the event loop sends it.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    this.#options.desired.read();
    this.#noteReady(); // a machine without a devicetree has nothing to do
    // A watched target reconciles when the watch first reports it (reconciling now would read it twice),
    // unless it reported before the devicetree was read: #drain kept that request.
    if (target.watch === undefined || this.#dirty) this.requestReconcile();
    tasks.push(this.#devicetreeLoop());
    if (resyncMs !== undefined) tasks.push(this.#every(resyncMs, () => this.requestReconcile({ readTarget: true })));
    await Promise.all(tasks);
    await this.#loop;
  }

  /**
   * Reconciles once and returns whether the target now matches (for --once): true also when the machine has
   * no devicetree (nothing to label). Leaves nothing running.
   */
  async runOnce(attempts: number): Promise<boolean> {
    try {
      this.#options.desired.read();
      if (this.#options.desired.state === 'absent') return true;
      const desired = this.#options.desired.current;
      if (desired === undefined) return false;
      for (let attempt = 1; attempt <= attempts && !this.#abort.signal.aborted; attempt++) {
        let delay: number | undefined;
        try {
          if (await this.#reconcile(desired, true)) return true;
          delay = this.#options.retry.waiting(); // the Node is not registered yet
        } catch (error) {
          delay = this.#options.retry.next(error);
          this.#failed(error);
          if (delay === undefined) return false; // terminal: another attempt would fail the same way
        }
        // Wait as an init container should: in seconds, not a refusal's five-minute backoff.
        if (attempt < attempts) await this.#options.sleep(Math.min(delay, RETRY_POLICY.transient.maxMs), this.#abort.signal);
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
    if (this.#options.desired.read()) this.requestReconcile();
    this.#noteReady();
    this.#wake?.();
  }

  /** Marks the state dirty; `readTarget` makes the next pass re-read the target instead of trusting a cache. */
  requestReconcile({ readTarget = false }: { readTarget?: boolean } = {}): void {
    this.#dirty = true;
    this.#fresh ||= readTarget;
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
        const desired = this.#options.desired.current;
        // Nothing to write yet (or ever): the request stays pending for the read that gives labels.
        if (desired === undefined || this.#options.desired.state === 'absent') return;
        this.#dirty = false;
        const fresh = this.#fresh;
        this.#fresh = false;
        try {
          if (await this.#reconcile(desired, fresh)) this.#options.retry.reset();
        } catch (error) {
          this.#failed(error);
          const delay = this.#options.retry.next(error);
          // A terminal failure waits for the next trigger (a devicetree change, the resync, SIGHUP).
          if (delay === undefined) continue;
          this.#dirty = true;
          await this.#options.sleep(delay, this.#abort.signal);
        }
      }
    } finally {
      this.#draining = false;
    }
  }

  /** One level-triggered pass. True when the target now matches the devicetree. */
  async #reconcile(desired: DesiredState, fresh: boolean): Promise<boolean> {
    const { target, metrics, logger } = this.#options;
    const outcome = await target.reconcile(desired, fresh);
    if (outcome === 'waiting') return false;
    metrics.reconciles.inc({ result: outcome.result });
    metrics.lastSuccess.set(Date.now() / 1000);
    metrics.labelsApplied.set(outcome.labels);
    if (!this.#reconciledOnce) {
      markStartup('ready');
      logger.info('node labelled; ready', { target: target.description, startupMs: startupTimeline() });
    }
    this.#reconciledOnce = true;
    this.#noteReady();
    // The API answers and the target is right again: whatever failed is over.
    this.#episodes.ok(this.#labelling);
    this.#episodes.ok(this.#watching);
    return true;
  }

  get #labelling(): string {
    return `labelling ${this.#options.target.description}`;
  }

  get #watching(): string {
    return `watching ${this.#options.target.description}`;
  }

  #failed(error: unknown): void {
    this.#options.metrics.reconciles.inc({ result: 'error' });
    this.#apiError(this.#labelling, error);
  }

  /**
   * Logs a failure once per episode (src/observability/episodes.ts), at a level its class gives: a refusal
   * or a terminal failure is an error someone must act on, a transient one a warning.
   */
  #apiError(doing: string, error: unknown): void {
    const code = apiErrorCode(error);
    if (code !== undefined) this.#options.metrics.apiErrors.inc({ code });
    const failure = classify(error);
    const status = failure.status === undefined ? {} : { status: failure.status };
    const signature = `${failure.code} ${refusedBy(error) ?? ''}`;
    if (failure.errorClass === 'transient') {
      this.#episodes.report(
        doing,
        'warn',
        `${doing} failed: ${apiMessage(error)}`,
        { code: failure.code, ...(code === undefined ? {} : { status: failure.status ?? 'no response' }) },
        signature,
      );
    } else if (failure.errorClass === 'refused') {
      this.#episodes.report(doing, 'error', `${doing} refused: ${apiMessage(error)} — ${this.#refusalHint(error, failure)}`, { code: failure.code, ...status }, signature);
    } else {
      const what = failure.code === 'UNEXPECTED' ? `${apiMessage(error)} (unexpected: please report it)` : apiMessage(error);
      this.#episodes.report(doing, 'error', `${doing} failed: ${what}; not retried until the devicetree changes or the next resync`, { code: failure.code, ...status }, signature);
      if (failure.code === 'UNEXPECTED' && error instanceof Error) this.#options.logger.debug(error.stack ?? String(error));
    }
  }

  #refusalHint(error: unknown, failure: Classified): string {
    switch (refusedBy(error)) {
      case 'admission policy':
        return "the chart's ValidatingAdmissionPolicy refused it: it lets the labeller change only its own labels on its own Node";
      case 'admission webhook':
        return 'an admission webhook refused it';
      case 'RBAC':
        return this.#options.target.permissionHint ?? 'a permission is missing';
      default:
        return failure.status === 401 ? 'the credentials were not accepted' : `retrying, less and less often, down to once every ${RETRY_POLICY.refused.maxMs / 60_000} minutes`;
    }
  }

  /**
   * Re-reads the devicetree every --reread-interval, and retries a failed read with backoff (a machine
   * without one is looked at again hourly). SIGHUP reads at once and restarts the wait.
   */
  async #devicetreeLoop(): Promise<void> {
    const retry = new Backoff(this.#options.devicetreeRetry ?? DEVICETREE_RETRY);
    while (!this.#abort.signal.aborted) {
      const state = this.#options.desired.state;
      if (state === 'ok') retry.reset();
      const wait = state === 'ok' ? this.#options.rereadMs : state === 'absent' ? DEVICETREE_ABSENT_RECHECK_MS : retry.next();
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
    } else await this.#options.sleep(ms, signal);
    this.#wake = undefined;
    return woken.signal.aborted;
  }

  /** Calls `tick` every `ms` until stopped. */
  async #every(ms: number, tick: () => void): Promise<void> {
    while (!this.#abort.signal.aborted) {
      await this.#options.sleep(ms, this.#abort.signal);
      if (!this.#abort.signal.aborted) tick();
    }
  }
}
