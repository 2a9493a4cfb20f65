// tier: full (helm renders the chart)
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import type { IJob } from 'kubernetes-models/batch/v1/Job';
import type { IPod } from 'kubernetes-models/v1/Pod';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import { CHART_DIR, chartArgs, helm, parseManifests, type Rendered } from '../helpers/helm.ts';
import { featuresDir, labeller, MONITORING_API, oneOf, podSpecs, SCENARIOS, scenario, VAP_API } from './chart.ts';

const HOST_PATHS_ALLOWED = new Set(['/sys/firmware']);
const L4T_RELEASE = '/etc/nv_tegra_release';

/** Every place, at any depth, where a rendered object sets `privileged: true` (there must be none). */
function privilegedTrue(value: unknown, path = ''): string[] {
  if (Array.isArray(value)) return value.flatMap((item, i) => privilegedTrue(item, `${path}/${i}`));
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, item]) => [...(key === 'privileged' && item === true ? [`${path}/${key}`] : []), ...privilegedTrue(item, `${path}/${key}`)]);
}

/** The hardening every pod of the chart must have, whatever the values. */
function assertHardened(rendered: readonly Rendered[], featuresDir?: string): void {
  for (const { object, source } of rendered) assert.deepEqual(privilegedTrue(object), [], source);
  for (const { where, spec, variant } of podSpecs(rendered)) {
    if (spec.hostNetwork !== undefined) {
      // Only the KubeEdge pods that reach MetaServer on the node's loopback, and then with no token at all.
      assert.ok(variant?.startsWith('edge'), `${where}: hostNetwork`);
      assert.equal(spec.hostNetwork, true, where);
      assert.equal(spec.automountServiceAccountToken, false, where);
      assert.equal(spec.dnsPolicy, 'ClusterFirstWithHostNet', where);
    }
    assert.equal(spec.hostPID, undefined, where);
    assert.equal(spec.hostIPC, undefined, where);
    assert.deepEqual(spec.securityContext?.seccompProfile, { type: 'RuntimeDefault' }, where);
    assert.equal(spec.initContainers, undefined, where);
    for (const container of spec.containers) {
      const sc = container.securityContext;
      assert.equal(sc?.privileged, false, where);
      assert.equal(sc?.allowPrivilegeEscalation, false, where);
      assert.equal(sc?.readOnlyRootFilesystem, true, where);
      assert.deepEqual(sc?.capabilities, { drop: ['ALL'] }, where);
      assert.deepEqual(sc?.seccompProfile, { type: 'RuntimeDefault' }, where);
      assert.equal(sc?.runAsNonRoot, sc?.runAsUser !== 0, where);
    }
    assertHostPaths(spec, where, featuresDir, variant);
  }
}

/**
 * hostPath volumes: /sys/firmware read-only; /etc/nv_tegra_release read-only, as a File (never created), and only
 * in the -l4t variants; the NFD features folder when that mode is on; nothing else.
 */
function assertHostPaths(spec: IPodSpec, where: string, featuresDir: string | undefined, variant: string | undefined): void {
  for (const volume of spec.volumes ?? []) {
    if (volume.hostPath === undefined) continue;
    const l4t = volume.hostPath.path === L4T_RELEASE && variant?.endsWith('l4t') === true;
    const allowed = HOST_PATHS_ALLOWED.has(volume.hostPath.path) || volume.hostPath.path === featuresDir || l4t;
    assert.ok(allowed, `${where}: hostPath ${volume.hostPath.path}`);
    if (l4t) assert.equal(volume.hostPath.type, 'File', where);
    for (const container of spec.containers) {
      const mount = container.volumeMounts?.find((m) => m.name === volume.name);
      if (volume.hostPath.path !== featuresDir) assert.equal(mount?.readOnly, true, `${where}: ${volume.hostPath.path}`);
    }
  }
}

