// End to end: the command lines the Helm chart renders, run by the built CLI (dist/) against the in-process fake
// API server. Only what cannot exist on a test machine is swapped: --host-root=/host becomes a temporary host
// root, and cluster access points at the fake. Every write the CLI makes is also judged by the chart's own
// ValidatingAdmissionPolicy (rendered with the same values), as the API server would judge it.
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import type { IValidatingAdmissionPolicy } from 'kubernetes-models/admissionregistration.k8s.io/v1/ValidatingAdmissionPolicy';
import type { IJob } from 'kubernetes-models/batch/v1/Job';
import { parseBlob } from '../../src/devicetree/parse-blob.ts';
import { FULLNAME, labeller, NAMESPACE, oneOf, type Variant, VAP_API } from '../charts/chart.ts';
import { celSkip, judgeNodeUpdate, type Token } from '../charts/vap-cel.ts';
import { eventually } from '../helpers/eventually.ts';
import { expandTree } from '../helpers/expand-tree.ts';
import { JETSON_NANO_COMPATIBLE_LABELS, JETSON_NANO_FACTS } from '../helpers/expected-labels.ts';
import { FakeApiServer, type KubeObject } from '../helpers/fake-api-server.ts';
import { renderChart } from '../helpers/helm.ts';
import { asNonRootUser, LabellerProcess } from '../helpers/labeller-process.ts';
import { CLI, REPO } from '../helpers/run-cli.ts';

const NANO_DTB = join(REPO, 'examples/devicetree/jetson-nano.dtb');
const NODE = 'nano';
const LABELLER_SA = `system:serviceaccount:${NAMESPACE}:${FULLNAME}`;
const CLEANUP_SA = `system:serviceaccount:${NAMESPACE}:${FULLNAME}-cleanup`;
/** NVIDIA's first line of /etc/nv_tegra_release on L4T R32.7.1 (JetPack 4.6.1). */
const NV_TEGRA_RELEASE = '# R32 (release), REVISION: 7.1, GCID: 29818004, BOARD: t210ref, EABI: aarch64, DATE: Sat Feb 19 17:05:08 UTC 2022\n';
const CONVERGE_MS = 8000;

const skip = existsSync(CLI) ? false : `${CLI} is missing: run npm run build first`;

interface Case {
  readonly values: Record<string, unknown>;
  /** The DaemonSet without the release file; its -l4t partner takes over on the same node. */
  readonly variant: Extract<Variant, 'main' | 'edge'>;
  /** What the node gets before and after the hand-over. */
  readonly labels: Record<string, string>;
  readonly releaseFacts: Record<string, string>;
  readonly annotation: string;
}

const rekey = (labels: Readonly<Record<string, string>>, from: string, to: string) =>
  Object.fromEntries(Object.entries(labels).map(([key, value]) => [key.startsWith(from) ? to + key.slice(from.length) : key, value]));
const T = 'tegra.beta.devicetree.org/';
const RELEASE_FACTS = { [`${T}l4t.release`]: '32.7.1', [`${T}l4t.major`]: '32', [`${T}jetpack.major`]: '4' };
const DEFAULT_CASE = {
  labels: { ...JETSON_NANO_COMPATIBLE_LABELS, ...JETSON_NANO_FACTS },
  releaseFacts: RELEASE_FACTS,
  annotation: 'dt-node-labeller.beta.devicetree.org/owned-labels',
};

