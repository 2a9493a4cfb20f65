// Whether a NodeFeatureRule's rule matches a node's features, as nfd-master decides it, restated for the tests
// of examples/nfd/ so that "this rule labels any Orin with 8 GiB or more" is checked, not assumed. Written from
// NFD's source (kubernetes-sigs/node-feature-discovery), each rule below citing the function it restates:
//   pkg/apis/nfd/nodefeaturerule/rule.go        Execute, evaluateFeatureMatcher   (read at 03e631435fd3)
//   pkg/apis/nfd/nodefeaturerule/expression.go  evaluateMatchExpression, MatchMulti, MatchGetValues,
//                                               MatchGetInstances                 (read at 20d280c11d85)
//   pkg/nfd-master/nfd-master.go                processNodeFeatureRule            (read at 000d5803b84c)
// Only what the examples use is restated: matchFeatures, matchAny, matchExpressions on attribute and
// instance features. Flags, matchName, templates and vars are refused rather than guessed.

type Op = 'In' | 'NotIn' | 'InRegexp' | 'Exists' | 'DoesNotExist' | 'Gt' | 'Lt' | 'GtLt' | 'IsTrue' | 'IsFalse';
export interface MatchExpression {
  op: Op;
  value?: string[];
}
export interface FeatureMatcherTerm {
  feature: string;
  matchExpressions?: Record<string, MatchExpression>;
  matchName?: MatchExpression;
}
export interface Rule {
  name: string;
  labels?: Record<string, string>;
  taints?: { key: string; value?: string; effect: string }[];
  matchFeatures?: FeatureMatcherTerm[];
  matchAny?: { matchFeatures: FeatureMatcherTerm[] }[];
  labelsTemplate?: string;
  varsTemplate?: string;
  vars?: Record<string, string>;
}
export interface Features {
  flags?: Record<string, { elements: Record<string, unknown> }>;
  attributes?: Record<string, { elements: Record<string, string> }>;
  instances?: Record<string, { elements: { attributes: Record<string, string> }[] }>;
}

/** A rule NFD cannot evaluate: nfd-master logs it, counts nfrProcessingErrors and skips the rule (processNodeFeatureRule). */
export class RuleError extends Error {}

/** Go's strconv.Atoi: optional sign, decimal digits, nothing else (no spaces, no "0x", no "1e3"). */
function atoi(text: string, what: string): number {
  if (!/^[+-]?[0-9]+$/.test(text)) throw new RuleError(`not a number ${JSON.stringify(text)} (${what})`);
  return Number(text);
}

/**
 * One expression against one element's value (evaluateMatchExpression). `value` is undefined when the element
 * has no such key: then Exists is false, DoesNotExist true, and every other op false without looking at its
 * operands — NotIn included.
 */
export function matchValue(expression: MatchExpression, value: string | undefined): boolean {
  const operands = expression.value ?? [];
  const none = () => {
    if (operands.length !== 0) throw new RuleError(`'value' must be empty for ${expression.op}`);
  };
  switch (expression.op) {
    case 'Exists':
      none();
      return value !== undefined;
    case 'DoesNotExist':
      none();
      return value === undefined;
  }
  if (value === undefined) return false;
  switch (expression.op) {
    case 'In':
    case 'NotIn':
    case 'InRegexp':
      if (operands.length === 0) throw new RuleError(`'value' must not be empty for ${expression.op}`);
      if (expression.op === 'In') return operands.includes(value);
      if (expression.op === 'NotIn') return !operands.includes(value);
      // Go's regexp.MatchString: unanchored search; the patterns used here mean the same in RE2 and JavaScript.
      return operands.some((pattern) => new RegExp(pattern).test(value));
    case 'Gt':
    case 'Lt': {
      if (operands.length !== 1) throw new RuleError(`'value' must hold exactly one element for ${expression.op}`);
      const input = atoi(value, 'input');
      const bound = atoi(operands[0]!, 'value');
      return expression.op === 'Gt' ? input > bound : input < bound;
    }
    case 'GtLt': {
      if (operands.length !== 2) throw new RuleError("'value' must hold exactly two elements for GtLt");
      const input = atoi(value, 'input');
      const [low, high] = [atoi(operands[0]!, 'value'), atoi(operands[1]!, 'value')];
      if (low >= high) throw new RuleError('GtLt: value[0] must be less than value[1]');
      return input > low && input < high;
    }
    case 'IsTrue':
      none();
      return value === 'true';
    case 'IsFalse':
      none();
      return value === 'false';
    default:
      throw new RuleError(`invalid Op ${JSON.stringify(expression.op)}`);
  }
}

/** Every expression against one key-value set (MatchGetValues): all must match; an empty set matches. */
function matchAll(expressions: Record<string, MatchExpression>, values: Record<string, string>): boolean {
  return Object.entries(expressions).every(([key, expression]) => matchValue(expression, Object.hasOwn(values, key) ? values[key] : undefined));
}

/**
 * One term (evaluateFeatureMatcher's loop body, MatchMulti): the feature name is lower-cased and looked up;
 * a feature the node lacks fails the term whatever its expressions. An attribute feature matches when all
 * expressions match its elements; an instance feature when some one instance matches all of them.
 */
function matchTerm(term: FeatureMatcherTerm, features: Features): boolean {
  if (term.matchName !== undefined) throw new Error('matchName is not restated here');
  const name = term.feature.toLowerCase();
  const flags = features.flags?.[name];
  const attributes = features.attributes?.[name];
  const instances = features.instances?.[name];
  if (flags === undefined && attributes === undefined && instances === undefined) return false;
  if (flags !== undefined) throw new Error('flag features are not restated here');
  const expressions = term.matchExpressions;
  if (expressions === undefined) return true;
  // Attributes: the union with flags starts out matched, so an empty expression set matches.
  const byAttributes = attributes !== undefined && matchAll(expressions, attributes.elements);
  const byInstances = (instances?.elements ?? []).some((instance) => matchAll(expressions, instance.attributes));
  return byAttributes || byInstances;
}

/** All terms must match (evaluateFeatureMatcher; nfd-master runs rules with failFast). */
const matchTerms = (terms: readonly FeatureMatcherTerm[], features: Features) => terms.every((term) => matchTerm(term, features));

/**
 * Whether `rule` matches (Execute): when it has matchAny, one of its elements must match; when it has
 * matchFeatures, those must match too; a rule with neither matches every node. Throws RuleError where NFD
 * would report an error and skip the rule.
 */
export function ruleMatches(rule: Rule, features: Features): boolean {
  if (rule.labelsTemplate !== undefined || rule.varsTemplate !== undefined || rule.vars !== undefined) throw new Error('templates and vars are not restated here');
  if ((rule.matchAny ?? []).length > 0 && !rule.matchAny!.some((element) => matchTerms(element.matchFeatures, features))) return false;
  if ((rule.matchFeatures ?? []).length > 0 && !matchTerms(rule.matchFeatures!, features)) return false;
  return true;
}
