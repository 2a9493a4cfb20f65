// tier: full (the real-blob corpus against libfdt)
// The label rules as the README states them, restated here over libfdt's view of each real blob (not our
// parser, selection or label code), compared with what the labeller computes: on all 576 corpus blobs and
// the six L4T blobs. It also pins the compatibility promise: on the corpus, the known-GPU rule adds nothing
// to the Go labeller's root/cpu/gpu selection, so users' existing keys are unchanged.
// Which libfdt rules: those every release from 1.6.1 on shares (__tests__/helpers/libfdt-versions.ts);
// compare() checks that each blob is one they all read alike, so the result holds on whatever libfdt the
// machine has.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { discover } from '../../src/discover.ts';
import { type Corpus, corpus, corpusPath, jetsonL4t } from '../helpers/corpus.ts';
import { releaseDependentLayout } from '../helpers/libfdt-versions.ts';
import { hasReferenceTools, isRejected, libfdtView, type TreeView } from '../helpers/reference.ts';

const PREFIX = 'beta.devicetree.org';
/** README "Label rules" 1: the default names; and the GPU compatibles the rule lists (NVIDIA's Tegra GPUs). */
const DEFAULT_NAMES = ['cpu', 'gpu'];
const TEGRA_GPUS = new Set(['nvidia,gk20a', 'nvidia,gm20b', 'nvidia,gp10b', 'nvidia,gv11b', 'nvidia,ga10b']);

const strings = (hex: string | undefined): string[] => {
  if (hex === undefined || hex === '') return [];
  const bytes = Buffer.from(hex, 'hex');
  const end = bytes[bytes.length - 1] === 0 ? bytes.length - 1 : bytes.length;
  return bytes.toString('latin1', 0, end).split('\0');
};

/** Rule 1: exactly N, or N, digits, "@", anything. */
const nameMatches = (name: string, wanted: string) => name === wanted || new RegExp(`^${wanted}[0-9]*@`).test(name);

/** Rule 3: vendor,model → vendor-model (xlnx → xilinx), made a valid label name. */
function labelName(compatible: string): string | undefined {
  const comma = compatible.indexOf(',');
  const vendor = comma < 0 ? undefined : compatible.slice(0, comma);
  const joined = vendor === undefined ? compatible : `${vendor === 'xlnx' ? 'xilinx' : vendor}-${compatible.slice(comma + 1).replaceAll(',', '-')}`;
  const trim = (s: string) => s.replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
  const name = trim(joined.replace(/[^A-Za-z0-9._-]/g, '-'));
  if (name === '') return undefined;
  if (name.length <= 63) return name;
  return `${trim(name.slice(0, 54))}-${createHash('sha256').update(compatible, 'latin1').digest('hex').slice(0, 8)}`;
}

/** Rules 1-4 over libfdt's view. `byCompatible`: also select nodes carrying a known Tegra GPU compatible. */
function referenceLabels(view: TreeView, byCompatible: boolean): Record<string, string> {
  const counts = new Map<string, number>();
  for (const [path, properties] of view.nodes) {
    const props = new Map(properties);
    const name = path === '/' ? '' : path.slice(path.lastIndexOf('/') + 1);
    const compatibles = strings(props.get('compatible'));
    const selected = path === '/' || DEFAULT_NAMES.some((wanted) => nameMatches(name, wanted)) || (byCompatible && compatibles.some((c) => TEGRA_GPUS.has(c)));
    if (!selected) continue;
    const status = props.get('status');
    const statusText = status === undefined ? undefined : strings(status);
    if (statusText !== undefined && !(statusText.length === 1 && ['okay', 'ok'].includes(statusText[0]!) && status!.endsWith('00'))) continue; // rule 2
    const keys = new Set(
      compatibles
        .filter((c) => c !== '')
        .map(labelName)
        .filter((n) => n !== undefined)
        .map((n) => `${PREFIX}/${n}`),
    );
    for (const key of keys) counts.set(key, (counts.get(key) ?? 0) + 1); // rule 4
  }
  return Object.fromEntries([...counts].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [k, String(v)]));
}

function ours(dir: string, file: string): Record<string, string> {
  const { labels } = discover({ location: { dtb: corpusPath({ dir, files: [] }, file) }, nodeNames: [], prefix: PREFIX, includeDisabled: false, tegra: undefined });
  return labels as Record<string, string>;
}

const tools = hasReferenceTools();
const realBlobs = corpus();
const l4t = jetsonL4t();

async function compare(set: Corpus, check: (file: string, view: TreeView) => void): Promise<void> {
  const views = await libfdtView(set.files, set.dir);
  for (const file of set.files) {
    const view = views.get(file)!;
    assert.equal(releaseDependentLayout(readFileSync(corpusPath(set, file))), undefined, `${file}: libfdt's answer depends on its release`);
    assert.ok(!isRejected(view), `${file}: libfdt rejects it`);
    check(file, view);
  }
}

test("corpus: our compatible labels equal the README rules applied to libfdt's view of every blob, and the GPU rule changes nothing there", {
  skip: 'skip' in realBlobs ? realBlobs.skip : tools,
}, async () => {
  const set = realBlobs as Corpus;
  const differing: string[] = [];
  await compare(set, (file, view) => {
    const goStyle = referenceLabels(view, false);
    assert.deepEqual(referenceLabels(view, true), goStyle, `${file}: a Tegra GPU outside a gpu node in a mainline tree`);
    if (JSON.stringify(ours(set.dir, file)) !== JSON.stringify(goStyle)) differing.push(file);
  });
  assert.deepEqual(differing, []);
});

test("L4T: the GPU node is selected by its compatible; everything else is the Go labeller's selection", { skip: 'skip' in l4t ? l4t.skip : tools }, async () => {
  const set = l4t as Corpus;
  await compare(set, (file, view) => {
    const withGpu = referenceLabels(view, true);
    assert.deepEqual(ours(set.dir, file), withGpu, file);
    const added = Object.keys(withGpu).filter((key) => !(key in referenceLabels(view, false)));
    const gpuNode = view.nodes.find(([, props]) => strings(new Map(props).get('compatible')).some((c) => TEGRA_GPUS.has(c)))![0];
    // The Nano's GPU node is /gpu; TX2, Xavier and Orin name it after the chip, and only the new rule finds it.
    assert.equal(added.length > 0, gpuNode !== '/gpu', `${file}: GPU at ${gpuNode}, keys added by the compatible rule: ${added.join(', ')}`);
  });
});
