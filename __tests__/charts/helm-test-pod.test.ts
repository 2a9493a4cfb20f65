// tier: full (helm renders the chart)
// Runs the `helm test` pod's script here, with the real bash and jq and a stand-in kubectl that answers from
// fixture JSON, to check what it passes and fails on.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { IPod } from 'kubernetes-models/v1/Pod';
import { FULLNAME, NAMESPACE, oneOf, RELEASE, scenario, VARIANT_LABEL } from './chart.ts';

const hasJq = spawnSync('jq', ['--version']).status === 0;
const hasBash = spawnSync('bash', ['-c', 'true']).status === 0;
const skip = hasJq && hasBash ? false : 'bash and jq are needed to run the helm test script (apt-get install jq)';

const testPod = () => oneOf<IPod>(scenario('default'), 'Pod');

describe('helm test pod', () => {
  test('is a test hook, kept after the run for `helm test --logs`, using its own account', () => {
    const pod = testPod();
    assert.equal(pod.metadata?.annotations?.['helm.sh/hook'], 'test');
    assert.equal(pod.metadata?.annotations?.['helm.sh/hook-delete-policy'], 'before-hook-creation');
    assert.equal(pod.spec?.serviceAccountName, `${FULLNAME}-test`);
    assert.equal(pod.spec?.restartPolicy, 'Never');
    assert.equal(pod.spec?.containers[0]?.image, 'registry.k8s.io/kubectl:v1.33.4');
    assert.deepEqual(pod.spec?.containers[0]?.command, ['/bin/bash', '-c']);
  });

  test('is not rendered when test.enabled=false', () => {
    assert.ok(scenario('cleanup off, test off').every((r) => r.object.kind !== 'Pod' && !String((r.object.metadata as { name?: string }).name).endsWith('-test')));
  });
});

interface FakePod {
  node: string;
  ready: boolean;
  /** The DaemonSet variant label; edge and edge-l4t are KubeEdge pods. Default main. */
  variant?: string;
}

