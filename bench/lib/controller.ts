// Shared by the controller benchmarks (controller-start, controller-idle-rss, controller-traffic,
// controller-load): a cluster (the real kube-apiserver and etcd from KUBEBUILDER_ASSETS, as the envtest tests
// run them, behind the tests' FaultProxy, so every request the labeller makes is on record with its status,
// body bytes and, for a watch, the events it streamed) and the labeller as a child process started the way
// the DaemonSet starts it, plus the small statistics the summaries use. Benchmarks, not tests: nothing here
// asserts on time or memory.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { StringDecoder } from 'node:string_decoder';
import { envtestAssets } from '../../__tests__/helpers/envtest/assets.ts';
import { ControlPlane, type ControlPlaneOptions, type KubeObject } from '../../__tests__/helpers/envtest/control-plane.ts';
import { FaultProxy } from '../../__tests__/helpers/envtest/fault-proxy.ts';

/** The shipped entry point, and the same program unbundled (Node strips the types) for comparison. */
/** The built CLI to run; DT_NODE_LABELLER_BUNDLE points at another build (e.g. an older commit's, to compare). */
export const BUNDLE = process.env.DT_NODE_LABELLER_BUNDLE ?? 'dist/dt-node-labeller.js';
export const SOURCE = 'src/cli/main.ts';
/**
 * The tree the labeller reads: the Jetson Nano's as stock JetPack boots it (232 KB, ../shared/jetson-l4t)
 * when JETSON_L4T_DIR names that folder, else the 3 KB example modelled on it, which parses in a fraction
 * of the time; the summaries say which.
 */
const NANO_L4T = 'tegra210-p3448-0000-p3449-0000-b00.dtb';
export const BENCH_TREE = ((dir) => (dir !== undefined && existsSync(join(dir, NANO_L4T)) ? join(dir, NANO_L4T) : 'examples/devicetree/jetson-nano.dtb'))(
  process.env.JETSON_L4T_DIR,
);
/** Any key with this prefix on the node means the labeller's patch has landed. */
const LABEL_PREFIX = 'beta.devicetree.org/';
const LABELLED_TIMEOUT_MS = 20_000;
/** Node writes in flight at once when a bench registers many nodes. */
const CREATE_BATCH = 25;

export interface Cluster {
  readonly plane: ControlPlane;
  /** Between the labellers and the API server: `proxy.records` is their traffic (the bench's own writes go direct). */
  readonly proxy: FaultProxy;
  /** The admin's kubeconfig, pointing at the proxy. */
  readonly kubeconfig: string;
  /** A scratch folder, removed by stop(). */
  readonly dir: string;
  stop(): Promise<void>;
}

/** Starts etcd, kube-apiserver (with `options.apiServerArgs`) and a proxy in front of it. */
export async function startCluster(options: ControlPlaneOptions = {}): Promise<Cluster> {
  const assets = envtestAssets();
  if ('skip' in assets) throw new Error(`the controller benchmarks run against a real kube-apiserver: ${assets.skip.replace(/^real kube-apiserver tier skipped: /, '')}`);
  const plane = await ControlPlane.start(options);
  const proxy = await FaultProxy.start(plane).catch(async (error: unknown) => {
    await plane.stop();
    throw error;
  });
  const dir = mkdtempSync(join(tmpdir(), 'dt-bench-'));
  return {
    plane,
    proxy,
    dir,
    kubeconfig: plane.kubeconfig(dir, { server: proxy.url }),
    async stop() {
      await proxy.stop();
      await plane.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A Node as a kubelet registers one, Ready, with only the given metadata (nothing under the labeller's
 * prefix). The API server keeps the status on create (and adds the not-ready taint, as admission does).
 */
function nodeObject(name: string, metadata: { labels?: Record<string, string>; annotations?: Record<string, string> } = {}): KubeObject {
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, ...metadata },
    spec: {},
    status: {
      conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: now, lastTransitionTime: now }],
      addresses: [{ type: 'Hostname', address: name }],
      nodeInfo: {
        machineID: '',
        systemUUID: '',
        bootID: '',
        kubeletVersion: 'v1.32.0',
        kubeProxyVersion: '',
        osImage: 'Ubuntu 24.04 LTS',
        kernelVersion: '6.8.0',
        containerRuntimeVersion: 'containerd://1.7.24',
        architecture: 'arm64',
        operatingSystem: 'linux',
      },
    },
  };
}

