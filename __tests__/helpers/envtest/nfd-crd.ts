// NFD's own NodeFeature and NodeFeatureRule CustomResourceDefinitions (the fixtures nfd-nodefeature-crd.yaml
// and nfd-nodefeaturerule-crd.yaml, as NFD ships them) in a real control plane: applied with the real kubectl, then waited for until the API server says the definition
// is Established and actually serves the resource. The two are not the same moment: Established is set by the
// CRD's own controller, while the REST handler for the new group appears a little later, and until then a
// request for it is an ordinary 404.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { REPO } from '../run-cli.ts';
import type { ControlPlane } from './control-plane.ts';

const NFD_CRD_FIXTURE = join(REPO, '__tests__/fixtures/nfd-nodefeature-crd.yaml');
const NFD_RULE_CRD_FIXTURE = join(REPO, '__tests__/fixtures/nfd-nodefeaturerule-crd.yaml');
const NODE_FEATURE_CRD_NAME = 'nodefeatures.nfd.k8s-sigs.io';
const NODE_FEATURE_RULE_CRD_NAME = 'nodefeaturerules.nfd.k8s-sigs.io';
export const NODE_FEATURES_API = '/apis/nfd.k8s-sigs.io/v1alpha1';

const READY_MS = 30_000;
const POLL_MS = 50;

interface CrdCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

/**
 * Applies NFD's NodeFeature CRD to `plane` and resolves once it is Established and a list of nodefeatures in a
 * namespace (`GET /apis/nfd.k8s-sigs.io/v1alpha1/namespaces/x/nodefeatures`) is answered 200. Idempotent.
 */
export function installNodeFeatureCrd(plane: ControlPlane): Promise<void> {
  return installCrd(plane, NFD_CRD_FIXTURE, NODE_FEATURE_CRD_NAME, `${NODE_FEATURES_API}/namespaces/x/nodefeatures`);
}

/** NFD's NodeFeatureRule CRD (cluster-scoped), the same way: resolves once nodefeaturerules are listed. */
export function installNodeFeatureRuleCrd(plane: ControlPlane): Promise<void> {
  return installCrd(plane, NFD_RULE_CRD_FIXTURE, NODE_FEATURE_RULE_CRD_NAME, `${NODE_FEATURES_API}/nodefeaturerules`);
}

async function installCrd(plane: ControlPlane, fixture: string, crdName: string, listPath: string): Promise<void> {
  const applied = await plane.kubectl(['apply', '-f', '-'], { input: readFileSync(fixture, 'utf8') });
  if (applied.code !== 0) throw new Error(`kubectl apply of ${fixture} failed (${applied.code}):\n${applied.stderr}`);

  const deadline = Date.now() + READY_MS;
  let last = 'nothing asked yet';
  for (;;) {
    const crd = await plane.call<{ status?: { conditions?: CrdCondition[] } }>('GET', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crdName}`);
    const conditions = crd.body.status?.conditions ?? [];
    const established = conditions.some((c) => c.type === 'Established' && c.status === 'True');
    const refused = conditions.find((c) => c.type === 'NamesAccepted' && c.status === 'False');
    if (refused !== undefined) throw new Error(`the API server did not accept the CRD's names: ${refused.reason ?? ''} ${refused.message ?? ''}`);
    if (established) {
      const list = await plane.call('GET', listPath);
      if (list.status === 200) return;
      last = `Established, but ${listPath} answers ${list.status}`;
    } else {
      last = `CRD ${crd.status}, conditions ${JSON.stringify(conditions)}`;
    }
    if (Date.now() > deadline) throw new Error(`${crdName} not served after ${READY_MS} ms: ${last}`);
    await delay(POLL_MS);
  }
}
