// tier: full (helm renders the chart; every board of the corpora)
// Every manifest in examples/ must be valid Kubernetes, and every devicetree label it selects on must be one
// the labeller really produces: the built CLI's `labels -o json`, with the label flags of the chart's
// default DaemonSet, is run on the stock L4T blobs (JETSON_L4T_DIR, each in a host root with its release's
// /etc/nv_tegra_release), on real kernel blobs (DTB_CORPUS_DIR) and on fixtures, and each workload's
// required node affinity is evaluated against the resulting label sets, so "this lands on a Jetson Nano"
// is checked, not assumed.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { discover } from '../../src/discover.ts';
import { corpus, corpusPath, fixture, jetsonL4t } from '../helpers/corpus.ts';
import { renderChart } from '../helpers/helm.ts';
import { validate } from '../helpers/k8s-schema.ts';
import { podFitsNode, type SchedulingSpec, type Taint, type Term, termMatches } from '../helpers/node-affinity.ts';
import { REPO, runCli } from '../helpers/run-cli.ts';

const PREFIX = 'beta.devicetree.org/';
/** Keys the labeller writes: compatible-derived, Jetson facts, and the opt-in NVIDIA key. */
const isLabellerKey = (key: string) => key.startsWith(PREFIX) || key.startsWith(`tegra.${PREFIX}`) || key === 'nvidia.com/gpu.present';
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

type PodSpec = SchedulingSpec & {
  affinity?: {
    nodeAffinity?: { requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms: Term[] }; preferredDuringSchedulingIgnoredDuringExecution?: { preference: Term }[] };
  };
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
      if (isLabellerKey(key)) found.add(key);
      if (key === 'key' && typeof item === 'string' && isLabellerKey(item)) found.add(item);
      devicetreeKeys(item, found);
    }
  }
  return found;
}

// ---- node selection, as the scheduler evaluates it (helpers/node-affinity.ts) ------------------------------

type Labels = Readonly<Record<string, string>>;
/** The taints of the boards that have any: edge nodes get KubeEdge's (keadm join). */
const TAINTS = new Map<string, Taint[]>();

const schedulable = (spec: PodSpec, labels: Labels, taints: readonly Taint[] = []) => podFitsNode(spec, { name: 'board', labels, taints });
/** A term matches when all its expressions do (an empty term matches nothing, as in Kubernetes). */
const termMatchesLabels = (term: Term, labels: Labels) => termMatches(term, { name: 'board', labels });

// ---- the boards: real L4T and kernel blobs, labelled as the chart's DaemonSet labels them ----------------

const real = corpus();
const CORPUS_SKIP = 'skip' in real ? real.skip : false;
const l4t = jetsonL4t();
const L4T_SKIP = 'skip' in l4t ? l4t.skip : false;
/** Named boards in the corpus used below (mainline kernel naming: a distribution kernel, no JetPack). */
const CORPUS_BOARDS = ['nvidia/tegra210-p3450-0000.dtb', 'nvidia/tegra210-p2371-2180.dtb', 'nvidia/tegra132-norrin.dtb', 'broadcom/bcm2711-rpi-4-b.dtb'];
const FIXTURE_BOARDS = ['raspberry-pi-4', 'disabled-gpu', 'memreserve', 'odd-compatibles'];

const R32 = '# R32 (release), REVISION: 7.1, GCID: 29818004, BOARD: t210ref, EABI: aarch64, DATE: Sat Feb 19 17:05:08 UTC 2022\n';
const R35 = '# R35 (release), REVISION: 4.1, GCID: 33958178, BOARD: t186ref, EABI: aarch64, DATE: Tue Aug  1 19:57:35 UTC 2023\n';
const R36 = '# R36 (release), REVISION: 4.3, GCID: 38968081, BOARD: generic, EABI: aarch64, DATE: Wed Jan  8 01:49:37 UTC 2025\n';
/**
 * Stock JetPack boards: each real L4T kernel blob booted with the root filesystem of its own release. The
 * one board that is modelled rather than real is an AGX Orin on JetPack 6: no R36 blob is available, so it
 * is the R35.4 AGX Orin tree (whose GPU, SoC and module facts JetPack 6 keeps) with an R36.4.3 release file.
 */
