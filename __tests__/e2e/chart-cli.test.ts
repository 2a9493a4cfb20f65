// tier: full (the chart in the real kube-apiserver)
// End to end: the chart installed into a real kube-apiserver (its RBAC, ServiceAccounts and, where the values
// render it, its ValidatingAdmissionPolicy), and the command lines it renders run by the built CLI (dist/) with
// ServiceAccount tokens bound to Pods made from its own pod templates, so the API server's authorizer and
// admission judge every request as they would in a cluster. Only what cannot exist on a test machine is
// swapped: --host-root=/host becomes a temporary host root; the pod's in-cluster access becomes a kubeconfig
// holding the same pod-bound token; KubeEdge's MetaServer is a proxy with edgecore's rules in front of the
// real server (envtest/metaserver-proxy.ts). No kubelet runs the Pods: they stay Pending, bound to the node.
import assert from 'node:assert/strict';
import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import type { IJob } from 'kubernetes-models/batch/v1/Job';
import type { IPodTemplateSpec } from 'kubernetes-models/v1/PodTemplateSpec';
import { daemonSets, FULLNAME, labeller, NAMESPACE, oneOf, VAP_API, type Variant } from '../charts/chart.ts';
import { envtestSkip } from '../helpers/envtest/assets.ts';
import { ControlPlane } from '../helpers/envtest/control-plane.ts';
import { MetaServerProxy } from '../helpers/envtest/metaserver-proxy.ts';
import { eventually } from '../helpers/eventually.ts';
import { JETSON_NANO_COMPATIBLE_LABELS, JETSON_NANO_FACTS } from '../helpers/expected-labels.ts';
import { type Rendered, renderChart } from '../helpers/helm.ts';
import { makeHostRoot, NV_TEGRA_RELEASE_R32_7_1 } from '../helpers/host-root.ts';
import { asNonRootUser, LabellerProcess } from '../helpers/labeller-process.ts';
import { REPO } from '../helpers/run-cli.ts';
import { scratchDirs } from '../helpers/scratch-dirs.ts';
import { assertNoRefusal, assertPortFree, ready } from './rendered-pod.ts';

const NANO_DTB = join(REPO, 'examples/devicetree/jetson-nano.dtb');
const NODE = 'nano';
const CONVERGE_MS = 8000;

interface Case {
  readonly values: Record<string, unknown>;
  /** The DaemonSet without the release file; its -l4t partner takes over on the same node. */
  readonly variant: Extract<Variant, 'main' | 'edge'>;
  /** What the node gets before and after the hand-over. */
  readonly labels: Record<string, string>;
  readonly releaseFacts: Record<string, string>;
  readonly annotation: string;
  /** A label key under the labeller's prefix, for the policy's refusals. */
  readonly ownKey: string;
}

const rekey = (labels: Readonly<Record<string, string>>, from: string, to: string) =>
  Object.fromEntries(Object.entries(labels).map(([key, value]) => [key.startsWith(from) ? to + key.slice(from.length) : key, value]));
const T = 'tegra.beta.devicetree.org/';
const RELEASE_FACTS = { [`${T}l4t.release`]: '32.7.1', [`${T}l4t.major`]: '32', [`${T}jetpack.major`]: '4' };
const DEFAULT_CASE = {
  labels: { ...JETSON_NANO_COMPATIBLE_LABELS, ...JETSON_NANO_FACTS },
  releaseFacts: RELEASE_FACTS,
  annotation: 'dt-node-labeller.beta.devicetree.org/owned-labels',
  ownKey: 'beta.devicetree.org/made-up',
};

const CASES: Record<string, Case> = {
  'default values': { values: {}, variant: 'main', ...DEFAULT_CASE },
  'security.runAsNonRoot': { values: { security: { runAsNonRoot: true } }, variant: 'main', ...DEFAULT_CASE },
  'KubeEdge, MetaServer without authorization (http on loopback)': { values: { kubeedge: { enabled: true } }, variant: 'edge', ...DEFAULT_CASE },
  'KubeEdge with requireAuthorization': { values: { kubeedge: { enabled: true, requireAuthorization: true } }, variant: 'edge', ...DEFAULT_CASE },
  "an instance, a tegra prefix, nvidia.com/gpu.present and GFD's keys": {
    values: { labeller: { instance: 'jetson' }, tegra: { prefix: 'jetson.example.com', nvidiaGpuPresent: true, gfdLabels: true } },
    variant: 'main',
    labels: {
      ...JETSON_NANO_COMPATIBLE_LABELS,
      ...rekey(JETSON_NANO_FACTS, T, 'jetson.example.com/'),
      'nvidia.com/gpu.present': 'true',
      // A Nano's GPU as GFD names it (CUDA's "NVIDIA Tegra X1"), and the 4 GB module's RAM in MiB.
      'nvidia.com/gpu.product': 'NVIDIA-Tegra-X1',
      'nvidia.com/gpu.family': 'maxwell',
      'nvidia.com/gpu.compute.major': '5',
      'nvidia.com/gpu.compute.minor': '3',
      'nvidia.com/gpu.count': '1',
      'nvidia.com/gpu.memory': '4096',
    },
    releaseFacts: rekey(RELEASE_FACTS, T, 'jetson.example.com/'),
    annotation: 'jetson.dt-node-labeller.beta.devicetree.org/owned-labels',
    ownKey: 'jetson.example.com/made-up',
  },
};