const CASES: Record<string, Case> = {
  'default values': { values: {}, variant: 'main', ...DEFAULT_CASE },
  'security.runAsNonRoot': { values: { security: { runAsNonRoot: true } }, variant: 'main', ...DEFAULT_CASE },
  'KubeEdge, MetaServer without authorization (http on loopback)': { values: { kubeedge: { enabled: true } }, variant: 'edge', ...DEFAULT_CASE },
  'KubeEdge with requireAuthorization': { values: { kubeedge: { enabled: true, requireAuthorization: true } }, variant: 'edge', ...DEFAULT_CASE },
  'an instance, a tegra prefix and nvidia.com/gpu.present': {
    values: { labeller: { instance: 'jetson' }, tegra: { prefix: 'jetson.example.com', nvidiaGpuPresent: true } },
    variant: 'main',
    labels: { ...JETSON_NANO_COMPATIBLE_LABELS, ...rekey(JETSON_NANO_FACTS, T, 'jetson.example.com/'), 'nvidia.com/gpu.present': 'true' },
    releaseFacts: rekey(RELEASE_FACTS, T, 'jetson.example.com/'),
    annotation: 'jetson.dt-node-labeller.beta.devicetree.org/owned-labels',
  },
};

/** Fails clearly when a rendered metrics port is taken on this machine (the args are used as rendered). */
async function assertPortFree(port: number): Promise<void> {
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', (error: NodeJS.ErrnoException) =>
      reject(new Error(`the rendered --metrics-address=:${port} cannot be used here: ${error.code ?? error.message}; free port ${port} to run this test`)),
    );
    probe.listen(port, () => resolve());
  });
  await new Promise<void>((resolve) => probe.close(() => resolve()));
}

