import type { CoreV1Event, KubeConfig, V1Node, V1NodeList } from '@kubernetes/client-node';
import type { LabelPatch } from '../patch/plan-patch.ts';
import { apiRequester, segment } from './api-request.ts';
import { type ListPage, namesInPages } from './list-pages.ts';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

/**
 * The namespace of Events about Nodes. A Node is cluster-scoped, and the API server accepts a core/v1 Event
 * about a cluster-scoped object (one without eventTime) only in "default" (pkg/apis/core/validation/
 * events.go, legacyValidateEvent): anywhere else it is 422 "involvedObject.namespace: does not match".
 */
export const NODE_EVENT_NAMESPACE = 'default';

/**
 * Everything the labeller asks of the API server. An interface so reconcile and watch logic can be tested
 * against fakes, and the real one against a fake server.
 */
export interface ClusterClient {
  /** The node (or undefined when it does not exist) and the list's resourceVersion to watch from. */
  listNode(name: string): Promise<{ node: V1Node | undefined; resourceVersion: string }>;
  readNode(name: string): Promise<V1Node>;
  /** Every Node's name, listed metadata-only in pages, as nfd-gc does, so memory does not grow with node size. */
  listNodeNames(): Promise<string[]>;
  patchNodeMetadata(name: string, patch: LabelPatch): Promise<V1Node>;
  /** Streams events for the one node from `resourceVersion`; resolves a stop function once connected. */
  watchNode(
    name: string,
    resourceVersion: string,
    timeoutSeconds: number,
    onEvent: (type: WatchEventType, object: unknown) => void,
    onDone: (error: unknown) => void,
  ): Promise<() => void>;
  /** Records an Event about a Node, in NODE_EVENT_NAMESPACE. */
  createNodeEvent(event: CoreV1Event): Promise<void>;
}

const byName = (name: string) => `metadata.name=${name}`;

/**
 * How long a watch may send nothing before it is given up as dead. A quiet node sends no events, and a watch
 * ended early resumes from an old resourceVersion — which, in a busy cluster, has often left the server's
 * history (410, then a relist): traffic that grows with cluster size (client-node's Watch gives up after
 * 30 s). The API server sends a BOOKMARK about once a minute on watches that ask for them, so this only
 * gives up on a really dead connection.
 */
export const WATCH_IDLE_TIMEOUT_MS = 120_000;

/**
 * Ask for PartialObjectMetadataList, and accept a full list from a server that cannot convert (one that
 * is not a kube-apiserver, such as KubeEdge's MetaServer): client-node reads the names from either.
 */
const METADATA_ONLY = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json';

export function kubernetesClient(config: KubeConfig, options: { watchIdleTimeoutMs?: number } = {}): ClusterClient {
  const api = apiRequester(config);
  const { request } = api;
  return {
    async listNode(name) {
      const list = await request<V1NodeList>('GET', '/api/v1/nodes', { query: { fieldSelector: byName(name) } });
      return { node: list.items[0], resourceVersion: list.metadata?.resourceVersion ?? '' };
    },
    readNode: (name) => request('GET', `/api/v1/nodes/${segment(name)}`),
    listNodeNames: () => namesInPages((paging) => request<ListPage>('GET', '/api/v1/nodes', { query: { ...paging }, accept: METADATA_ONLY })),
    patchNodeMetadata: (name, patch) =>
      request('PATCH', `/api/v1/nodes/${segment(name)}`, { query: { fieldManager: 'dt-node-labeller' }, body: patch, contentType: 'application/merge-patch+json' }),
    async watchNode(name, resourceVersion, timeoutSeconds, onEvent, onDone) {
      const query = { fieldSelector: byName(name), resourceVersion, allowWatchBookmarks: true, timeoutSeconds };
      return api.watch('/api/v1/nodes', query, options.watchIdleTimeoutMs ?? WATCH_IDLE_TIMEOUT_MS, (type, object) => onEvent(type as WatchEventType, object), onDone);
    },
    async createNodeEvent(event) {
      const body = { apiVersion: 'v1', kind: 'Event', ...event, metadata: { ...event.metadata, namespace: NODE_EVENT_NAMESPACE } };
      await request('POST', `/api/v1/namespaces/${NODE_EVENT_NAMESPACE}/events`, { body });
    },
  };
}
