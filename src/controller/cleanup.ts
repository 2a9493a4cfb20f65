import type { CleanupFlags } from '../cli/cleanup-command.ts';
import { resolveNodeName } from '../cli/cluster-options.ts';
import type { CliIo } from '../cli/io.ts';
import { apiMessage, apiStatus } from '../kubernetes/api-errors.ts';
import { type ClusterClient, kubernetesClient } from '../kubernetes/cluster-client.ts';
import { loadKubeConfig } from '../kubernetes/kube-config.ts';
import { planLabelPatch } from '../node-labels/plan-patch.ts';

const CONFLICT_RETRIES = 5;

/** Removes owned labels (and the ownership record) from one node or all; returns the exit code. */
export async function cleanup(flags: CleanupFlags, io: CliIo): Promise<number> {
  const client = kubernetesClient(loadKubeConfig(flags.kubeconfig));
  const names = flags.allNodes ? await client.listNodeNames() : [resolveNodeName(flags)];
  let failed = 0;
  for (const name of names) {
    try {
      const removed = await cleanNode(client, name);
      io.out(`${name}: ${removed.length === 0 ? 'nothing to remove' : `removed ${removed.join(', ')}`}\n`);
    } catch (error) {
      failed++;
      io.error(`${name}: ${apiMessage(error)}`);
    }
  }
  return failed === 0 ? 0 : 1;
}

/** Plans "no labels wanted" against the node as it is and applies it, re-reading on 409 Conflict. */
export async function cleanNode(client: ClusterClient, name: string): Promise<string[]> {
  for (let attempt = 0; ; attempt++) {
    const node = await client.readNode(name);
    const meta = node.metadata ?? {};
    const plan = planLabelPatch({ name, resourceVersion: meta.resourceVersion, labels: meta.labels ?? {}, annotations: meta.annotations ?? {} }, {});
    if (plan.patch === undefined) return [];
    try {
      await client.patchNodeMetadata(name, plan.patch);
      return plan.removed;
    } catch (error) {
      if (apiStatus(error) !== 409 || attempt + 1 >= CONFLICT_RETRIES) throw error;
    }
  }
}
