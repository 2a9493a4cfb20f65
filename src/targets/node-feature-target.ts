import type { NodeFeatureClient } from '../kubernetes/node-feature-client.ts';
import { retryOnConflict } from '../kubernetes/retry-on-conflict.ts';
import { desiredNodeFeature, nodeFeatureName, updatedNodeFeature } from '../nfd/node-feature.ts';
import type { Logger } from '../observability/logger.ts';
import type { ControllerMetrics } from '../observability/metrics.ts';
import type { DesiredState, LabelTarget, ReconcileOutcome } from './label-target.ts';

/**
 * --publish-nodefeature: the labels go into this node's NodeFeature object and nfd-master applies them; the
 * devicetree's features go beside them for users' NodeFeatureRules. The object is ours alone; it is created
 * when missing and replaced (guarded by resourceVersion) when its labels or features differ. Drift is
 * repaired at each resync.
 */
export class NodeFeatureTarget implements LabelTarget {
  readonly description: string;
  readonly permissionHint: string;
  readonly #client: NodeFeatureClient;
  readonly #nodeName: string;
  readonly #namespace: string;
  readonly #logger: Logger;
  readonly #metrics: ControllerMetrics;

  constructor(options: { client: NodeFeatureClient; nodeName: string; namespace: string; logger: Logger; metrics: ControllerMetrics }) {
    this.#client = options.client;
    this.#nodeName = options.nodeName;
    this.#namespace = options.namespace;
    this.#logger = options.logger;
    this.#metrics = options.metrics;
    this.description = `NodeFeature ${options.namespace}/${nodeFeatureName(options.nodeName)}`;
    this.permissionHint = `the service account needs get, create and update on nodefeatures.nfd.k8s-sigs.io in namespace ${options.namespace}`;
  }

  reconcile(desired: DesiredState): Promise<ReconcileOutcome> {
    const wanted = desiredNodeFeature(this.#nodeName, this.#namespace, desired.labels, desired.features);
    const labels = Object.keys(desired.labels).length;
    return retryOnConflict(
      this.description,
      async () => {
        const stored = await this.#client.getNodeFeature(this.#namespace, wanted.metadata.name);
        if (stored === undefined) {
          await this.#client.createNodeFeature(this.#namespace, wanted); // 409: created meanwhile, read it again
        } else {
          const updated = updatedNodeFeature(stored, wanted);
          if (updated === undefined) return { result: 'unchanged', labels };
          await this.#client.replaceNodeFeature(this.#namespace, updated);
        }
        this.#logger.info(`${stored === undefined ? 'created' : 'updated'} ${this.description}`, { labels: Object.keys(desired.labels) });
        return { result: 'applied', labels };
      },
      () => this.#metrics.reconciles.inc({ result: 'conflict' }),
    );
  }
}
