// tier: full (the chart's NodeFeature mode in a real kube-apiserver, with NFD's own CRD)
// End to end: the chart rendered with nfd.nodeFeature.enabled, its RBAC installed into a real kube-apiserver
// that serves NFD's own NodeFeature CRD (fixtures/nfd-nodefeature-crd.yaml, as NFD ships it), and the command
// lines it renders run by the built CLI (dist/) with ServiceAccount tokens bound to Pods made from its own pod
// templates. Only what cannot exist on a test machine is swapped: --host-root=/host becomes a temporary host
// root holding sys/firmware/fdt, and the pod's in-cluster access becomes a kubeconfig with the same pod-bound
// token. There is no nfd-master: the NodeFeature object is the end of the line, and the Node must stay as it
// is. No kubelet, scheduler or controller-manager either: Pods stay Pending, namespaces are never deleted.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import type { IJob } from 'kubernetes-models/batch/v1/Job';
import type { IEnvVar } from 'kubernetes-models/v1/EnvVar';
import type { IPodTemplateSpec } from 'kubernetes-models/v1/PodTemplateSpec';
import { discover } from '../../src/discover.ts';
import type { NfdFeatures } from '../../src/nfd/node-feature.ts';
import { daemonSet, FULLNAME, labeller, NAMESPACE, oneOf, SCENARIOS } from '../charts/chart.ts';
import { envtestSkip } from '../helpers/envtest/assets.ts';
import { ControlPlane, type KubeObject } from '../helpers/envtest/control-plane.ts';
import { installNodeFeatureCrd, installNodeFeatureRuleCrd, NODE_FEATURES_API } from '../helpers/envtest/nfd-crd.ts';
import { eventually } from '../helpers/eventually.ts';
import { JETSON_NANO_LABELS } from '../helpers/expected-labels.ts';
import { type Rendered, renderChart } from '../helpers/helm.ts';
import { LabellerProcess } from '../helpers/labeller-process.ts';
import { REPO, runCli } from '../helpers/run-cli.ts';
import { scratchDirs } from '../helpers/scratch-dirs.ts';
import { assertNoRefusal, assertPortFree, ready } from './rendered-pod.ts';

const NANO_DTB = join(REPO, 'examples/devicetree/jetson-nano.dtb');
const NODE = 'nano';
const NODE_LABELS = { 'kubernetes.io/hostname': NODE, 'kubernetes.io/arch': 'arm64', 'kubernetes.io/os': 'linux' };
const NODE_ANNOTATIONS = { 'node.alpha.kubernetes.io/ttl': '0' };
/** What the labeller's own code names its object and marks it with (src/nfd/node-feature.ts). */
const OBJECT_NAME = `dt-node-labeller-${NODE}`;
const NODE_NAME_LABEL = 'nfd.node.kubernetes.io/node-name';
const MANAGED_BY = { 'app.kubernetes.io/managed-by': 'dt-node-labeller' };
const RBAC_KINDS = new Set(['ServiceAccount', 'Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding']);
const CONVERGE_MS = 10_000;
const mergePatch = { contentType: 'application/merge-patch+json' };

interface NodeFeatureObject extends KubeObject {
  spec: { labels?: Record<string, string>; features?: unknown; [key: string]: unknown };
}

/** The value of a rendered `--flag=value` argument. */
function flagValue(args: readonly string[], flag: string): string {
  const found = args.filter((arg) => arg.startsWith(`${flag}=`));
  assert.equal(found.length, 1, `one ${flag}= in ${args.join(' ')}`);
  return found[0]!.slice(flag.length + 1);
}

