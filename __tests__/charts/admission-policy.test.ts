// tier: full (helm renders the chart)
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { IValidatingAdmissionPolicy } from 'kubernetes-models/admissionregistration.k8s.io/v1/ValidatingAdmissionPolicy';
import type { IValidatingAdmissionPolicyBinding } from 'kubernetes-models/admissionregistration.k8s.io/v1/ValidatingAdmissionPolicyBinding';

/** The default instance's ownership annotation, the key every release has used (written out, not imported). */
const OWNED_LABELS_ANNOTATION = 'dt-node-labeller.beta.devicetree.org/owned-labels';

import { renderChart, type TemplateOptions } from '../helpers/helm.ts';
import { FULLNAME, hasKind, NAMESPACE, oneOf, VAP_API } from './chart.ts';
import { celEnvironment, celSkip, judgeNodeUpdate, NODE_NAME_EXTRA, type Token } from './vap-cel.ts';

const LABELLER = `system:serviceaccount:${NAMESPACE}:${FULLNAME}`;
const CLEANUP = `system:serviceaccount:${NAMESPACE}:${FULLNAME}-cleanup`;

function policy(options: TemplateOptions = {}): IValidatingAdmissionPolicy {
  return oneOf<IValidatingAdmissionPolicy>(renderChart({ apiVersions: [VAP_API], ...options }), 'ValidatingAdmissionPolicy');
}

describe('admission policy: when it is rendered', () => {
  test('only where the API server has ValidatingAdmissionPolicy v1 (helm template has not, by default)', () => {
    assert.equal(hasKind(renderChart(), 'ValidatingAdmissionPolicy'), false);
    const rendered = renderChart({ apiVersions: [VAP_API] });
    assert.equal(hasKind(rendered, 'ValidatingAdmissionPolicy'), true);
    const binding = oneOf<IValidatingAdmissionPolicyBinding>(rendered, 'ValidatingAdmissionPolicyBinding');
    assert.equal(binding.spec?.policyName, FULLNAME);
    assert.deepEqual(binding.spec?.validationActions, ['Deny']);
    assert.equal(binding.spec?.matchResources, undefined, 'the binding applies the policy to everything the policy matches');
  });

  test('not before Kubernetes 1.30, whose service-account tokens lack the node name', () => {
    assert.equal(hasKind(renderChart({ apiVersions: [VAP_API], kubeVersion: '1.29.8' }), 'ValidatingAdmissionPolicy'), false);
    assert.equal(hasKind(renderChart({ apiVersions: [VAP_API], kubeVersion: 'v1.30.4+k3s1' }), 'ValidatingAdmissionPolicy'), true);
  });

  test('not when switched off', () => {
    const rendered = renderChart({ apiVersions: [VAP_API], flags: ['--set', 'admissionPolicy.enabled=false'] });
    assert.equal(hasKind(rendered, 'ValidatingAdmissionPolicy'), false);
    assert.equal(hasKind(rendered, 'ValidatingAdmissionPolicyBinding'), false);
  });

  test('not in the NFD modes, where the labeller has no Node permission to narrow', () => {
    for (const nfd of [{ featuresFile: { enabled: true } }, { nodeFeature: { enabled: true } }]) {
      assert.equal(hasKind(renderChart({ apiVersions: [VAP_API], values: { nfd } }), 'ValidatingAdmissionPolicy'), false);
    }
  });

  test('validationActions can be a trial run', () => {
    const rendered = renderChart({ apiVersions: [VAP_API], values: { admissionPolicy: { validationActions: ['Warn', 'Audit'] } } });
    assert.deepEqual(oneOf<IValidatingAdmissionPolicyBinding>(rendered, 'ValidatingAdmissionPolicyBinding').spec?.validationActions, ['Warn', 'Audit']);
  });
});

