// podman, and a DaemonSet's pod template turned into `podman run` flags the way the kubelet would run it.
// What the kubelet does for a container (Kubernetes' docs: "Configure a Security Context for a Pod or
// Container", "Projected Volumes", "Expose Pod Information to Containers Through Environment Variables",
// "Accessing the Kubernetes API from a Pod"):
// - securityContext: runAsUser/runAsGroup, readOnlyRootFilesystem (no writable layer and no tmpfs the pod
//   does not ask for), capabilities drop/add, allowPrivilegeEscalation=false (no_new_privs), the runtime's
//   default seccomp profile;
// - hostPath volumes bind-mounted at their volumeMounts, readOnly honoured;
// - the ServiceAccount token, the cluster CA and the namespace at /var/run/secrets/kubernetes.io/serviceaccount;
// - KUBERNETES_SERVICE_HOST and _PORT in the environment; env values, and fieldRefs from the Pod;
// - resources.limits.memory as the container's memory limit.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';

/**
 * This kind of VM refuses crun's cgroup handling and raising rlimits: cgroupfs, Debian's runc, and limits no
 * higher than the VM's (DEVELOPERS.md). Elsewhere podman's defaults stand.
 */
const GLOBAL_FLAGS = existsSync('/usr/sbin/runc') ? ['--cgroup-manager=cgroupfs', '--runtime', '/usr/sbin/runc'] : [];
export const RUN_FLAGS = ['--ulimit', 'nproc=1000:1000', '--ulimit', 'nofile=1024:1024'];

