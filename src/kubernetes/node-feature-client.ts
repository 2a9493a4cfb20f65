import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { NODE_FEATURE_GROUP, NODE_FEATURE_PLURAL, NODE_FEATURE_VERSION, type NodeFeature } from '../nfd/node-feature.ts';
import { apiStatus } from './api-errors.ts';

/** NFD NodeFeature objects in one namespace (--publish-nodefeature, and cleanup of them). */
export interface NodeFeatureClient {
  /** Undefined when there is none. */
  getNodeFeature(namespace: string, name: string): Promise<NodeFeature | undefined>;
  createNodeFeature(namespace: string, object: NodeFeature): Promise<void>;
  /** A PUT carrying the object's resourceVersion, so a concurrent change is a 409, not lost. */
  replaceNodeFeature(namespace: string, object: NodeFeature): Promise<void>;
  /** False when there was none. */
  deleteNodeFeature(namespace: string, name: string): Promise<boolean>;
}

export function nodeFeatureClient(config: KubeConfig): NodeFeatureClient {
  const custom = config.makeApiClient(CustomObjectsApi);
  const nodeFeatures = { group: NODE_FEATURE_GROUP, version: NODE_FEATURE_VERSION, plural: NODE_FEATURE_PLURAL };
  return {
    async getNodeFeature(namespace, name) {
      try {
        return (await custom.getNamespacedCustomObject({ ...nodeFeatures, namespace, name })) as NodeFeature;
      } catch (error) {
        if (apiStatus(error) === 404) return undefined;
        throw error;
      }
    },
    async createNodeFeature(namespace, body) {
      await custom.createNamespacedCustomObject({ ...nodeFeatures, namespace, body });
    },
    async replaceNodeFeature(namespace, body) {
      await custom.replaceNamespacedCustomObject({ ...nodeFeatures, namespace, name: body.metadata.name, body });
    },
    async deleteNodeFeature(namespace, name) {
      try {
        await custom.deleteNamespacedCustomObject({ ...nodeFeatures, namespace, name });
        return true;
      } catch (error) {
        if (apiStatus(error) === 404) return false;
        throw error;
      }
    },
  };
}
