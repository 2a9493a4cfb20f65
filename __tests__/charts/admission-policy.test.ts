import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { IValidatingAdmissionPolicy } from 'kubernetes-models/admissionregistration.k8s.io/v1/ValidatingAdmissionPolicy';
import type { IValidatingAdmissionPolicyBinding } from 'kubernetes-models/admissionregistration.k8s.io/v1/ValidatingAdmissionPolicyBinding';
import { OWNED_LABELS_ANNOTATION } from '../../src/node-labels/ownership.ts';
import { renderChart, type TemplateOptions } from '../helpers/helm.ts';
import { FULLNAME, hasKind, NAMESPACE, oneOf, VAP_API } from './chart.ts';

const LABELLER = `system:serviceaccount:${NAMESPACE}:${FULLNAME}`;
const CLEANUP = `system:serviceaccount:${NAMESPACE}:${FULLNAME}-cleanup`;
const NODE_NAME_EXTRA = 'authentication.kubernetes.io/node-name';

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

  test('the prefix and the ownership annotation are the labeller’s own', () => {
    const variables = (p: IValidatingAdmissionPolicy) => Object.fromEntries((p.spec?.variables ?? []).map((v) => [v.name, v.expression]));
    assert.equal(variables(policy()).prefix, "'beta.devicetree.org/'");
    assert.equal(variables(policy({ values: { labeller: { prefix: 'dt.example.com' } } })).prefix, "'dt.example.com/'");
    assert.equal(variables(policy()).ownershipKey, `'${OWNED_LABELS_ANNOTATION}'`);
    assert.equal(variables(policy()).isLabeller, `request.userInfo.username == '${LABELLER}'`);
  });

  test('every validation explains itself, and uses only the admission variables', () => {
    const spec = policy().spec;
    assert.ok((spec?.validations?.length ?? 0) >= 6);
    const expressions = [...(spec?.variables ?? []), ...(spec?.validations ?? []), ...(spec?.matchConditions ?? [])].map((e) => e.expression);
    for (const validation of spec?.validations ?? []) {
      assert.ok(validation.message, validation.expression);
      assert.equal(validation.reason, 'Forbidden');
    }
    for (const expression of expressions) {
      // Identifiers at the start of a member chain: the CEL admission roots, macro variables and functions.
      const roots = [...expression.replaceAll(/'[^']*'/g, "''").matchAll(/(?<![.\w])([A-Za-z_]\w*)(?=[.[(\s]|$)/g)].map((m) => m[1]);
      for (const root of roots) assert.ok(['request', 'object', 'oldObject', 'variables', 'has', 'k', 'in'].includes(root!), `${root} in ${expression}`);
    }
  });
});

// ---------------------------------------------------------------------------------------------------------
// Evaluating the CEL. Kubernetes' own CEL environment is Go; @marcbachmann/cel-js is a standard CEL evaluator
// for JavaScript (macros, `in`, string functions including split). It is not a devDependency yet: when it is
// missing these tests are skipped, and say so.

interface CelEnvironment {
  evaluate(expression: string, context: Record<string, unknown>): unknown;
}
interface CelModule {
  Environment: new (options: { unlistedVariablesAreDyn: boolean }) => CelEnvironment;
}
const CEL_PACKAGE = '@marcbachmann/cel-js';
const cel = (await import(CEL_PACKAGE).catch(() => undefined)) as CelModule | undefined;
const celSkip = cel === undefined ? `${CEL_PACKAGE} is not installed (npm install -D ${CEL_PACKAGE}) — CEL expressions not evaluated` : false;

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

/**
 * What the API server would decide for an update of Node `name` from `before` to `after` by `username` (with the
 * node name its token carries): 'not judged' when the match conditions do not apply, else the failed messages.
 */
