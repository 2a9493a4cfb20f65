import { existsSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';

const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/**
 * Cluster access, most specific first: an explicit --kubeconfig, then the pod's service account when
 * running in a cluster, then KUBECONFIG / ~/.kube/config as kubectl would.
 */
export function loadKubeConfig(kubeconfigPath: string | undefined): KubeConfig {
  const config = new KubeConfig();
  if (kubeconfigPath !== undefined) config.loadFromFile(kubeconfigPath);
  else if (process.env.KUBERNETES_SERVICE_HOST !== undefined && existsSync(SERVICE_ACCOUNT_TOKEN)) config.loadFromCluster();
  else config.loadFromDefault();
  if (config.getCurrentCluster() === null) throw new Error('no cluster configured: use --kubeconfig, KUBECONFIG or run in a pod');
  return config;
}
