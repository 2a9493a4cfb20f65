// Every manifest in examples/ must be valid Kubernetes, and every devicetree label it selects on must be one
// the labeller really produces: the built CLI's `labels -o json` is run on the fixture blobs and on the
// real kernel blobs (DTB_CORPUS_DIR), and each workload's required node affinity is evaluated against the
// resulting label sets, so "this lands on a Jetson Nano" is checked, not assumed.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { discover } from '../../src/discover.ts';
import { corpus, corpusPath, fixture } from '../helpers/corpus.ts';
import { buildBlob } from '../helpers/fdt-builder.ts';
import { validate } from '../helpers/k8s-schema.ts';
import { REPO, runCli } from '../helpers/run-cli.ts';

const PREFIX = 'beta.devicetree.org/';
const EXAMPLES = join(REPO, 'examples');

// ---- the manifests ---------------------------------------------------------------------------------

interface Manifest {
  readonly file: string;
  readonly object: Record<string, unknown>;
  readonly id: string;
}

const manifests: Manifest[] = readdirSync(EXAMPLES, { recursive: true, encoding: 'utf8' })
  .filter((f) => /\.ya?ml$/.test(f))
  .sort()
  .flatMap((file) =>
    parseAllDocuments(readFileSync(join(EXAMPLES, file), 'utf8')).flatMap((doc, index) => {
      assert.deepEqual(doc.errors, [], `${file} document ${index + 1}: YAML errors`);
      const object = doc.toJS() as Record<string, unknown> | null;
      if (object === null) return [];
      const metadata = object.metadata as { name?: string } | undefined;
      return [{ file, object, id: `${String(object.kind)}/${metadata?.name ?? '?'}` }];
    }),
  );

type Expression = { key: string; operator: string; values?: string[] };
type Term = { matchExpressions?: Expression[]; matchFields?: unknown[] };
type PodSpec = {
  nodeSelector?: Record<string, string>;
  affinity?: { nodeAffinity?: { requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms: Term[] }; preferredDuringSchedulingIgnoredDuringExecution?: { preference: Term }[] } };
};

/** The pod spec of a Pod or of a workload's pod template. */
function podSpec(object: Record<string, unknown>): PodSpec | undefined {
  if (object.kind === 'Pod') return object.spec as PodSpec;
  const spec = object.spec as { template?: { spec?: PodSpec }; jobTemplate?: { spec?: { template?: { spec?: PodSpec } } } } | undefined;
  return spec?.template?.spec ?? spec?.jobTemplate?.spec?.template?.spec;
}

/** Every devicetree label key an object mentions: as a map key (nodeSelector) or as an expression's key. */
function devicetreeKeys(value: unknown, found = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const item of value) devicetreeKeys(item, found);
  else if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      if (key.startsWith(PREFIX)) found.add(key);
      if (key === 'key' && typeof item === 'string' && item.startsWith(PREFIX)) found.add(item);
      devicetreeKeys(item, found);
    }
  }
  return found;
}

// ---- node selection, as the scheduler evaluates it ---------------------------------------------------

type Labels = Readonly<Record<string, string>>;

function expressionMatches(e: Expression, labels: Labels): boolean {
  const value = labels[e.key];
  switch (e.operator) {
    case 'In':
      return value !== undefined && (e.values ?? []).includes(value);
    case 'NotIn':
      return value === undefined || !(e.values ?? []).includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    case 'Gt':
    case 'Lt': {
      const [bound] = e.values ?? [];
      if (value === undefined || bound === undefined) return false;
      return e.operator === 'Gt' ? Number(value) > Number(bound) : Number(value) < Number(bound);
    }
    default:
      throw new Error(`unknown operator ${e.operator}`);
  }
}

/** A term matches when all its expressions do (an empty term matches nothing, as in Kubernetes). */
const termMatches = (term: Term, labels: Labels) => (term.matchExpressions ?? []).length > 0 && (term.matchExpressions ?? []).every((e) => expressionMatches(e, labels));

/** Whether a node with these labels passes the pod's nodeSelector and required node affinity. */
function schedulable(spec: PodSpec, labels: Labels): boolean {
  const selectorOk = Object.entries(spec.nodeSelector ?? {}).every(([key, value]) => labels[key] === value);
  const terms = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  return selectorOk && (terms === undefined || terms.some((term) => termMatches(term, labels)));
}

