import type { Discovery } from '../discover.ts';
import { VERSION } from '../version.ts';
import type { Logger } from './logger.ts';
import type { ControllerMetrics } from './metrics.ts';

/**
 * The labels the devicetree says the node should have, re-read on demand. Shared by every way of
 * publishing them (node labels, NFD feature file, NodeFeature object), so parsing, its metrics and its
 * logs behave the same in each mode.
 */
export class DesiredLabels {
  readonly #discover: () => Discovery;
  readonly #logger: Logger;
  readonly #metrics: ControllerMetrics;
  #labels: Readonly<Record<string, string>> | undefined;
  #ok = false;

  constructor(discover: () => Discovery, logger: Logger, metrics: ControllerMetrics) {
    this.#discover = discover;
    this.#logger = logger;
    this.#metrics = metrics;
  }

  /** The last labels read; undefined until a read succeeded. Kept when a later read fails. */
  get labels(): Readonly<Record<string, string>> | undefined {
    return this.#labels;
  }

  /** Whether the last read succeeded. */
  get ok(): boolean {
    return this.#ok;
  }

  /** Reads the devicetree; false (and the error logged and exported) when it cannot. */
  read(): boolean {
    const end = this.#metrics.parseDuration.startTimer();
    try {
      const discovery = this.#discover();
      end();
      for (const skip of discovery.skipped) this.#logger.warn('compatible skipped', { compatible: skip.compatible, devicetreeNode: skip.node, reason: skip.reason });
      const model = discovery.tree.root.property('model')?.asString() ?? '';
      this.#metrics.setInfo(VERSION, discovery.tree.source.path, model);
      this.#metrics.devicetreeError.set(0);
      if (!this.#ok || JSON.stringify(discovery.labels) !== JSON.stringify(this.#labels)) {
        this.#logger.info('devicetree read', { source: discovery.tree.source.path, model, labels: Object.keys(discovery.labels).length });
      }
      this.#ok = true;
      this.#labels = discovery.labels;
      return true;
    } catch (error) {
      // Keep the labels already published: an unreadable tree says nothing about the hardware changing.
      this.#ok = false;
      this.#metrics.devicetreeError.set(1);
      this.#logger.error(`cannot read the devicetree: ${error instanceof Error ? error.message : String(error)}`);
      return false;
    }
  }
}