describe('security: not privileged, hardened containers', () => {
  for (const [name, options] of Object.entries(SCENARIOS)) {
    test(name, () => {
      assertHardened(scenario(name), featuresDir(options));
    });
  }

  test('the labeller runs as uid 0 by default (the blob is 0400 root), with every capability dropped', () => {
    const { pod, container } = labeller(scenario('default'));
    assert.deepEqual(container.securityContext, {
      privileged: false,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
      runAsUser: 0,
      runAsGroup: 0,
      runAsNonRoot: false,
    });
    assert.equal(pod.securityContext?.runAsNonRoot, false);
  });

  test('non-root mode runs as the configured uid, pod and container both refusing root', () => {
    for (const [name, uid] of [
      ['non-root', 65532],
      ['everything', 1000],
    ] as const) {
      const { pod, container } = labeller(scenario(name));
      assert.equal(container.securityContext?.runAsUser, uid);
      assert.equal(container.securityContext?.runAsGroup, uid);
      assert.equal(container.securityContext?.runAsNonRoot, true);
      assert.equal(pod.securityContext?.runAsNonRoot, true);
    }
  });

  test('the cleanup Job and the test pod never run as root', () => {
    const rendered = scenario('default');
    const job = oneOf<IJob>(rendered, 'Job');
    const pod = oneOf<IPod>(rendered, 'Pod');
    assert.equal(job.spec?.template.spec?.containers[0]?.securityContext?.runAsUser, 65532);
    assert.equal(job.spec?.template.spec?.volumes, undefined, 'the cleanup Job needs no host access');
    assert.equal(pod.spec?.containers[0]?.securityContext?.runAsUser, 65534);
    assert.ok(pod.spec?.volumes?.every((v) => v.hostPath === undefined));
  });
});

