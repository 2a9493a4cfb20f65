// tier: full (helm renders the chart)
// The chart's DaemonSet variants: main and -l4t (split by the l4t.devicetree label the labeller sets), and with
// KubeEdge -edge and -edge-l4t (split by the edge role). Each node must get exactly one of them, and they differ
// only where their purpose says.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { IDaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import { renderChart, type TemplateOptions } from '../helpers/helm.ts';
import { podFitsNode, requirementMatches, type SchedulingSpec, type TestNode } from '../helpers/node-affinity.ts';
import { daemonSets, EDGE_ROLE, L4T_KEY, labeller, scenario, VARIANT_LABEL, type Variant } from './chart.ts';

// Nodes are matched with helpers/node-affinity.ts (the scheduler's and the DaemonSet controller's rules).

function variantsOn(rendered: ReturnType<typeof renderChart>, node: TestNode): Variant[] {
  return [...daemonSets(rendered)].filter(([, ds]) => podFitsNode(ds.spec!.template.spec! as SchedulingSpec, node)).map(([variant]) => variant);
}

const linux = (arch: string, extra: Record<string, string> = {}): Record<string, string> => ({ 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': arch, ...extra });

describe('the node-affinity evaluator itself', () => {
  test('terms are ORed, requirements ANDed, an empty term matches nothing, nodeSelector must match', () => {
    const pod: SchedulingSpec = {
      nodeSelector: { 'kubernetes.io/os': 'linux' },
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [
              {
                matchExpressions: [
                  { key: 'a', operator: 'Exists' },
                  { key: 'b', operator: 'DoesNotExist' },
                ],
              },
              { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['special'] }] },
              {},
            ],
          },
        },
      },
    };
    const n = (name: string, labels: Record<string, string>) => podFitsNode(pod, { name, labels: { 'kubernetes.io/os': 'linux', ...labels } });
    assert.equal(n('x', { a: '1' }), true);
    assert.equal(n('x', { a: '1', b: '' }), false);
    assert.equal(n('x', {}), false);
    assert.equal(n('special', { b: '1' }), true);
    assert.equal(podFitsNode(pod, { name: 'x', labels: { a: '1' } }), false, 'nodeSelector');
    assert.equal(requirementMatches({ key: 'k', operator: 'In', values: ['true'] }, 'false'), false);
    assert.equal(requirementMatches({ key: 'k', operator: 'Gt', values: ['3'] }, '5'), true);
  });
});

