import { CoreV1Api, type CoreV1Event, type KubeConfig, PatchStrategy, type V1Node, Watch, setHeaderOptions } from '@kubernetes/client-node';
import type { LabelPatch } from '../node-labels/plan-patch.ts';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

/**
 * Everything the controller asks of the API server, for one Node only. An interface so reconcile and
 * watch logic can be tested against fakes, and the real one against a fake server.
 */
export interface ClusterClient {
  /** The node (or undefined when it does not exist) and the list's resourceVersion to watch from. */
  listNode(name: string): Promise<{ node: V1Node | undefined; resourceVersion: string }>;
  readNode(name: string): Promise<V1Node>;
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
  createEvent(namespace: string, event: CoreV1Event): Promise<void>;
}

const byName = (name: string) => `metadata.name=${name}`;

export function kubernetesClient(config: KubeConfig): ClusterClient {
  const core = config.makeApiClient(CoreV1Api);
  const watch = new Watch(config);
  return {
    async listNode(name) {
      const list = await core.listNode({ fieldSelector: byName(name) });
      return { node: list.items[0], resourceVersion: list.metadata?.resourceVersion ?? '' };
    },
    readNode: (name) => core.readNode({ name }),
    async listNodeNames() {
      const list = await core.listNode();
      return list.items.map((node) => node.metadata?.name ?? '').filter((name) => name !== '');
    },
    patchNodeMetadata: (name, patch) =>
      core.patchNode({ name, body: patch, fieldManager: 'dt-node-labeller' }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch)),
    async watchNode(name, resourceVersion, timeoutSeconds, onEvent, onDone) {
      const query = { fieldSelector: byName(name), resourceVersion, allowWatchBookmarks: true, timeoutSeconds };
      const controller = await watch.watch('/api/v1/nodes', query, (type, object) => onEvent(type as WatchEventType, object), onDone);
      return () => controller.abort();
    },
    async createEvent(namespace, event) {
      await core.createNamespacedEvent({ namespace, body: event });
    },
  };
}