// ---- the boards: fixture blobs, a synthetic TX2, and the real kernel blobs -----------------------------

const real = corpus();
const CORPUS_SKIP = 'skip' in real ? real.skip : false;
/** Named boards in the corpus used below (mainline kernel naming). */
const CORPUS_BOARDS = ['nvidia/tegra210-p3450-0000.dtb', 'nvidia/tegra210-p2371-2180.dtb', 'nvidia/tegra132-norrin.dtb', 'broadcom/bcm2711-rpi-4-b.dtb'];
const FIXTURE_BOARDS = ['jetson-nano-l4t', 'jetson-xavier-nx', 'jetson-orin', 'raspberry-pi-4', 'disabled-gpu', 'memreserve', 'odd-compatibles'];
/**
 * No fixture or corpus blob has a Tegra X2 (Debian's 6.1 kernel ships no tegra186 blobs), so one is built
 * here from the mainline tegra186 description: root "nvidia,p2771-0000", "nvidia,tegra186", two Denver and
 * four Cortex-A57 cpus, and the Pascal GPU at /gpu@17000000, "nvidia,gp10b".
 */
function jetsonTx2(): Buffer {
  const cpu = (n: number, compatible: string) => ({ name: `cpu@${n}`, props: { compatible, device_type: 'cpu', reg: [n] } });
  return buildBlob({
    name: '',
    props: { compatible: ['nvidia,p2771-0000', 'nvidia,tegra186'], model: 'NVIDIA Jetson TX2 Developer Kit', '#address-cells': [2], '#size-cells': [2] },
    children: [
      { name: 'cpus', props: { '#address-cells': [1], '#size-cells': [0] }, children: [cpu(0, 'nvidia,tegra186-denver'), cpu(1, 'nvidia,tegra186-denver'), ...[2, 3, 4, 5].map((n) => cpu(n, 'arm,cortex-a57'))] },
      { name: 'gpu@17000000', props: { compatible: 'nvidia,gp10b', reg: [0, 0x17000000, 0, 0x1000000], status: 'okay' } },
    ],
  });
}
const TX2 = 'jetson-tx2 (synthetic)';

/** A corpus file by its path below the kernel-version folder (e.g. nvidia/x.dtb), wherever that is. */
function corpusFile(name: string): string {
  if ('skip' in real) throw new Error(real.skip);
  const found = real.files.find((f) => f === name || f.endsWith(`/${name}`));
  assert.ok(found, `${name} is not in the corpus`);
  return found;
}

/** Board name → labels, from the built CLI. Filled in `before`. */
const boards = new Map<string, Labels>();
let scratch = '';

function cliLabels(dtb: string): Labels {
  const result = runCli(['labels', '-o', 'json', '--dtb', dtb]);
  assert.equal(result.status, 0, `labels --dtb ${dtb}: ${result.stderr}`);
  return JSON.parse(result.stdout) as Labels;
}

before(() => {
  scratch = mkdtempSync(join(tmpdir(), 'examples-'));
  for (const name of FIXTURE_BOARDS) boards.set(name, cliLabels(fixture(`${name}.dtb`)));
  writeFileSync(join(scratch, 'jetson-tx2.dtb'), jetsonTx2());
  boards.set(TX2, cliLabels(join(scratch, 'jetson-tx2.dtb')));
  if (!('skip' in real)) for (const name of CORPUS_BOARDS) boards.set(name, cliLabels(corpusPath(real, corpusFile(name))));
});
after(() => rmSync(scratch, { recursive: true, force: true }));

const matching = (spec: PodSpec) => [...boards].filter(([, labels]) => schedulable(spec, labels)).map(([name]) => name).sort();

// ---- tests ---------------------------------------------------------------------------------------------

