import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** The controller's Prometheus series, named `dt_node_labeller_<noun>_<unit|total>`, on a registry of its own. */
export class ControllerMetrics {
  readonly registry = new Registry();
  readonly labelsApplied = new Gauge({
    name: 'dt_node_labeller_labels',
    help: "Labels the target holds as this labeller set them: the devicetree's, less keys left to other writers",
    registers: [this.registry],
  });
  readonly labelConflicts = new Gauge({
    name: 'dt_node_labeller_label_conflicts',
    help: 'Labels the devicetree yields that someone else already set on the node (left alone)',
    registers: [this.registry],
  });
  readonly contestedLabels = new Gauge({
    name: 'dt_node_labeller_contested_labels',
    help: 'Labels given up to another writer that kept changing them back after each repair (no longer owned or repaired)',
    registers: [this.registry],
  });
  readonly reconciles = new Counter({
    name: 'dt_node_labeller_reconciles_total',
    help: 'Reconcile attempts by result',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  readonly apiErrors = new Counter({
    name: 'dt_node_labeller_api_errors_total',
    help: 'Failed Kubernetes API calls by HTTP status code ("none" when the request got no answer)',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });
  readonly lastSuccess = new Gauge({
    name: 'dt_node_labeller_last_successful_reconcile_timestamp_seconds',
    help: 'Unix time of the last reconcile that left the node as desired',
    registers: [this.registry],
  });
  readonly parseDuration = new Histogram({
    name: 'dt_node_labeller_devicetree_parse_duration_seconds',
    help: 'Time to read and parse the devicetree and compute labels',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [this.registry],
  });
  readonly devicetreeError = new Gauge({
    name: 'dt_node_labeller_devicetree_error',
    help: '1 while the devicetree cannot be read or parsed, else 0',
    registers: [this.registry],
  });
  readonly devicetreePresent = new Gauge({
    name: 'dt_node_labeller_devicetree_present',
    help: '0 when this machine has no devicetree at all (an ACPI or x86 machine: nothing to label), else 1',
    registers: [this.registry],
  });
  readonly info = new Gauge({
    name: 'dt_node_labeller_info',
    help: 'Build and devicetree facts; always 1 (source and model empty until a devicetree was read)',
    labelNames: ['version', 'source', 'model'] as const,
    registers: [this.registry],
  });

  constructor() {
    for (const result of ['applied', 'unchanged', 'conflict', 'error'] as const) this.reconciles.inc({ result }, 0);
    this.devicetreePresent.set(1);
  }

  /**
   * prom-client's process and Node.js series (CPU, memory, event-loop lag, GC), from now on. Called once the
   * status port is about to be served rather than at construction: setting them up loads node:v8 and starts
   * a GC observer and an event-loop monitor, work that would otherwise delay the first labels (issue 18).
   * Nothing is lost: they are read when scraped, and no scrape comes before the port is bound.
   */
  collectProcessMetrics(): void {
    // Event-loop lag sampled once a second, not every 10 ms: an idle labeller should stay asleep.
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 1000 });
  }

  /** The info series from the start, so it exists even when the devicetree is never read. */
  initInfo(version: string): void {
    this.setInfo(version, '', '');
  }

  setInfo(version: string, source: string, model: string): void {
    this.info.reset();
    this.info.set({ version, source, model }, 1);
  }
}