const L4T_BOARDS: Record<string, { file: string; release: string }> = {
  'Jetson Nano (R32.7.1)': { file: 'tegra210-p3448-0000-p3449-0000-b00.dtb', release: R32 },
  'Jetson TX2 NX (R32.7.1)': { file: 'tegra186-p3636-0001-p3509-0000-a01.dtb', release: R32 },
  'Jetson TX2 (R32.7.1)': { file: 'tegra186-quill-p3310-1000-c03-00-base.dtb', release: R32 },
  'Jetson Xavier NX (R32.7.1)': { file: 'tegra194-p3668-all-p3509-0000.dtb', release: R32 },
  'Jetson Orin Nano (R35.4.1)': { file: 'tegra234-p3767-0003-p3768-0000-a0.dtb', release: R35 },
  'Jetson AGX Orin (R35.4.1)': { file: 'tegra234-p3701-0000-p3737-0000.dtb', release: R35 },
  'Jetson AGX Orin (R36.4.3, modelled)': { file: 'tegra234-p3701-0000-p3737-0000.dtb', release: R36 },
};

/** A stock Xavier NX that is a KubeEdge edge node (the one label that differs is set by keadm, not by us). */
const EDGE_XAVIER = 'Jetson Xavier NX (R32.7.1), KubeEdge edge node';

/** A corpus file by its path below the kernel-version folder (e.g. nvidia/x.dtb), wherever that is. */
function corpusFile(name: string): string {
  if ('skip' in real) throw new Error(real.skip);
  const found = real.files.find((f) => f === name || f.endsWith(`/${name}`));
  assert.ok(found, `${name} is not in the corpus`);
  return found;
}

/** The label flags of the chart's DaemonSet with default values (the flags `labels` shares with `run`). */
function chartLabelFlags(): string[] {
  const daemonSet = renderChart().find(({ object }) => object.kind === 'DaemonSet')!.object as { spec: { template: { spec: { containers: { name: string; args: string[] }[] } } } };
  const args = daemonSet.spec.template.spec.containers.find((c) => c.name === 'labeller')!.args;
  return args.filter((arg) => /^--(prefix|nodes|include-disabled|tegra-prefix|no-tegra-facts|nvidia-gpu-present)(=|$)/.test(arg));
}

/** Board name → labels, from the built CLI. Filled in `before`. */
const boards = new Map<string, Labels>();
let scratch = '';

function cliLabels(source: string[], flags: readonly string[]): Labels {
  const result = runCli(['labels', '-o', 'json', ...source, ...flags]);
  assert.equal(result.status, 0, `labels ${source.join(' ')}: ${result.stderr}`);
  return JSON.parse(result.stdout) as Labels;
}

before(() => {
  scratch = mkdtempSync(join(tmpdir(), 'examples-'));
  const flags = chartLabelFlags();
  for (const name of FIXTURE_BOARDS) boards.set(name, cliLabels(['--dtb', fixture(`${name}.dtb`)], flags));
  if (!('skip' in real)) for (const name of CORPUS_BOARDS) boards.set(name, cliLabels(['--dtb', corpusPath(real, corpusFile(name))], flags));
  if (!('skip' in l4t)) {
    for (const [name, { file, release }] of Object.entries(L4T_BOARDS)) {
      const root = join(scratch, name.replace(/\W+/g, '-'));
      mkdirSync(join(root, 'sys/firmware'), { recursive: true });
      mkdirSync(join(root, 'etc'));
      copyFileSync(join(l4t.dir, file), join(root, 'sys/firmware/fdt'));
      writeFileSync(join(root, 'etc/nv_tegra_release'), release);
      boards.set(name, cliLabels(['--host-root', root], flags));
    }
    // KubeEdge's keadm join labels an edge node node-role.kubernetes.io/edge; the devicetree labels are the same.
    boards.set(EDGE_XAVIER, { ...boards.get('Jetson Xavier NX (R32.7.1)')!, 'node-role.kubernetes.io/edge': '' });
    TAINTS.set(EDGE_XAVIER, [{ key: 'node-role.kubernetes.io/edge', effect: 'NoSchedule' }]);
  }
});
after(() => rmSync(scratch, { recursive: true, force: true }));

