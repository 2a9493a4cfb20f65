// tier: full (helm renders the chart)
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { renderChart } from '../helpers/helm.ts';
import { daemonSet, daemonSets, L4T_KEY, labeller, NAMESPACE, NFD_FEATURES_DIR, SCENARIOS, SOC_KEY, scenario } from './chart.ts';

const args = (name: string) => labeller(scenario(name)).container.args;

describe('DaemonSet: the run command line', () => {
  test('defaults: run with the host root, prefix, intervals and logs; Events need no flag (always in default)', () => {
    assert.deepEqual(args('default'), [
      'run',
      '--host-root=/host',
      '--prefix=beta.devicetree.org',
      '--resync-interval=5m',
      '--metrics-address=:8080',
      '--log-format=json',
      '--log-level=info',
    ]);
  });

  test('no scenario passes --event-namespace, which the CLI no longer has', () => {
    for (const name of Object.keys(SCENARIOS)) {
      for (const ds of daemonSets(scenario(name)).values()) {
        const list = ds.spec?.template.spec?.containers[0]?.args ?? [];
        assert.ok(!list.some((a) => a.startsWith('--event-namespace')), `${name}: ${ds.metadata?.name}`);
      }
    }
  });

  test('the Jetson values and the instance become their flags', () => {
    assert.deepEqual(args('Jetson options and an instance'), [
      'run',
      '--host-root=/host',
      '--prefix=beta.devicetree.org',
      '--tegra-prefix=jetson.example.com',
      '--instance=gpu',
      '--nvidia-gpu-present',
      '--nvidia-gfd-labels',
      '--resync-interval=5m',
      '--metrics-address=:8080',
      '--log-format=json',
      '--log-level=info',
    ]);
    assert.ok(args('Jetson facts off')?.includes('--no-tegra-facts'));
    for (const name of ['default', 'Jetson options and an instance']) assert.ok(!args(name)?.includes('--no-tegra-facts'), name);
  });

  test('every labeller value becomes its flag', () => {
    assert.deepEqual(args('custom prefix and nodes'), [
      'run',
      '--host-root=/host',
      '--prefix=dt.example.com',
      '--nodes=pwm-fan,npu',
      '--include-disabled',
      '--reread-interval=10m',
      '--resync-interval=1m30s',
      '--metrics-address=:8080',
      '--log-format=text',
      '--log-level=debug',
      '--debug',
    ]);
  });

  test('events off passes --no-events', () => {
    const list = args('events off') ?? [];
    assert.ok(list.includes('--no-events'));
    assert.ok(!list.some((a) => a.startsWith('--event-namespace')));
  });

  test('non-root mode passes the same host root: the CLI falls back to the expanded tree, and reads the L4T release file', () => {
    assert.deepEqual(args('non-root'), args('default'));
    assert.ok(!(args('non-root') ?? []).some((a) => a.startsWith('--live-tree')));
  });

  test('NFD features file: the flag names a file in the mounted host folder; no events, no API token', () => {
    const { pod, container } = labeller(scenario('NFD features file'));
    assert.deepEqual(container.args?.slice(6), ['--log-level=info', '--nfd-features-file=/nfd/features.d/dt-node-labeller']);
    assert.deepEqual(
      container.volumeMounts?.find((m) => m.name === 'nfd-features'),
      { name: 'nfd-features', mountPath: '/nfd/features.d' },
    );
    assert.deepEqual(pod.volumes?.find((v) => v.name === 'nfd-features')?.hostPath, { path: NFD_FEATURES_DIR, type: 'DirectoryOrCreate' });
    assert.equal(pod.automountServiceAccountToken, false);
    assert.equal(labeller(scenario('default')).pod.volumes?.length, 1);
  });

  test('NFD features file in its own folder, as non-root', () => {
    const { pod, container } = labeller(scenario('NFD features file, non-root, own folder'));
    assert.equal(container.args?.[1], '--host-root=/host');
    assert.ok(container.args?.includes('--nfd-features-file=/nfd/features.d/devicetree'));
    assert.equal(pod.volumes?.find((v) => v.name === 'nfd-features')?.hostPath?.path, '/var/lib/nfd/features.d');
  });

  test('NFD NodeFeature: publish flag and namespace, no events flags; POD_NAMESPACE is set either way', () => {
    const { pod, container } = labeller(scenario('NFD NodeFeature'));
    assert.deepEqual(container.args?.slice(6), ['--log-level=info', '--publish-nodefeature', '--nodefeature-namespace=node-feature-discovery']);
    assert.equal(pod.automountServiceAccountToken, true);
    const defaultNamespace = labeller(renderChart({ values: { nfd: { nodeFeature: { enabled: true } } } })).container.args ?? [];
    assert.ok(defaultNamespace.includes(`--nodefeature-namespace=${NAMESPACE}`));
  });

  test('--adopt-existing when asked, in Node-labelling mode', () => {
    assert.ok(args('everything')?.includes('--adopt-existing'));
    assert.ok(!args('default')?.includes('--adopt-existing'));
  });

  test('the metrics port follows metrics.port, in the flag, the container port and the probes', () => {
    const { container } = labeller(scenario('everything'));
    assert.ok(container.args?.includes('--metrics-address=:9100'));
    assert.deepEqual(container.ports, [{ name: 'metrics', containerPort: 9100, protocol: 'TCP' }]);
    assert.equal(container.livenessProbe?.httpGet?.port, 'metrics');
  });
});