/** Registers the nodes (see nodeObject), CREATE_BATCH at a time; resolves once all are stored. */
export async function addNodes(cluster: Cluster, names: readonly string[]): Promise<void> {
  for (let start = 0; start < names.length; start += CREATE_BATCH) {
    await Promise.all(names.slice(start, start + CREATE_BATCH).map((name) => cluster.plane.ok('POST', '/api/v1/nodes', nodeObject(name))));
  }
}

/**
 * What to run `node` with: `"--max-semi-space-size=1 --jitless"`. Leading `NAME=value` words go into
 * the environment, as in a shell (`"MALLOC_ARENA_MAX=2 --max-old-space-size=32"`), so allocator settings
 * can be compared as well. Split on white space; no quoting.
 */
export interface Variant {
  readonly label: string;
  readonly flags: string[];
  readonly env: Record<string, string>;
}

export function parseVariant(text: string): Variant {
  const words = text.split(/\s+/).filter((word) => word !== '');
  const env: Record<string, string> = {};
  while (words[0] !== undefined && /^[A-Z_][A-Z0-9_]*=/.test(words[0])) {
    const [name, ...value] = words.shift()!.split('=');
    env[name!] = value.join('=');
  }
  return { label: text.trim() === '' ? '(defaults)' : text.trim(), flags: words, env };
}

export interface Labeller {
  readonly child: ChildProcess;
  readonly pid: number;
  /** performance.now() just before the spawn. */
  readonly spawnedAt: number;
  /** Settles with the exit code when the process ends, for whatever reason. */
  readonly exited: Promise<number | null>;
  /** Where its /metrics is served, once it has said so in its log. */
  readonly metricsUrl: Promise<string>;
  /** The last lines of its log (stderr), for error messages. */
  logTail(): string;
  /** The start-up timeline its "node labelled; ready" line carries (ms since its process started, by step). */
  readonly startup: Promise<Record<string, number>>;
  /** SIGTERM, as the kubelet sends; SIGKILL if it has not exited after 6 s (it promises 5 s). */
  stop(): Promise<void>;
}

export interface LabellerOptions {
  readonly cluster: Cluster;
  readonly nodeName: string;
  readonly variant?: Variant;
  /** BUNDLE (default) or SOURCE. */
  readonly entry?: string;
  /** More `run` arguments, after the chart's. */
  readonly args?: readonly string[];
}

/** Starts `run` for one node, with the flags the Helm chart passes, on port 0 instead of the chart's. */
export function startLabeller({ cluster, nodeName, variant = parseVariant(''), entry = BUNDLE, args: extra = [] }: LabellerOptions): Labeller {
  // `:PORT`, every address, as the chart says it: a host would make Node look it up before binding.
  const args = [...variant.flags, entry, 'run', '--dtb', BENCH_TREE, '--node-name', nodeName, '--kubeconfig', cluster.kubeconfig, '--metrics-address', ':0', ...extra];
  const spawnedAt = performance.now();
  const child = spawn(process.execPath, args, { env: { ...process.env, ...variant.env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  let partial = '';
  let resolveMetrics: (url: string) => void;
  const metricsUrl = new Promise<string>((resolve) => (resolveMetrics = resolve));
  const { promise: startup, resolve: resolveStartup } = Promise.withResolvers<Record<string, number>>();
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    const serving = /"address":"[^"]*:(\d+)"[^\n]*"message":"serving|"message":"serving[^\n]*"address":"[^"]*:(\d+)"/.exec(chunk);
    if (serving !== null) resolveMetrics(`http://127.0.0.1:${serving[1] ?? serving[2]}/metrics`);
    log = (log + chunk).slice(-4000);
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.includes('"node labelled; ready"')) continue;
      const timeline = (JSON.parse(line) as { startupMs?: Record<string, number> }).startupMs;
      if (timeline !== undefined) resolveStartup(timeline);
    }
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    pid: child.pid!,
    spawnedAt,
    exited,
    metricsUrl,
    startup,
    logTail: () => log.trim().split('\n').slice(-5).join('\n'),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 6000);
      await exited;
      clearTimeout(timer);
    },
  };
}

const hasDevicetreeLabels = (node: KubeObject | undefined) => Object.keys(node?.metadata.labels ?? {}).some((key) => key.startsWith(LABEL_PREFIX));

/**
 * Streams the watch events of one node from `resourceVersion`, as the admin, straight to the API server (not
 * through the proxy, so none of it counts as the labeller's traffic). Returns a function that ends it.
 */
