import { ApiException, type KubeConfig } from '@kubernetes/client-node';
import { NODE_FEATURE_GROUP, NODE_FEATURE_PLURAL, NODE_FEATURE_VERSION, type NodeFeature } from '../nfd/node-feature.ts';
import { isUnservedPath, unlessNotFound } from './api-errors.ts';
import { apiRequester, segment } from './api-request.ts';
import { type ListPage, namesInPages } from './list-pages.ts';

/** NFD NodeFeature objects in one namespace (--publish-nodefeature, and cleanup of them). */
export interface NodeFeatureClient {
  /** Undefined when there is none. */
  getNodeFeature(namespace: string, name: string): Promise<NodeFeature | undefined>;
  createNodeFeature(namespace: string, object: NodeFeature): Promise<void>;
  /** A PUT carrying the object's resourceVersion, so a concurrent change is a 409, not lost. */
  replaceNodeFeature(namespace: string, object: NodeFeature): Promise<void>;
  /** False when there was none. */
  deleteNodeFeature(namespace: string, name: string): Promise<boolean>;
  /** Names of the objects in the namespace carrying `labelSelector` (ours: managed-by dt-node-labeller). */
  listNodeFeatureNames(namespace: string, labelSelector: string): Promise<string[]>;
}

/**
 * A real API server answers requests for a resource it does not serve with a plain "404 page not found": here
 * that means NFD's NodeFeature CRD is missing. Said so, in the Status message the error reports carry, the
 * error keeping its code so that retries and metrics treat it as the 404 it is.
 */
function namingMissingCrd(error: unknown): never {
  // Go's http.NotFound text, as kube-apiserver sends it; another web server's 404 page keeps the generic message.
  if (!isUnservedPath(error) || String((error as ApiException<unknown>).body).trim() !== '404 page not found') throw error;
  const { code, headers } = error as ApiException<unknown>;
  const message = `the API server does not serve ${NODE_FEATURE_PLURAL}.${NODE_FEATURE_GROUP}/${NODE_FEATURE_VERSION}: is node-feature-discovery (its CRDs) installed?`;
  throw new ApiException(code, message, { kind: 'Status', code, message }, headers);
}

export function nodeFeatureClient(config: KubeConfig): NodeFeatureClient {
  const { request } = apiRequester(config);
  const collection = (namespace: string) => `/apis/${NODE_FEATURE_GROUP}/${NODE_FEATURE_VERSION}/namespaces/${segment(namespace)}/${NODE_FEATURE_PLURAL}`;
  const object = (namespace: string, name: string) => `${collection(namespace)}/${segment(name)}`;
  const served = <T>(answer: Promise<T>): Promise<T> => answer.catch(namingMissingCrd);
  return {
    getNodeFeature: (namespace, name) => unlessNotFound(served(request<NodeFeature>('GET', object(namespace, name)))),
    async createNodeFeature(namespace, body) {
      await served(request('POST', collection(namespace), { body }));
    },
    async replaceNodeFeature(namespace, body) {
      await served(request('PUT', object(namespace, body.metadata.name), { body }));
    },
    listNodeFeatureNames: (namespace, labelSelector) => namesInPages((paging) => served(request<ListPage>('GET', collection(namespace), { query: { labelSelector, ...paging } }))),
    // The answer's body is not used, so an empty one still means deleted.
    deleteNodeFeature: async (namespace, name) => (await unlessNotFound(served(request('DELETE', object(namespace, name))).then(() => true))) ?? false,
  };
}
