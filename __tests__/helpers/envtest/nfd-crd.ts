// NFD's own NodeFeature CustomResourceDefinition (the fixture nfd-nodefeature-crd.yaml, as NFD ships it) in a
// real control plane: applied with the real kubectl, then waited for until the API server says the definition
// is Established and actually serves the resource. The two are not the same moment: Established is set by the
// CRD's own controller, while the REST handler for the new group appears a little later, and until then a
// request for it is an ordinary 404.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { REPO } from '../run-cli.ts';
import type { ControlPlane } from './control-plane.ts';

export const NFD_CRD_FIXTURE = join(REPO, '__tests__/fixtures/nfd-nodefeature-crd.yaml');
export const NODE_FEATURE_CRD_NAME = 'nodefeatures.nfd.k8s-sigs.io';
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
export async function installNodeFeatureCrd(plane: ControlPlane): Promise<void> {
  const applied = await plane.kubectl(['apply', '-f', '-'], { input: readFileSync(NFD_CRD_FIXTURE, 'utf8') });
  if (applied.code !== 0) throw new Error(`kubectl apply of ${NFD_CRD_FIXTURE} failed (${applied.code}):\n${applied.stderr}`);

  const deadline = Date.now() + READY_MS;
  let last = 'nothing asked yet';
  for (;;) {
    const crd = await plane.call<{ status?: { conditions?: CrdCondition[] } }>('GET', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${NODE_FEATURE_CRD_NAME}`);
    const conditions = crd.body.status?.conditions ?? [];
    const established = conditions.some((c) => c.type === 'Established' && c.status === 'True');
    const refused = conditions.find((c) => c.type === 'NamesAccepted' && c.status === 'False');
    if (refused !== undefined) throw new Error(`the API server did not accept the CRD's names: ${refused.reason ?? ''} ${refused.message ?? ''}`);
    if (established) {
      const list = await plane.call('GET', `${NODE_FEATURES_API}/namespaces/x/nodefeatures`);
      if (list.status === 200) return;
      last = `Established, but listing nodefeatures answers ${list.status}`;
    } else {
      last = `CRD ${crd.status}, conditions ${JSON.stringify(conditions)}`;
    }
    if (Date.now() > deadline) throw new Error(`NodeFeature CRD not served after ${READY_MS} ms: ${last}`);
    await delay(POLL_MS);
  }
}
