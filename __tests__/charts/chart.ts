// Shared by the chart tests: the value sets every test renders, and typed lookups into rendered manifests.
import assert from 'node:assert/strict';
import type { IDaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import type { IJob } from 'kubernetes-models/batch/v1/Job';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IPod } from 'kubernetes-models/v1/Pod';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import { type Rendered, renderChart, type TemplateOptions } from '../helpers/helm.ts';

export const RELEASE = 'dtnl';
export const NAMESPACE = 'edge-system';
export const FULLNAME = 'dtnl-dt-node-labeller';
export const VAP_API = 'admissionregistration.k8s.io/v1/ValidatingAdmissionPolicy';
export const MONITORING_API = 'monitoring.coreos.com/v1';
export const NFD_FEATURES_DIR = '/etc/kubernetes/node-feature-discovery/features.d';
/** The pod label that tells the chart's DaemonSets apart (part of each selector). */
export const VARIANT_LABEL = 'dt-node-labeller/variant';
export const EDGE_ROLE = 'node-role.kubernetes.io/edge';
export const L4T_KEY = 'tegra.beta.devicetree.org/l4t.devicetree';
export const SOC_KEY = 'tegra.beta.devicetree.org/soc';
/** The DaemonSet variants, in the order the chart renders them. */
export type Variant = 'main' | 'l4t' | 'edge' | 'edge-l4t';

/** The host folder a scenario's values give the NFD feature file, if that mode is on. */
export function featuresDir(options: TemplateOptions): string | undefined {
  const file = (options.values as { nfd?: { featuresFile?: { enabled?: boolean; hostPath?: string } } } | undefined)?.nfd?.featuresFile;
  return file?.enabled === true ? (file.hostPath ?? NFD_FEATURES_DIR) : undefined;
}

/** Value sets rendered by several tests: the default and each mode the chart has. */
export const SCENARIOS: Readonly<Record<string, TemplateOptions>> = {
  default: {},
  'NFD features file': { values: { nfd: { featuresFile: { enabled: true } } } },
  'NFD NodeFeature': { values: { nfd: { nodeFeature: { enabled: true, namespace: 'node-feature-discovery' } } } },
  'NFD features file, non-root, own folder': {
    values: { nfd: { featuresFile: { enabled: true, hostPath: '/var/lib/nfd/features.d', fileName: 'devicetree' } }, security: { runAsNonRoot: true } },
  },
  'non-root': { values: { security: { runAsNonRoot: true } } },
  'events off': { values: { events: { enabled: false } } },
  'admission policy': { apiVersions: [VAP_API] },
  'admission policy, no cleanup hook': { apiVersions: [VAP_API], values: { cleanup: { enabled: false } } },
  monitors: {
    apiVersions: [MONITORING_API],
    values: {
      metrics: {
        serviceMonitor: { enabled: true, interval: '30s', scrapeTimeout: '10s', labels: { release: 'kube-prometheus' } },
        podMonitor: { enabled: true, metricRelabelings: [{ action: 'drop', regex: 'nodejs_.*', sourceLabels: ['__name__'] }] },
      },
    },
  },
  'cleanup off, test off': { values: { cleanup: { enabled: false }, test: { enabled: false } } },
  'custom prefix and nodes': {
    values: {
      labeller: {
        prefix: 'dt.example.com',
        nodes: ['pwm-fan', 'npu'],
        includeDisabled: true,
        rereadInterval: '10m',
        resyncInterval: '1m30s',
        logFormat: 'text',
        logLevel: 'debug',
        extraArgs: ['--debug'],
        extraEnv: [{ name: 'TZ', value: 'UTC' }],
      },
    },
  },
  'Jetson options and an instance': {
    apiVersions: [VAP_API],
    values: { labeller: { instance: 'gpu' }, tegra: { prefix: 'jetson.example.com', nvidiaGpuPresent: true, gfdLabels: true } },
  },
  'Jetson facts off': { values: { tegra: { facts: false } } },
  'no L4T release file': { values: { tegra: { l4tRelease: { enabled: false } } } },
  KubeEdge: { apiVersions: [VAP_API], values: { kubeedge: { enabled: true } } },
  'KubeEdge with requireAuthorization': { apiVersions: [VAP_API], values: { kubeedge: { enabled: true, requireAuthorization: true } } },
  'KubeEdge, non-root, NodeFeature, own addresses': {
    values: {
      security: { runAsNonRoot: true },
      nfd: { nodeFeature: { enabled: true } },
      kubeedge: { enabled: true, metaServer: { address: '127.0.0.1:10551' }, metricsPort: 9200 },
      tolerations: [{ key: 'dedicated', operator: 'Exists' }],
    },
  },
  'existing service account, no RBAC': { values: { serviceAccount: { create: false, name: 'labeller' }, rbac: { create: false } } },
  everything: {
    apiVersions: [VAP_API, MONITORING_API],
    values: {
      fullnameOverride: 'dtl',
      image: { digest: `sha256:${'ab'.repeat(32)}`, pullPolicy: 'Always' },
      imagePullSecrets: [{ name: 'regcred' }],
      labeller: { prefix: 'edge.example.org', nodes: ['pwm-fan'], adoptExisting: true },
      security: { runAsNonRoot: true, nonRootUser: 1000 },
      serviceAccount: { annotations: { team: 'edge' } },
      admissionPolicy: { validationActions: ['Warn', 'Audit'] },
      metrics: { port: 9100, service: { port: 9100, annotations: { 'prometheus.io/scrape': 'true' } }, serviceMonitor: { enabled: true } },
      architectures: ['arm64'],
      nodeSelector: { 'node-role.kubernetes.io/edge': 'true' },
      affinity: { podAntiAffinity: {} },
      tolerations: [{ key: 'edge', operator: 'Exists', effect: 'NoSchedule' }],
      priorityClassName: 'system-node-critical',
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '20%' } },
      podAnnotations: { 'example.com/a': 'b' },
      podLabels: { tier: 'edge' },
      cleanup: { tolerations: [{ operator: 'Exists' }], nodeSelector: { 'kubernetes.io/arch': 'amd64' } },
    },
  },
};