describe('examples/: manifests', () => {
  test('the example set is all there', () => {
    const files = new Set(manifests.map((m) => m.file));
    for (const file of ['jetson-nano-pod.yaml', 'tegra-gpu-deployment.yaml', 'http-echo.yaml', 'triton-inference-server.yaml', 'nvidia-device-plugin.yaml', 'pytorch-mnist-job.yaml', 'runtimeclass-nvidia.yaml']) {
      assert.ok(files.has(file), `examples/${file} is missing`);
    }
  });

  for (const { file, object, id } of manifests) {
    test(`${file}: ${id} is valid against the Kubernetes schemas`, async () => {
      assert.deepEqual(await validate(object), []);
    });
  }
});

describe('examples/: devicetree keys', () => {
  for (const { file, object, id } of manifests) {
    const keys = [...devicetreeKeys(object)].sort();
    if (keys.length === 0) continue;
    test(`${file}: ${id} selects only on keys some blob produces (${keys.length} keys)`, (t) => {
      const produced = new Set([...boards.values()].flatMap((labels) => Object.keys(labels)));
      const missing = keys.filter((key) => !produced.has(key));
      if (missing.length > 0 && CORPUS_SKIP) {
        t.skip(`${missing.join(', ')} not produced by any fixture; checking them needs the real-blob corpus: ${CORPUS_SKIP}`);
        return;
      }
      assert.deepEqual(missing, [], 'keys no fixture or corpus blob produces');
    });
  }

  test('every Tegra GPU key is produced by the board that has that GPU', () => {
    assert.equal(boards.get('jetson-nano-l4t')?.[`${PREFIX}nvidia-gm20b`], '1');
    assert.equal(boards.get(TX2)?.[`${PREFIX}nvidia-gp10b`], '1');
    assert.equal(boards.get('jetson-xavier-nx')?.[`${PREFIX}nvidia-gv11b`], '1');
    assert.equal(boards.get('jetson-orin')?.[`${PREFIX}nvidia-ga10b`], '1');
  });
});

/**
 * Where each workload may run, among the boards above. Corpus boards are dropped from the expectation when
 * the corpus is absent.
 */
const NANOS = ['jetson-nano-l4t', 'nvidia/tegra210-p3450-0000.dtb'];
const TEGRA_GPUS = [...NANOS, TX2, 'jetson-xavier-nx', 'jetson-orin'];
const EXPECTED_PLACEMENT: Record<string, string[]> = {
  'Pod/on-a-jetson-nano': NANOS,
  'Deployment/jetson-nano-echo': NANOS,
  'Deployment/any-tegra-gpu': TEGRA_GPUS,
  'DaemonSet/nvidia-device-plugin': TEGRA_GPUS,
  'Job/pytorch-mnist': [...NANOS, TX2, 'jetson-xavier-nx'],
  'DaemonSet/triton': ['jetson-orin'],
};

