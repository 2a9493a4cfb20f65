import { Command, Option } from 'commander';
import { addClusterOptions, type ClusterFlags } from './cluster-options.ts';
import type { CliIo } from './io.ts';
import { addTargetOptions, type TargetFlags } from './target-options.ts';
import type { ExitCodeSink } from './program.ts';

export interface CleanupFlags extends ClusterFlags, TargetFlags {
  allNodes?: boolean;
}

/** `cleanup`: removes the labels the labeller owns (its ownership record says which), nothing else. */
export function cleanupCommand(io: CliIo, setExitCode: ExitCodeSink): Command {
  const command = new Command('cleanup').description('remove the labels this labeller set, from its node or from every node');
  addClusterOptions(command);
  command.addOption(new Option('--all-nodes', 'clean every Node in the cluster (for a Helm pre-delete hook)'));
  addTargetOptions(command, 'remove');
  return command.action(async (flags: CleanupFlags) => {
    const { cleanup } = await import('../controller/cleanup.ts');
    setExitCode(await cleanup(flags, io));
  });
}