describe('helm test pod: its script', { skip }, () => {
  const dirs: string[] = [];
  after(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  /** Runs the script against fake pods and nodes; returns its exit code, output and the kubectl calls made. */
  function run(pods: FakePod[], nodes: Record<string, Record<string, string>>, timeout = '0', later: Record<string, Record<string, string>> = {}) {
    const dir = mkdtempSync(join(tmpdir(), 'dtnl-helm-test-'));
    dirs.push(dir);
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    const podList = {
      items: pods.map((p, i) => ({
        metadata: { name: `labeller-${i}`, labels: { [VARIANT_LABEL]: p.variant ?? 'main' } },
        spec: { nodeName: p.node },
        status: { conditions: [{ type: 'Ready', status: p.ready ? 'True' : 'False' }] },
      })),
    };
    writeFileSync(join(dir, 'pods.json'), JSON.stringify(podList));
    for (const [name, labels] of Object.entries(nodes)) writeFileSync(join(dir, `node-${name}.json`), JSON.stringify({ metadata: { name, labels } }));
    // Labels that appear from the second read of the node on.
    for (const [name, labels] of Object.entries(later)) writeFileSync(join(dir, `node-${name}.later.json`), JSON.stringify({ metadata: { name, labels } }));
    writeFileSync(
      join(bin, 'kubectl'),
      `#!/bin/bash
echo "$*" >> "${dir}/calls"
case "$1 $2" in
  "get pods") cat "${dir}/pods.json" ;;
  "get node")
    if [ -e "${dir}/node-$3.later.json" ] && [ -e "${dir}/seen-$3" ]; then cat "${dir}/node-$3.later.json"; exit; fi
    touch "${dir}/seen-$3"
    cat "${dir}/node-$3.json" 2>/dev/null || { echo "node $3 not found" >&2; exit 1; } ;;
  *) echo "unexpected kubectl $*" >&2; exit 2 ;;
esac
`,
    );
    writeFileSync(join(bin, 'sleep'), '#!/bin/sh\nexit 0\n');
    for (const file of ['kubectl', 'sleep']) chmodSync(join(bin, file), 0o755);

    const container = testPod().spec!.containers[0]!;
    const env: NodeJS.ProcessEnv = { PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}` };
    for (const variable of container.env ?? []) env[variable.name] = variable.value;
    env.TIMEOUT = timeout;
    const result = spawnSync('bash', ['-c', container.args![0]!], { env, encoding: 'utf8', timeout: 20_000 });
    let calls: string[] = [];
    try {
      calls = readFileSync(join(dir, 'calls'), 'utf8').trim().split('\n');
    } catch {
      // no kubectl call at all
    }
    return { status: result.status, output: result.stdout + result.stderr, calls };
  }

  const labelled = { 'kubernetes.io/arch': 'arm64', 'beta.devicetree.org/nvidia-gm20b': '1', 'beta.devicetree.org/nvidia-jetson-nano': '1' };

  test('passes when every node with a ready labeller has labels under the prefix', () => {
    const { status, output, calls } = run(
      [
        { node: 'nano-1', ready: true },
        { node: 'orin-1', ready: true },
      ],
      { 'nano-1': labelled, 'orin-1': labelled },
    );
    assert.equal(status, 0, output);
    assert.match(output, /ok: nano-1 has 2 labels under beta\.devicetree\.org\//);
    assert.match(output, /ok: orin-1 has 2 labels/);
    const selector = `app.kubernetes.io/name=dt-node-labeller,app.kubernetes.io/instance=${RELEASE},app.kubernetes.io/component=labeller`;
    assert.equal(calls[0], `get pods -n ${NAMESPACE} -l ${selector} -o json`);
    assert.ok(calls.includes('get node nano-1 -o json'));
  });

  test('reports, but does not fail on, labellers that are not ready (no devicetree there)', () => {
    const { status, output } = run(
      [
        { node: 'nano-1', ready: true },
        { node: 'x86-1', ready: false },
      ],
      { 'nano-1': labelled, 'x86-1': {} },
    );
    assert.equal(status, 0, output);
    assert.match(output, /not ready \(no devicetree there\?\): x86-1/);
  });

  test('fails when a ready labeller’s node has no labels under the prefix', () => {
    const { status, output } = run([{ node: 'nano-1', ready: true }], { 'nano-1': { 'kubernetes.io/arch': 'arm64', 'other.example.com/x': '1' } });
    assert.equal(status, 1, output);
    assert.match(output, /FAIL: nano-1 has no labels under beta\.devicetree\.org\//);
  });

  test('fails when no labeller becomes ready in time', () => {
    const { status, output } = run([{ node: 'x86-1', ready: false }], {});
    assert.equal(status, 1, output);
    assert.match(output, /FAIL: no labeller pod .* became ready within 0s/);
  });

  test('waits for labels that are not there yet', () => {
    const { status, output, calls } = run([{ node: 'nano-1', ready: true }], { 'nano-1': {} }, '60', { 'nano-1': labelled });
    assert.equal(status, 0, output);
    assert.match(output, /ok: nano-1 has 2 labels/);
    assert.equal(calls.filter((c) => c.startsWith('get node nano-1')).length, 2);
  });

  test('-l4t pods count like the main ones', () => {
    const { status, output } = run([{ node: 'nano-1', ready: true, variant: 'l4t' }], { 'nano-1': labelled });
    assert.equal(status, 0, output);
    assert.match(output, /ok: nano-1 has 2 labels/);
  });

  test('KubeEdge edge nodes are checked by their Node labels only, whatever their pods report, and the output says why', () => {
    const pods = [
      { node: 'nano-1', ready: true },
      { node: 'edge-1', ready: false, variant: 'edge' },
      { node: 'edge-2', ready: true, variant: 'edge-l4t' },
    ];
    const { status, output } = run(pods, { 'nano-1': labelled, 'edge-1': labelled, 'edge-2': labelled });
    assert.equal(status, 0, output);
    assert.match(output, /KubeEdge edge nodes are checked by the labels on their Node objects only/);
    assert.match(output, /their status reaches the cloud through cloudcore/);
    assert.match(output, /ok: edge node edge-1 has 2 labels/);
    assert.match(output, /ok: edge node edge-2 has 2 labels/);
    assert.doesNotMatch(output, /not ready.*edge-1/, 'edge pods are not judged by their readiness');
  });

  test('an edge node without labels fails, with a hint at the KubeEdge settings', () => {
    const { status, output } = run([{ node: 'edge-1', ready: true, variant: 'edge' }], { 'edge-1': { 'node-role.kubernetes.io/edge': '' } });
    assert.equal(status, 1, output);
    assert.match(output, /FAIL: edge node edge-1 has no labels under beta\.devicetree\.org\/ \(MetaServer on in edgecore, dynamicController on in cloudcore\?\)/);
  });

  test('with only edge nodes it does not wait for a ready pod in the cloud', () => {
    const { status, output, calls } = run([{ node: 'edge-1', ready: false, variant: 'edge' }], { 'edge-1': labelled }, '60');
    assert.equal(status, 0, output);
    assert.match(output, /ok: edge node edge-1/);
    assert.ok(calls.filter((c) => c.startsWith('get pods')).length <= 8, calls.join('\n'));
  });

  test('a cloud pod that never becomes ready, beside labelled edge nodes, is reported: the edge nodes were checked', () => {
    const mixed = run(
      [
        { node: 'x86-1', ready: false },
        { node: 'edge-1', ready: true, variant: 'edge' },
      ],
      { 'edge-1': labelled },
    );
    assert.equal(mixed.status, 0, mixed.output);
    assert.match(mixed.output, /not ready \(no devicetree there\?\): x86-1/);
    assert.match(mixed.output, /ok: edge node edge-1/);
  });
});
