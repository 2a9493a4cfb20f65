// tier: full (helm renders the chart)
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { IDaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import { CHART_DIR, helm, renderChart } from '../helpers/helm.ts';
import { hasStrictFieldCheck, validate } from '../helpers/k8s-schema.ts';
import { allOfKind, metadataOf, NAMESPACE, RELEASE, SCENARIOS, scenario, VARIANT_LABEL } from './chart.ts';

const CLUSTER_SCOPED = new Set(['ClusterRole', 'ClusterRoleBinding', 'ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding']);

describe('helm lint', () => {
  test('is clean with the default values, also with --strict', () => {
    for (const flags of [[], ['--strict']]) {
      const result = helm(['lint', CHART_DIR, ...flags]);
      assert.equal(result.status, 0, result.stdout + result.stderr);
      assert.match(result.stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);
      assert.doesNotMatch(result.stdout, /\[(WARNING|ERROR)\]/);
    }
  });

  test('is clean --strict with every mode switched on', () => {
    const sets = ['nfd.featuresFile.enabled=true', 'nfd.nodeFeature.enabled=true', 'security.runAsNonRoot=true', 'events.enabled=false'];
    const result = helm(['lint', CHART_DIR, '--strict', '--set', sets.join(',')]);
    assert.equal(result.status, 0, result.stdout + result.stderr);
    const edge = ['kubeedge.enabled=true', 'kubeedge.requireAuthorization=true', 'tegra.nvidiaGpuPresent=true', 'labeller.instance=two', 'tegra.prefix=jetson.example.com'];
    const edgeResult = helm(['lint', CHART_DIR, '--strict', '--set', edge.join(',')]);
    assert.equal(edgeResult.status, 0, edgeResult.stdout + edgeResult.stderr);
  });
});

describe('helm template: every rendered object is valid Kubernetes', () => {
  for (const name of Object.keys(SCENARIOS)) {
    test(name, async () => {
      const rendered = scenario(name);
      assert.ok(rendered.length > 0);
      for (const { object, source } of rendered) {
        const meta = metadataOf(object);
        const where = `${String(object.kind)} ${meta.name ?? '?'} (${source})`;
        assert.deepEqual(await validate(object), [], where);
        // Names: DNS labels for most kinds; 63 keeps every one valid.
        assert.ok((meta.name ?? '').length <= 63, `${where}: name too long`);
        assert.equal(meta.labels?.['app.kubernetes.io/name'], 'dt-node-labeller', where);
        assert.equal(meta.labels?.['app.kubernetes.io/instance'], RELEASE, where);
        assert.equal(meta.labels?.['app.kubernetes.io/managed-by'], 'Helm', where);
        assert.equal(meta.labels?.['app.kubernetes.io/version'], '0.1.0', where);
        assert.equal(meta.labels?.['helm.sh/chart'], 'dt-node-labeller-0.1.0', where);
        assert.ok(meta.labels?.['app.kubernetes.io/component'], `${where}: no component label`);
        if (CLUSTER_SCOPED.has(String(object.kind))) assert.equal(meta.namespace, undefined, where);
        else assert.ok(meta.namespace, `${where}: no namespace`);
      }
    });
  }

  test('objects live in the release namespace, except the events Role (default) and what a value places elsewhere', () => {
    const namespaces = (name: string) =>
      new Set(
        scenario(name)
          .map((r) => metadataOf(r.object).namespace)
          .filter((ns): ns is string => ns !== undefined),
      );
    assert.deepEqual(namespaces('default'), new Set([NAMESPACE, 'default']));
    assert.deepEqual(namespaces('events off'), new Set([NAMESPACE]));
    assert.deepEqual(namespaces('NFD NodeFeature'), new Set([NAMESPACE, 'node-feature-discovery']));
    const inDefault = scenario('default')
      .filter((r) => metadataOf(r.object).namespace === 'default')
      .map((r) => `${String(r.object.kind)}/${metadataOf(r.object).name}`);
    assert.deepEqual(inDefault.sort(), ['Role/dtnl-dt-node-labeller-events', 'RoleBinding/dtnl-dt-node-labeller-events']);
  });

  test('the default set of objects', () => {
    const kinds = scenario('default')
      .map((r) => `${String(r.object.kind)}/${metadataOf(r.object).name}`)
      .sort();
    assert.deepEqual(kinds, [
      'ClusterRole/dtnl-dt-node-labeller',
      'ClusterRole/dtnl-dt-node-labeller-cleanup',
      'ClusterRole/dtnl-dt-node-labeller-test',
      'ClusterRoleBinding/dtnl-dt-node-labeller',
      'ClusterRoleBinding/dtnl-dt-node-labeller-cleanup',
      'ClusterRoleBinding/dtnl-dt-node-labeller-test',
      'DaemonSet/dtnl-dt-node-labeller',
      'DaemonSet/dtnl-dt-node-labeller-l4t',
      'Job/dtnl-dt-node-labeller-cleanup',
      'Pod/dtnl-dt-node-labeller-test-labels',
      'Role/dtnl-dt-node-labeller-events',
      'Role/dtnl-dt-node-labeller-test',
      'RoleBinding/dtnl-dt-node-labeller-events',
      'RoleBinding/dtnl-dt-node-labeller-test',
      'Service/dtnl-dt-node-labeller-metrics',
      'ServiceAccount/dtnl-dt-node-labeller',
      'ServiceAccount/dtnl-dt-node-labeller-cleanup',
      'ServiceAccount/dtnl-dt-node-labeller-test',
    ]);
  });

  test('DaemonSets per variant: main and -l4t; with KubeEdge -edge and -edge-l4t too; one without the split', () => {
    const names = (name: string) => allOfKind<IDaemonSet>(scenario(name), 'DaemonSet').map((ds) => `${ds.metadata?.labels?.[VARIANT_LABEL]}=${ds.metadata?.name}`);
    assert.deepEqual(names('default'), ['main=dtnl-dt-node-labeller', 'l4t=dtnl-dt-node-labeller-l4t']);
    assert.deepEqual(names('KubeEdge'), [
      'main=dtnl-dt-node-labeller',
      'l4t=dtnl-dt-node-labeller-l4t',
      'edge=dtnl-dt-node-labeller-edge',
      'edge-l4t=dtnl-dt-node-labeller-edge-l4t',
    ]);
    assert.deepEqual(names('no L4T release file'), ['main=dtnl-dt-node-labeller']);
    assert.deepEqual(names('Jetson facts off'), ['main=dtnl-dt-node-labeller']);
    const edgeOnly = renderChart({ values: { kubeedge: { enabled: true }, tegra: { l4tRelease: { enabled: false } } } });
    assert.deepEqual(
      allOfKind<IDaemonSet>(edgeOnly, 'DaemonSet').map((ds) => ds.metadata?.name),
      ['dtnl-dt-node-labeller', 'dtnl-dt-node-labeller-edge'],
    );
  });
});

describe('the k8s-schema helper', () => {
  const daemonSet = (container: Record<string, unknown>, spec: Record<string, unknown> = {}) => ({
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'x' },
    spec: {
      selector: { matchLabels: { a: 'b' } },
      template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'i', ...container }] } },
      ...spec,
    },
  });

  test('reports wrong types with their path', async () => {
    assert.deepEqual(await validate(daemonSet({ image: 3 })), ['/spec/template/spec/containers/0/image: must be string']);
  });

  test('reports unknown fields, which the compiled schemas alone let through', async () => {
    assert.deepEqual((await validate(daemonSet({ securityContext: { readOnlyRootFileSystem: true } }, { minReadySecond: 1 }))).sort(), [
      '/spec/minReadySecond: unknown field "minReadySecond"',
      '/spec/template/spec/containers/0/securityContext/readOnlyRootFileSystem: unknown field "readOnlyRootFileSystem"',
    ]);
  });

  test('rejects unknown kinds and objects without a name', async () => {
    assert.deepEqual(await validate({ apiVersion: 'v1', kind: 'Nothing', metadata: { name: 'x' } }), ['/: unknown kind Nothing in v1']);
    assert.deepEqual(await validate({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'x' } }), ['/: unknown kind Widget in example.com/v1']);
    assert.deepEqual(await validate({ apiVersion: 'v1', kind: 'ConfigMap', metadata: {} }), ['/metadata: name or generateName is required']);
  });

  test('label keys with a slash are walked as map keys, not fields', async () => {
    assert.deepEqual(await validate({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', labels: { 'a.b/c': 'd' } } }), []);
  });

  test('strict field checks cover built-in kinds, not CRDs (documented limitation)', () => {
    assert.equal(hasStrictFieldCheck('apps/v1', 'DaemonSet'), true);
    assert.equal(hasStrictFieldCheck('v1', 'Event'), true);
    assert.equal(hasStrictFieldCheck('events.k8s.io/v1', 'Event'), true);
    assert.equal(hasStrictFieldCheck('admissionregistration.k8s.io/v1', 'ValidatingAdmissionPolicy'), true);
    assert.equal(hasStrictFieldCheck('monitoring.coreos.com/v1', 'ServiceMonitor'), false);
  });
});
