// Shared by the controller benchmarks (controller-start, controller-idle-rss, controller-traffic): a fake
// cluster (the tests' in-process FakeApiServer, so no kind/k3s is needed and every request is on record)
// and the labeller as a child process started the way the DaemonSet starts it, plus the small statistics
// the summaries use. Benchmarks, not tests: nothing here asserts on time or memory.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { FakeApiServer, type FakeApiServerOptions, type KubeObject } from '../../__tests__/helpers/fake-api-server.ts';
import { NODES } from '../../__tests__/helpers/fake-api/resources.ts';

/** The shipped entry point, and the same program unbundled (Node strips the types) for comparison. */
/** The built CLI to run; DT_NODE_LABELLER_BUNDLE points at another build (e.g. an older commit's, to compare). */
export const BUNDLE = process.env.DT_NODE_LABELLER_BUNDLE ?? 'dist/dt-node-labeller.js';
export const SOURCE = 'src/cli/main.ts';
const DTB = 'examples/devicetree/jetson-nano.dtb';
/** Any key with this prefix on the node means the labeller's patch has landed. */
const LABEL_PREFIX = 'beta.devicetree.org/';
const LABELLED_TIMEOUT_MS = 20_000;

export interface FakeCluster {
  readonly server: FakeApiServer;
  readonly kubeconfig: string;
  stop(): Promise<void>;
}

export async function startCluster(options: FakeApiServerOptions = {}): Promise<FakeCluster> {
  const server = new FakeApiServer(options);
  await server.start();
  const dir = mkdtempSync(join(tmpdir(), 'dt-bench-'));
  return {
    server,
    kubeconfig: server.writeKubeconfig(dir),
    async stop() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
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
  /** SIGTERM, as the kubelet sends; SIGKILL if it has not exited after 6 s (it promises 5 s). */
  stop(): Promise<void>;
}

export interface LabellerOptions {
  readonly cluster: FakeCluster;
  readonly nodeName: string;
  readonly variant?: Variant;
  /** BUNDLE (default) or SOURCE. */
  readonly entry?: string;
  /** More `run` arguments, after the chart's. */
  readonly args?: readonly string[];
}

/** Starts `run` for one node, with the flags the Helm chart passes apart from the address (port 0). */
export function startLabeller({ cluster, nodeName, variant = parseVariant(''), entry = BUNDLE, args: extra = [] }: LabellerOptions): Labeller {
  const args = [...variant.flags, entry, 'run', '--dtb', DTB, '--node-name', nodeName, '--kubeconfig', cluster.kubeconfig, '--metrics-address', '127.0.0.1:0', ...extra];
  const spawnedAt = performance.now();
  const child = spawn(process.execPath, args, { env: { ...process.env, ...variant.env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  let resolveMetrics: (url: string) => void;
  const metricsUrl = new Promise<string>((resolve) => (resolveMetrics = resolve));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    const serving = /"address":"([^"]+)"[^\n]*"message":"serving|"message":"serving[^\n]*"address":"([^"]+)"/.exec(chunk);
    if (serving !== null) resolveMetrics(`http://${serving[1] ?? serving[2]}/metrics`);
    log = (log + chunk).slice(-4000);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    pid: child.pid!,
    spawnedAt,
    exited,
    metricsUrl,
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
 * Resolves performance.now() at the moment the fake server stores the node with devicetree labels. It
 * listens to the store, which calls back synchronously inside the PATCH handler, so there is no polling
 * interval in the figure. Rejects if the labeller exits or takes 20 s.
 */
export function whenLabelled(cluster: FakeCluster, nodeName: string, labeller: Labeller): Promise<number> {
  if (hasDevicetreeLabels(cluster.server.getNode(nodeName))) return Promise.resolve(performance.now());
  return new Promise((resolve, reject) => {
    let settled = false;
    const done = (error?: Error) => {
      if (settled) return; // the exit watcher below fires late, when the labeller is stopped
      settled = true;
      unsubscribe();
      clearTimeout(timer);
      if (error === undefined) resolve(performance.now());
      else reject(error);
    };
    const unsubscribe = cluster.server.store.subscribe(NODES.storage, (change) => {
      if (change.object.metadata.name === nodeName && hasDevicetreeLabels(change.object)) done();
    });
    const timer = setTimeout(() => done(new Error(`node ${nodeName} not labelled after ${LABELLED_TIMEOUT_MS} ms:\n${labeller.logTail()}`)), LABELLED_TIMEOUT_MS);
    void labeller.exited.then((code) => done(new Error(`labeller exited (${code}) before labelling ${nodeName}:\n${labeller.logTail()}`)));
  });
}

/** Resident memory from /proc/<pid>/status, in MiB: now, peak, and the anonymous/file-backed split. */
export interface Memory {
  rss: number;
  hwm: number;
  anon: number;
  file: number;
}

export function readMemory(pid: number): Memory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const mib = (field: string) => {
    const kib = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1];
    if (kib === undefined) throw new Error(`no ${field} in /proc/${pid}/status`);
    return Number(kib) / 1024;
  };
  return { rss: mib('VmRSS'), hwm: mib('VmHWM'), anon: mib('RssAnon'), file: mib('RssFile') };
}

/** Nearest-rank percentile of a non-empty list (p = 50: the median; for even counts, the lower middle). */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export const median = (values: readonly number[]) => percentile(values, 50);

export const round = (value: number, digits = 1) => Number(value.toFixed(digits));
