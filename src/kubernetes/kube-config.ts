import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';

const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/**
 * Cluster access, most specific first: an explicit --kubeconfig, then the pod's service account when
 * running in a cluster, then KUBECONFIG / ~/.kube/config as kubectl would. Unlike client-node's
 * loadFromDefault, finding none of them is an error, not a silent http://localhost:8080.
 */
export function loadKubeConfig(kubeconfigPath: string | undefined): KubeConfig {
  const config = new KubeConfig();
  if (kubeconfigPath !== undefined) load(kubeconfigPath, () => config.loadFromFile(kubeconfigPath));
  else if (process.env.KUBERNETES_SERVICE_HOST !== undefined && existsSync(SERVICE_ACCOUNT_TOKEN)) config.loadFromCluster();
  else {
    const files = defaultKubeconfigFiles().filter((file) => existsSync(file));
    if (files.length === 0) throw new Error('no cluster access: not running in a pod, and no kubeconfig (use --kubeconfig, KUBECONFIG or ~/.kube/config)');
    load(files.join(delimiter), () => config.loadFromDefault()); // merges a KUBECONFIG list as kubectl does
  }
  if (config.getCurrentCluster() === null) throw new Error('the kubeconfig names no current cluster: set current-context');
  return config;
}

/** $KUBECONFIG's list of files when set, else ~/.kube/config. */
function defaultKubeconfigFiles(): string[] {
  const fromEnv = (process.env.KUBECONFIG ?? '').split(delimiter).filter((file) => file !== '');
  return fromEnv.length > 0 ? fromEnv : [join(homedir(), '.kube', 'config')];
}

function load(what: string, loader: () => void): void {
  try {
    loader();
  } catch (error) {
    throw new Error(`cannot load kubeconfig ${what}: ${error instanceof Error ? error.message : String(error)}`);
  }
}