function judge(p: IValidatingAdmissionPolicy, username: string, tokenNode: string | undefined, name: string, before: NodeShape, after: NodeShape): string[] | 'not judged' {
  const env = new cel!.Environment({ unlistedVariablesAreDyn: true });
  const context: Record<string, unknown> = {
    request: { operation: 'UPDATE', userInfo: { username, extra: tokenNode === undefined ? {} : { [NODE_NAME_EXTRA]: [tokenNode] } } },
    oldObject: node(name, before),
    object: node(name, after),
  };
  const run = (expression: string, variables: Record<string, unknown>): unknown => env.evaluate(expression, { ...context, variables });
  for (const condition of p.spec?.matchConditions ?? []) if (run(condition.expression, {}) !== true) return 'not judged';
  const variables: Record<string, unknown> = {};
  for (const variable of p.spec?.variables ?? []) variables[variable.name] = run(variable.expression, variables);
  const failed: string[] = [];
  for (const validation of p.spec?.validations ?? []) {
    let result: unknown;
    try {
      result = run(validation.expression, variables);
    } catch (error) {
      result = `error: ${(error as Error).message}`; // failurePolicy Fail: an error denies
    }
    if (result !== true) failed.push(`${validation.message ?? validation.expression}${typeof result === 'string' ? ` (${result})` : ''}`);
  }
  return failed;
}