describe('variants: every node gets exactly the one it should', () => {
  /** The variant a node must get: edge or not, by its role; -l4t where the labeller set l4t.devicetree=true. */
  /** -l4t also where the soc fact names a SoC of tegra.l4tRelease.socs (default: Thor, whose trees carry no L4T marker). */
  function expected(node: TestNode, options: { kubeedge: boolean; split: boolean; l4tKey?: string; socs?: string[] }): Variant {
    const edge = options.kubeedge && node.labels[EDGE_ROLE] !== undefined;
    const soc = node.labels[(options.l4tKey ?? L4T_KEY).replace(/l4t\.devicetree$/, 'soc')];
    const l4t = options.split && (node.labels[options.l4tKey ?? L4T_KEY] === 'true' || (soc !== undefined && (options.socs ?? ['tegra264']).includes(soc)));
    return `${edge ? 'edge' : 'main'}${l4t ? '-l4t' : ''}`.replace('main-l4t', 'l4t') as Variant;
  }

  function nodesFor(l4tKey: string): TestNode[] {
    const nodes: TestNode[] = [];
    for (const arch of ['arm64', 'arm', 'riscv64']) {
      for (const edge of [false, true]) {
        for (const l4t of [false, true]) {
          for (const soc of [undefined, 'tegra234', 'tegra264']) {
            const labels = linux(arch);
            if (edge) labels[EDGE_ROLE] = '';
            if (l4t) labels[l4tKey] = 'true';
            if (soc !== undefined) labels[l4tKey.replace(/l4t\.devicetree$/, 'soc')] = soc;
            nodes.push({ name: `${arch}${edge ? '-edge' : ''}${l4t ? '-l4t' : ''}${soc === undefined ? '' : `-${soc}`}`, labels });
          }
        }
      }
    }
    return nodes;
  }

  const CASES: [string, TemplateOptions, { kubeedge: boolean; split: boolean; l4tKey?: string; socs?: string[] }][] = [
    ['default', {}, { kubeedge: false, split: true }],
    ['KubeEdge', { values: { kubeedge: { enabled: true } } }, { kubeedge: true, split: true }],
    ['KubeEdge with requireAuthorization', { values: { kubeedge: { enabled: true, requireAuthorization: true } } }, { kubeedge: true, split: true }],
    ['KubeEdge, no L4T split', { values: { kubeedge: { enabled: true }, tegra: { l4tRelease: { enabled: false } } } }, { kubeedge: true, split: false }],
    ['Jetson facts off', { values: { tegra: { facts: false } } }, { kubeedge: false, split: false }],
    ['custom tegra prefix', { values: { tegra: { prefix: 'jetson.example.com' } } }, { kubeedge: false, split: true, l4tKey: 'jetson.example.com/l4t.devicetree' }],
    ['custom labeller prefix', { values: { labeller: { prefix: 'dt.example.com' } } }, { kubeedge: false, split: true, l4tKey: 'tegra.dt.example.com/l4t.devicetree' }],
    ['no SoCs taken to run L4T', { values: { tegra: { l4tRelease: { socs: [] } } } }, { kubeedge: false, split: true, socs: [] }],
    [
      'KubeEdge, Orin and Thor taken to run L4T',
      { values: { kubeedge: { enabled: true }, tegra: { l4tRelease: { socs: ['tegra234', 'tegra264'] } } } },
      { kubeedge: true, split: true, socs: ['tegra234', 'tegra264'] },
    ],
  ];
  for (const [name, options, shape] of CASES) {
    test(name, () => {
      const rendered = renderChart(options);
      for (const node of nodesFor(shape.l4tKey ?? L4T_KEY)) {
        assert.deepEqual(variantsOn(rendered, node), [expected(node, shape)], node.name);
      }
      // No devicetree arch, no labeller (the architectures rule still holds in every variant).
      for (const node of nodesFor(shape.l4tKey ?? L4T_KEY)) {
        const x86 = { name: `x86-${node.name}`, labels: { ...node.labels, 'kubernetes.io/arch': 'amd64' } };
        assert.deepEqual(variantsOn(rendered, x86), [], x86.name);
      }
    });
  }

  test('the hand-over: the label the main pod sets moves the node from main to -l4t, and nothing else does', () => {
    const rendered = scenario('default');
    const fresh = { name: 'nano', labels: linux('arm64') };
    assert.deepEqual(variantsOn(rendered, fresh), ['main']);
    const labelled = { name: 'nano', labels: { ...fresh.labels, [L4T_KEY]: 'true', 'tegra.beta.devicetree.org/soc': 'tegra210' } };
    assert.deepEqual(variantsOn(rendered, labelled), ['l4t']);
    // Thor: no l4t.devicetree (its trees carry no L4T marker); the soc fact moves it.
    const thor = { name: 'thor', labels: { ...fresh.labels, 'tegra.beta.devicetree.org/soc': 'tegra264' } };
    assert.deepEqual(variantsOn(rendered, thor), ['l4t']);
  });

  test("the user's nodeAffinity and architectures are kept in every variant; the split is ANDed into each of its terms", () => {
    const nodeAffinity = {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [
          { matchExpressions: [{ key: 'zone', operator: 'In', values: ['lab'] }] },
          { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['orin-0'] }] },
        ],
      },
    };
    const rendered = renderChart({ values: { affinity: { nodeAffinity }, kubeedge: { enabled: true } } });
    const cases: [TestNode, Variant[]][] = [
      [{ name: 'a', labels: linux('amd64', { zone: 'lab' }) }, ['main']],
      [{ name: 'a', labels: linux('arm64', { zone: 'lab', [L4T_KEY]: 'true' }) }, ['l4t']],
      [{ name: 'a', labels: linux('arm64', { zone: 'lab', [EDGE_ROLE]: '', [L4T_KEY]: 'true' }) }, ['edge-l4t']],
      [{ name: 'a', labels: linux('arm64', { zone: 'office' }) }, []],
      // The matchFields term gets the split too: without it, orin-0 would run two labellers.
      [{ name: 'orin-0', labels: linux('arm64') }, ['main']],
      [{ name: 'orin-0', labels: linux('arm64', { [L4T_KEY]: 'true' }) }, ['l4t']],
      [{ name: 'orin-0', labels: linux('arm64', { [EDGE_ROLE]: '' }) }, ['edge']],
    ];
    for (const [node, want] of cases) assert.deepEqual(variantsOn(rendered, node), want, JSON.stringify(node));
  });

  test('nodeSelector applies to every variant', () => {
    const rendered = renderChart({ values: { nodeSelector: { pool: 'jetson' }, kubeedge: { enabled: true } } });
    assert.deepEqual(variantsOn(rendered, { name: 'a', labels: linux('arm64', { [EDGE_ROLE]: '' }) }), []);
    assert.deepEqual(variantsOn(rendered, { name: 'a', labels: linux('arm64', { [EDGE_ROLE]: '', pool: 'jetson' }) }), ['edge']);
  });
});