const mergePatch = { contentType: 'application/merge-patch+json' };

describe('the chart installed in a real API server, its command lines run by the built CLI', { skip: envtestSkip() }, () => {
  let plane: ControlPlane;
  let meta: MetaServerProxy;
  let dir = '';
  let hostRoot = '';
  let l4tHostRoot = '';
  const processes: LabellerProcess[] = [];
  /** What each test installed, removed after it (cluster-scoped RBAC and the policy outlive a namespace's contents). */
  let installed: Rendered[] = [];
  const scratch = scratchDirs('chart-cli-');

  before(async () => {
    // As on an edge node without requireAuthorization, and on any test machine: no in-cluster credentials, so the
    // CLI's own rules (not a pod's service account, should the tests run in one) decide the cluster access.
    delete process.env.KUBERNETES_SERVICE_HOST;
    plane = await ControlPlane.start();
    meta = await MetaServerProxy.start(plane);
    // The namespace as the README says to make it: hostPath volumes need the privileged Pod Security level.
    await plane.ok('POST', '/api/v1/namespaces', { metadata: { name: NAMESPACE, labels: { 'pod-security.kubernetes.io/enforce': 'privileged' } } });
    dir = scratch();
    // The host as the DaemonSet pods see it under /host: /sys/firmware (fdt, and the expanded tree for non-root),
    // and in the -l4t pods /etc/nv_tegra_release too.
    hostRoot = makeHostRoot(join(dir, 'host'), NANO_DTB);
    l4tHostRoot = makeHostRoot(join(dir, 'host-l4t'), NANO_DTB, { release: NV_TEGRA_RELEASE_R32_7_1 });
  });
  after(async () => {
    await meta?.stop();
    await plane?.stop();
  });
  afterEach(async () => {
    for (const child of processes.splice(0)) await child.kill();
    await plane.deleteAllNodes();
    await plane.deleteEvents();
    await plane.call('DELETE', `/api/v1/namespaces/${NAMESPACE}/pods?gracePeriodSeconds=0`);
    if (installed.length > 0) {
      const result = await plane.kubectl(['delete', '--ignore-not-found', '--wait=false', '-f', '-'], {
        input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: installed.map((r) => r.object) }),
      });
      assert.equal(result.code, 0, result.stderr);
      installed = [];
    }
  });

  /** `kubectl apply` of everything the chart renders but its `helm test` Pod, as `helm install` would create it. */
  async function install(rendered: Rendered[]): Promise<void> {
    installed = rendered.filter((r) => r.object.kind !== 'Pod');
    await plane.apply(installed.map((r) => r.object));
  }

  /** A token of `template`'s ServiceAccount bound to a Pod made from it (ControlPlane.podToken). */
  const podToken = async (template: IPodTemplateSpec, name: string, nodeName?: string): Promise<string> => (await plane.podToken(NAMESPACE, template, name, nodeName)).token;

  /** The rendered args with only the host root and the cluster access swapped for the test's. */
  function localArgs(args: readonly string[], root: string, kubeconfig: string): string[] {
    let roots = 0;
    const local = args.map((arg) => {
      if (arg === '--host-root=/host') {
        roots++;
        return `--host-root=${root}`;
      }
      // MetaServer without authorization: plain HTTP on loopback, no credentials.
      if (arg.startsWith('--api-server=http://')) return `--api-server=${meta.url}`;
      // With requireAuthorization the pod's token and the cluster CA go to MetaServer's HTTPS, which authorizes
      // the request as the pod's ServiceAccount: here the same token goes to the API server itself.
      if (arg.startsWith('--api-server=https://')) return `--kubeconfig=${kubeconfig}`;
      return arg;
    });
    assert.equal(roots, 1, `one --host-root=/host in ${args.join(' ')}`);
    // In a pod the in-cluster config; here the kubeconfig with the same token.
    if (!local.some((arg) => arg.startsWith('--api-server=') || arg.startsWith('--kubeconfig='))) local.push(`--kubeconfig=${kubeconfig}`);
    return local;
  }

  /** Starts `run` as the DaemonSet would (env from the downward API); returns it and its metrics port. */
  async function startPod(args: readonly string[], root: string, kubeconfig: string, as?: ReturnType<typeof asNonRootUser>): Promise<{ pod: LabellerProcess; port: number }> {
    const metrics = args.find((arg) => arg.startsWith('--metrics-address='));
    const port = Number(/^--metrics-address=:(\d+)$/.exec(metrics ?? '')?.[1]);
    assert.ok(port > 0, `rendered metrics address ${metrics}`);
    await assertPortFree(port);
    const pod = LabellerProcess.start(localArgs(args, root, kubeconfig), { NODE_NAME: NODE, POD_NAMESPACE: NAMESPACE }, as);
    processes.push(pod);
    return { pod, port };
  }

  const labelsOf = () => plane.labels(NODE);
  const annotationsOf = () => plane.annotations(NODE);
  const hasAll = (expected: Record<string, string>) => async () => {
    const labels = await labelsOf();
    return Object.entries(expected).every(([k, v]) => labels[k] === v);
  };

  /** A merge patch of a Node's labels, dry run (admission runs, nothing is stored), with `token`. */
  const tryLabel = (node: string, labels: Record<string, string | null>, token: string) =>
    plane.call<{ message?: string }>('PATCH', `/api/v1/nodes/${node}?dryRun=All`, { metadata: { labels } }, { ...mergePatch, token });

  for (const [name, c] of Object.entries(CASES)) {
    test(name, async () => {
      const rendered = renderChart({ apiVersions: [VAP_API], values: c.values });
      const args = labeller(rendered, c.variant).container.args ?? [];
      const l4tVariant = (c.variant === 'main' ? 'l4t' : 'edge-l4t') as Variant;
      assert.deepEqual(labeller(rendered, l4tVariant).container.args, args, 'the -l4t pod runs the same command');
      const job = oneOf<IJob>(rendered, 'Job');
      const cleanupArgs = job.spec?.template.spec?.containers[0]?.args ?? [];
      assert.deepEqual(cleanupArgs.slice(0, 2), ['cleanup', '--all-nodes']);
      await install(rendered);
      const base = { 'kubernetes.io/hostname': NODE, 'kubernetes.io/arch': 'arm64' };
      await plane.createNode(NODE, { labels: base, annotations: { 'node.alpha.kubernetes.io/ttl': '0' } });
      await plane.createNode('x86-1', { labels: { 'kubernetes.io/arch': 'amd64' } });
      const sets = daemonSets(rendered);
      const token = await podToken(sets.get(c.variant)!.spec!.template, `${FULLNAME}-${c.variant}-pod`, NODE);
      const kubeconfig = plane.kubeconfig(dir, { token, fileName: `${c.variant}.kubeconfig` });

      // The policy is in force once the API server has loaded it: a dry-run write it must refuse tells.
      await eventually(async () => (await tryLabel('x86-1', { [c.ownKey]: '1' }, token)).status === 403, 'the admission policy in force', 10_000, 100);
      // ... and with this release's parameters: the previous case's may still be loaded, which refuse this
      // case's prefixes (a labeller that starts within a few hundred ms meets them).
      const specific = Object.keys(c.labels).sort((a, b) => Number(a.startsWith('beta.devicetree.org/')) - Number(b.startsWith('beta.devicetree.org/')))[0]!;
      const claim = { metadata: { labels: { [specific]: c.labels[specific]! }, annotations: { [c.annotation]: specific } } };
      const allowed = async () => (await plane.call('PATCH', `/api/v1/nodes/${NODE}?dryRun=All`, claim, { ...mergePatch, token })).status === 200;
      await eventually(allowed, "the policy's parameters in force", 10_000, 100);

      // 1. The pod on a fresh Jetson: every label, l4t.devicetree=true among them, and an Event in default.
      const first = await startPod(args, hostRoot, kubeconfig);
      await eventually(hasAll(c.labels), () => `the labels\n${first.pod.transcript()}`, CONVERGE_MS, 50);
      assert.deepEqual(await labelsOf(), { ...base, ...c.labels });
      assert.equal((await annotationsOf())[c.annotation], Object.keys(c.labels).sort().join(','));
      const updated = async () => (await plane.events('default')).filter((e) => e.reason === 'LabelsUpdated');
      await eventually(async () => (await updated()).length > 0, 'a LabelsUpdated Event in namespace default', CONVERGE_MS, 50);
      assert.equal(((await updated())[0]!.involvedObject as { name?: string }).name, NODE);
      const aboutNodes = (await plane.events()).filter((e) => (e.involvedObject as { kind?: string }).kind === 'Node');
      assert.deepEqual(new Set(aboutNodes.map((e) => e.metadata.namespace)), new Set(['default']), 'Events about Nodes only in default');
      await eventually(() => ready(first.port), `/readyz on the rendered port ${first.port}`, CONVERGE_MS);
      assertNoRefusal(first.pod);
      assert.equal((await first.pod.signal('SIGTERM')).code, 0);
      assert.ok(await hasAll(c.labels)(), 'labels stay when the pod stops');

      // 2. The DaemonSet controller swaps it for the -l4t pod, which also sees /etc/nv_tegra_release.
      const second = await startPod(args, l4tHostRoot, kubeconfig);
      const all = { ...c.labels, ...c.releaseFacts };
      await eventually(hasAll(all), () => `the release facts\n${second.pod.transcript()}`, CONVERGE_MS, 50);
      assert.deepEqual(await labelsOf(), { ...base, ...all });
      assert.equal((await annotationsOf())[c.annotation], Object.keys(all).sort().join(','), 'the same instance: one record');
      assertNoRefusal(second.pod);
      assert.equal((await second.pod.signal('SIGTERM')).code, 0);

      // What the pod's token may not do, refused by the real authorizer and admission policy.
      const policy = `ValidatingAdmissionPolicy '${FULLNAME}'`;
      const other = await tryLabel('x86-1', { [c.ownKey]: '1' }, token);
      assert.equal(other.status, 403);
      assert.match(other.body.message ?? '', new RegExp(`${policy}.*may only change the Node its own pod runs on`));
      const foreign = await tryLabel(NODE, { 'example.com/foreign': '1' }, token);
      assert.equal(foreign.status, 403);
      assert.match(foreign.body.message ?? '', /may add labels only under/);
      const taken = await tryLabel(NODE, { 'kubernetes.io/arch': null }, token);
      assert.equal(taken.status, 403);
      assert.match(taken.body.message ?? '', /may remove only labels its ownership annotation .* listed before/);
      assert.equal((await plane.call('DELETE', '/api/v1/nodes/x86-1?dryRun=All', undefined, { token })).status, 403, 'RBAC grants no delete');
      assert.equal((await plane.call('GET', `/api/v1/namespaces/${NAMESPACE}/secrets`, undefined, { token })).status, 403, 'RBAC grants no secrets');

      // 3. helm uninstall: the cleanup Job's exact args, with a token of its ServiceAccount bound to a Job pod.
      const cleanupToken = await podToken(job.spec!.template, `${FULLNAME}-cleanup-pod`);
      const cleanup = LabellerProcess.start([...cleanupArgs, `--kubeconfig=${plane.kubeconfig(dir, { token: cleanupToken, fileName: 'cleanup.kubeconfig' })}`]);
      processes.push(cleanup);
      const exit = await cleanup.exited;
      assert.equal(exit.code, 0, `${cleanup.stdout}\n${cleanup.transcript()}`);
      assert.match(cleanup.stdout, new RegExp(`^${NODE}: removed `, 'm'));
      assert.match(cleanup.stdout, /^x86-1: nothing to remove$/m);
      assert.deepEqual(await labelsOf(), base);
      assert.deepEqual(await annotationsOf(), { 'node.alpha.kubernetes.io/ttl': '0' });
      // The cleanup hook removes; it may not add, even under the prefix.
      const adding = await tryLabel(NODE, { [c.ownKey]: '1' }, cleanupToken);
      assert.equal(adding.status, 403);
      assert.match(adding.body.message ?? '', /its cleanup hook may add none/);
    });
  }

  test('non-root: a blob it cannot read gives way to the expanded tree under the same host root', async () => {
    const rendered = renderChart({ values: { security: { runAsNonRoot: true } } });
    await install(rendered);
    const args = labeller(rendered).container.args ?? [];
    const root = makeHostRoot(join(dir, 'host-non-root'), NANO_DTB, { fdtMode: 0o400 }); // as sysfs has it: root only
    chmodSync(dir, 0o755);
    await plane.createNode(NODE);
    const token = await podToken(daemonSets(rendered).get('main')!.spec!.template, `${FULLNAME}-non-root-pod`, NODE);
    // Run as uid 65532, as the chart's non-root mode does (from root, through setpriv).
    const as = process.getuid?.() === 0 ? asNonRootUser() : undefined;
    const kubeconfig = plane.kubeconfig(as?.dir ?? dir, { token, fileName: 'non-root.kubeconfig' });
    const { pod } = await startPod(args, root, kubeconfig, as);
    await eventually(hasAll(DEFAULT_CASE.labels), () => `the labels from the expanded tree\n${pod.transcript()}`, CONVERGE_MS, 50);
  });
});