const cache = new Map<string, Rendered[]>();

/** Renders a named scenario once per test process. */
export function scenario(name: string): Rendered[] {
  let rendered = cache.get(name);
  if (rendered === undefined) {
    const options = SCENARIOS[name];
    assert.ok(options, `no scenario ${name}`);
    rendered = renderChart(options);
    cache.set(name, rendered);
  }
  return rendered;
}

export function metadataOf(object: Record<string, unknown>): { name?: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> } {
  return (object.metadata ?? {}) as ReturnType<typeof metadataOf>;
}

/** All rendered objects of a kind. */
export function allOfKind<T>(rendered: readonly Rendered[], kind: string): T[] {
  return rendered.filter((r) => r.object.kind === kind).map((r) => r.object as T);
}

/** The one rendered object of a kind (whose name ends with `suffix`, when given). */
export function oneOf<T>(rendered: readonly Rendered[], kind: string, suffix = ''): T {
  const found = rendered.filter((r) => r.object.kind === kind && (metadataOf(r.object).name ?? '').endsWith(suffix));
  assert.equal(found.length, 1, `expected one ${kind}${suffix === '' ? '' : ` named *${suffix}`}, found ${found.length}`);
  return found[0]!.object as T;
}

export function hasKind(rendered: readonly Rendered[], kind: string): boolean {
  return rendered.some((r) => r.object.kind === kind);
}

/** Every rendered DaemonSet, by variant. */
export function daemonSets(rendered: readonly Rendered[]): Map<Variant, IDaemonSet> {
  const found = new Map<Variant, IDaemonSet>();
  for (const ds of allOfKind<IDaemonSet>(rendered, 'DaemonSet')) {
    const variant = ds.metadata?.labels?.[VARIANT_LABEL] as Variant | undefined;
    assert.ok(variant, `DaemonSet ${ds.metadata?.name} has no ${VARIANT_LABEL} label`);
    assert.ok(!found.has(variant), `two DaemonSets of variant ${variant}`);
    found.set(variant, ds);
  }
  return found;
}

/** The DaemonSet of one variant (the main one by default). */
export function daemonSet(rendered: readonly Rendered[], variant: Variant = 'main'): IDaemonSet {
  const ds = daemonSets(rendered).get(variant);
  assert.ok(ds, `no ${variant} DaemonSet`);
  return ds;
}

/** A DaemonSet's pod spec and its labeller container. */
export function labeller(rendered: readonly Rendered[], variant: Variant = 'main'): { pod: IPodSpec; container: IContainer } {
  const pod = daemonSet(rendered, variant).spec?.template.spec;
  assert.ok(pod);
  const container = pod.containers.find((c) => c.name === 'labeller');
  assert.ok(container);
  return { pod, container };
}

/** Every pod spec the chart renders (DaemonSet, hook Job, test Pod), with where it came from and, for a DaemonSet, its variant. */
export function podSpecs(rendered: readonly Rendered[]): { where: string; spec: IPodSpec; variant?: Variant }[] {
  const specs: { where: string; spec: IPodSpec; variant?: Variant }[] = [];
  for (const { object, source } of rendered) {
    const where = `${String(object.kind)} ${metadataOf(object).name ?? '?'} (${source})`;
    if (object.kind === 'DaemonSet') {
      specs.push({ where, spec: (object as unknown as IDaemonSet).spec!.template.spec!, variant: metadataOf(object).labels?.[VARIANT_LABEL] as Variant });
    }
    if (object.kind === 'Job') specs.push({ where, spec: (object as unknown as IJob).spec!.template.spec! });
    if (object.kind === 'Pod') specs.push({ where, spec: (object as unknown as IPod).spec! });
  }
  return specs;
}
