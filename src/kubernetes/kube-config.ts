import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { fsErrorText } from '../errors.ts';
import { KubeConfigError } from './kube-config-error.ts';

const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/** How to reach the API server (or, on a KubeEdge edge node, edgecore's MetaServer). */
export interface ClusterAccess {
  /** An explicit kubeconfig file. */
  readonly kubeconfig?: string | undefined;
  /** An explicit server URL (kubectl's --server): replaces the kubeconfig's, or stands alone with no credentials. */
  readonly apiServer?: string | undefined;
}

/**
 * Cluster access, most specific first: an explicit --kubeconfig, then the pod's service account when
 * running in a cluster, then KUBECONFIG / ~/.kube/config as kubectl would; --api-server alone is a server
 * with no credentials (KubeEdge's MetaServer on 127.0.0.1:10550 without requireAuthorization). Unlike
 * client-node's loadFromDefault, finding none of them is an error, not a silent http://localhost:8080.
 */
export function loadKubeConfig(access: ClusterAccess): KubeConfig {
  const config = new KubeConfig();
  if (access.kubeconfig !== undefined) loadFile(config, access.kubeconfig);
  else if (process.env.KUBERNETES_SERVICE_HOST !== undefined && existsSync(SERVICE_ACCOUNT_TOKEN)) config.loadFromCluster();
  else if (access.apiServer !== undefined) config.loadFromClusterAndUser({ name: 'api-server', server: access.apiServer, skipTLSVerify: false }, { name: 'none' });
  else {
    const files = defaultKubeconfigFiles();
    const existing = files.filter((file) => existsSync(file));
    if (existing.length === 0) {
      const named = process.env.KUBECONFIG !== undefined && process.env.KUBECONFIG !== '';
      throw new KubeConfigError(
        named
          ? `KUBECONFIG names ${files.join(delimiter)}, which does not exist`
          : 'no cluster access: not running in a pod, and no kubeconfig (use --kubeconfig, KUBECONFIG or ~/.kube/config)',
      );
    }
    loadFile(config, existing.join(delimiter), () => config.loadFromDefault()); // merges a KUBECONFIG list as kubectl does
  }
  const cluster = config.getCurrentCluster();
  if (cluster === null) throw new KubeConfigError('the kubeconfig names no current cluster: set current-context');
  const server = access.apiServer ?? cluster.server;
  return withServer(config, server);
}

/**
 * The config with `server` as its cluster's address, checked: https as it is; plain http only to a loopback
 * address (edgecore's MetaServer listens there), and then without credentials, as kubectl sends none over
 * plain HTTP. client-node refuses http:// unless the cluster says insecure-skip-tls-verify, which means
 * nothing without TLS, so it is set for that case alone.
 */
function withServer(config: KubeConfig, server: string): KubeConfig {
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new KubeConfigError(`${JSON.stringify(server)} is not an API server URL (https://host:port, or http://127.0.0.1:port for a local MetaServer)`);
  }
  const cluster = config.getCurrentCluster()!;
  if (url.protocol === 'https:') {
    if (server === cluster.server) return config;
    return rebuilt({ ...cluster, server }, config.getCurrentUser() ?? { name: 'none' });
  }
  if (url.protocol !== 'http:') throw new KubeConfigError(`${server}: the API server URL must be https:// (or http:// to a loopback address)`);
  if (!isLoopback(url.hostname)) {
    throw new KubeConfigError(`${server}: plain HTTP is refused except to a loopback address (a node-local MetaServer); use https:// for ${url.hostname}`);
  }
  return rebuilt({ ...cluster, server, skipTLSVerify: true }, { name: 'none' });
}

function rebuilt(cluster: NonNullable<ReturnType<KubeConfig['getCurrentCluster']>>, user: NonNullable<ReturnType<KubeConfig['getCurrentUser']>>): KubeConfig {
  const next = new KubeConfig();
  next.loadFromClusterAndUser(cluster, user);
  return next;
}

/** 127.0.0.0/8, ::1 and localhost: addresses that never leave the machine. */
export function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** $KUBECONFIG's list of files when set, else ~/.kube/config. */
function defaultKubeconfigFiles(): string[] {
  const fromEnv = (process.env.KUBECONFIG ?? '').split(delimiter).filter((file) => file !== '');
  return fromEnv.length > 0 ? fromEnv : [join(homedir(), '.kube', 'config')];
}

/** Loads a kubeconfig; any failure is one line naming the file (client-node's YAML errors are several). */
function loadFile(config: KubeConfig, file: string, loader: () => void = () => config.loadFromFile(file)): void {
  try {
    loader();
  } catch (error) {
    // A file-system failure says what it was; anything else is client-node failing to parse it.
    const why =
      typeof (error as NodeJS.ErrnoException).code === 'string' ? fsErrorText(error) : `not a kubeconfig (${firstLine(error instanceof Error ? error.message : String(error))})`;
    throw new KubeConfigError(`cannot load kubeconfig ${file}: ${why}`);
  }
}

const firstLine = (text: string) => text.split('\n')[0]!.trim().slice(0, 200);
