// Where a pod may run, as the scheduler decides it from labels and taints alone, restated for the tests of
// the examples and of the chart's DaemonSets: the NodeAffinity plugin (nodeSelector must match; of the
// required nodeSelectorTerms one must match, a term's requirements all, and a term with none matches
// nothing), the TaintToleration plugin (every NoSchedule/NoExecute taint tolerated, after
// v1helper.TolerationsTolerateTaint), and the DaemonSet controller's NodeShouldRunDaemonPod, which uses both.

export interface Requirement {
  key: string;
  operator: string;
  values?: string[];
}
export interface Term {
  matchExpressions?: Requirement[];
  matchFields?: Requirement[];
}
export interface Taint {
  key: string;
  value?: string;
  effect: string;
}
interface Toleration {
  key?: string;
  operator?: string;
  value?: string;
  effect?: string;
}
export interface SchedulingSpec {
  nodeSelector?: Record<string, string>;
  affinity?: { nodeAffinity?: { requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms: Term[] } } };
  tolerations?: Toleration[];
}
export interface TestNode {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly taints?: readonly Taint[];
}

export function requirementMatches(requirement: Requirement, value: string | undefined): boolean {
  const values = requirement.values ?? [];
  switch (requirement.operator) {
    case 'In':
      return value !== undefined && values.includes(value);
    case 'NotIn':
      return value === undefined || !values.includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    case 'Gt':
    case 'Lt': {
      if (value === undefined || !/^-?\d+$/.test(value)) return false;
      return requirement.operator === 'Gt' ? Number(value) > Number(values[0]) : Number(value) < Number(values[0]);
    }
    default:
      throw new Error(`unknown operator ${requirement.operator}`);
  }
}

/** A term's requirements on labels and (metadata.name only, the one field a node selector term may name) fields. */
export function termMatches(term: Term, node: Pick<TestNode, 'name' | 'labels'>): boolean {
  const expressions = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (expressions.length === 0 && fields.length === 0) return false;
  return (
    expressions.every((r) => requirementMatches(r, node.labels[r.key])) &&
    fields.every((r) => {
      if (r.key !== 'metadata.name') throw new Error(`a node selector term may name only metadata.name, not ${r.key}`);
      return requirementMatches(r, node.name);
    })
  );
}

function tolerates(toleration: Toleration, taint: Taint): boolean {
  if (toleration.effect !== undefined && toleration.effect !== '' && toleration.effect !== taint.effect) return false;
  if (toleration.key === undefined || toleration.key === '') return toleration.operator === 'Exists';
  if (toleration.key !== taint.key) return false;
  return toleration.operator === 'Exists' || (toleration.value ?? '') === (taint.value ?? '');
}

/** Whether the pod may run on the node: nodeSelector, required node affinity and taints. */
export function podFitsNode(spec: SchedulingSpec, node: TestNode): boolean {
  for (const [key, value] of Object.entries(spec.nodeSelector ?? {})) if (node.labels[key] !== value) return false;
  const blocking = (node.taints ?? []).filter((taint) => taint.effect === 'NoSchedule' || taint.effect === 'NoExecute');
  if (!blocking.every((taint) => (spec.tolerations ?? []).some((toleration) => tolerates(toleration, taint)))) return false;
  const terms = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  return terms === undefined || terms.some((term) => termMatches(term, node));
}
