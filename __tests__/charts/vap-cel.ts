// Evaluates the chart's ValidatingAdmissionPolicy the way the API server would, for one Node update. Kubernetes'
// CEL environment is Go; @marcbachmann/cel-js is a standard CEL evaluator for JavaScript (macros, `in`, has(),
// string functions including split), enough for the expressions the chart uses. Order of evaluation as in
// https://kubernetes.io/docs/reference/access-authn-authz/validating-admission-policy/ : match conditions, then
// variables (each may use the earlier ones), then every validation.
import type { IValidatingAdmissionPolicy } from 'kubernetes-models/admissionregistration.k8s.io/v1/ValidatingAdmissionPolicy';

interface CelEnvironment {
  evaluate(expression: string, context: Record<string, unknown>): unknown;
}
interface CelModule {
  Environment: new (options: { unlistedVariablesAreDyn: boolean }) => CelEnvironment;
}
const CEL_PACKAGE = '@marcbachmann/cel-js';
const cel = (await import(CEL_PACKAGE).catch(() => undefined)) as CelModule | undefined;

/** A skip reason for node:test when the evaluator is missing, else false. */
export const celSkip: string | false = cel === undefined ? `${CEL_PACKAGE} is not installed (npm install -D ${CEL_PACKAGE}) — CEL expressions not evaluated` : false;

export const NODE_NAME_EXTRA = 'authentication.kubernetes.io/node-name';

/**
 * The requester's token: the node name it carries; null for a token with other extra but no node name; 'no extra'
 * for a user without userInfo.extra at all (the API server then leaves the field out).
 */
export type Token = string | null | 'no extra';

/** A fresh evaluator (throws when cel-js is missing: guard with celSkip). */
export function celEnvironment(): CelEnvironment {
  if (cel === undefined) throw new Error(String(celSkip));
  return new cel.Environment({ unlistedVariablesAreDyn: true });
}

/**
 * The decision for an UPDATE of a Node from `oldObject` to `object` by `username`: 'not judged' when the match
 * conditions do not apply, else the messages of the failed validations (empty: allowed). An expression that fails
 * to evaluate denies too (failurePolicy Fail); its error follows the message in parentheses.
 */
export function judgeNodeUpdate(
  policy: IValidatingAdmissionPolicy,
  username: string,
  token: Token,
  oldObject: Record<string, unknown>,
  object: Record<string, unknown>,
): string[] | 'not judged' {
  const env = celEnvironment();
  const userInfo: Record<string, unknown> = { username };
  if (token !== 'no extra') userInfo.extra = token === null ? { 'example.com/team': ['edge'] } : { [NODE_NAME_EXTRA]: [token] };
  const context: Record<string, unknown> = { request: { operation: 'UPDATE', userInfo }, oldObject, object };
  const run = (expression: string, variables: Record<string, unknown>): unknown => env.evaluate(expression, { ...context, variables });
  for (const condition of policy.spec?.matchConditions ?? []) if (run(condition.expression, {}) !== true) return 'not judged';
  const variables: Record<string, unknown> = {};
  for (const variable of policy.spec?.variables ?? []) variables[variable.name] = run(variable.expression, variables);
  const failed: string[] = [];
  for (const validation of policy.spec?.validations ?? []) {
    let result: unknown;
    try {
      result = run(validation.expression, variables);
    } catch (error) {
      result = `error: ${(error as Error).message.split('\n')[0]}`;
    }
    if (result !== true) failed.push(`${validation.message ?? validation.expression}${typeof result === 'string' ? ` (${result})` : ''}`);
  }
  return failed;
}