const matching = (spec: PodSpec) =>
  [...boards]
    .filter(([name, labels]) => schedulable(spec, labels, TAINTS.get(name)))
    .map(([name]) => name)
    .sort();

// ---- tests ---------------------------------------------------------------------------------------------

describe('examples/: manifests', () => {
  test('the example set is all there', () => {
    const files = new Set(manifests.map((m) => m.file));
    for (const file of [
      'jetson-nano-pod.yaml',
      'tegra-gpu-deployment.yaml',
      'http-echo.yaml',
      'triton-inference-server.yaml',
      'nvidia-device-plugin.yaml',
      'pytorch-mnist-job.yaml',
      'runtimeclass-nvidia.yaml',
      'kubeedge-device-plugin.yaml',
    ]) {
      assert.ok(files.has(file), `examples/${file} is missing`);
    }
  });

  for (const { file, object, id } of manifests) {
    // NFD's kinds have no schema here: the real API server validates them against NFD's own CRD
    // (__tests__/e2e/node-feature.test.ts), and __tests__/nfd/example-rules.test.ts checks what they match.
    if (String(object.apiVersion).startsWith('nfd.k8s-sigs.io/')) continue;
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
      if (missing.length > 0 && (CORPUS_SKIP || L4T_SKIP)) {
        t.skip(`${missing.join(', ')} not produced by any fixture; checking them needs the real blobs: ${CORPUS_SKIP || L4T_SKIP}`);
        return;
      }
      assert.deepEqual(missing, [], 'keys no fixture or corpus blob produces');
    });
  }

  test('every Tegra GPU key is produced by the stock L4T board that has that GPU', { skip: L4T_SKIP }, () => {
    assert.equal(boards.get('Jetson Nano (R32.7.1)')?.[`${PREFIX}nvidia-gm20b`], '1');
    assert.equal(boards.get('Jetson TX2 NX (R32.7.1)')?.[`${PREFIX}nvidia-gp10b`], '1');
    assert.equal(boards.get('Jetson TX2 (R32.7.1)')?.[`${PREFIX}nvidia-gp10b`], '1');
    assert.equal(boards.get('Jetson Xavier NX (R32.7.1)')?.[`${PREFIX}nvidia-gv11b`], '1');
    assert.equal(boards.get('Jetson Orin Nano (R35.4.1)')?.[`${PREFIX}nvidia-ga10b`], '1');
    assert.equal(boards.get('Jetson AGX Orin (R35.4.1)')?.[`${PREFIX}nvidia-ga10b`], '1');
  });
});

/**
 * Where each workload may run, among the boards above; the examples' README table says the same. Boards of
 * a corpus that is absent are dropped from the expectation.
 */
const NANOS = ['Jetson Nano (R32.7.1)', 'nvidia/tegra210-p3450-0000.dtb'];
const JETPACK_4 = ['Jetson Nano (R32.7.1)', 'Jetson TX2 NX (R32.7.1)', 'Jetson TX2 (R32.7.1)', 'Jetson Xavier NX (R32.7.1)'];
const JETPACK = [...JETPACK_4, 'Jetson Orin Nano (R35.4.1)', 'Jetson AGX Orin (R35.4.1)', 'Jetson AGX Orin (R36.4.3, modelled)'];

const EXPECTED_PLACEMENT: Record<string, string[]> = {
  'Pod/on-a-jetson-nano': NANOS,
  'Deployment/jetson-nano-echo': NANOS,
  // every enabled Tegra GPU of the four families, JetPack or mainline (the Nano on a distribution kernel)
  'Deployment/any-tegra-gpu': [...JETPACK, 'nvidia/tegra210-p3450-0000.dtb'],
  // a Tegra GPU and JetPack's container toolkit; not the tainted edge nodes (they get the edge variant)
  'DaemonSet/nvidia-device-plugin': JETPACK,
  // l4t-pytorch r32.7.1: L4T R32 only
  'Job/pytorch-mnist': JETPACK_4,
  // tritonserver -igpu: L4T R36 only
  'DaemonSet/triton': ['Jetson AGX Orin (R36.4.3, modelled)'],
  // the edge variant: Xavier NX edge nodes only
  'DaemonSet/nvidia-device-plugin-edge': [EDGE_XAVIER],
};