describe('security: no value can make a pod privileged', () => {
  // Where someone might try to switch privileged on; the schema has no such key anywhere.
  const ATTEMPTS: string[][] = [
    ['--set', 'securityContext.privileged=true'],
    ['--set', 'podSecurityContext.privileged=true'],
    ['--set', 'containerSecurityContext.privileged=true'],
    ['--set', 'security.privileged=true'],
    ['--set', 'security.capabilities.add={SYS_ADMIN}'],
    ['--set', 'labeller.securityContext.privileged=true'],
    ['--set', 'cleanup.securityContext.privileged=true'],
    ['--set', 'test.securityContext.privileged=true'],
    ['--set', 'hostNetwork=true'],
    ['--set-json', 'labeller.extraEnv=[{"name":"A","value":"b","securityContext":{"privileged":true}}]'],
    ['--set-json', 'affinity={"securityContext":{"privileged":true}}'],
    ['--set-json', 'tolerations=[{"operator":"Exists","privileged":true}]'],
    ['--set-json', 'resources={"limits":{"memory":"1Gi"},"securityContext":{"privileged":true}}'],
  ];
  for (const flags of ATTEMPTS) {
    test(`schema rejects ${flags.join(' ')}`, () => {
      const result = helm(chartArgs({ flags }));
      assert.notEqual(result.status, 0, `rendered:\n${result.stdout.slice(0, 400)}`);
      assert.match(result.stderr, /values don't meet the specifications of the schema/);
    });
  }

  test('every free-form object in the schema is a known, harmless one', () => {
    // A free-form object is one the schema does not close: whatever is put there is rendered as is. None of
    // them is rendered into a securityContext, so none can carry `privileged`.
    const schema = JSON.parse(readFileSync(join(CHART_DIR, 'values.schema.json'), 'utf8')) as Record<string, unknown>;
    const definitions = schema.definitions as Record<string, Record<string, unknown>>;
    const open: string[] = [];
    const walk = (node: Record<string, unknown>, path: string, seen: ReadonlySet<string>): void => {
      const ref = node.$ref;
      if (typeof ref === 'string') {
        const name = ref.replace('#/definitions/', '');
        if (!seen.has(name)) walk(definitions[name]!, path, new Set([...seen, name]));
        return;
      }
      for (const key of ['anyOf', 'allOf', 'oneOf'] as const) {
        for (const branch of (node[key] as Record<string, unknown>[] | undefined) ?? []) walk(branch, path, seen);
      }
      if (node.type === 'object') {
        if (node.additionalProperties === undefined || node.additionalProperties === true) open.push(path);
        if (typeof node.additionalProperties === 'object') walk(node.additionalProperties as Record<string, unknown>, `${path}.*`, seen);
      }
      for (const [key, child] of Object.entries((node.properties as Record<string, Record<string, unknown>> | undefined) ?? {})) walk(child, `${path}.${key}`, seen);
      if (typeof node.items === 'object') walk(node.items as Record<string, unknown>, `${path}[]`, seen);
    };
    walk(schema, '', new Set());
    assert.deepEqual(open.sort(), [
      '.affinity.nodeAffinity',
      '.affinity.podAffinity',
      '.affinity.podAntiAffinity',
      '.global',
      '.labeller.extraEnv[].valueFrom',
      '.metrics.podMonitor.metricRelabelings[]',
      '.metrics.podMonitor.relabelings[]',
      '.metrics.serviceMonitor.metricRelabelings[]',
      '.metrics.serviceMonitor.relabelings[]',
    ]);
  });

  test('property: random combinations of every switch render hardened, never privileged', () => {
    const values = fc.record(
      {
        security: fc.record({ runAsNonRoot: fc.boolean(), nonRootUser: fc.integer({ min: 1, max: 70000 }) }),
        // The two NFD modes are alternatives (the chart refuses both).
        nfd: fc.constantFrom({}, { featuresFile: { enabled: true } }, { nodeFeature: { enabled: true } }),
        events: fc.record({ enabled: fc.boolean() }),
        rbac: fc.record({ create: fc.boolean() }),
        serviceAccount: fc.record({ create: fc.boolean(), name: fc.constantFrom<string>('', 'custom-sa') }),
        admissionPolicy: fc.record({ enabled: fc.boolean() }),
        metrics: fc.record({
          service: fc.record({ enabled: fc.constant(true) }),
          serviceMonitor: fc.record({ enabled: fc.boolean() }),
          podMonitor: fc.record({ enabled: fc.boolean() }),
        }),
        cleanup: fc.record({ enabled: fc.boolean() }),
        test: fc.record({ enabled: fc.boolean() }),
        architectures: fc.subarray(['arm64', 'arm', 'riscv64', 'amd64']),
        labeller: fc.record({
          extraArgs: fc.subarray(['--privileged', '--debug', 'privileged: true']),
          extraEnv: fc.constantFrom([], [{ name: 'PRIVILEGED', value: 'true' }]),
          adoptExisting: fc.boolean(),
        }),
        podAnnotations: fc.constantFrom({}, { privileged: 'true' }),
        priorityClassName: fc.constantFrom('', 'system-node-critical'),
        tegra: fc.record({
          facts: fc.boolean(),
          nvidiaGpuPresent: fc.boolean(),
          gfdLabels: fc.boolean(),
          l4tRelease: fc.record({ enabled: fc.boolean(), socs: fc.constantFrom([], ['tegra264'], ['tegra234', 'tegra264']) }),
        }),
        kubeedge: fc.record({ enabled: fc.boolean(), requireAuthorization: fc.boolean() }),
      },
      { requiredKeys: [] },
    );
    const apiVersions = fc.subarray([VAP_API, MONITORING_API]);
    fc.assert(
      fc.property(values, apiVersions, (v, apis) => {
        // A named service account is required when the chart does not create one.
        if (v.serviceAccount?.create === false && v.serviceAccount.name === '') v.serviceAccount.name = 'existing';
        // Combinations the chart refuses on purpose (tested in values-schema.test.ts).
        if (v.tegra?.facts === false && v.tegra.nvidiaGpuPresent === true) v.tegra.nvidiaGpuPresent = false;
        if (v.tegra?.facts === false && v.tegra.gfdLabels === true) v.tegra.gfdLabels = false;
        if (v.kubeedge?.enabled === true && 'featuresFile' in (v.nfd ?? {})) v.kubeedge.enabled = false;
        const result = helm(chartArgs({ values: v, apiVersions: apis }));
        assert.equal(result.status, 0, result.stderr);
        assertHardened(parseManifests(result.stdout), featuresDir({ values: v }));
      }),
      { numRuns: 40, seed: 20261101 },
    );
  });
});
