import { isDeepStrictEqual } from 'node:util';
import { isNoDevicetree } from '../devicetree/errors.ts';
import type { Discovery } from '../discover.ts';
import { discoveryWarnings } from '../discover-warnings.ts';
import { EpisodeLog } from '../observability/episodes.ts';
import type { Logger } from '../observability/logger.ts';
import type { ControllerMetrics } from '../observability/metrics.ts';
import { markStartup } from '../observability/startup.ts';
import type { DesiredState } from '../targets/label-target.ts';
import { VERSION } from '../version.ts';

/**
 * What the last devicetree read gave: labels (`ok`), nothing because this machine has no devicetree at all
 * (`absent`: an ACPI server; there is nothing to label, and that is not a fault), or an `error` (unreadable,
 * corrupt, or no root compatible), which keeps the labels already published.
 */
export type DevicetreeState = 'ok' | 'absent' | 'error';

/**
 * The labels the devicetree says the node should have, re-read on demand. Shared by every way of
 * publishing them (node labels, NFD feature file, NodeFeature object), so parsing, its metrics and its
 * logs behave the same in each mode.
 */
export class DesiredLabels {
  readonly #discover: () => Discovery;
  readonly #logger: Logger;
  readonly #metrics: ControllerMetrics;
  #current: DesiredState | undefined;
  #state: DevicetreeState | undefined;
  /** What was last warned about the tree (skipped compatibles, unmatched names): said again only when it changes. */
  #lastWarnings: string | undefined;
  readonly #episodes: EpisodeLog;

  constructor(discover: () => Discovery, logger: Logger, metrics: ControllerMetrics) {
    this.#discover = discover;
    this.#logger = logger;
    this.#metrics = metrics;
    this.#episodes = new EpisodeLog(logger);
  }

  /**
   * The last labels and (when the discovery computes them) NFD features read; undefined until a read
   * succeeded. Kept when a later read fails.
   */
  get current(): DesiredState | undefined {
    return this.#current;
  }

  /** The outcome of the last read; undefined before the first. */
  get state(): DevicetreeState | undefined {
    return this.#state;
  }

  /** Reads the devicetree; returns true when the labels or features it gives differ from the last ones. */
  read(): boolean {
    const end = this.#metrics.parseDuration.startTimer();
    let discovery: Discovery;
    try {
      discovery = this.#discover();
    } catch (error) {
      end();
      this.#failed(error);
      return false;
    }
    end();
    markStartup('treeRead');
    const warnings = discoveryWarnings(discovery);
    const said = warnings.join('\n');
    if (said !== this.#lastWarnings) {
      for (const skip of discovery.skipped) this.#logger.warn('compatible skipped', { compatible: skip.compatible, devicetreeNode: skip.node, reason: skip.reason });
      for (const line of warnings) this.#logger.warn(line);
    }
    this.#lastWarnings = said;
    const model = discovery.tree.root.property('model')?.asString() ?? '';
    this.#metrics.setInfo(VERSION, discovery.tree.source.path, model);
    this.#metrics.devicetreeError.set(0);
    this.#metrics.devicetreePresent.set(1);
    const features = discovery.features?.features;
    // Features can change while labels do not (an overlay enabling a node no label rule selects).
    const changed = JSON.stringify(discovery.labels) !== JSON.stringify(this.#current?.labels) || !isDeepStrictEqual(features, this.#current?.features);
    if (changed || this.#state !== 'ok') {
      this.#logger.info('devicetree read', { source: discovery.tree.source.path, model, labels: Object.keys(discovery.labels).length });
    }
    this.#state = 'ok';
    this.#episodes.ok('devicetree');
    this.#current = { labels: discovery.labels, features };
    return changed;
  }

  #failed(error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    // Keep the labels already published: an unreadable tree says nothing about the hardware changing.
    if (isNoDevicetree(error)) {
      this.#episodes.report(
        'devicetree',
        'info',
        `this machine has no devicetree, so there is nothing to label; its labels are left as they are (${message})`,
        undefined,
        'absent',
      );
      this.#state = 'absent';
      this.#metrics.devicetreePresent.set(0);
      this.#metrics.devicetreeError.set(0);
      return;
    }
    // The same error again on a retry is logged at debug: a broken tree on one node must not flood the logs.
    this.#episodes.report('devicetree', 'error', `cannot read the devicetree: ${message}`);
    this.#state = 'error';
    this.#metrics.devicetreePresent.set(1);
    this.#metrics.devicetreeError.set(1);
  }
}
