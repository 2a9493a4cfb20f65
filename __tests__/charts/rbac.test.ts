// tier: full (helm renders the chart)
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { IJob } from 'kubernetes-models/batch/v1/Job';
import type { IClusterRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole';
import type { IClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding';
import type { IRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import type { IRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import type { IPod } from 'kubernetes-models/v1/Pod';
import type { IServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { type Rendered, renderChart } from '../helpers/helm.ts';
import { allOfKind, daemonSet, EDGE_ROLE, FULLNAME, hasKind, metadataOf, NAMESPACE, oneOf, SCENARIOS, scenario } from './chart.ts';

const NODES_READ_PATCH = { apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'watch', 'patch'] };
const EVENTS_CREATE = [
  { apiGroups: [''], resources: ['events'], verbs: ['create'] },
  { apiGroups: ['events.k8s.io'], resources: ['events'], verbs: ['create'] },
];
const NODEFEATURES = { apiGroups: ['nfd.k8s-sigs.io'], resources: ['nodefeatures'], verbs: ['get', 'create', 'update'] };
const LABELLER_SA = { kind: 'ServiceAccount', name: FULLNAME, namespace: NAMESPACE };

/** What each Role/ClusterRole grants, keyed by kind/name, with its bound subjects. */
function grants(rendered: readonly Rendered[]) {
  const result: Record<string, { namespace?: string; rules: unknown; subjects: unknown }> = {};
  for (const kind of ['ClusterRole', 'Role'] as const) {
    for (const role of allOfKind<IClusterRole | IRole>(rendered, kind)) {
      const name = role.metadata?.name ?? '';
      const binding = allOfKind<IClusterRoleBinding | IRoleBinding>(rendered, `${kind}Binding`).find((b) => b.roleRef.name === name);
      assert.ok(binding, `${kind} ${name} is not bound`);
      assert.equal(binding.roleRef.kind, kind);
      assert.equal(binding.roleRef.apiGroup, 'rbac.authorization.k8s.io');
      assert.equal(binding.metadata?.namespace, role.metadata?.namespace);
      result[`${kind}/${name}`] = { ...(role.metadata?.namespace ? { namespace: role.metadata.namespace } : {}), rules: role.rules, subjects: binding.subjects };
    }
  }
  return result;
}

/** Grants made for the labeller itself (not for the cleanup hook or the test pod). */
function labellerGrants(name: string) {
  return Object.fromEntries(Object.entries(grants(scenario(name))).filter(([key]) => !key.endsWith('-cleanup') && !key.endsWith('-test')));
}

describe('RBAC: least privilege per mode', () => {
  test('default: read and patch nodes; create events in namespace default, the only one Events about a Node go to', () => {
    assert.deepEqual(labellerGrants('default'), {
      [`ClusterRole/${FULLNAME}`]: { rules: [NODES_READ_PATCH], subjects: [LABELLER_SA] },
      [`Role/${FULLNAME}-events`]: { namespace: 'default', rules: EVENTS_CREATE, subjects: [LABELLER_SA] },
    });
  });

  test('events off: no event permission at all', () => {
    assert.deepEqual(labellerGrants('events off'), { [`ClusterRole/${FULLNAME}`]: { rules: [NODES_READ_PATCH], subjects: [LABELLER_SA] } });
  });

  test('the events Role is in default, nowhere else, in every scenario and whatever the release namespace', () => {
    for (const name of Object.keys(SCENARIOS)) {
      for (const role of allOfKind<IRole>(scenario(name), 'Role')) {
        const grantsEvents = (role.rules ?? []).some((rule) => rule.resources?.includes('events'));
        if (grantsEvents) assert.equal(role.metadata?.namespace, 'default', `${name}: ${role.metadata?.name}`);
      }
    }
    const elsewhere = renderChart({ namespace: 'kube-system' });
    assert.deepEqual(
      allOfKind<IRole>(elsewhere, 'Role')
        .filter((r) => r.metadata?.name?.endsWith('-events'))
        .map((r) => r.metadata?.namespace),
      ['default'],
    );
  });

  test('KubeEdge keeps the same account and grants for the edge pods', () => {
    assert.deepEqual(labellerGrants('KubeEdge'), labellerGrants('default'));
    assert.deepEqual(labellerGrants('KubeEdge with requireAuthorization'), labellerGrants('default'));
  });

  test('NodeFeature mode: no Node access, no events; NodeFeature verbs in their namespace only', () => {
    assert.deepEqual(labellerGrants('NFD NodeFeature'), {
      [`Role/${FULLNAME}-nodefeatures`]: { namespace: 'node-feature-discovery', rules: [NODEFEATURES], subjects: [LABELLER_SA] },
    });
  });

  test('features-file mode talks to no API server: no permission at all', () => {
    assert.deepEqual(labellerGrants('NFD features file'), {});
    assert.deepEqual(labellerGrants('NFD features file, non-root, own folder'), {});
  });

  test('rbac.create=false renders no labeller RBAC, and serviceAccount.create=false no ServiceAccount', () => {
    assert.deepEqual(labellerGrants('existing service account, no RBAC'), {});
    const accounts = allOfKind<IServiceAccount>(scenario('existing service account, no RBAC'), 'ServiceAccount').map((sa) => sa.metadata?.name);
    assert.deepEqual(accounts.sort(), [`${FULLNAME}-cleanup`, `${FULLNAME}-test`]);
  });

  test('the labeller ServiceAccount does not automount its token; only its pod opts in', () => {
    assert.equal(oneOf<IServiceAccount>(scenario('default'), 'ServiceAccount', FULLNAME).automountServiceAccountToken, false);
  });

  test('the cleanup hook has its own account: nodes get/list/patch, and only for the hook', () => {
    const rendered = scenario('default');
    const cleanup = `${FULLNAME}-cleanup`;
    const subject = { kind: 'ServiceAccount', name: cleanup, namespace: NAMESPACE };
    assert.deepEqual(grants(rendered)[`ClusterRole/${cleanup}`], {
      rules: [{ apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'patch'] }],
      subjects: [subject],
    });
    const hooks = rendered
      .filter((r) => metadataOf(r.object).name === cleanup)
      .map((r) => [r.object.kind, metadataOf(r.object).annotations?.['helm.sh/hook'], metadataOf(r.object).annotations?.['helm.sh/hook-weight']]);
    assert.deepEqual(hooks.sort(), [
      ['ClusterRole', 'pre-delete', '-10'],
      ['ClusterRoleBinding', 'pre-delete', '-10'],
      ['Job', 'pre-delete', '0'],
      ['ServiceAccount', 'pre-delete', '-10'],
    ]);
    const job = oneOf<IJob>(rendered, 'Job');
    assert.equal(job.metadata?.annotations?.['helm.sh/hook-delete-policy'], 'before-hook-creation,hook-succeeded');
    assert.equal(job.spec?.template.spec?.serviceAccountName, cleanup);
    assert.deepEqual(job.spec?.template.spec?.containers[0]?.args, ['cleanup', '--all-nodes', '--prefix=beta.devicetree.org']);
    assert.equal(job.spec?.template.spec?.restartPolicy, 'Never');
  });

  test('NodeFeature mode: the cleanup hook lists and deletes the NodeFeature objects, and may only list nodes', () => {
    const rendered = scenario('NFD NodeFeature');
    const cleanup = `${FULLNAME}-cleanup`;
    const subject = { kind: 'ServiceAccount', name: cleanup, namespace: NAMESPACE };
    const all = grants(rendered);
    assert.deepEqual(all[`ClusterRole/${cleanup}`], { rules: [{ apiGroups: [''], resources: ['nodes'], verbs: ['list'] }], subjects: [subject] });
    assert.deepEqual(all[`Role/${cleanup}`], {
      namespace: 'node-feature-discovery',
      rules: [{ apiGroups: ['nfd.k8s-sigs.io'], resources: ['nodefeatures'], verbs: ['list', 'delete'] }],
      subjects: [subject],
    });
    const role = oneOf<IRole>(rendered, 'Role', '-cleanup');
    assert.equal(role.metadata?.annotations?.['helm.sh/hook'], 'pre-delete');
    assert.deepEqual(oneOf<IJob>(rendered, 'Job').spec?.template.spec?.containers[0]?.args, [
      'cleanup',
      '--all-nodes',
      '--prefix=beta.devicetree.org',
      '--publish-nodefeature',
      '--nodefeature-namespace=node-feature-discovery',
    ]);
  });

  test('the cleanup hook cleans the same instance as the DaemonSet: prefix, tegra prefix and instance', () => {
    const cleanupArgs = (name: string) => oneOf<IJob>(scenario(name), 'Job').spec?.template.spec?.containers[0]?.args;
    assert.deepEqual(cleanupArgs('Jetson options and an instance'), [
      'cleanup',
      '--all-nodes',
      '--prefix=beta.devicetree.org',
      '--tegra-prefix=jetson.example.com',
      '--instance=gpu',
    ]);
    assert.deepEqual(cleanupArgs('custom prefix and nodes'), ['cleanup', '--all-nodes', '--prefix=dt.example.com']);
    // Every flag naming the instance is the DaemonSet's own.
    for (const name of ['default', 'Jetson options and an instance', 'custom prefix and nodes', 'everything']) {
      const instance = (args: readonly string[] | undefined) => (args ?? []).filter((a) => /^--(prefix|tegra-prefix|instance)=/.test(a));
      const runArgs = daemonSet(scenario(name)).spec?.template.spec?.containers[0]?.args;
      assert.deepEqual(instance(cleanupArgs(name)), instance(runArgs), name);
    }
  });

  test('with KubeEdge the cleanup Job and the test pod stay off edge nodes (they talk to the API server directly)', () => {
    const offEdge = {
      nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: EDGE_ROLE, operator: 'DoesNotExist' }] }] } },
    };
    for (const name of ['KubeEdge', 'KubeEdge with requireAuthorization']) {
      assert.deepEqual(oneOf<IJob>(scenario(name), 'Job').spec?.template.spec?.affinity, offEdge, name);
      assert.deepEqual(oneOf<IPod>(scenario(name), 'Pod').spec?.affinity, offEdge, name);
    }
    assert.equal(oneOf<IJob>(scenario('default'), 'Job').spec?.template.spec?.affinity, undefined);
  });

  test('cleanup off, or features-file mode (the files are out of reach): no Job, no cleanup account', () => {
    for (const name of ['cleanup off, test off', 'NFD features file']) {
      const rendered = scenario(name);
      assert.equal(hasKind(rendered, 'Job'), false, name);
      assert.ok(
        rendered.every((r) => !(metadataOf(r.object).name ?? '').endsWith('-cleanup')),
        name,
      );
    }
  });

  test('the helm test pod may only get nodes and list pods in the release namespace', () => {
    const test = `${FULLNAME}-test`;
    const subject = { kind: 'ServiceAccount', name: test, namespace: NAMESPACE };
    const all = grants(scenario('default'));
    assert.deepEqual(all[`ClusterRole/${test}`], { rules: [{ apiGroups: [''], resources: ['nodes'], verbs: ['get'] }], subjects: [subject] });
    assert.deepEqual(all[`Role/${test}`], { namespace: NAMESPACE, rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['list'] }], subjects: [subject] });
  });

  test('no scenario grants wildcards, secrets, or anything outside the known set', () => {
    const allowed = new Set([
      '/nodes/get',
      '/nodes/list',
      '/nodes/watch',
      '/nodes/patch',
      '/events/create',
      'events.k8s.io/events/create',
      'nfd.k8s-sigs.io/nodefeatures/get',
      'nfd.k8s-sigs.io/nodefeatures/create',
      'nfd.k8s-sigs.io/nodefeatures/update',
      'nfd.k8s-sigs.io/nodefeatures/list',
      'nfd.k8s-sigs.io/nodefeatures/delete',
      '/pods/list',
    ]);
    for (const name of Object.keys(SCENARIOS)) {
      for (const role of [...allOfKind<IClusterRole>(scenario(name), 'ClusterRole'), ...allOfKind<IRole>(scenario(name), 'Role')]) {
        for (const rule of role.rules ?? []) {
          assert.equal(rule.resourceNames, undefined);
          assert.equal(rule.nonResourceURLs, undefined);
          for (const group of rule.apiGroups ?? []) {
            for (const resource of rule.resources ?? []) {
              for (const verb of rule.verbs) assert.ok(allowed.has(`${group}/${resource}/${verb}`), `${name}: ${role.metadata?.name} grants ${group}/${resource}/${verb}`);
            }
          }
        }
      }
    }
  });
});