describe('variants: one pod template, differing only where they must', () => {
  /** A DaemonSet's pod spec with what a variant may change taken out. */
  function common(ds: IDaemonSet): unknown {
    const spec = structuredClone(ds.spec!.template.spec!);
    delete spec.affinity;
    spec.volumes = (spec.volumes ?? []).filter((v) => v.name !== 'l4t-release');
    for (const container of spec.containers) container.volumeMounts = (container.volumeMounts ?? []).filter((m) => m.name !== 'l4t-release');
    return spec;
  }

  for (const name of ['default', 'everything', 'KubeEdge', 'KubeEdge with requireAuthorization', 'KubeEdge, non-root, NodeFeature, own addresses']) {
    test(`${name}: -l4t is its partner plus the release file; selectors are disjoint, the component label shared`, () => {
      const all = daemonSets(scenario(name));
      const pairs: [Variant, Variant][] = [['main', 'l4t']];
      if (all.has('edge')) pairs.push(['edge', 'edge-l4t']);
      for (const [plain, l4t] of pairs) {
        const a = all.get(plain)!;
        const b = all.get(l4t)!;
        assert.deepEqual(common(b), common(a), `${plain} vs ${l4t}`);
        assert.deepEqual(
          b.spec?.template.spec?.volumes?.find((v) => v.name === 'l4t-release'),
          { name: 'l4t-release', hostPath: { path: '/etc/nv_tegra_release', type: 'File' } },
        );
        assert.deepEqual(
          b.spec?.template.spec?.containers[0]?.volumeMounts?.find((m) => m.name === 'l4t-release'),
          {
            name: 'l4t-release',
            mountPath: '/host/etc/nv_tegra_release',
            readOnly: true,
          },
        );
        assert.equal(
          a.spec?.template.spec?.volumes?.some((v) => v.name === 'l4t-release'),
          false,
        );
      }
      const selectors = [...all.values()].map((ds) => ds.spec!.selector.matchLabels!);
      for (const ds of all.values()) {
        const podLabels = ds.spec!.template.metadata!.labels!;
        assert.equal(podLabels['app.kubernetes.io/component'], 'labeller');
        // Each DaemonSet's selector matches its own pods and no other DaemonSet's.
        for (const selector of selectors) {
          const matches = Object.entries(selector).every(([k, v]) => podLabels[k] === v);
          assert.equal(matches, selector[VARIANT_LABEL] === podLabels[VARIANT_LABEL], `${ds.metadata?.name}`);
        }
      }
    });
  }

  test('edge pods: without authorization, host network, no token, MetaServer over loopback HTTP, the edge toleration', () => {
    const rendered = scenario('KubeEdge');
    for (const variant of ['edge', 'edge-l4t'] as const) {
      const { pod, container } = labeller(rendered, variant);
      assert.equal(pod.hostNetwork, true);
      assert.equal(pod.dnsPolicy, 'ClusterFirstWithHostNet');
      assert.equal(pod.automountServiceAccountToken, false);
      assert.equal(pod.serviceAccountName, 'dtnl-dt-node-labeller');
      assert.ok(container.args?.includes('--api-server=http://127.0.0.1:10550'));
      assert.ok(container.args?.includes('--metrics-address=:9102'));
      assert.deepEqual(pod.tolerations, [{ operator: 'Exists' }, { key: EDGE_ROLE, operator: 'Exists', effect: 'NoSchedule' }]);
    }
    // The cloud side is unchanged.
    const { pod, container } = labeller(rendered, 'main');
    assert.equal(pod.hostNetwork, undefined);
    assert.equal(pod.automountServiceAccountToken, true);
    assert.ok(!container.args?.some((a) => a.startsWith('--api-server')));
    assert.deepEqual(pod.tolerations, [{ operator: 'Exists' }]);
  });

  test('edge pods: with requireAuthorization, pod network, token, MetaServer over HTTPS on the dummy interface', () => {
    const rendered = scenario('KubeEdge with requireAuthorization');
    for (const variant of ['edge', 'edge-l4t'] as const) {
      const { pod, container } = labeller(rendered, variant);
      assert.equal(pod.hostNetwork, undefined);
      assert.equal(pod.dnsPolicy, undefined);
      assert.equal(pod.automountServiceAccountToken, true);
      assert.ok(container.args?.includes('--api-server=https://169.254.30.10:10550'));
      assert.ok(container.args?.includes('--metrics-address=:8080'));
    }
  });

  test('own MetaServer address, metrics port and tolerations', () => {
    const rendered = scenario('KubeEdge, non-root, NodeFeature, own addresses');
    const { pod, container } = labeller(rendered, 'edge');
    assert.ok(container.args?.includes('--api-server=http://127.0.0.1:10551'));
    assert.ok(container.args?.includes('--metrics-address=:9200'));
    assert.ok(container.args?.includes('--publish-nodefeature'));
    assert.deepEqual(pod.tolerations, [
      { key: 'dedicated', operator: 'Exists' },
      { key: EDGE_ROLE, operator: 'Exists', effect: 'NoSchedule' },
    ]);
    const authorized = renderChart({ values: { kubeedge: { enabled: true, requireAuthorization: true, metaServer: { dummyAddress: '169.254.30.11:10560' } } } });
    assert.ok(labeller(authorized, 'edge').container.args?.includes('--api-server=https://169.254.30.11:10560'));
  });

  test('an edge toleration already in the values is not repeated', () => {
    const toleration = { key: EDGE_ROLE, operator: 'Exists', effect: 'NoSchedule' };
    const rendered = renderChart({ values: { kubeedge: { enabled: true }, tolerations: [toleration] } });
    assert.deepEqual(labeller(rendered, 'edge').pod.tolerations, [toleration]);
    assert.equal(labeller(renderChart({ values: { kubeedge: { enabled: true }, tolerations: [] } }), 'main').pod.tolerations, undefined);
  });
});