describe('examples/: where the workloads land', () => {
  const workloads = manifests.filter((m) => podSpec(m.object) !== undefined);

  test('every workload that selects on devicetree labels has an expected placement here', () => {
    const selecting = workloads
      .filter((m) => devicetreeKeys(podSpec(m.object)).size > 0)
      .map((m) => m.id)
      .sort();
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
      const terms = [
        ...(affinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? []),
        ...(affinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((p) => p.preference),
      ];
      for (const term of terms) {
        const hit = [...boards.values()].some((labels) => termMatchesLabels(term, labels));
        const keys = (term.matchExpressions ?? []).map((e) => e.key).join(' & ');
        if (!hit && (CORPUS_SKIP || L4T_SKIP)) t.diagnostic(`${id}: term ${keys} matches no fixture; the real blobs would be needed (${CORPUS_SKIP || L4T_SKIP})`);
        else assert.ok(hit, `${id}: term ${keys} matches no board`);
      }
    }
  });

  test('the Jetson Nano pin: one term per kernel flavour, each matching only Jetson Nanos', { skip: CORPUS_SKIP || L4T_SKIP }, () => {
    const pod = manifests.find((m) => m.id === 'Pod/on-a-jetson-nano')!;
    const terms = podSpec(pod.object)!.affinity!.nodeAffinity!.requiredDuringSchedulingIgnoredDuringExecution!.nodeSelectorTerms;
    const matchedBy = terms.map((term) => [...boards].filter(([, labels]) => termMatchesLabels(term, labels)).map(([name]) => name));
    assert.deepEqual(matchedBy, [['Jetson Nano (R32.7.1)'], ['nvidia/tegra210-p3450-0000.dtb']], 'L4T key, then mainline key');
  });

  test('across all real kernel blobs, the Nano-pinned workloads match only the Jetson Nano', { skip: CORPUS_SKIP }, () => {
    if ('skip' in real) return;
    // The whole corpus through the same pipeline the CLI uses (one process instead of 576).
    const all = real.files.map((name) => {
      const { labels } = discover({
        location: { dtb: corpusPath(real, name) },
        nodeNames: [],
        prefix: PREFIX.slice(0, -1),
        includeDisabled: false,
        tegra: { prefix: `tegra.${PREFIX.slice(0, -1)}`, gpuPresent: false },
      });
      return [name, labels] as const;
    });
    for (const id of ['Pod/on-a-jetson-nano', 'Deployment/jetson-nano-echo']) {
      const spec = podSpec(manifests.find((m) => m.id === id)!.object)!;
      assert.deepEqual(
        all.filter(([, labels]) => schedulable(spec, labels)).map(([name]) => name),
        [corpusFile('nvidia/tegra210-p3450-0000.dtb')],
        id,
      );
    }
    const gpu = podSpec(manifests.find((m) => m.id === 'Deployment/any-tegra-gpu')!.object)!;
    assert.deepEqual(
      all.filter(([, labels]) => schedulable(gpu, labels)).map(([name]) => name),
      [corpusFile('nvidia/tegra210-p3450-0000.dtb')],
      'the only Tegra GPU enabled in the corpus',
    );
  });

  test('the device plugin mounts the time-slicing config it is told to read, with 3 replicas', () => {
    const config = manifests.find((m) => m.id === 'ConfigMap/nvidia-device-plugin-config')!.object as { data: Record<string, string> };
    const daemonSet = manifests.find((m) => m.id === 'DaemonSet/nvidia-device-plugin')!.object as {
      spec: {
        template: {
          spec: {
            volumes: { name: string; configMap?: { name: string } }[];
            containers: { env: { name: string; value: string }[]; volumeMounts: { name: string; mountPath: string }[] }[];
          };
        };
      };
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
