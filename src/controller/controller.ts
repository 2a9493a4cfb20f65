import type { Discovery } from '../discover.ts';
import { apiMessage, apiStatus } from '../kubernetes/api-errors.ts';
import { Backoff, type BackoffOptions, type Sleep } from '../kubernetes/backoff.ts';
import { DesiredLabels } from './desired-labels.ts';
import type { LabelTarget } from '../targets/label-target.ts';
import type { Logger } from './logger.ts';
import type { ControllerMetrics } from './metrics.ts';

export interface ControllerOptions {
  /** Where the labels go: the node itself, an NFD feature file or an NFD NodeFeature object. */
  readonly target: LabelTarget;
  /** Reads the devicetree and computes the labels; throws when it cannot. */
  readonly discover: () => Discovery;
  readonly logger: Logger;
  readonly metrics: ControllerMetrics;
  readonly sleep: Sleep;
  readonly backoff: BackoffOptions;
  /** Full reconcile against a fresh read of the target this often; undefined: never. */
  readonly resyncMs: number | undefined;
  /** Re-read the devicetree this often (overlays applied at run time); undefined: only on SIGHUP. */
  readonly rereadMs: number | undefined;
}

/**
 * Keeps a target (by default its own Node's labels) equal to what the devicetree says. Level-triggered:
 * every trigger (a watch event, the resync timer, a devicetree re-read) only marks the state dirty, and one
 * loop at a time compares the target as it is with what is desired and writes the difference. Failures
 * back off; the loop runs until stop().
 */
export class Controller {
  readonly #o: ControllerOptions;
  readonly #abort = new AbortController();
  readonly #backoff: Backoff;
  readonly #desired: DesiredLabels;
  #dirty = false;
  #fresh = false;
  #loop: Promise<void> | undefined;
  #reconciledOnce = false;
  #forbiddenLogged = false;

  constructor(options: ControllerOptions) {
    this.#o = options;
    this.#backoff = new Backoff(options.backoff);
    this.#desired = new DesiredLabels(options.discover, options.logger, options.metrics);
  }

  /** Ready once the devicetree is readable and the target has matched it at least once. */
  get ready(): boolean {
    return this.#desired.ok && this.#reconciledOnce;
  }

  /** Runs until stop(): reads the devicetree, follows the target, reconciles. */
  async run(): Promise<void> {
    const { target, resyncMs, rereadMs } = this.#o;
    // A watched target reconciles when the watch first reports it; reconciling now would read it twice.
    if (target.watch === undefined) this.rereadDevicetree();
    else this.#desired.read();
    const signal = this.#abort.signal;
    const tasks: Promise<unknown>[] = [new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }))];
    if (target.watch !== undefined) {
      tasks.push(target.watch(() => this.requestReconcile(false), (error) => this.#apiError(`watching ${target.description}`, error), signal));
    }
    if (resyncMs !== undefined) tasks.push(this.#every(resyncMs, () => this.requestReconcile(true)));
    if (rereadMs !== undefined) tasks.push(this.#every(rereadMs, () => this.rereadDevicetree()));
    await Promise.all(tasks);
    await this.#loop;
  }

  /** Reconciles once and returns whether the target now matches (for --once). Leaves nothing running. */
  async runOnce(attempts: number): Promise<boolean> {
    try {
      const desired = this.#desired.read() ? this.#desired.labels : undefined;
      if (desired === undefined) return false;
      for (let attempt = 1; attempt <= attempts && !this.#abort.signal.aborted; attempt++) {
        try {
          if (await this.#reconcile(desired, true)) return true;
        } catch (error) {
          this.#failed(error);
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

  /** Reads the devicetree again (start, SIGHUP, --reread-interval) and reconciles. */
  rereadDevicetree(): void {
    if (this.#desired.read()) this.requestReconcile(false);
  }

  /** Marks the state dirty; `fresh` makes the next pass re-read the target instead of trusting a cache. */
  requestReconcile(fresh: boolean): void {
    this.#dirty = true;
    this.#fresh ||= fresh;
    this.#loop ??= this.#drain().finally(() => (this.#loop = undefined));
  }

  async #drain(): Promise<void> {
    while (this.#dirty && !this.#abort.signal.aborted) {
      this.#dirty = false;
      const fresh = this.#fresh;
      this.#fresh = false;
      const desired = this.#desired.labels;
      if (desired === undefined) return;
      try {
        if (await this.#reconcile(desired, fresh)) this.#backoff.reset();
      } catch (error) {
        this.#failed(error);
        this.#dirty = true;
        this.#fresh = true;
        await this.#o.sleep(this.#backoff.next(), this.#abort.signal);
      }
    }
  }

  /** One level-triggered pass. True when the target now matches the devicetree. */
  async #reconcile(desired: Readonly<Record<string, string>>, fresh: boolean): Promise<boolean> {
    const { target, metrics, logger } = this.#o;
    const outcome = await target.reconcile(desired, fresh);
    if (outcome === 'waiting') return false;
    metrics.reconciles.inc({ result: outcome.result });
    metrics.lastSuccess.set(Date.now() / 1000);
    metrics.labelsApplied.set(outcome.labels);
    if (!this.#reconciledOnce) logger.info('node labelled; ready', { target: target.description });
    this.#reconciledOnce = true;
    this.#forbiddenLogged = false;
    return true;
  }

  #failed(error: unknown): void {
    this.#o.metrics.reconciles.inc({ result: 'error' });
    this.#apiError(`labelling ${this.#o.target.description}`, error);
  }

  #apiError(doing: string, error: unknown): void {
    const status = apiStatus(error);
    // A file target's I/O errors (they name a syscall) are not API errors.
    if ((error as { syscall?: unknown } | null)?.syscall === undefined) this.#o.metrics.apiErrors.inc({ code: status === undefined ? 'none' : String(status) });
    if (status === 403) {
      if (!this.#forbiddenLogged) this.#o.logger.error(`permission denied ${doing}: ${apiMessage(error)} — ${this.#o.target.permissionHint}`);
      this.#forbiddenLogged = true;
      return;
    }
    this.#o.logger.warn(`${doing} failed: ${apiMessage(error)}`, { status: status ?? 'no response' });
  }

  /** Calls `tick` every `ms` until stopped. */
  async #every(ms: number, tick: () => void): Promise<void> {
    while (!this.#abort.signal.aborted) {
      await this.#o.sleep(ms, this.#abort.signal);
      if (!this.#abort.signal.aborted) tick();
    }
  }
}