describe('admission policy: the CEL decides as intended', { skip: celSkip }, () => {
  const P = 'beta.devicetree.org/';
  const OWNED = OWNED_LABELS_ANNOTATION;
  const base: Labels = { 'kubernetes.io/hostname': 'nano-1', 'kubernetes.io/arch': 'arm64' };
  let rendered: IValidatingAdmissionPolicy | undefined;
  const vap = () => (rendered ??= policy());
  /** `tokenNode` null: a token without the node-name claim. */
  const asLabeller = (before: NodeShape, after: NodeShape, tokenNode: string | null = 'nano-1') => judge(vap(), LABELLER, tokenNode ?? undefined, 'nano-1', before, after);
  const asCleanup = (before: NodeShape, after: NodeShape) => judge(vap(), CLEANUP, 'x86-1', 'nano-1', before, after);
  const allowed = (result: string[] | 'not judged') => assert.deepEqual(result, []);
  const denied = (result: string[] | 'not judged', message: RegExp) => {
    assert.ok(Array.isArray(result) && result.length > 0, 'expected a denial');
    assert.ok(result.some((m) => message.test(m)), result.join('\n'));
  };
  const labelled = { labels: { ...base, [`${P}nvidia-gm20b`]: '1' }, annotations: { [OWNED]: `${P}nvidia-gm20b` } };

  test('the labeller adds its labels and ownership record on its own node', () => {
    allowed(asLabeller({ labels: base }, labelled));
  });

  test('also on a node that had no labels or annotations at all', () => {
    allowed(asLabeller({}, { labels: { [`${P}arm-armv8`]: '4' }, annotations: { [OWNED]: `${P}arm-armv8` } }));
  });

  test('the labeller changes and removes its labels', () => {
    allowed(asLabeller(labelled, { labels: { ...base, [`${P}nvidia-gm20b`]: '2' }, annotations: { [OWNED]: `${P}nvidia-gm20b` } }));
    allowed(asLabeller(labelled, { labels: base }));
  });

  test('…but only on the node its pod runs on', () => {
    denied(asLabeller({ labels: base }, labelled, 'orin-2'), /only change the Node its own pod runs on/);
    denied(asLabeller({ labels: base }, labelled, null), /only change the Node its own pod runs on/);
  });

  test('it may not add, change or remove labels outside the prefix', () => {
    denied(asLabeller({ labels: base }, { labels: { ...base, 'gpu.example.com/present': 'true' } }), /only add or change labels under beta\.devicetree\.org\//);
    denied(asLabeller({ labels: base }, { labels: { ...base, 'kubernetes.io/arch': 'amd64' } }), /only add or change labels under/);
    denied(asLabeller({ labels: base }, { labels: { 'kubernetes.io/hostname': 'nano-1' } }), /only remove labels under/);
    denied(asLabeller({ labels: base }, { labels: { ...base, 'beta.devicetree.org.evil.com/x': '1' } }), /only add or change labels under/);
  });

  test('it may remove labels its record lists from an earlier prefix', () => {
    const old = { labels: { ...base, 'dt.example.com/nvidia-gm20b': '1' }, annotations: { [OWNED]: 'dt.example.com/nvidia-gm20b' } };
    allowed(asLabeller(old, labelled));
  });

  test('its record may only list keys under the prefix, so it cannot claim a label to remove it later', () => {
    denied(asLabeller({ labels: base }, { labels: base, annotations: { [OWNED]: 'kubernetes.io/hostname' } }), /ownership annotation may only list labels under/);
    denied(asLabeller({ labels: base }, { labels: base, annotations: { [OWNED]: `${P}a,kubernetes.io/arch` } }), /ownership annotation may only list/);
  });

  test('it may not touch other annotations, the spec, or finalizers', () => {
    const annotated = { labels: base, annotations: { 'node.alpha.kubernetes.io/ttl': '0' } };
    denied(asLabeller(annotated, { labels: base, annotations: { 'node.alpha.kubernetes.io/ttl': '30' } }), /may not change annotations/);
    denied(asLabeller(annotated, { labels: base }), /may not change annotations/);
    denied(asLabeller({ labels: base }, { labels: base, annotations: { 'example.com/note': 'hi' } }), /may not change annotations/);
    denied(asLabeller({ labels: base }, { labels: base, spec: { podCIDR: '10.42.1.0/24', unschedulable: true } }), /may not change a Node's spec/);
    denied(
      asLabeller({ labels: base }, { labels: base, spec: { podCIDR: '10.42.1.0/24', taints: [{ key: 'k', effect: 'NoSchedule' }] } }),
      /may not change a Node's spec/,
    );
    denied(asLabeller({ labels: base }, { labels: base, finalizers: ['example.com/keep'] }), /finalizers or owner references/);
  });

  test('the cleanup hook removes labels under the prefix and the record, on any node', () => {
    allowed(asCleanup(labelled, { labels: base }));
  });

  test('…and nothing else: no adding, no changing, no foreign labels', () => {
    denied(asCleanup({ labels: base }, labelled), /its cleanup hook none|cleanup hook may only remove it/);
    denied(asCleanup(labelled, { labels: { ...base, [`${P}nvidia-gm20b`]: '9' }, annotations: { [OWNED]: `${P}nvidia-gm20b` } }), /its cleanup hook none/);
    denied(asCleanup(labelled, { labels: { ...base, [`${P}nvidia-gm20b`]: '1' }, annotations: { [OWNED]: `${P}x` } }), /cleanup hook may only remove it/);
    denied(asCleanup({ labels: base }, { labels: { 'kubernetes.io/hostname': 'nano-1' } }), /only remove labels under/);
  });

  test('requests from anyone else are not judged', () => {
    assert.equal(judge(vap(), 'system:node:nano-1', undefined, 'nano-1', { labels: base }, { labels: {} }), 'not judged');
    assert.equal(judge(vap(), 'kubernetes-admin', undefined, 'nano-1', { labels: base }, { labels: {} }), 'not judged');
    assert.equal(judge(vap(), `system:serviceaccount:other:${FULLNAME}`, 'nano-1', 'nano-1', { labels: base }, { labels: {} }), 'not judged');
  });

  test('a custom prefix moves the boundary', () => {
    const custom = policy({ values: { labeller: { prefix: 'dt.example.com' } } });
    const after = { labels: { ...base, 'dt.example.com/x': '1' }, annotations: { [OWNED]: 'dt.example.com/x' } };
    assert.deepEqual(judge(custom, LABELLER, 'nano-1', 'nano-1', { labels: base }, after), []);
    const old = { labels: { ...base, [`${P}x`]: '1' }, annotations: { [OWNED]: `${P}x` } };
    const added = judge(custom, LABELLER, 'nano-1', 'nano-1', { labels: base }, old);
    assert.ok(Array.isArray(added) && added.some((m) => /only add or change labels under dt\.example\.com\//.test(m)));
  });
});
