import type { Logger } from '../controller/logger.ts';
import type { ControllerMetrics } from '../controller/metrics.ts';
import { CONFLICT_RETRIES, apiStatus } from '../kubernetes/api-errors.ts';
import type { NodeFeatureClient } from '../kubernetes/node-feature-client.ts';
import { desiredNodeFeature, nodeFeatureName, updatedNodeFeature } from '../nfd/node-feature.ts';
import type { LabelTarget, ReconcileOutcome } from './label-target.ts';

/**
 * --publish-nodefeature: the labels go into this node's NodeFeature object and nfd-master applies them. The
 * object is ours alone; it is created when missing and replaced (guarded by resourceVersion) when its
 * labels differ. Drift is repaired at each resync.
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

  async reconcile(desired: Readonly<Record<string, string>>): Promise<ReconcileOutcome> {
    const wanted = desiredNodeFeature(this.#nodeName, this.#namespace, desired);
    const labels = Object.keys(desired).length;
    for (let attempt = 0; attempt < CONFLICT_RETRIES; attempt++) {
      const stored = await this.#client.getNodeFeature(this.#namespace, wanted.metadata.name);
      try {
        if (stored === undefined) {
          await this.#client.createNodeFeature(this.#namespace, wanted);
        } else {
          const updated = updatedNodeFeature(stored, wanted);
          if (updated === undefined) return { result: 'unchanged', labels };
          await this.#client.replaceNodeFeature(this.#namespace, updated);
        }
      } catch (error) {
        const status = apiStatus(error);
        if (status !== 409) throw error; // 409: changed (or created) meanwhile: read it again
        this.#metrics.reconciles.inc({ result: 'conflict' });
        continue;
      }
      this.#logger.info(`${stored === undefined ? 'created' : 'updated'} ${this.description}`, { labels: Object.keys(desired) });
      return { result: 'applied', labels };
    }
    throw new Error(`${this.description} kept changing: ${CONFLICT_RETRIES} writes in a row met 409 Conflict`);
  }
}
