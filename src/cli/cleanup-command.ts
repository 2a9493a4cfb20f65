import { Command, Option } from 'commander';
import type { CleanupOptions } from '../app/options.ts';
import { addClusterOptions, type ClusterFlags, clusterAccess, resolveNodeName } from './cluster-options.ts';
import type { CliIo } from './io.ts';
import { addInstanceOption, type InstanceFlags, labelOwnership } from './ownership-options.ts';
import type { ExitCodeSink } from './program.ts';
import { addTargetOptions, type TargetFlags, targetOptions } from './target-options.ts';
import { addPrefixOptions, type LabelFlags } from './tree-options.ts';

interface CleanupFlags extends ClusterFlags, TargetFlags, InstanceFlags, Pick<LabelFlags, 'prefix' | 'tegraPrefix'> {
  allNodes?: boolean;
}

/** `cleanup`: removes the labels a labeller instance owns (its ownership record says which), nothing else. */
export function cleanupCommand(io: CliIo, setExitCode: ExitCodeSink): Command {
  const command = new Command('cleanup').description('remove the labels a labeller instance set, from this node or from every node');
  addClusterOptions(command, 'the Node to clean').addOption(new Option('--all-nodes', 'clean every Node in the cluster (for a Helm pre-delete hook)').conflicts('nodeName'));
  addPrefixOptions(command, ' of the instance to clean up');
  addInstanceOption(command);
  addTargetOptions(command, 'remove');
  return command.action(async (flags: CleanupFlags) => {
    const options: CleanupOptions = {
      nodes: flags.allNodes === true ? 'all' : { name: resolveNodeName(flags) },
      cluster: clusterAccess(flags),
      target: targetOptions(flags),
      ownership: labelOwnership({ ...flags, tegraFacts: true }),
    };
    const { cleanup } = await import('../app/cleanup.ts');
    setExitCode(await cleanup(options, io));
  });
}