describe("the chart's NodeFeature mode in a real API server with NFD's CRD", { skip: envtestSkip() }, () => {
  let plane: ControlPlane;
  let rendered: Rendered[];
  /** The DaemonSet's labeller args, and the cleanup Job's, exactly as rendered. */
  let args: string[];
  let cleanupArgs: string[];
  /** Where the NodeFeature objects go (--nodefeature-namespace as rendered). */
  let featureNamespace = '';
  let expected: Record<string, string>;
  /** The features the pod should publish beside them, as discover() gives them for its host root. */
  let expectedFeatures: NfdFeatures;
  let dir = '';
  let hostRoot = '';
  let nodeResourceVersion = '';
  /** The rendered cleanup command run before NFD's CRD was installed. */
  let withoutCrd: { code: number | null; stdout: string; stderr: string };
  const processes: LabellerProcess[] = [];
  const scratch = scratchDirs('node-feature-e2e-');
  let pods = 0;

  const objectPath = (name = OBJECT_NAME, namespace = featureNamespace) => `${NODE_FEATURES_API}/namespaces/${namespace}/nodefeatures/${name}`;
  const object = async (): Promise<NodeFeatureObject | undefined> => {
    const answer = await plane.call<NodeFeatureObject>('GET', objectPath());
    if (answer.status === 404) return undefined;
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    return answer.body;
  };
  const publishedExactly = (labels: Record<string, string>) => async () => isDeepStrictEqual((await object())?.spec.labels, labels);

  before(async () => {
    // As on any test machine: no in-cluster credentials, so the kubeconfig given decides the cluster access.
    delete process.env.KUBERNETES_SERVICE_HOST;
    // Its own metrics port (metrics.port), so this file and chart-cli.test.ts, which run side by side, never
    // both bind the default :8080.
    const nodeFeature = SCENARIOS['NFD NodeFeature']!;
    rendered = renderChart({ ...nodeFeature, values: { ...(nodeFeature.values as object), metrics: { port: 18081 } } });
    args = labeller(rendered).container.args ?? [];
    assert.ok(args.includes('--publish-nodefeature'), `the NodeFeature scenario renders --publish-nodefeature: ${args.join(' ')}`);
    featureNamespace = flagValue(args, '--nodefeature-namespace');
    const job = oneOf<IJob>(rendered, 'Job');
    cleanupArgs = job.spec?.template.spec?.containers[0]?.args ?? [];

    plane = await ControlPlane.start();
    // Before NFD is installed, the API server answers NodeFeature paths with a plain "404 page not found".
    const early = LabellerProcess.start([...cleanupArgs, `--kubeconfig=${plane.kubeconfig(scratch())}`]);
    processes.push(early);
    withoutCrd = { code: (await early.exited).code, stdout: early.stdout, stderr: early.otherOutput.join('\n') };
    await installNodeFeatureCrd(plane);

    // Namespaces as the README has them made (hostPath volumes need the privileged Pod Security level), and
    // the one the NodeFeature objects go to, where the chart puts its Roles.
    await plane.ok('POST', '/api/v1/namespaces', { metadata: { name: NAMESPACE, labels: { 'pod-security.kubernetes.io/enforce': 'privileged' } } });
    await plane.ok('POST', '/api/v1/namespaces', { metadata: { name: featureNamespace } });
    // The chart's RBAC, the cleanup hook's included (helm creates those just before the hook runs); not the
    // `helm test` Pod's.
    const rbac = rendered.filter((r) => RBAC_KINDS.has(String(r.object.kind)) && !r.source.includes('/templates/tests/')).map((r) => r.object);
    assert.ok(
      rbac.some((o) => o.kind === 'Role'),
      'the scenario renders Roles',
    );
    await plane.apply(rbac);

    dir = scratch();
    hostRoot = join(dir, 'host');
    mkdirSync(join(hostRoot, 'sys/firmware'), { recursive: true });
    copyFileSync(NANO_DTB, join(hostRoot, 'sys/firmware/fdt'));

    const node = await plane.createNode(NODE, { labels: NODE_LABELS, annotations: NODE_ANNOTATIONS });
    nodeResourceVersion = node.metadata.resourceVersion ?? '';

    // What the pod should publish: the dry run with the rendered label flags (only --prefix here).
    const dryRun = runCli(['labels', '--dtb', NANO_DTB, `--prefix=${flagValue(args, '--prefix')}`, '-o', 'json']);
    assert.equal(dryRun.status, 0, dryRun.stderr);
    expected = JSON.parse(dryRun.stdout) as Record<string, string>;
    assert.deepEqual(expected, JETSON_NANO_LABELS, 'the dry run agrees with the labels written out by hand');
    const prefix = flagValue(args, '--prefix');
    const found = discover({ location: { hostRoot }, nodeNames: [], prefix, includeDisabled: false, tegra: { prefix: `tegra.${prefix}`, gpuPresent: false }, features: true });
    assert.deepEqual(found.labels, expected, 'the same labels in-process');
    expectedFeatures = found.features!.features;
  });
  after(async () => {
    for (const child of processes.splice(0)) await child.kill();
    await plane?.stop();
  });
  afterEach(async () => {
    for (const child of processes.splice(0)) await child.kill();
  });

  /** A Pod made from `template` (bound to `nodeName`, if given) and a token of its ServiceAccount bound to it. */
  const podToken = (template: IPodTemplateSpec, nodeName?: string): Promise<{ pod: KubeObject; token: string }> =>
    plane.podToken(NAMESPACE, template, `${FULLNAME}-pod-${++pods}`, nodeName);

  /** The container's env as the kubelet would fill it for `pod` (plain values and the downward API fields it uses). */
  function containerEnv(env: readonly IEnvVar[], pod: KubeObject): Record<string, string> {
    const resolved: Record<string, string> = {};
    for (const variable of env) {
      const path = variable.valueFrom?.fieldRef?.fieldPath;
      if (path === undefined) {
        assert.ok(variable.valueFrom === undefined, `env ${variable.name}: only plain values and fieldRefs are resolved here`);
        resolved[variable.name] = variable.value ?? '';
        continue;
      }
      let value: unknown = pod;
      for (const step of path.split('.')) value = (value as Record<string, unknown> | undefined)?.[step];
      assert.equal(typeof value, 'string', `env ${variable.name} from ${path}`);
      resolved[variable.name] = value as string;
    }
    return resolved;
  }

  /**
   * Starts the main DaemonSet's labeller as its pod on NODE would run: the rendered args with --host-root
   * swapped and a kubeconfig holding the pod-bound token added, and its env. `change` may alter the args
   * further (said where it is used).
   */
  async function startPod(change: (args: string[]) => string[] = (a) => a): Promise<{ labeller: LabellerProcess; port: number; token: string }> {
    const template = daemonSet(rendered).spec!.template;
    const { pod, token } = await podToken(template, NODE);
    assert.ok(!args.some((arg) => arg.startsWith('--kubeconfig') || arg.startsWith('--api-server')), 'in-cluster config as rendered');
    assert.equal(args.filter((arg) => arg === '--host-root=/host').length, 1, `one --host-root=/host in ${args.join(' ')}`);
    const local = args.map((arg) => (arg === '--host-root=/host' ? `--host-root=${hostRoot}` : arg));
    local.push(`--kubeconfig=${plane.kubeconfig(dir, { token, fileName: `${pod.metadata.name}.kubeconfig` })}`);
    const final = change(local);
    const port = Number(/^:(\d+)$/.exec(flagValue(final, '--metrics-address'))?.[1]);
    assert.ok(port > 0, 'the rendered metrics port');
    await assertPortFree(port);
    const env = containerEnv(labeller(rendered).container.env ?? [], pod);
    assert.deepEqual(env, { NODE_NAME: NODE, POD_NAMESPACE: NAMESPACE });
    const child = LabellerProcess.start(final, env);
    processes.push(child);
    return { labeller: child, port, token };
  }

  /** eventually(), with what `child` logged by then added to a timeout's message. */
  async function until(child: LabellerProcess, check: () => Promise<boolean>, what: string, ms = CONVERGE_MS): Promise<void> {
    await eventually(check, what, ms, 50).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${child.transcript()}`);
    });
  }

  /** The Node must be exactly as registered: nothing wrote it (same resourceVersion), so no label and no annotation. */
  async function assertNodeUntouched(): Promise<void> {
    const node = await plane.node(NODE);
    assert.equal(node?.metadata.resourceVersion, nodeResourceVersion, 'the Node was not written');
    assert.deepEqual(node?.metadata.labels, NODE_LABELS);
    assert.deepEqual(node?.metadata.annotations, NODE_ANNOTATIONS);
  }

  /** Someone edits the object's spec.labels as `kubectl patch --type merge` does; also adds a feature set. */
  async function editLabels(): Promise<void> {
    const [dropped] = Object.keys(expected);
    const patch = { spec: { labels: { [dropped!]: null, 'extra.example.com/x': 'y' }, features: { flags: { 'example.flags': { elements: { a: {} } } } } } };
    const edited = await plane.kubectl(['patch', 'nodefeature', OBJECT_NAME, '-n', featureNamespace, '--type', 'merge', '-p', JSON.stringify(patch)]);
    assert.equal(edited.code, 0, edited.stderr);
    const now = await object();
    assert.equal(now?.spec.labels?.['extra.example.com/x'], 'y');
    assert.equal(now?.spec.labels?.[dropped!], undefined);
  }

  test("the DaemonSet pod publishes its NodeFeature with the dry run's labels and leaves the Node alone", async () => {
    const { labeller: pod, port } = await startPod();
    await until(pod, publishedExactly(expected), `NodeFeature ${featureNamespace}/${OBJECT_NAME} with the dry run's labels`);
    const published = (await object())!;
    assert.deepEqual(published.metadata.labels, { [NODE_NAME_LABEL]: NODE, ...MANAGED_BY }, 'tied to its node for nfd-master, and marked as ours');
    assert.deepEqual(Object.keys(published.spec).sort(), ['features', 'labels'], 'labels and features, nothing else in spec');
    // NFD's schema kept every field (nothing pruned), and the Nano's tree is all there.
    assert.deepEqual(published.spec.features, expectedFeatures);
    assert.equal((published.spec.features as NfdFeatures).instances?.['devicetree.node']?.elements.length, 15); // dtc -O dts: 15 nodes with a compatible
    assert.equal(published.metadata.generation, 1);
    await eventually(() => ready(port), `/readyz on the rendered port ${port}`, CONVERGE_MS, 50);
    await pod.waitForLog(new RegExp(`^created NodeFeature ${featureNamespace}/${OBJECT_NAME}$`));
    assertNoRefusal(pod);
    await assertNodeUntouched();
    assert.equal((await pod.signal('SIGTERM')).code, 0);
    assert.ok(await publishedExactly(expected)(), 'the object stays when the pod stops');
  });

  test("RBAC as rendered: the labeller's token reaches its NodeFeatures and nothing else", async () => {
    const { token } = await podToken(daemonSet(rendered).spec!.template, NODE);
    const as = { token };
    const patched = await plane.call<{ message?: string }>('PATCH', `/api/v1/nodes/${NODE}`, { metadata: { labels: { 'beta.devicetree.org/x': '1' } } }, { ...as, ...mergePatch });
    assert.equal(patched.status, 403, JSON.stringify(patched.body));
    assert.match(patched.body.message ?? '', new RegExp(`User "system:serviceaccount:${NAMESPACE}:${FULLNAME}" cannot patch resource "nodes"`));
    assert.equal((await plane.call('GET', `/api/v1/nodes/${NODE}`, undefined, as)).status, 403, 'no Node access at all, not even get');
    assert.equal((await plane.call('GET', objectPath(), undefined, as)).status, 200, 'get on its NodeFeature');
    assert.equal((await plane.call('DELETE', `${objectPath()}?dryRun=All`, undefined, as)).status, 403, "no delete: that is the cleanup hook's");
    assert.equal((await plane.call('GET', `${NODE_FEATURES_API}/namespaces/${featureNamespace}/nodefeatures`, undefined, as)).status, 403, 'no list');
    const elsewhere = await plane.call(
      'POST',
      `${NODE_FEATURES_API}/namespaces/${NAMESPACE}/nodefeatures?dryRun=All`,
      {
        apiVersion: 'nfd.k8s-sigs.io/v1alpha1',
        kind: 'NodeFeature',
        metadata: { name: OBJECT_NAME },
        spec: {},
      },
      as,
    );
    assert.equal(elsewhere.status, 403, 'only in the rendered namespace');
    await assertNodeUntouched();
  });

  // A running pod repairs such an edit at its next resync: the controller's resync is proven in virtual time
  // (controller.test.ts), the NodeFeature target's repair by node-feature-target.test.ts; no test waits 10 s here.
  test('an edit to spec.labels is repaired when the pod starts again (the rendered args, resync every 5m)', async () => {
    assert.equal(flagValue(args, '--resync-interval'), '5m');
    await eventually(async () => (await object()) !== undefined, 'the object from the first test');
    await editLabels();
    const generation = (await object())!.metadata.generation as number;
    // The DaemonSet restarts the pod (an upgrade, a node reboot): the new one reads the object and puts it right.
    const { labeller: pod } = await startPod();
    await until(pod, publishedExactly(expected), 'the edited labels repaired');
    await pod.waitForLog(new RegExp(`^updated NodeFeature ${featureNamespace}/${OBJECT_NAME}$`));
    const repaired = (await object())!;
    assert.deepEqual(repaired.spec.features, expectedFeatures, 'spec.features is ours in this mode: a feature set someone added goes');
    assert.equal(repaired.metadata.generation, generation + 1, 'one write');
    assertNoRefusal(pod);
    await assertNodeUntouched();
  });

  // The real authorizer found that the cleanup Role once granted only `delete`: `cleanup --all-nodes` lists first.
  test("the rendered cleanup Job's exact args delete the NodeFeature", async () => {
    assert.deepEqual(cleanupArgs.slice(0, 2), ['cleanup', '--all-nodes']);
    assert.ok(cleanupArgs.includes('--publish-nodefeature') && cleanupArgs.includes(`--nodefeature-namespace=${featureNamespace}`), cleanupArgs.join(' '));
    await eventually(async () => (await object()) !== undefined, 'the object to clean up');
    const job = oneOf<IJob>(rendered, 'Job');
    const { token } = await podToken(job.spec!.template);
    const kubeconfig = plane.kubeconfig(dir, { token, fileName: 'cleanup.kubeconfig' });
    const cleanup = LabellerProcess.start([...cleanupArgs, `--kubeconfig=${kubeconfig}`]);
    processes.push(cleanup);
    const exit = await cleanup.exited;
    assert.equal(exit.code, 0, `exit ${exit.code}\nstdout: ${cleanup.stdout}\n${cleanup.transcript()}`);
    assert.equal(cleanup.stdout, `${OBJECT_NAME}: removed NodeFeature ${featureNamespace}/${OBJECT_NAME}\n`);
    assert.equal(await object(), undefined, 'deleted');
    await assertNodeUntouched();
  });

  // NFD's NodeFeatureRule schema, enforced by the real API server: the examples are created as written, and a
  // rule it does not allow (an operator this NFD release lacks) is refused, so the check is not vacuous.
  test("examples/nfd: every NodeFeatureRule is accepted under NFD's own CRD; an unknown operator is not", async () => {
    await installNodeFeatureRuleCrd(plane);
    const dir = join(REPO, 'examples/nfd');
    const files = readdirSync(dir).filter((file) => file.endsWith('.yaml'));
    assert.ok(files.length >= 3, files.join(', '));
    for (const file of files) {
      const created = await plane.kubectl(['create', '-f', '-', '-o', 'json'], { input: readFileSync(join(dir, file), 'utf8') });
      assert.equal(created.code, 0, `${file}: ${created.stderr}`);
      const object = JSON.parse(created.stdout) as { kind: string; spec: { rules: unknown[] } };
      assert.equal(object.kind, 'NodeFeatureRule');
      assert.ok(object.spec.rules.length > 0, `${file}: rules kept`);
    }
    const bad = {
      apiVersion: 'nfd.k8s-sigs.io/v1alpha1',
      kind: 'NodeFeatureRule',
      metadata: { name: 'bad' },
      spec: { rules: [{ name: 'r', matchFeatures: [{ feature: 'tegra.system', matchExpressions: { 'memory.gib': { op: 'Ge', value: ['8'] } } }] }] },
    };
    const refused = await plane.call<{ message?: string }>('POST', `${NODE_FEATURES_API}/nodefeaturerules`, bad);
    assert.equal(refused.status, 422, JSON.stringify(refused.body));
    assert.match(refused.body.message ?? '', /Unsupported value: "Ge"/);
  });

  test("without NFD's CRD, cleanup says what is missing in one line and exits 1", () => {
    assert.equal(withoutCrd.code, 1, withoutCrd.stdout);
    assert.match(withoutCrd.stderr, /the API server does not serve nodefeatures\.nfd\.k8s-sigs\.io\/v1alpha1: is node-feature-discovery \(its CRDs\) installed\?/);
    assert.doesNotMatch(withoutCrd.stderr, /\n\s+at /, 'no stack trace');
  });
});