describe('DaemonSet: pod', () => {
  test('image defaults to the appVersion tag; a digest wins', () => {
    assert.equal(labeller(scenario('default')).container.image, 'ghcr.io/dt-node-labeller/dt-node-labeller:0.1.0');
    assert.equal(labeller(scenario('everything')).container.image, `ghcr.io/dt-node-labeller/dt-node-labeller@sha256:${'ab'.repeat(32)}`);
    const tagged = renderChart({ flags: ['--set', 'image.tag=0.2.0-rc.1'] });
    assert.equal(labeller(tagged).container.image, 'ghcr.io/dt-node-labeller/dt-node-labeller:0.2.0-rc.1');
  });

  test('NODE_NAME and POD_NAMESPACE come from the downward API, extra env after them', () => {
    assert.deepEqual(labeller(scenario('custom prefix and nodes')).container.env, [
      { name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
      { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
      { name: 'TZ', value: 'UTC' },
    ]);
  });

  test('liveness on /healthz, readiness on /readyz', () => {
    const { container } = labeller(scenario('default'));
    assert.deepEqual(container.livenessProbe, {
      httpGet: { path: '/healthz', port: 'metrics' },
      initialDelaySeconds: 5,
      periodSeconds: 20,
      timeoutSeconds: 3,
      failureThreshold: 3,
    });
    assert.deepEqual(container.readinessProbe?.httpGet, { path: '/readyz', port: 'metrics' });
  });

  test('the host /sys/firmware is mounted read-only outside the masked /sys/firmware', () => {
    const { pod, container } = labeller(scenario('default'));
    assert.deepEqual(container.volumeMounts, [{ name: 'host-firmware', mountPath: '/host/sys/firmware', readOnly: true }]);
    assert.deepEqual(pod.volumes, [{ name: 'host-firmware', hostPath: { path: '/sys/firmware', type: 'Directory' } }]);
  });

  test('resources default to the measured footprint', () => {
    assert.deepEqual(labeller(scenario('default')).container.resources, { requests: { cpu: '10m', memory: '80Mi' }, limits: { memory: '128Mi' } });
  });

  test('RollingUpdate, and a grace period longer than the 5 s shutdown', () => {
    const ds = daemonSet(scenario('default'));
    assert.deepEqual(ds.spec?.updateStrategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } });
    assert.equal(ds.spec?.template.spec?.terminationGracePeriodSeconds, 10);
  });

  test('the service account token is mounted for the labeller, and service links are off', () => {
    const { pod } = labeller(scenario('default'));
    assert.equal(pod.serviceAccountName, 'dtnl-dt-node-labeller');
    assert.equal(pod.automountServiceAccountToken, true);
    assert.equal(pod.enableServiceLinks, false);
    assert.equal(labeller(scenario('existing service account, no RBAC')).pod.serviceAccountName, 'labeller');
  });

  test('pod annotations, labels, pull secrets and priority class are passed through', () => {
    const ds = daemonSet(scenario('everything'));
    const template = ds.spec?.template;
    assert.equal(template?.metadata?.annotations?.['example.com/a'], 'b');
    assert.equal(template?.metadata?.labels?.tier, 'edge');
    assert.deepEqual(template?.spec?.imagePullSecrets, [{ name: 'regcred' }]);
    assert.equal(template?.spec?.priorityClassName, 'system-node-critical');
    assert.equal(labeller(scenario('default')).pod.priorityClassName, undefined);
  });

  test('the selector is a subset of the pod labels and does not contain the version', () => {
    const ds = daemonSet(scenario('everything'));
    const selector = ds.spec?.selector.matchLabels ?? {};
    assert.equal(selector['app.kubernetes.io/version'], undefined);
    for (const [key, value] of Object.entries(selector)) assert.equal(ds.spec?.template.metadata?.labels?.[key], value);
  });
});