function watchNode(plane: ControlPlane, name: string, resourceVersion: string, onEvent: (type: string, object: KubeObject) => void, onEnd: (error?: Error) => void): () => void {
  const query = new URLSearchParams({ watch: 'true', fieldSelector: `metadata.name=${name}`, resourceVersion, timeoutSeconds: '600' });
  let ended = false;
  const end = (error?: Error) => {
    if (ended) return;
    ended = true;
    onEnd(error);
  };
  const request = httpsRequest(
    `${plane.url}/api/v1/nodes?${query}`,
    { ca: plane.ca, headers: { Authorization: `Bearer ${plane.adminToken}`, Accept: 'application/json' } },
    (response) => {
      if (response.statusCode !== 200) {
        response.resume();
        end(new Error(`watch node ${name}: ${response.statusCode}`));
        return;
      }
      const decoder = new StringDecoder('utf8');
      let pending = '';
      response.on('data', (chunk: Buffer) => {
        const lines = (pending + decoder.write(chunk)).split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) {
          if (line.trim() === '') continue;
          const event = JSON.parse(line) as { type: string; object: KubeObject };
          onEvent(event.type, event.object);
        }
      });
      response.on('end', () => end(new Error(`watch node ${name}: the server ended it`)));
      response.on('error', (error) => end(error));
    },
  );
  request.on('error', (error) => end(error));
  request.end();
  return () => {
    ended = true;
    request.destroy();
  };
}

/**
 * Resolves performance.now() at the moment the node, stored with devicetree labels, reaches a watch on it
 * (opened from the node as read here, so no change is missed: the server's delivery, not a polling interval,
 * is all that is added to the figure). Rejects if the labeller exits or takes 20 s.
 */
export function whenLabelled(cluster: Cluster, nodeName: string, labeller: Labeller): Promise<number> {
  return new Promise((resolve, reject) => {
    let settled = false;
    let stopWatch = () => {};
    const done = (error?: Error) => {
      if (settled) return; // the exit watcher below fires late, when the labeller is stopped
      settled = true;
      stopWatch();
      clearTimeout(timer);
      if (error === undefined) resolve(performance.now());
      else reject(error);
    };
    const timer = setTimeout(() => done(new Error(`node ${nodeName} not labelled after ${LABELLED_TIMEOUT_MS} ms:\n${labeller.logTail()}`)), LABELLED_TIMEOUT_MS);
    void labeller.exited.then((code) => done(new Error(`labeller exited (${code}) before labelling ${nodeName}:\n${labeller.logTail()}`)));
    void cluster.plane.node(nodeName).then(
      (node) => {
        if (settled) return;
        if (node === undefined) return done(new Error(`no node ${nodeName}`));
        if (hasDevicetreeLabels(node)) return done();
        stopWatch = watchNode(
          cluster.plane,
          nodeName,
          node.metadata.resourceVersion ?? '',
          (type, object) => {
            if (type !== 'ERROR' && type !== 'BOOKMARK' && hasDevicetreeLabels(object)) done();
          },
          (error) => done(error ?? new Error(`the watch on ${nodeName} ended`)),
        );
      },
      (error: unknown) => done(error instanceof Error ? error : new Error(String(error))),
    );
  });
}

/**
 * Resident memory in MiB: from /proc/<pid>/status now, peak, and the anonymous/file-backed split; from
 * smaps_rollup the proportional set size, where a page shared with other processes (the node binary's, when
 * several pods run the same image on a node) counts its share only.
 */
export interface Memory {
  rss: number;
  hwm: number;
  anon: number;
  file: number;
  pss: number;
}

export function readMemory(pid: number): Memory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const mib = (field: string) => {
    const kib = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1];
    if (kib === undefined) throw new Error(`no ${field} in /proc/${pid}/status`);
    return Number(kib) / 1024;
  };
  const pss = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1];
  if (pss === undefined) throw new Error(`no Pss in /proc/${pid}/smaps_rollup`);
  return { rss: mib('VmRSS'), hwm: mib('VmHWM'), anon: mib('RssAnon'), file: mib('RssFile'), pss: Number(pss) / 1024 };
}

/** Nearest-rank percentile of a non-empty list (p = 50: the median; for even counts, the lower middle). */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export const median = (values: readonly number[]) => percentile(values, 50);

export const round = (value: number, digits = 1) => Number(value.toFixed(digits));
