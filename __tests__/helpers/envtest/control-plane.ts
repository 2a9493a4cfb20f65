// A real control plane for one test file, as controller-runtime's envtest runs one: etcd and kube-apiserver
// from KUBEBUILDER_ASSETS on loopback with free ports, a scratch folder for data and keys, torn down after.
// There is no kubelet, scheduler or controller-manager: Pods stay Pending, nothing creates ServiceAccount
// tokens or garbage-collects. The admin is a static token in group system:masters; the serving certificate
// is the one kube-apiserver generates for itself (valid for 127.0.0.1), which the tests use as the CA.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { type EnvtestAssets, envtestAssets } from './assets.ts';

interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  [key: string]: unknown;
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

export interface ApiAnswer<T = KubeObject> {
  status: number;
  body: T;
}

export interface ControlPlaneOptions {
  /** Extra kube-apiserver flags, e.g. ['--watch-cache=false']. */
  readonly apiServerArgs?: readonly string[];
}

const ADMIN_TOKEN = 'envtest-admin-token';
const READY_MS = 60_000;

/** A free TCP port on 127.0.0.1 (released before use; the window for a race is tiny on a test machine). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Every child started by a control plane in this process, killed if the test process exits early. */
const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

function startChild(command: string, args: readonly string[], logFile: string): ChildProcess {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const append = (chunk: Buffer) => {
    log += chunk.toString('utf8');
    if (log.length > 1_000_000) log = log.slice(-500_000);
    writeFileSync(logFile, log);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

async function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

const tail = (file: string, lines = 30) => (existsSync(file) ? readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n') : '(no log)');

export class ControlPlane {
  readonly dir: string;
  readonly assets: EnvtestAssets;
  readonly #apiServerArgs: readonly string[];
  #etcd: ChildProcess | undefined;
  #apiServer: ChildProcess | undefined;
  #etcdPort = 0;
  #apiPort = 0;
  #ca: Buffer | undefined;

  private constructor(assets: EnvtestAssets, options: ControlPlaneOptions) {
    this.assets = assets;
    this.#apiServerArgs = options.apiServerArgs ?? [];
    // etcd fsyncs every write: a folder in memory keeps a test file's writes from waiting on the disk.
    const base = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
    this.dir = mkdtempSync(join(base, 'dtnl-envtest-'));
  }

  /** Starts etcd and kube-apiserver and waits until /readyz says ok. Throws when KUBEBUILDER_ASSETS is unusable. */
  static async start(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
    const assets = envtestAssets();
    if ('skip' in assets) throw new Error(assets.skip);
    const plane = new ControlPlane(assets, options);
    try {
      await plane.#startEtcd();
      plane.#writeKeys();
      plane.#apiPort = await freePort();
      await plane.#startApiServer();
    } catch (error) {
      await plane.stop();
      throw error;
    }
    return plane;
  }

  get url(): string {
    return `https://127.0.0.1:${this.#apiPort}`;
  }

  /** The API server's self-signed serving certificate and its CA, as a CA bundle for clients. */
  get caFile(): string {
    return join(this.dir, 'certs/apiserver.crt');
  }

  get ca(): Buffer {
    this.#ca ??= readFileSync(this.caFile);
    return this.#ca;
  }

  get adminToken(): string {
    return ADMIN_TOKEN;
  }

  async #startEtcd(): Promise<void> {
    this.#etcdPort = await freePort();
    const peer = await freePort();
    const client = `http://127.0.0.1:${this.#etcdPort}`;
    this.#etcd = startChild(
      this.assets.etcd,
      [
        '--name=envtest',
        `--data-dir=${join(this.dir, 'etcd')}`,
        `--listen-client-urls=${client}`,
        `--advertise-client-urls=${client}`,
        `--listen-peer-urls=http://127.0.0.1:${peer}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${peer}`,
        `--initial-cluster=envtest=http://127.0.0.1:${peer}`,
        '--log-level=warn',
      ],
      join(this.dir, 'etcd.log'),
    );
    await this.#until(async () => (await this.#etcdCall('/v3/kv/range', { key: 'AA==' })) !== undefined, this.#etcd, 'etcd', join(this.dir, 'etcd.log'));
  }

  #writeKeys(): void {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    writeFileSync(join(this.dir, 'sa.key'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
    writeFileSync(join(this.dir, 'sa.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
    writeFileSync(join(this.dir, 'tokens.csv'), `${ADMIN_TOKEN},envtest-admin,envtest-admin,"system:masters"\n`);
  }

  async #startApiServer(): Promise<void> {
    const log = join(this.dir, 'kube-apiserver.log');
    this.#apiServer = startChild(
      this.assets.apiServer,
      [
        `--etcd-servers=http://127.0.0.1:${this.#etcdPort}`,
        `--cert-dir=${join(this.dir, 'certs')}`,
        '--bind-address=127.0.0.1',
        '--advertise-address=127.0.0.1',
        `--secure-port=${this.#apiPort}`,
        '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
        `--service-account-key-file=${join(this.dir, 'sa.pub')}`,
        `--service-account-signing-key-file=${join(this.dir, 'sa.key')}`,
        '--authorization-mode=Node,RBAC',
        `--token-auth-file=${join(this.dir, 'tokens.csv')}`,
        '--service-cluster-ip-range=10.0.0.0/24',
        ...this.#apiServerArgs,
      ],
      log,
    );
    await this.#until(
      async () => {
        const answer = await this.#raw('GET', '/readyz', undefined, ADMIN_TOKEN).catch(() => undefined);
        return answer?.status === 200;
      },
      this.#apiServer,
      'kube-apiserver',
      log,
    );
  }

  async #until(ready: () => Promise<boolean>, child: ChildProcess, what: string, log: string): Promise<void> {
    const deadline = Date.now() + READY_MS;
    while (!(await ready())) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${what} exited (${child.exitCode ?? child.signalCode}):\n${tail(log)}`);
      if (Date.now() > deadline) throw new Error(`${what} not ready after ${READY_MS} ms:\n${tail(log)}`);
      await delay(100);
    }
  }

  /** Stops kube-apiserver and starts it again on the same port with the same data: every connection breaks. */
  async restartApiServer(): Promise<void> {
    await stopChild(this.#apiServer);
    await this.#startApiServer();
  }

  async stop(): Promise<void> {
    await stopChild(this.#apiServer);
    await stopChild(this.#etcd);
    rmSync(this.dir, { recursive: true, force: true });
  }

  // ---- etcd ----

  async #etcdCall(path: string, body: unknown): Promise<Record<string, unknown> | undefined> {
    try {
      const response = await fetch(`http://127.0.0.1:${this.#etcdPort}${path}`, { method: 'POST', body: JSON.stringify(body) });
      return response.ok ? ((await response.json()) as Record<string, unknown>) : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * Compacts etcd's history up to its current revision (through etcd's JSON gateway of the v3 API), as the
   * API server's own periodic compaction does: a watch that resumes from an older resourceVersion and is
   * served by etcd (not the watch cache) then ends with 410 Gone. Returns the revision.
   */
  async compactEtcd(): Promise<number> {
    const range = await this.#etcdCall('/v3/kv/range', { key: 'AA==' });
    const revision = Number((range?.header as { revision?: string } | undefined)?.revision);
    if (!(revision > 0)) throw new Error('etcd did not report its revision');
    const compacted = await this.#etcdCall('/v3/kv/compaction', { revision: String(revision), physical: true });
    if (compacted === undefined) throw new Error(`etcd refused to compact at ${revision}`);
    return revision;
  }

  // ---- The API, as the admin ----

  #raw(method: string, path: string, body: string | undefined, token: string, contentType = 'application/json'): Promise<{ status: number; text: string }> {
    return new Promise((resolve, reject) => {
      const request = httpsRequest(
        `${this.url}${path}`,
        {
          method,
          ca: existsSync(this.caFile) ? this.ca : undefined,
          rejectUnauthorized: existsSync(this.caFile),
          headers: { Authorization: `Bearer ${token}`, Accept: 'application/json', ...(body === undefined ? {} : { 'Content-Type': contentType }) },
          timeout: 30_000,
        },
        (response) => {
          let text = '';
          response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
          response.on('error', reject);
        },
      );
      request.on('timeout', () => request.destroy(new Error(`${method} ${path}: no answer in 30 s`)));
      request.on('error', reject);
      request.end(body);
    });
  }

  /** One request with the admin's token (or `token`); the answer's status and parsed JSON body. */
  async call<T = KubeObject>(method: string, path: string, body?: unknown, options: { contentType?: string; token?: string } = {}): Promise<ApiAnswer<T>> {
    const { status, text } = await this.#raw(method, path, body === undefined ? undefined : JSON.stringify(body), options.token ?? ADMIN_TOKEN, options.contentType);
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: kept as text
    }
    return { status, body: parsed as T };
  }

  /** Like call(), but a status outside 2xx is an exception naming the request and the server's message. */
  async ok<T = KubeObject>(method: string, path: string, body?: unknown, options: { contentType?: string; token?: string } = {}): Promise<T> {
    const answer = await this.call<T>(method, path, body, options);
    if (answer.status < 200 || answer.status > 299) {
      const message = (answer.body as { message?: string } | undefined)?.message ?? JSON.stringify(answer.body);
      throw new Error(`${method} ${path}: ${answer.status} ${message}`);
    }
    return answer.body;
  }

  // ---- Nodes, Events and other objects the tests set up ----

  /** Registers a Node as a kubelet would (metadata only: the tests look at labels and annotations). */
  createNode(name: string, metadata: { labels?: Record<string, string>; annotations?: Record<string, string> } = {}): Promise<KubeObject> {
    return this.ok('POST', '/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name, ...metadata } });
  }

  async node(name: string): Promise<KubeObject | undefined> {
    const answer = await this.call('GET', `/api/v1/nodes/${name}`);
    if (answer.status === 404) return undefined;
    if (answer.status !== 200) throw new Error(`GET node ${name}: ${answer.status}`);
    return answer.body;
  }

  async labels(name: string): Promise<Record<string, string>> {
    return (await this.node(name))?.metadata.labels ?? {};
  }

  async annotations(name: string): Promise<Record<string, string>> {
    return (await this.node(name))?.metadata.annotations ?? {};
  }

  /**
   * A write by someone else (an admin, another controller): read, change, replace with the read's
   * resourceVersion, again on 409 Conflict, as client-go's RetryOnConflict does.
   */
  async updateNode(name: string, change: (node: KubeObject) => void): Promise<KubeObject> {
    for (let attempt = 0; ; attempt++) {
      const node = await this.ok('GET', `/api/v1/nodes/${name}`);
      change(node);
      const answer = await this.call('PUT', `/api/v1/nodes/${name}`, node);
      if (answer.status === 200) return answer.body;
      if (answer.status !== 409 || attempt > 10) throw new Error(`PUT node ${name}: ${answer.status} ${JSON.stringify(answer.body)}`);
    }
  }

  async deleteNode(name: string): Promise<void> {
    const answer = await this.call('DELETE', `/api/v1/nodes/${name}`);
    if (answer.status !== 200 && answer.status !== 404) throw new Error(`DELETE node ${name}: ${answer.status}`);
    // No controller-manager: nothing holds a Node back, so it is gone once the DELETE is answered.
  }

  async deleteAllNodes(): Promise<void> {
    await this.ok('DELETE', '/api/v1/nodes');
  }

  /** Events (core v1 view, whichever API wrote them) in a namespace, or in all. */
  async events(namespace?: string): Promise<KubeObject[]> {
    const path = namespace === undefined ? '/api/v1/events' : `/api/v1/namespaces/${namespace}/events`;
    return (await this.ok<{ items: KubeObject[] }>('GET', path)).items;
  }

  async deleteEvents(namespace = 'default'): Promise<void> {
    await this.ok('DELETE', `/api/v1/namespaces/${namespace}/events`);
  }

  /**
   * Writes a kubeconfig for `token` (the admin's by default) against `server` (this API server by default,
   * or a proxy in front of it that serves the same certificate); returns its path.
   */
  kubeconfig(dir: string, options: { token?: string; server?: string; fileName?: string; namespace?: string } = {}): string {
    const server = options.server ?? this.url;
    const cluster: Record<string, unknown> = { server };
    // Inline, so a kubeconfig copied for another user needs no access to this control plane's folder.
    if (server.startsWith('https:')) cluster['certificate-authority-data'] = this.ca.toString('base64');
    else cluster['insecure-skip-tls-verify'] = true; // client-node refuses http:// without it; nothing is verified over plain HTTP anyway
    const config = {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'envtest', cluster }],
      users: [{ name: 'envtest-user', user: { token: options.token ?? ADMIN_TOKEN } }],
      contexts: [{ name: 'envtest', context: { cluster: 'envtest', user: 'envtest-user', namespace: options.namespace ?? 'default' } }],
      'current-context': 'envtest',
    };
    const path = join(dir, options.fileName ?? 'kubeconfig');
    writeFileSync(path, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o644 });
    return path;
  }

  /** The real kubectl from the asset folder, as the admin unless `kubeconfig` says otherwise. */
  kubectl(args: readonly string[], options: { input?: string; kubeconfig?: string } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const kubeconfig = options.kubeconfig ?? this.kubeconfig(this.dir, { fileName: 'admin.kubeconfig' });
    return new Promise((resolve) => {
      const child = execFile(
        this.assets.kubectl,
        ['--kubeconfig', kubeconfig, '--cache-dir', join(this.dir, 'kubectl-cache'), ...args],
        { timeout: 60_000, maxBuffer: 16 * 1024 * 1024 },
        (error, stdout, stderr) => {
          const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
          resolve({ code, stdout, stderr });
        },
      );
      child.stdin?.end(options.input ?? '');
    });
  }

  /** `kubectl apply` of `objects` as one List, as `helm install` creates what a chart renders; throws with kubectl's stderr. */
  async apply(objects: readonly object[]): Promise<void> {
    const result = await this.kubectl(['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }) });
    if (result.code !== 0) throw new Error(`kubectl apply: ${result.stderr}`);
  }

  /**
   * A Pod named `name` made from `template` (bound to `nodeName` if given, else unscheduled like a Job's pod),
   * and a token of its ServiceAccount bound to it: what the kubelet would mount into its containers.
   */
  async podToken(
    namespace: string,
    template: { metadata?: { labels?: Record<string, string> }; spec?: { serviceAccountName?: string } & object },
    name: string,
    nodeName?: string,
  ): Promise<{ pod: KubeObject; token: string }> {
    const spec = { ...template.spec, ...(nodeName === undefined ? {} : { nodeName }) };
    const pod = await this.ok('POST', `/api/v1/namespaces/${namespace}/pods`, { apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: template.metadata?.labels }, spec });
    return { pod, token: await this.token(namespace, spec.serviceAccountName ?? 'default', { name, uid: pod.metadata.uid! }) };
  }

  /**
   * A ServiceAccount token from the TokenRequest API. With `pod`, bound to that Pod: the API server then puts
   * the Pod's node into the token's user info (extra `authentication.kubernetes.io/node-name`), as a kubelet's
   * projected token for a DaemonSet pod carries it.
   */
  async token(namespace: string, serviceAccount: string, pod?: { name: string; uid: string }): Promise<string> {
    const spec: Record<string, unknown> = { expirationSeconds: 3600 };
    if (pod !== undefined) spec.boundObjectRef = { apiVersion: 'v1', kind: 'Pod', name: pod.name, uid: pod.uid };
    const answer = await this.ok<{ status: { token: string } }>('POST', `/api/v1/namespaces/${namespace}/serviceaccounts/${serviceAccount}/token`, {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec,
    });
    return answer.status.token;
  }
}
