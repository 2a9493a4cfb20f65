import { rmSync } from 'node:fs';
import type { KubeConfig } from '@kubernetes/client-node';
import { apiMessage, unlessNotFound } from '../kubernetes/api-errors.ts';
import { type ClusterClient, kubernetesClient } from '../kubernetes/cluster-client.ts';
import { loadKubeConfig } from '../kubernetes/kube-config.ts';
import { nodeFeatureClient } from '../kubernetes/node-feature-client.ts';
import { retryOnConflict } from '../kubernetes/retry-on-conflict.ts';
import { MANAGED_BY_SELECTOR, nodeFeatureName } from '../nfd/node-feature.ts';
import type { Ownership } from '../patch/ownership.ts';
import { observedNode, planLabelPatch } from '../patch/plan-patch.ts';
import type { CleanupOptions } from './options.ts';

/** Where cleanup reports: one line per node on `out`, failures on `error`. */
export interface CleanupOutput {
  out(text: string): void;
  error(line: string): void;
}

/**
 * Undoes what `run` with the same flags publishes: the instance's owned labels (and ownership record) on
 * one node or all, its NodeFeature objects, or the feature file. Returns the exit code.
 */
export async function cleanup(options: CleanupOptions, output: CleanupOutput): Promise<number> {
  const { target } = options;
  if (target.kind === 'features-file') {
    rmSync(target.path, { force: true });
    output.out(`removed ${target.path}\n`);
    return 0;
  }
  const config = loadKubeConfig(options.cluster);
  const server = config.getCurrentCluster()?.server ?? '';
  try {
    return await cleanAll(options, config, output);
  } catch (error) {
    // Listing what to clean failed: nothing was touched. One line, naming the server.
    output.error(`cannot list what to clean up at ${server}: ${apiMessage(error)}`);
    return 1;
  }
}

async function cleanAll(options: CleanupOptions, config: KubeConfig, output: CleanupOutput): Promise<number> {
  const { target } = options;
  let work: Array<{ name: string; clean: () => Promise<string[]> }>;
  if (target.kind === 'node-feature') {
    const client = nodeFeatureClient(config);
    const deleteOne = (name: string) => async () => ((await client.deleteNodeFeature(target.namespace, name)) ? [`NodeFeature ${target.namespace}/${name}`] : []);
    // Every object we made, also those of Nodes deleted since: listing Nodes would miss them.
    work =
      options.nodes === 'all'
        ? (await client.listNodeFeatureNames(target.namespace, MANAGED_BY_SELECTOR)).map((name) => ({ name, clean: deleteOne(name) }))
        : [{ name: options.nodes.name, clean: deleteOne(nodeFeatureName(options.nodes.name)) }];
  } else {
    const client = kubernetesClient(config);
    const names = options.nodes === 'all' ? await client.listNodeNames() : [options.nodes.name];
    work = names.map((name) => ({ name, clean: () => cleanNode(client, name, options.ownership) }));
  }
  let failed = 0;
  for (const { name, clean } of work) {
    try {
      const removed = await clean();
      output.out(`${name}: ${removed.length === 0 ? 'nothing to remove' : `removed ${removed.join(', ')}`}\n`);
    } catch (error) {
      failed++;
      output.error(`${name}: ${apiMessage(error)}`);
    }
  }
  return failed === 0 ? 0 : 1;
}

/** Plans "no labels wanted" against the node as it is and applies it, re-reading on 409 Conflict. */
function cleanNode(client: ClusterClient, name: string, owner: Ownership): Promise<string[]> {
  return retryOnConflict(`node ${name}`, async () => {
    const node = await unlessNotFound(client.readNode(name));
    if (node === undefined) return [];
    const plan = planLabelPatch(observedNode(node.metadata), {}, { ownership: owner });
    if (plan.patch === undefined) return [];
    await client.patchNodeMetadata(name, plan.patch);
    return plan.removed;
  });
}
