import { hostname } from 'node:os';
import { type Command, Option } from 'commander';
import type { ClusterAccess } from '../app/options.ts';
import { isValidDnsSubdomain } from '../labels/kubernetes-names.ts';
import { accepting, nonEmpty } from './arg-parsers.ts';
import { UsageError } from './usage-error.ts';

/** --node-name / --kubeconfig: which Node is "ours" and how to reach the API server. */
export function addClusterOptions(command: Command, nodeNameHelp: string): Command {
  return command
    .addOption(new Option('--node-name <name>', `${nodeNameHelp} (default: $NODE_NAME, else the hostname)`).argParser(parseNodeName))
    .addOption(new Option('--kubeconfig <file>', 'kubeconfig to use (default: in-cluster config, else $KUBECONFIG or ~/.kube/config)').argParser(nonEmpty))
    .addOption(
      new Option(
        '--api-server <url>',
        "the API server's URL, replacing the kubeconfig's (e.g. KubeEdge's MetaServer, http://127.0.0.1:10550; plain HTTP only to loopback)",
      ).argParser(nonEmpty),
    );
}

export interface ClusterFlags {
  nodeName?: string;
  kubeconfig?: string;
  apiServer?: string;
}

export function clusterAccess(flags: ClusterFlags): ClusterAccess {
  return { kubeconfig: flags.kubeconfig, apiServer: flags.apiServer };
}

/** A Node name is a DNS subdomain (apimachinery's ValidateNodeName); anything else can never be registered. */
const parseNodeName = accepting(isValidDnsSubdomain, 'a Node name is a DNS subdomain: lower-case letters, digits, "-" and ".", at most 253 characters');

/** --node-name, else $NODE_NAME (the chart sets it from spec.nodeName), else the hostname as the kubelet registers it. */
export function resolveNodeName(flags: ClusterFlags): string {
  if (flags.nodeName !== undefined) return flags.nodeName;
  const fromEnv = process.env.NODE_NAME;
  const name = fromEnv !== undefined && fromEnv !== '' ? fromEnv : hostname().toLowerCase();
  if (!isValidDnsSubdomain(name)) throw new UsageError(`${JSON.stringify(name)} (from ${fromEnv ? '$NODE_NAME' : 'the hostname'}) is not a valid Node name: pass --node-name`);
  return name;
}