export interface Result {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs podman to completion (asynchronously: the test's own timers and servers keep running). */
export function podman(args: readonly string[], timeoutMs = 120_000): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn('podman', [...GLOBAL_FLAGS, ...args], { stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export async function podmanOk(args: readonly string[], timeoutMs?: number): Promise<string> {
  const result = await podman(args, timeoutMs);
  assert.equal(result.code, 0, `podman ${args.join(' ')}\n${result.stderr}`);
  return result.stdout;
}

/** What the node gives the pod: where its hostPaths are, its identity and the API server it reaches. */
export interface Kubelet {
  /** A host path as this machine holds it (the test's stand-in for the node's filesystem). */
  readonly hostPath: (path: string) => string;
  readonly nodeName: string;
  readonly podName: string;
  readonly namespace: string;
  /** A folder with `token`, `ca.crt` and `namespace`, as the projected ServiceAccount volume holds them. */
  readonly serviceAccountDir: string;
  readonly apiServer: { readonly host: string; readonly port: number };
  /**
   * podman's --arch/--variant for the image. Under qemu-user-static the emulator's translated code counts against the
   * container's memory: `run` is killed (137) under the chart's 128 MiB there, so the limit is applied
   * only where the image runs natively.
   */
  readonly platformFlags: readonly string[];
  readonly emulated: boolean;
}

const SERVICE_ACCOUNT_MOUNT = '/var/run/secrets/kubernetes.io/serviceaccount';

/** `podman run` flags (before the image) for `container` of `pod`; the container's args go after the image. */
function runFlags(pod: IPodSpec, container: IContainer, kubelet: Kubelet): string[] {
  const flags = [...RUN_FLAGS, ...kubelet.platformFlags];
  const security = { ...pod.securityContext, ...container.securityContext };
  assert.notEqual(container.securityContext?.privileged, true, 'a privileged container is not what the chart runs');
  if (security.runAsUser !== undefined) flags.push('--user', `${security.runAsUser}:${security.runAsGroup ?? security.runAsUser}`);
  // Kubernetes mounts no tmpfs for a read-only root filesystem; podman would add /tmp, /var/tmp and /run.
  if (container.securityContext?.readOnlyRootFilesystem === true) flags.push('--read-only', '--read-only-tmpfs=false');
  for (const cap of container.securityContext?.capabilities?.drop ?? []) flags.push(`--cap-drop=${cap.toLowerCase()}`);
  for (const cap of container.securityContext?.capabilities?.add ?? []) flags.push(`--cap-add=${cap.toLowerCase()}`);
  if (container.securityContext?.allowPrivilegeEscalation === false) flags.push('--security-opt=no-new-privileges');
  const seccomp = security.seccompProfile?.type;
  assert.ok(seccomp === undefined || seccomp === 'RuntimeDefault', `seccomp ${seccomp}: only the runtime's default profile is modelled`);

  for (const mount of container.volumeMounts ?? []) {
    const volume = pod.volumes?.find((v) => v.name === mount.name);
    assert.ok(volume?.hostPath, `volume ${mount.name}: only hostPath volumes are modelled`);
    const source = kubelet.hostPath(volume.hostPath.path);
    // The kubelet checks the type before it starts the container; a missing path fails the pod.
    if (volume.hostPath.type === 'Directory' || volume.hostPath.type === 'File')
      assert.ok(existsSync(source), `hostPath ${volume.hostPath.path} (${volume.hostPath.type}) missing on the node`);
    flags.push('--volume', `${source}:${mount.mountPath}:${mount.readOnly === true ? 'ro' : 'rw'}`);
  }
  if (pod.automountServiceAccountToken !== false) flags.push('--volume', `${kubelet.serviceAccountDir}:${SERVICE_ACCOUNT_MOUNT}:ro`);

  // The service environment variables the kubelet always sets; enableServiceLinks adds others, not these.
  flags.push('--env', `KUBERNETES_SERVICE_HOST=${kubelet.apiServer.host}`, '--env', `KUBERNETES_SERVICE_PORT=${kubelet.apiServer.port}`);
  const fields: Record<string, string> = { 'spec.nodeName': kubelet.nodeName, 'metadata.namespace': kubelet.namespace, 'metadata.name': kubelet.podName };
  for (const env of container.env ?? []) {
    if (env.value !== undefined) flags.push('--env', `${env.name}=${env.value}`);
    else {
      const path = env.valueFrom?.fieldRef?.fieldPath;
      assert.ok(path !== undefined && fields[path] !== undefined, `env ${env.name}: only values and ${Object.keys(fields).join(', ')} are modelled`);
      flags.push('--env', `${env.name}=${fields[path]}`);
    }
  }
  const memory = container.resources?.limits?.memory;
  if (memory !== undefined && !kubelet.emulated) {
    const match = /^(\d+)(Mi|Gi)$/.exec(String(memory));
    assert.ok(match, `memory limit ${memory}`);
    flags.push('--memory', `${Number(match[1]) * (match[2] === 'Gi' ? 1024 : 1)}m`);
  }
  assert.equal(container.command, undefined, 'the chart runs the image entrypoint');
  return flags;
}

/** The container's args, as `podman run` takes them after the image. */
const containerArgs = (container: IContainer): string[] => [...(container.args ?? [])];

/** The kubelet's projected ServiceAccount volume in `dir`: token, ca.crt and namespace, mode 0644 as by default. */
export function writeServiceAccount(dir: string, token: string, ca: Buffer, namespace: string): string {
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  chmodSync(dir, 0o755);
  for (const [file, content] of Object.entries({ token, 'ca.crt': ca, namespace })) writeFileSync(join(dir, file), content, { mode: 0o644 });
  return dir;
}

// ---- the chart's DaemonSet pod, run from the image against a real API server -----------------------

export interface ChartPod {
  readonly name: string;
  /** The metrics port (the container shares the host's network: the API server is on its loopback). */
  readonly port: number;
  /** VmRSS and RssAnon of the container's process, in KiB, from /proc. */
  memory(): Promise<{ rss: number; anon: number }>;
  /** stderr (the JSON log) and stdout so far. */
  logs(): Promise<Result>;
  /** SIGTERM, as the kubelet stops a pod, and the exit code with the time it took. */
  terminate(): Promise<{ code: number; ms: number }>;
  remove(): Promise<void>;
}

/** Starts `podman run -d` of `image` with the flags the kubelet would derive from `pod`/`container`. */
export async function startChartPod(image: string, pod: IPodSpec, container: IContainer, kubelet: Kubelet, port: number): Promise<ChartPod> {
  const name = `dtnl-${kubelet.podName}-${process.pid}`;
  await podman(['rm', '--force', '--ignore', name]);
  // The pod network stands in as the host's: the API server listens on this machine's loopback.
  await podmanOk(['run', '--detach', '--name', name, '--network', 'host', ...runFlags(pod, container, kubelet), image, ...containerArgs(container)]);
  return {
    name,
    port,
    async memory() {
      const pid = (await podmanOk(['inspect', '--format', '{{.State.Pid}}', name])).trim();
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const kib = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]);
      return { rss: kib('VmRSS'), anon: kib('RssAnon') };
    },
    logs: () => podman(['logs', name]),
    async terminate() {
      const started = Date.now();
      await podmanOk(['kill', '--signal', 'TERM', name]);
      const code = Number((await podmanOk(['wait', name], 60_000)).trim());
      return { code, ms: Date.now() - started };
    },
    async remove() {
      await podman(['rm', '--force', '--ignore', name]);
    },
  };
}