describe('examples/: where the workloads land', () => {
  const workloads = manifests.filter((m) => podSpec(m.object) !== undefined);

  test('every workload that selects on devicetree labels has an expected placement here', () => {
    const selecting = workloads.filter((m) => devicetreeKeys(podSpec(m.object)).size > 0).map((m) => m.id).sort();
    assert.deepEqual(selecting, Object.keys(EXPECTED_PLACEMENT).sort());
  });

  for (const [id, expected] of Object.entries(EXPECTED_PLACEMENT)) {
    test(`${id} is schedulable on exactly: ${expected.join(', ')}`, () => {
      const manifest = workloads.find((m) => m.id === id);
      assert.ok(manifest, `no workload ${id} in examples/`);
      const available = expected.filter((name) => boards.has(name));
      assert.deepEqual(matching(podSpec(manifest.object)!), available.sort());
    });
  }

  test('no dead terms: every required and preferred term matches some board', (t) => {
    for (const { id, object } of workloads) {
      const affinity = podSpec(object)?.affinity?.nodeAffinity;
      const terms = [...(affinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? []), ...(affinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((p) => p.preference)];
      for (const term of terms) {
        const hit = [...boards.values()].some((labels) => termMatches(term, labels));
        const keys = (term.matchExpressions ?? []).map((e) => e.key).join(' & ');
        if (!hit && CORPUS_SKIP) t.diagnostic(`${id}: term ${keys} matches no fixture; the corpus would be needed (${CORPUS_SKIP})`);
        else assert.ok(hit, `${id}: term ${keys} matches no board`);
      }
    }
  });

  test('the Jetson Nano pin: one term per kernel flavour, each matching only Jetson Nanos', { skip: CORPUS_SKIP }, () => {
    const pod = manifests.find((m) => m.id === 'Pod/on-a-jetson-nano')!;
    const terms = podSpec(pod.object)!.affinity!.nodeAffinity!.requiredDuringSchedulingIgnoredDuringExecution!.nodeSelectorTerms;
    const matchedBy = terms.map((term) => [...boards].filter(([, labels]) => termMatches(term, labels)).map(([name]) => name));
    assert.deepEqual(matchedBy, [['jetson-nano-l4t'], ['nvidia/tegra210-p3450-0000.dtb']], 'L4T key, then mainline key');
  });

  test('across all real kernel blobs, the Nano-pinned workloads match only the Jetson Nano', { skip: CORPUS_SKIP }, () => {
    if ('skip' in real) return;
    // The whole corpus through the same pipeline the CLI uses (one process instead of 576).
    const all = real.files.map((name) => {
      const { labels } = discover({ location: { dtb: corpusPath(real, name) }, nodeNames: [], prefix: PREFIX.slice(0, -1), includeDisabled: false });
      return [name, labels] as const;
    });
    for (const id of ['Pod/on-a-jetson-nano', 'Deployment/jetson-nano-echo']) {
      const spec = podSpec(manifests.find((m) => m.id === id)!.object)!;
      assert.deepEqual(all.filter(([, labels]) => schedulable(spec, labels)).map(([name]) => name), [corpusFile('nvidia/tegra210-p3450-0000.dtb')], id);
    }
    const gpu = podSpec(manifests.find((m) => m.id === 'Deployment/any-tegra-gpu')!.object)!;
    assert.deepEqual(all.filter(([, labels]) => schedulable(gpu, labels)).map(([name]) => name), [corpusFile('nvidia/tegra210-p3450-0000.dtb')], 'the only Tegra GPU enabled in the corpus');
  });

  test('the device plugin mounts the time-slicing config it is told to read, with 3 replicas', () => {
    const config = manifests.find((m) => m.id === 'ConfigMap/nvidia-device-plugin-config')!.object as { data: Record<string, string> };
    const daemonSet = manifests.find((m) => m.id === 'DaemonSet/nvidia-device-plugin')!.object as {
      spec: { template: { spec: { volumes: { name: string; configMap?: { name: string } }[]; containers: { env: { name: string; value: string }[]; volumeMounts: { name: string; mountPath: string }[] }[] } } };
    };
    const pod = daemonSet.spec.template.spec;
    const volume = pod.volumes.find((v) => v.configMap?.name === 'nvidia-device-plugin-config');
    assert.ok(volume, 'the ConfigMap is a volume');
    const container = pod.containers[0]!;
    const mount = container.volumeMounts.find((m) => m.name === volume.name);
    const configFile = container.env.find((e) => e.name === 'CONFIG_FILE')?.value;
    const key = Object.keys(config.data)[0]!;
    assert.equal(configFile, `${mount?.mountPath}/${key}`);
    const parsed = parseAllDocuments(config.data[key]!)[0]!.toJS() as { version: string; sharing: { timeSlicing: { resources: { name: string; replicas: number }[] } } };
    assert.equal(parsed.version, 'v1');
    assert.deepEqual(parsed.sharing.timeSlicing.resources, [{ name: 'nvidia.com/gpu', replicas: 3 }]);
  });

  test('GPU workloads use the nvidia RuntimeClass the examples define', () => {
    const runtimeClass = manifests.find((m) => m.id === 'RuntimeClass/nvidia')?.object as { handler?: string } | undefined;
    assert.equal(runtimeClass?.handler, 'nvidia');
    for (const id of ['DaemonSet/nvidia-device-plugin', 'Job/pytorch-mnist', 'DaemonSet/triton']) {
      assert.equal((podSpec(manifests.find((m) => m.id === id)!.object) as { runtimeClassName?: string }).runtimeClassName, 'nvidia', id);
    }
    const job = podSpec(manifests.find((m) => m.id === 'Job/pytorch-mnist')!.object) as { containers: { resources: { limits: Record<string, unknown> } }[] };
    assert.equal(job.containers[0]?.resources.limits['nvidia.com/gpu'], 1);
  });
});