describe('DaemonSet: scheduling', () => {
  test('by default only Linux nodes whose arch can have a devicetree, that have no L4T devicetree and are no Thor, tolerating every taint', () => {
    const { pod } = labeller(scenario('default'));
    assert.deepEqual(pod.nodeSelector, { 'kubernetes.io/os': 'linux' });
    assert.deepEqual(pod.affinity, {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [
            {
              matchExpressions: [
                { key: 'kubernetes.io/arch', operator: 'In', values: ['arm64', 'arm', 'riscv64'] },
                { key: L4T_KEY, operator: 'DoesNotExist' },
                { key: SOC_KEY, operator: 'NotIn', values: ['tegra264'] },
              ],
            },
          ],
        },
      },
    });
    assert.deepEqual(pod.tolerations, [{ operator: 'Exists' }]);
  });

  test('without the L4T split, the architectures rule alone', () => {
    assert.deepEqual(labeller(scenario('no L4T release file')).pod.affinity, {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/arch', operator: 'In', values: ['arm64', 'arm', 'riscv64'] }] }],
        },
      },
    });
  });

  test('the architecture list is configurable, and an empty list drops the rule', () => {
    const { pod } = labeller(scenario('everything'));
    assert.deepEqual(pod.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms[0]?.matchExpressions?.[0]?.values, ['arm64']);
    assert.deepEqual(pod.affinity?.podAntiAffinity, {});
    assert.deepEqual(pod.nodeSelector, { 'kubernetes.io/os': 'linux', 'node-role.kubernetes.io/edge': 'true' });
    assert.deepEqual(pod.tolerations, [{ key: 'edge', operator: 'Exists', effect: 'NoSchedule' }]);
    const all = renderChart({ values: { architectures: [] } });
    assert.deepEqual(labeller(all).pod.affinity, {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [
            {
              matchExpressions: [
                { key: L4T_KEY, operator: 'DoesNotExist' },
                { key: SOC_KEY, operator: 'NotIn', values: ['tegra264'] },
              ],
            },
          ],
        },
      },
    });
    const none = renderChart({ values: { architectures: [], tegra: { l4tRelease: { enabled: false } } } });
    assert.equal(labeller(none).pod.affinity, undefined);
  });

  test('a nodeAffinity in values replaces the generated one; the split is still added to it', () => {
    const nodeAffinity = {
      requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'edge', operator: 'Exists' }] }] },
      preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 10, preference: { matchExpressions: [{ key: 'fast', operator: 'Exists' }] } }],
    };
    assert.deepEqual(labeller(renderChart({ values: { affinity: { nodeAffinity } } })).pod.affinity, {
      nodeAffinity: {
        ...nodeAffinity,
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [
            {
              matchExpressions: [
                { key: 'edge', operator: 'Exists' },
                { key: L4T_KEY, operator: 'DoesNotExist' },
                { key: SOC_KEY, operator: 'NotIn', values: ['tegra264'] },
              ],
            },
          ],
        },
      },
    });
    // The -l4t DaemonSet: each term twice, once per way a node qualifies.
    assert.deepEqual(labeller(renderChart({ values: { affinity: { nodeAffinity } } }), 'l4t').pod.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution, {
      nodeSelectorTerms: [
        {
          matchExpressions: [
            { key: 'edge', operator: 'Exists' },
            { key: L4T_KEY, operator: 'In', values: ['true'] },
          ],
        },
        {
          matchExpressions: [
            { key: 'edge', operator: 'Exists' },
            { key: SOC_KEY, operator: 'In', values: ['tegra264'] },
          ],
        },
      ],
    });
    const noSocs = renderChart({ values: { affinity: { nodeAffinity }, tegra: { l4tRelease: { socs: [] } } } });
    assert.deepEqual(labeller(noSocs, 'l4t').pod.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution, {
      nodeSelectorTerms: [
        {
          matchExpressions: [
            { key: 'edge', operator: 'Exists' },
            { key: L4T_KEY, operator: 'In', values: ['true'] },
          ],
        },
      ],
    });
    const unsplit = renderChart({ values: { affinity: { nodeAffinity }, tegra: { l4tRelease: { enabled: false } } } });
    assert.deepEqual(labeller(unsplit).pod.affinity, { nodeAffinity });
  });
});