describe('the chart’s rendered command lines, run by the built CLI', { skip }, () => {
  const server = new FakeApiServer();
  let dir = '';
  let kubeconfig = '';
  let hostRoot = '';
  let l4tHostRoot = '';
  const processes: LabellerProcess[] = [];
  /** Every change of a Node, with who made it (set around each process). */
  const writes: { actor: 'labeller' | 'cleanup'; before: KubeObject; after: KubeObject }[] = [];
  let actor: 'labeller' | 'cleanup' = 'labeller';

  before(async () => {
    // As on an edge node without requireAuthorization, and on any test machine: no in-cluster credentials, so the
    // CLI's own rules (not a pod's service account, should the tests run in one) decide the cluster access.
    delete process.env.KUBERNETES_SERVICE_HOST;
    await server.start();
    dir = mkdtempSync(join(tmpdir(), 'chart-cli-'));
    kubeconfig = server.writeKubeconfig(dir);
    // The host as the DaemonSet pods see it under /host: /sys/firmware (fdt, and the expanded tree for non-root),
    // and in the -l4t pods /etc/nv_tegra_release too.
    for (const [root, release] of [
      [(hostRoot = join(dir, 'host')), false],
      [(l4tHostRoot = join(dir, 'host-l4t')), true],
    ] as const) {
      mkdirSync(join(root, 'sys/firmware'), { recursive: true });
      copyFileSync(NANO_DTB, join(root, 'sys/firmware/fdt'));
      expandTree(parseBlob(readFileSync(NANO_DTB)).root, join(root, 'sys/firmware/devicetree/base'));
      if (release) {
        mkdirSync(join(root, 'etc'));
        writeFileSync(join(root, 'etc/nv_tegra_release'), NV_TEGRA_RELEASE);
      }
    }
    server.store.subscribe('nodes', (change) => {
      if (change.type === 'MODIFIED' && change.previous !== undefined) writes.push({ actor, before: change.previous, after: change.object });
    });
  });
  after(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  afterEach(async () => {
    for (const child of processes.splice(0)) await child.kill();
    for (const node of server.store.list('nodes')) server.deleteNode(node.metadata.name);
    for (const event of server.events()) server.store.delete('events', `${event.metadata.namespace}/${event.metadata.name}`);
    writes.length = 0;
  });

  /** The rendered args with only the host root and the cluster access swapped for the test's. */
  function localArgs(args: readonly string[], root: string): string[] {
    let roots = 0;
    const local = args.map((arg) => {
      if (arg === '--host-root=/host') {
        roots++;
        return `--host-root=${root}`;
      }
      // MetaServer without authorization: plain HTTP on loopback, no credentials. The fake is one.
      if (arg.startsWith('--api-server=http://')) return `--api-server=${server.url}`;
      // With requireAuthorization the pod's token and the cluster CA go to MetaServer's HTTPS; the fake has no TLS,
      // so a kubeconfig with a token stands in for the in-cluster credentials.
      if (arg.startsWith('--api-server=https://')) return `--kubeconfig=${kubeconfig}`;
      return arg;
    });
    assert.equal(roots, 1, `one --host-root=/host in ${args.join(' ')}`);
    // In a pod the in-cluster config; here the kubeconfig.
    if (!local.some((arg) => arg.startsWith('--api-server=') || arg.startsWith('--kubeconfig='))) local.push(`--kubeconfig=${kubeconfig}`);
    return local;
  }

  /** Starts `run` as the DaemonSet would (env from the downward API); returns it and its metrics port. */
  async function startPod(args: readonly string[], root: string, launcher: readonly string[] = []): Promise<{ pod: LabellerProcess; port: number }> {
    const metrics = args.find((arg) => arg.startsWith('--metrics-address='));
    const port = Number(/^--metrics-address=:(\d+)$/.exec(metrics ?? '')?.[1]);
    assert.ok(port > 0, `rendered metrics address ${metrics}`);
    await assertPortFree(port);
    actor = 'labeller';
    const pod = LabellerProcess.start(localArgs(args, root), { NODE_NAME: NODE, POD_NAMESPACE: NAMESPACE }, launcher);
    processes.push(pod);
    return { pod, port };
  }

  const labelsOf = () => server.getNode(NODE)?.metadata.labels ?? {};
  const annotationsOf = () => server.getNode(NODE)?.metadata.annotations ?? {};
  const hasAll = (expected: Record<string, string>) => () => Object.entries(expected).every(([k, v]) => labelsOf()[k] === v);

  async function ready(port: number): Promise<boolean> {
    try {
      return (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200;
    } catch {
      return false;
    }
  }

  function assertNoRefusal(pod: LabellerProcess): void {
    const bad = pod.logs.filter((line) => line.level === 'error' || /refused|forbidden|invalid/i.test(line.message));
    assert.deepEqual(bad, [], pod.transcript());
    assert.deepEqual(pod.otherOutput.filter((line) => line !== ''), [], 'only JSON log lines');
  }

  for (const [name, c] of Object.entries(CASES)) {
    test(name, async () => {
      const rendered = renderChart({ apiVersions: [VAP_API], values: c.values });
      const args = labeller(rendered, c.variant).container.args ?? [];
      const l4tVariant = (c.variant === 'main' ? 'l4t' : 'edge-l4t') as Variant;
      assert.deepEqual(labeller(rendered, l4tVariant).container.args, args, 'the -l4t pod runs the same command');
      const cleanupArgs = oneOf<IJob>(rendered, 'Job').spec?.template.spec?.containers[0]?.args ?? [];
      assert.deepEqual(cleanupArgs.slice(0, 2), ['cleanup', '--all-nodes']);
      const base = { 'kubernetes.io/hostname': NODE, 'kubernetes.io/arch': 'arm64' };
      server.addNode(NODE, { labels: base, annotations: { 'node.alpha.kubernetes.io/ttl': '0' } });
      server.addNode('x86-1', { labels: { 'kubernetes.io/arch': 'amd64' } });

      // 1. The pod on a fresh Jetson: every label, l4t.devicetree=true among them, and an Event in default.
      const first = await startPod(args, hostRoot);
      await eventually(hasAll(c.labels), `the labels\n${first.pod.transcript()}`, CONVERGE_MS);
      assert.deepEqual(labelsOf(), { ...base, ...c.labels });
      assert.equal(annotationsOf()[c.annotation], Object.keys(c.labels).sort().join(','));
      await eventually(() => server.events('default').some((e) => e.reason === 'LabelsUpdated'), 'a LabelsUpdated Event in namespace default', CONVERGE_MS);
      const event = server.events('default').find((e) => e.reason === 'LabelsUpdated')!;
      assert.equal((event.involvedObject as { kind?: string; name?: string }).name, NODE);
      assert.deepEqual(new Set(server.events().map((e) => e.metadata.namespace)), new Set(['default']));
      await eventually(() => ready(first.port), `/readyz on the rendered port ${first.port}`, CONVERGE_MS);
      assertNoRefusal(first.pod);
      assert.equal((await first.pod.signal('SIGTERM')).code, 0);
      assert.ok(hasAll(c.labels)(), 'labels stay when the pod stops');

      // 2. The DaemonSet controller swaps it for the -l4t pod, which also sees /etc/nv_tegra_release.
      const second = await startPod(args, l4tHostRoot);
      const all = { ...c.labels, ...c.releaseFacts };
      await eventually(hasAll(all), `the release facts\n${second.pod.transcript()}`, CONVERGE_MS);
      assert.deepEqual(labelsOf(), { ...base, ...all });
      assert.equal(annotationsOf()[c.annotation], Object.keys(all).sort().join(','), 'the same instance: one record');
      assertNoRefusal(second.pod);
      assert.equal((await second.pod.signal('SIGTERM')).code, 0);

      // 3. helm uninstall: the cleanup Job's exact args (its in-cluster access swapped for the kubeconfig).
      actor = 'cleanup';
      const cleanup = LabellerProcess.start([...cleanupArgs, `--kubeconfig=${kubeconfig}`]);
      processes.push(cleanup);
      const exit = await cleanup.exited;
      assert.equal(exit.code, 0, `${cleanup.stdout}\n${cleanup.transcript()}`);
      assert.match(cleanup.stdout, new RegExp(`^${NODE}: removed `, 'm'));
      assert.match(cleanup.stdout, /^x86-1: nothing to remove$/m);
      assert.deepEqual(labelsOf(), base);
      assert.deepEqual(annotationsOf(), { 'node.alpha.kubernetes.io/ttl': '0' });

      // Every write, judged by the rendered policy. (KubeEdge's edge writes reach a real API server as cloudcore
      // or the node and are not judged there; holding them to the labeller's rules anyway costs nothing.)
      if (celSkip === false) {
        const vap = oneOf<IValidatingAdmissionPolicy>(rendered, 'ValidatingAdmissionPolicy');
        assert.ok(writes.some((w) => w.actor === 'labeller') && writes.some((w) => w.actor === 'cleanup'));
        for (const write of writes) {
          const [user, token]: [string, Token] = write.actor === 'labeller' ? [LABELLER_SA, NODE] : [CLEANUP_SA, 'no extra'];
          const decision = judgeNodeUpdate(vap, user, token, write.before, write.after);
          assert.deepEqual(decision, [], `${write.actor}: ${JSON.stringify(write.before.metadata)} -> ${JSON.stringify(write.after.metadata)}`);
        }
      }
    });
  }

  test('non-root: a blob it cannot read gives way to the expanded tree under the same host root', async () => {
    const rendered = renderChart({ values: { security: { runAsNonRoot: true } } });
    const args = labeller(rendered).container.args ?? [];
    const root = join(dir, 'host-non-root');
    mkdirSync(join(root, 'sys/firmware'), { recursive: true });
    copyFileSync(NANO_DTB, join(root, 'sys/firmware/fdt'));
    chmodSync(join(root, 'sys/firmware/fdt'), 0o400); // as sysfs has it: root only
    expandTree(parseBlob(readFileSync(NANO_DTB)).root, join(root, 'sys/firmware/devicetree/base'));
    // Run as uid 65532, as the chart's non-root mode does (from root, through setpriv): it needs to reach the tree.
    const launcher = process.getuid?.() === 0 ? asNonRootUser() : [];
    for (let at = root; at.startsWith(dir) || at === dir; at = dirname(at)) chmodSync(at, 0o755);
    server.addNode(NODE);
    const { pod } = await startPod(args, root, launcher);
    await eventually(hasAll(DEFAULT_CASE.labels), `the labels from the expanded tree\n${pod.transcript()}`, CONVERGE_MS);
  });
});
