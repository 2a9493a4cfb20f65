import { rmSync } from 'node:fs';
import type { CleanupFlags } from '../cli/cleanup-command.ts';
import { resolveNodeName } from '../cli/cluster-options.ts';
import type { CliIo } from '../cli/io.ts';
import { CONFLICT_RETRIES, apiMessage, apiStatus } from '../kubernetes/api-errors.ts';
import { type ClusterClient, kubernetesClient } from '../kubernetes/cluster-client.ts';
import { loadKubeConfig } from '../kubernetes/kube-config.ts';
import { nodeFeatureClient } from '../kubernetes/node-feature-client.ts';
import { nodeFeatureName } from '../nfd/node-feature.ts';
import { observedNode, planLabelPatch } from '../node-labels/plan-patch.ts';

/**
 * Undoes what `run` with the same flags publishes: the owned labels (and ownership record) on one node or
 * all, their NodeFeature objects, or the feature file. Returns the exit code.
 */
export async function cleanup(flags: CleanupFlags, io: CliIo): Promise<number> {
  if (flags.nfdFeaturesFile !== undefined) {
    rmSync(flags.nfdFeaturesFile, { force: true });
    io.out(`removed ${flags.nfdFeaturesFile}\n`);
    return 0;
  }
  const config = loadKubeConfig(flags.kubeconfig);
  const client = kubernetesClient(config);
  const names = flags.allNodes ? await client.listNodeNames() : [resolveNodeName(flags)];
  const clean = flags.publishNodefeature ? nodeFeatureCleaner(config, flags.nodefeatureNamespace) : (name: string) => cleanNode(client, name);
  let failed = 0;
  for (const name of names) {
    try {
      const removed = await clean(name);
      io.out(`${name}: ${removed.length === 0 ? 'nothing to remove' : `removed ${removed.join(', ')}`}\n`);
    } catch (error) {
      failed++;
      io.error(`${name}: ${apiMessage(error)}`);
    }
  }
  return failed === 0 ? 0 : 1;
}

function nodeFeatureCleaner(config: ReturnType<typeof loadKubeConfig>, namespace: string): (node: string) => Promise<string[]> {
  const client = nodeFeatureClient(config);
  return async (node) => {
    const name = nodeFeatureName(node);
    return (await client.deleteNodeFeature(namespace, name)) ? [`NodeFeature ${namespace}/${name}`] : [];
  };
}

/** Plans "no labels wanted" against the node as it is and applies it, re-reading on 409 Conflict. */
export async function cleanNode(client: ClusterClient, name: string): Promise<string[]> {
  for (let attempt = 0; ; attempt++) {
    const node = await client.readNode(name);
    const plan = planLabelPatch(observedNode(node.metadata), {});
    if (plan.patch === undefined) return [];
    try {
      await client.patchNodeMetadata(name, plan.patch);
      return plan.removed;
    } catch (error) {
      if (apiStatus(error) !== 409 || attempt + 1 >= CONFLICT_RETRIES) throw error;
    }
  }
}