describe('admission policy: structure', () => {
  const variables = (p: IValidatingAdmissionPolicy) => Object.fromEntries((p.spec?.variables ?? []).map((v) => [v.name, v.expression]));

  test('judges updates of Nodes only, failing closed', () => {
    const spec = policy().spec;
    assert.equal(spec?.failurePolicy, 'Fail');
    assert.deepEqual(spec?.matchConstraints?.resourceRules, [{ apiGroups: [''], apiVersions: ['v1'], operations: ['UPDATE'], resources: ['nodes'] }]);
    assert.equal(spec?.paramKind, undefined);
  });

  test("matches only the chart's two service accounts, or just the labeller's without the cleanup hook", () => {
    assert.deepEqual(policy().spec?.matchConditions, [{ name: 'chart-service-accounts', expression: `request.userInfo.username in ['${LABELLER}', '${CLEANUP}']` }]);
    assert.deepEqual(policy({ values: { cleanup: { enabled: false } } }).spec?.matchConditions?.[0]?.expression, `request.userInfo.username in ['${LABELLER}']`);
    const custom = policy({ values: { serviceAccount: { name: 'labeller' } } });
    assert.match(custom.spec?.matchConditions?.[0]?.expression ?? '', new RegExp(`'system:serviceaccount:${NAMESPACE}:labeller'`));
  });

  test('the prefixes, the borrowed key, adoption and the ownership annotation follow the values', () => {
    const defaults = variables(policy());
    assert.equal(defaults.prefixes, "['beta.devicetree.org/', 'tegra.beta.devicetree.org/']");
    assert.equal(defaults.borrowedKeys, '[]');
    assert.equal(defaults.adopt, 'false');
    assert.equal(defaults.ownershipKey, `'${OWNED_LABELS_ANNOTATION}'`);
    assert.equal(defaults.isLabeller, `request.userInfo.username == '${LABELLER}'`);
    const custom = variables(
      policy({ values: { labeller: { prefix: 'dt.example.com', instance: 'gpu', adoptExisting: true }, tegra: { prefix: 'jetson.example.com', nvidiaGpuPresent: true } } }),
    );
    assert.equal(custom.prefixes, "['dt.example.com/', 'jetson.example.com/']");
    assert.equal(custom.borrowedKeys, "['nvidia.com/gpu.present']");
    assert.equal(custom.adopt, 'true');
    assert.equal(custom.ownershipKey, "'gpu.dt-node-labeller.dt.example.com/owned-labels'");
    assert.equal(variables(policy({ values: { tegra: { facts: false } } })).prefixes, "['beta.devicetree.org/']");
    // GFD's six keys, as NVIDIA's GPU Feature Discovery names them (k8s-device-plugin internal/lm/resource.go).
    const gfd =
      "'nvidia.com/gpu.family', 'nvidia.com/gpu.compute.major', 'nvidia.com/gpu.compute.minor', 'nvidia.com/gpu.product', 'nvidia.com/gpu.count', 'nvidia.com/gpu.memory'";
    assert.equal(variables(policy({ values: { tegra: { gfdLabels: true } } })).borrowedKeys, `[${gfd}]`);
    assert.equal(variables(policy({ values: { tegra: { gfdLabels: true, nvidiaGpuPresent: true } } })).borrowedKeys, `['nvidia.com/gpu.present', ${gfd}]`);
  });

  test('every validation has its own message, so a denial says which check refused it', () => {
    for (const values of [{}, { labeller: { adoptExisting: true, instance: 'gpu' }, tegra: { nvidiaGpuPresent: true } }]) {
      const messages = (policy({ values }).spec?.validations ?? []).map((v) => v.message);
      assert.ok(messages.length >= 9);
      assert.equal(new Set(messages).size, messages.length, messages.join('\n'));
    }
  });

  test('every validation explains itself, and uses only the admission variables', () => {
    const spec = policy().spec;
    const expressions = [...(spec?.variables ?? []), ...(spec?.validations ?? []), ...(spec?.matchConditions ?? [])].map((e) => e.expression);
    for (const validation of spec?.validations ?? []) {
      assert.ok(validation.message, validation.expression);
      assert.equal(validation.reason, 'Forbidden');
    }
    for (const expression of expressions) {
      // Identifiers at the start of a member chain: the CEL admission roots, macro variables and functions.
      const roots = [...expression.replaceAll(/'[^']*'/g, "''").matchAll(/(?<![.\w])([A-Za-z_]\w*)(?=[.[(\s]|$)/g)].map((m) => m[1]);
      for (const root of roots) assert.ok(['request', 'object', 'oldObject', 'variables', 'has', 'k', 'p', 'in', 'true', 'false'].includes(root!), `${root} in ${expression}`);
    }
  });
});

// ---------------------------------------------------------------------------------------------------------
// Evaluating the CEL (vap-cel.ts), on Nodes shaped by each test.

type Labels = Record<string, string>;
interface NodeShape {
  labels?: Labels;
  annotations?: Labels;
  spec?: Record<string, unknown>;
  finalizers?: string[];
}

function node(name: string, shape: NodeShape): Record<string, unknown> {
  const metadata: Record<string, unknown> = { name };
  if (shape.labels) metadata.labels = shape.labels;
  if (shape.annotations) metadata.annotations = shape.annotations;
  if (shape.finalizers) metadata.finalizers = shape.finalizers;
  return { apiVersion: 'v1', kind: 'Node', metadata, spec: shape.spec ?? { podCIDR: '10.42.1.0/24' } };
}

/** What the API server would decide for an update of Node `name` from `before` to `after` by `username`. */
function judge(p: IValidatingAdmissionPolicy, username: string, token: Token, name: string, before: NodeShape, after: NodeShape): string[] | 'not judged' {
  return judgeNodeUpdate(p, username, token, node(name, before), node(name, after));
}

const P = 'beta.devicetree.org/';
const T = 'tegra.beta.devicetree.org/';
const GPU_PRESENT = 'nvidia.com/gpu.present';
const OWNED = OWNED_LABELS_ANNOTATION;
const base: Labels = { 'kubernetes.io/hostname': 'nano-1', 'kubernetes.io/arch': 'arm64' };
const record = (...keys: string[]) => ({ [OWNED]: [...keys].sort().join(',') });

/** The one check that refused, by its message: a denial must name exactly the rule that was broken. */
const MESSAGES = {
  node: /^dt-node-labeller may only change the Node its own pod runs on \(its token must name that node\)$/,
  add: /^dt-node-labeller may add labels only under /,
  addRecorded: /^every label dt-node-labeller adds must be listed in its ownership annotation /,
  change: /^dt-node-labeller may change only labels its ownership annotation /,
  remove: /^dt-node-labeller and its cleanup hook may remove only labels /,
  join: /^a key may join the ownership annotation /,
  annotations: /^dt-node-labeller may change no annotation but /,
  spec: /^dt-node-labeller may not change a Node's spec$/,
  finalizers: /^dt-node-labeller may not change a Node's finalizers or owner references$/,
} as const;

const allowed = (result: string[] | 'not judged') => assert.deepEqual(result, []);
/** Denied by exactly the checks named (and no other), each without an evaluation error. */
function deniedBy(result: string[] | 'not judged', ...checks: (keyof typeof MESSAGES)[]): void {
  assert.ok(Array.isArray(result) && result.length > 0, 'expected a denial');
  assert.equal(result.length, checks.length, result.join('\n'));
  for (const check of checks)
    assert.ok(
      result.some((m) => MESSAGES[check].test(m)),
      `${check} not in:\n${result.join('\n')}`,
    );
}

describe('admission policy: the CEL decides as intended', { skip: celSkip }, () => {
  const cache = new Map<string, IValidatingAdmissionPolicy>();
  const vap = (values: Record<string, unknown> = {}) => {
    const key = JSON.stringify(values);
    let rendered = cache.get(key);
    if (rendered === undefined) {
      rendered = policy({ values });
      cache.set(key, rendered);
    }
    return rendered;
  };
  const asLabeller = (before: NodeShape, after: NodeShape, token: Token = 'nano-1', values: Record<string, unknown> = {}) =>
    judge(vap(values), LABELLER, token, 'nano-1', before, after);
  const asCleanup = (before: NodeShape, after: NodeShape, values: Record<string, unknown> = {}) => judge(vap(values), CLEANUP, 'no extra', 'nano-1', before, after);
  const labelled = { labels: { ...base, [`${P}nvidia-gm20b`]: '1', [`${T}soc`]: 'tegra210' }, annotations: record(`${P}nvidia-gm20b`, `${T}soc`) };

  test('the labeller adds its labels, Jetson facts included, and its ownership record on its own node', () => {
    allowed(asLabeller({ labels: base }, labelled));
  });

  test('also on a node that had no labels or annotations at all', () => {
    allowed(asLabeller({}, { labels: { [`${P}arm-armv8`]: '4' }, annotations: record(`${P}arm-armv8`) }));
  });

  test('the labeller changes and removes the labels its record lists, and shrinks the record', () => {
    allowed(asLabeller(labelled, { labels: { ...base, [`${P}nvidia-gm20b`]: '2', [`${T}soc`]: 'tegra210' }, annotations: labelled.annotations }));
    allowed(asLabeller(labelled, { labels: base }));
    allowed(asLabeller(labelled, { labels: { ...base, [`${T}soc`]: 'tegra210' }, annotations: record(`${T}soc`) }));
  });

  test('it puts back a listed label someone removed', () => {
    allowed(asLabeller({ labels: base, annotations: labelled.annotations }, labelled));
  });

  test('…but only on the node its pod runs on', () => {
    deniedBy(asLabeller({ labels: base }, labelled, 'orin-2'), 'node');
    deniedBy(asLabeller({ labels: base }, labelled, null), 'node');
  });

  test('a user without userInfo.extra gets the policy’s own message, not an evaluation error (422)', () => {
    const result = asLabeller({ labels: base }, labelled, 'no extra');
    deniedBy(result, 'node');
    assert.ok(Array.isArray(result) && !result[0]!.includes('error:'), String(result));
    // Without the has() guard the same test fails to evaluate: what made the API server answer 422.
    const unguarded = `'${NODE_NAME_EXTRA}' in request.userInfo.extra`;
    const env = celEnvironment();
    assert.throws(() => env.evaluate(unguarded, { request: { userInfo: { username: LABELLER } } }), /no such key: extra/i);
  });

  test('it may not add labels outside its prefixes', () => {
    deniedBy(asLabeller({ labels: base }, { labels: { ...base, 'gpu.example.com/present': 'true' }, annotations: record('gpu.example.com/present') }), 'add');
    deniedBy(asLabeller({ labels: base }, { labels: { ...base, 'beta.devicetree.org.evil.com/x': '1' }, annotations: record('beta.devicetree.org.evil.com/x') }), 'add');
    deniedBy(asLabeller({ labels: base }, { labels: { ...base, [GPU_PRESENT]: 'true' }, annotations: record(GPU_PRESENT) }), 'add');
  });

  test('labels it adds must be in its new record', () => {
    deniedBy(asLabeller({ labels: base }, { labels: { ...base, [`${P}x`]: '1' } }), 'addRecorded');
    deniedBy(asLabeller({ labels: base, annotations: record(`${P}y`) }, { labels: { ...base, [`${P}x`]: '1' }, annotations: record(`${P}y`) }), 'addRecorded');
  });

  test('it may change or remove only labels its old record lists, even under its prefix', () => {
    deniedBy(asLabeller({ labels: base }, { labels: { ...base, 'kubernetes.io/arch': 'amd64' } }), 'change');
    deniedBy(asLabeller({ labels: base }, { labels: { 'kubernetes.io/hostname': 'nano-1' } }), 'remove');
    const adminSet = { labels: { ...base, [`${P}custom`]: 'yes' }, annotations: record(`${P}nvidia-gm20b`) };
    deniedBy(asLabeller(adminSet, { labels: { ...base, [`${P}custom`]: 'no' }, annotations: adminSet.annotations }), 'change');
    deniedBy(asLabeller(adminSet, { labels: base, annotations: adminSet.annotations }), 'remove');
  });

  test('two-step hijack: a key may not join the record without its label being added in the same request', () => {
    // Step 1: claim someone else's label, changing nothing. Refused, so step 2 (removing "its" label) never can.
    const before = { labels: { ...base, [`${P}custom`]: 'yes' }, annotations: record(`${P}nvidia-gm20b`) };
    const claim = (key: string) => ({ labels: before.labels, annotations: record(`${P}nvidia-gm20b`, key) });
    deniedBy(asLabeller(before, claim('kubernetes.io/arch')), 'join');
    deniedBy(asLabeller(before, claim(`${P}custom`)), 'join');
    // Adoption does not open it for a key outside the prefixes.
    deniedBy(asLabeller(before, claim('kubernetes.io/arch'), 'nano-1', { labeller: { adoptExisting: true } }), 'join');
    // Claiming it while changing it breaks two rules.
    deniedBy(asLabeller(before, { labels: { ...before.labels, [`${P}custom`]: '1' }, annotations: record(`${P}nvidia-gm20b`, `${P}custom`) }), 'change', 'join');
    // A key whose label does not exist at all, for later.
    deniedBy(asLabeller({ labels: base }, { labels: base, annotations: record(`${P}later`) }), 'join');
    // Step 2 on its own, had step 1 happened: removal follows the old record, which is why step 1 is refused.
    allowed(asLabeller({ labels: base, annotations: record('kubernetes.io/arch') }, { labels: { 'kubernetes.io/hostname': 'nano-1' } }));
  });

  test('adoption on: it may record an existing label under its prefixes, unchanged; never a foreign key or the borrowed one', () => {
    const adopt = { labeller: { adoptExisting: true }, tegra: { nvidiaGpuPresent: true } };
    const goLabeller = { labels: { ...base, [`${P}nvidia-gm20b`]: '1', [`${T}soc`]: 'tegra210', [GPU_PRESENT]: 'true' } };
    allowed(asLabeller(goLabeller, { labels: goLabeller.labels, annotations: record(`${P}nvidia-gm20b`, `${T}soc`) }, 'nano-1', adopt));
    deniedBy(asLabeller(goLabeller, { labels: goLabeller.labels, annotations: record(GPU_PRESENT) }, 'nano-1', adopt), 'join');
    deniedBy(asLabeller(goLabeller, { labels: goLabeller.labels, annotations: record('kubernetes.io/arch') }, 'nano-1', adopt), 'join');
    // Off (the default): the same adoption is refused.
    deniedBy(asLabeller(goLabeller, { labels: goLabeller.labels, annotations: record(`${P}nvidia-gm20b`) }), 'join');
    // The cleanup hook never adopts.
    deniedBy(asCleanup(goLabeller, { labels: goLabeller.labels, annotations: record(`${P}nvidia-gm20b`) }, adopt), 'join');
  });

  test('the tegra prefix: its own key space, moved by tegra.prefix, gone with the facts (removal still by record)', () => {
    const soc = (prefix: string) => ({ labels: { ...base, [`${prefix}soc`]: 'tegra210' }, annotations: record(`${prefix}soc`) });
    allowed(asLabeller({ labels: base }, soc(T)));
    const moved = { tegra: { prefix: 'jetson.example.com' } };
    allowed(asLabeller({ labels: base }, soc('jetson.example.com/'), 'nano-1', moved));
    deniedBy(asLabeller({ labels: base }, soc(T), 'nano-1', moved), 'add');
    const off = { tegra: { facts: false } };
    deniedBy(asLabeller({ labels: base }, soc(T), 'nano-1', off), 'add');
    allowed(asLabeller(soc(T), { labels: base }, 'nano-1', off));
    // Keys of an earlier tegra prefix stay listed (the labeller never removes them): the record may keep them.
    allowed(asLabeller(soc(T), { labels: { ...soc(T).labels, 'jetson.example.com/soc': 'tegra210' }, annotations: record(`${T}soc`, 'jetson.example.com/soc') }, 'nano-1', moved));
  });

  test('nvidia.com/gpu.present only with tegra.nvidiaGpuPresent; removing it by record either way', () => {
    const present = { labels: { ...base, [GPU_PRESENT]: 'true' }, annotations: record(GPU_PRESENT) };
    deniedBy(asLabeller({ labels: base }, present), 'add');
    allowed(asLabeller({ labels: base }, present, 'nano-1', { tegra: { nvidiaGpuPresent: true } }));
    allowed(asLabeller(present, { labels: base }));
    // Set by someone else (NFD, GFD): not listed, so neither changed nor removed, even with the option.
    const byGfd = { labels: { ...base, [GPU_PRESENT]: 'true' } };
    deniedBy(asLabeller(byGfd, { labels: base }, 'nano-1', { tegra: { nvidiaGpuPresent: true } }), 'remove');
  });

  test("GFD's keys only with tegra.gfdLabels; removing them by record either way; GFD's own never", () => {
    const FAMILY = 'nvidia.com/gpu.family';
    const mine = { labels: { ...base, [FAMILY]: 'maxwell' }, annotations: record(FAMILY) };
    deniedBy(asLabeller({ labels: base }, mine), 'add');
    allowed(asLabeller({ labels: base }, mine, 'nano-1', { tegra: { gfdLabels: true } }));
    allowed(asLabeller(mine, { labels: base }));
    const byGfd = { labels: { ...base, [FAMILY]: 'maxwell' } };
    deniedBy(asLabeller(byGfd, { labels: base }, 'nano-1', { tegra: { gfdLabels: true } }), 'remove');
    deniedBy(asLabeller(byGfd, { labels: { ...base, [FAMILY]: 'pascal' } }, 'nano-1', { tegra: { gfdLabels: true } }), 'change');
  });

  test('a custom instance uses its own record and may not touch the default instance’s', () => {
    const values = { labeller: { instance: 'gpu' } };
    const mine = 'gpu.dt-node-labeller.beta.devicetree.org/owned-labels';
    allowed(asLabeller({ labels: base }, { labels: { ...base, [`${P}x`]: '1' }, annotations: { [mine]: `${P}x` } }, 'nano-1', values));
    // Writing the default instance's record, or removing what only it lists.
    deniedBy(asLabeller({ labels: base }, { labels: { ...base, [`${P}x`]: '1' }, annotations: record(`${P}x`) }, 'nano-1', values), 'addRecorded', 'annotations');
    const other = { labels: { ...base, [`${P}y`]: '1' }, annotations: record(`${P}y`) };
    deniedBy(asLabeller(other, { labels: base, annotations: other.annotations }, 'nano-1', values), 'remove');
    deniedBy(asLabeller(other, { labels: base }, 'nano-1', values), 'remove', 'annotations');
  });

  test('it may not touch other annotations, the spec, or finalizers', () => {
    const annotated = { labels: base, annotations: { 'node.alpha.kubernetes.io/ttl': '0' } };
    deniedBy(asLabeller(annotated, { labels: base, annotations: { 'node.alpha.kubernetes.io/ttl': '30' } }), 'annotations');
    deniedBy(asLabeller(annotated, { labels: base }), 'annotations');
    deniedBy(asLabeller({ labels: base }, { labels: base, annotations: { 'example.com/note': 'hi' } }), 'annotations');
    deniedBy(asLabeller({ labels: base }, { labels: base, spec: { podCIDR: '10.42.1.0/24', unschedulable: true } }), 'spec');
    deniedBy(asLabeller({ labels: base }, { labels: base, spec: { podCIDR: '10.42.1.0/24', taints: [{ key: 'k', effect: 'NoSchedule' }] } }), 'spec');
    deniedBy(asLabeller({ labels: base }, { labels: base, finalizers: ['example.com/keep'] }), 'finalizers');
  });

  test('the cleanup hook removes the listed labels and the record, on any node', () => {
    allowed(asCleanup(labelled, { labels: base }));
    // Keys it keeps (an earlier tegra prefix's) stay listed.
    const withOld = { labels: { ...labelled.labels, 'old.example.com/soc': 'x' }, annotations: record(`${P}nvidia-gm20b`, `${T}soc`, 'old.example.com/soc') };
    allowed(asCleanup(withOld, { labels: { ...base, 'old.example.com/soc': 'x' }, annotations: record('old.example.com/soc') }));
  });

  test('…and nothing else: no adding, no changing, no unlisted labels, no new record keys', () => {
    deniedBy(asCleanup({ labels: base }, labelled), 'add');
    deniedBy(asCleanup(labelled, { labels: { ...labelled.labels, [`${P}nvidia-gm20b`]: '9' }, annotations: labelled.annotations }), 'change');
    deniedBy(asCleanup(labelled, { labels: labelled.labels, annotations: record(`${P}nvidia-gm20b`, `${T}soc`, `${P}x`) }), 'join');
    deniedBy(asCleanup({ labels: { ...base, [`${P}custom`]: 'yes' } }, { labels: base }), 'remove');
    deniedBy(asCleanup({ labels: base }, { labels: { 'kubernetes.io/hostname': 'nano-1' } }), 'remove');
  });

  test('requests from anyone else are not judged', () => {
    assert.equal(judge(vap(), 'system:node:nano-1', 'no extra', 'nano-1', { labels: base }, { labels: {} }), 'not judged');
    assert.equal(judge(vap(), 'kubernetes-admin', 'no extra', 'nano-1', { labels: base }, { labels: {} }), 'not judged');
    assert.equal(judge(vap(), `system:serviceaccount:other:${FULLNAME}`, 'nano-1', 'nano-1', { labels: base }, { labels: {} }), 'not judged');
    // KubeEdge: MetaServer's writes reach the API server as cloudcore (or the node), never as the labeller.
    assert.equal(judge(vap(), 'system:serviceaccount:kubeedge:cloudcore', 'no extra', 'nano-1', { labels: base }, labelled), 'not judged');
  });

  test('a custom prefix moves the boundary, and the record with it', () => {
    const values = { labeller: { prefix: 'dt.example.com' } };
    const mine = 'dt-node-labeller.dt.example.com/owned-labels';
    allowed(
      asLabeller(
        { labels: base },
        { labels: { ...base, 'dt.example.com/x': '1', 'tegra.dt.example.com/soc': 'a' }, annotations: { [mine]: 'dt.example.com/x,tegra.dt.example.com/soc' } },
        'nano-1',
        values,
      ),
    );
    const result = asLabeller({ labels: base }, { labels: { ...base, [`${P}x`]: '1' }, annotations: { [mine]: `${P}x` } }, 'nano-1', values);
    deniedBy(result, 'add');
    assert.match((result as string[])[0]!, /only under dt\.example\.com\/ or tegra\.dt\.example\.com\/; its cleanup hook may add none$/);
  });
});
