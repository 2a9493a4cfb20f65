import { hostname } from 'node:os';
import { type Command, Option } from 'commander';

/** --node-name / --kubeconfig: which Node is "ours" and how to reach the API server. */
export function addClusterOptions(command: Command): Command {
  return command
    .addOption(new Option('--node-name <name>', 'the Node to label (default: $NODE_NAME, else the hostname)'))
    .addOption(new Option('--kubeconfig <file>', 'kubeconfig to use (default: in-cluster config, else $KUBECONFIG or ~/.kube/config)'));
}

export interface ClusterFlags {
  nodeName?: string;
  kubeconfig?: string;
}

export function resolveNodeName(flags: ClusterFlags): string {
  const fromEnv = process.env.NODE_NAME;
  return flags.nodeName ?? (fromEnv !== undefined && fromEnv !== '' ? fromEnv : hostname());
}
