// Jetson facts: what users schedule Jetson work by and no other tool reports on Tegra (NVIDIA's GPU Feature
// Discovery and device plugin see no PCI GPU there). Read from the devicetree through the chip table in
// src/hardware/tegra.json, and from the host's L4T release file. Keys live under their own prefix
// (tegra.beta.devicetree.org by default), apart from the compatible-derived <vendor>-<model> keys.
import type { DtNode } from '../devicetree/tree.ts';
import { jetpackMajor, jetsonModule, socGpu, type TegraGpu, tegraEngine, tegraGpu, tegraSoc } from '../hardware/tegra.ts';
import type { Selection } from '../selection/select-nodes.ts';
import type { L4tReleaseReading } from './l4t-release.ts';
import { gfdLabels, NVIDIA_GPU_PRESENT } from './nvidia-labels.ts';

export interface TegraFactOptions {
  /** Prefix of the fact keys, e.g. tegra.beta.devicetree.org. */
  readonly prefix: string;
  /** Also set nvidia.com/gpu.present=true when the tree has an enabled Tegra GPU. */
  readonly gpuPresent: boolean;
  /** Also set GPU Feature Discovery's keys (nvidia.com/gpu.family, ...) for the Tegra GPU. */
  readonly gfdLabels?: boolean;
}

export interface FactSet {
  /** In the order found; discover() sorts them together with the compatible-derived labels. */
  readonly labels: Readonly<Record<string, string>>;
  /** Key → where the value came from, one line each. */
  readonly sources: Readonly<Record<string, readonly string[]>>;
  /** Facts that could have been given but were not, and why (for `labels -o wide`). */
  readonly notes: readonly string[];
}

/**
 * `selection` is what the label rules picked, known GPUs included wherever they sit: the GPU facts describe
 * the GPU that the compatible labels name (a disabled one only with --include-disabled). `l4t` is
 * undefined when no host root is read.
 */
export function tegraFacts(root: DtNode, selection: Selection, l4t: L4tReleaseReading | undefined, options: TegraFactOptions): FactSet {
  const labels: Record<string, string> = {};
  const sources: Record<string, string[]> = {};
  const notes: string[] = [];
  const fact = (name: string, value: string | number, source: string) => {
    const key = `${options.prefix}/${name}`;
    labels[key] = String(value);
    sources[key] = [source];
  };
  const rootCompatibles = root.compatibles;

  const soc = tegraSoc(rootCompatibles);
  if (soc !== undefined) fact('soc', soc, `/ compatible "nvidia,${soc}"`);

  const module = modulePartNumber(root, rootCompatibles);
  let memory: { gib: number; source: string } | undefined;
  if ('value' in module) {
    fact('module', module.value, module.source);
    const known = jetsonModule(module.value);
    // NVIDIA's "super" devicetrees (JetPack 6.2's higher power modes) name the board "<carrier>+<module>-super".
    const superTree = rootCompatibles.find((c) => c.startsWith('nvidia,') && c.endsWith(`+${module.value}-super`));
    const table = `module ${module.value} is a ${known?.product} (src/hardware/tegra.json)`;
    if (known === undefined) notes.push(`product: module ${module.value} is not in the module table (src/hardware/tegra.json)`, 'memory.gib: needs a module the table knows');
    else {
      if (superTree !== undefined) fact('product', `${known.product}-super`, `derived: ${table}; / compatible "${superTree}" is NVIDIA's super devicetree`);
      else fact('product', known.product, `derived: ${table}`);
      memory = { gib: known.memoryGiB, source: `derived: ${table} with ${known.memoryGiB} GiB of RAM` };
      fact('memory.gib', memory.gib, memory.source);
    }
  } else if (module.note !== undefined || soc !== undefined) {
    notes.push(`module: ${module.note ?? 'the root compatible names no module (NVIDIA\'s L4T trees name "nvidia,<carrier>+<module>"; mainline Linux\'s do not)'}`);
    notes.push('product: needs the module', 'memory.gib: needs the module');
  }

  // A Tegra SoC has one GPU: the first node the table knows (a second match would be a malformed tree), or,
  // where the GPU is no devicetree node (Thor's is on PCIe), the SoC's.
  const gpu = socGpuFinding(soc, selection);
  if (gpu !== undefined) {
    if (gpu.chip !== undefined) fact('gpu.chip', gpu.chip, gpu.source);
    fact('gpu.family', gpu.family, gpu.source);
    fact('gpu.compute.major', gpu.compute.major, gpu.source);
    fact('gpu.compute.minor', gpu.compute.minor, gpu.source);
  }

  // Accelerators TensorRT and VPI place work on: the enabled engines, as the tree says. On a running board
  // the bootloader disables the ones a SKU lacks (an Orin Nano has no DLA); a kernel blob lists them all.
  const engines = new Map<string, { compatible: string; enabled: DtNode[]; disabled: DtNode[] }>();
  for (const node of root.walk()) {
    const match = tegraEngine(node.compatibles);
    if (match === undefined) continue;
    const found = engines.get(match.engine) ?? { compatible: match.compatible, enabled: [], disabled: [] };
    (node.enabled ? found.enabled : found.disabled).push(node);
    engines.set(match.engine, found);
  }
  for (const [engine, { compatible, enabled, disabled }] of [...engines].sort(([a], [b]) => a.localeCompare(b))) {
    const counted = `${enabled.length} enabled node${enabled.length === 1 ? '' : 's'} with compatible "${compatible}"${enabled.length > 0 ? `: ${enabled.map((n) => n.path).join(', ')}` : ''}`;
    const left = disabled.map((n) => `${n.path} (status "${n.status ?? ''}")`).join(', ');
    fact(`${engine}.count`, enabled.length, disabled.length === 0 ? counted : `${counted}; not counted: ${left}`);
  }

  if (root.property('nvidia,dtsfilename') !== undefined) fact('l4t.devicetree', 'true', "/ nvidia,dtsfilename (set by NVIDIA's L4T kernel build)");
  else if (soc === 'tegra264')
    notes.push(
      "l4t.devicetree: Thor trees carry no nvidia,dtsfilename, so an L4T build is not told from another (the chart's -l4t DaemonSet takes Thor by its soc fact: tegra.l4tRelease.socs)",
    );

  if (l4t === undefined) {
    if (soc !== undefined)
      notes.push(
        'l4t.release: not looked for: <host-root>/etc/nv_tegra_release is read only when the tree comes from the host (--host-root, the default), not with --dtb or --live-tree',
      );
  } else if ('release' in l4t) {
    const { release } = l4t;
    fact('l4t.release', release.release, release.path);
    fact('l4t.major', release.major, release.path);
    const jetpack = jetpackMajor(release.major);
    if (jetpack !== undefined) fact('jetpack.major', jetpack, `derived: L4T R${release.major} ships in JetPack ${jetpack} (src/hardware/tegra.json)`);
    else notes.push(`jetpack.major: L4T R${release.major} is not in the release table`);
  } else if ('unusable' in l4t) {
    notes.push(`l4t.release: ${l4t.unusable}`);
  } else if (soc !== undefined) {
    notes.push(`l4t.release: ${l4t.absent} does not exist (not a JetPack root filesystem, or not mounted)`);
  }

  // The selection holds every Tegra GPU node of the tree, enabled or not (selectNodes picks them by compatible).
  const gpuNodes = [...selection.selected, ...selection.disabled].filter((node) => tegraGpu(node.compatibles) !== undefined);
  const enabledGpu = gpuNodes.find((node) => node.enabled);
  const noGpu = () => (gpuNodes[0] === undefined ? 'no Tegra GPU in the tree' : `${gpuNodes[0].path} is not enabled (status "${gpuNodes[0].status ?? ''}")`);
  if (options.gpuPresent) {
    if (enabledGpu !== undefined) {
      labels[NVIDIA_GPU_PRESENT] = 'true';
      sources[NVIDIA_GPU_PRESENT] = [`${enabledGpu.path}: an enabled Tegra GPU (--nvidia-gpu-present)`];
    } else notes.push(`${NVIDIA_GPU_PRESENT}: ${noGpu()}`);
  }

  if (options.gfdLabels === true) {
    if (gpu === undefined || !gpu.enabled) notes.push(`nvidia.com/gpu.*: ${noGpu()}`);
    else {
      const nvidia = gfdLabels({ gpu, source: gpu.source, memory: memory === undefined ? undefined : { mib: memory.gib * 1024, source: memory.source } });
      Object.assign(labels, nvidia.labels);
      Object.assign(sources, nvidia.sources);
      notes.push(...nvidia.notes);
    }
  }

  return { labels, sources, notes };
}

/** The SoC's GPU: its devicetree node, or the SoC table's entry where it has none; undefined for neither. */
function socGpuFinding(soc: string | undefined, selection: Selection): (Omit<TegraGpu, 'chip'> & { chip?: string; enabled: boolean; source: string }) | undefined {
  const node = selection.selected.find((candidate) => tegraGpu(candidate.compatibles) !== undefined);
  if (node !== undefined) {
    const gpu = tegraGpu(node.compatibles)!;
    return { ...gpu, enabled: node.enabled, source: `${node.path} compatible "nvidia,${gpu.chip}" (src/hardware/tegra.json)` };
  }
  const fromSoc = soc === undefined ? undefined : socGpu(soc);
  return fromSoc === undefined ? undefined : { ...fromSoc, enabled: true, source: `derived: the ${soc} SoC's GPU, which is no devicetree node (src/hardware/tegra.json)` };
}

/** pNNNN-NNNN: NVIDIA's part number (module or carrier board) and SKU, without the revision. */
const PART_NUMBER = /^p(\d{4})-(\d{4})(?![0-9])/;
/** A board id the bootloader records: NNNN-NNNN-<fab>, e.g. 3767-0005-300. */
const BOARD_ID = /^(\d{4})-(\d{4})-/;

type ModuleFinding = { value: string; source: string } | { note: string | undefined };

/**
 * The module's part number. NVIDIA's L4T root compatibles name `<carrier>+<module>` (e.g.
 * "nvidia,p3768-0000+p3767-0005"); a kernel blob shared by several SKUs names each, and then the board
 * ids the bootloader writes into the live tree (`/chosen/ids` "3767-0005-300 3768-0000-300" since L4T R35,
 * property names of `/chosen/plugin-manager/ids` on R32) say which one this board is.
 */
function modulePartNumber(root: DtNode, rootCompatibles: readonly string[]): ModuleFinding {
  const candidates = new Map<string, string>(); // part number → the compatible naming it
  for (const compatible of rootCompatibles) {
    if (!compatible.startsWith('nvidia,') || !compatible.includes('+')) continue;
    const module = PART_NUMBER.exec(compatible.slice(compatible.lastIndexOf('+') + 1));
    if (module !== null && !candidates.has(`p${module[1]}-${module[2]}`)) candidates.set(`p${module[1]}-${module[2]}`, compatible);
  }
  if (candidates.size === 0) return { note: undefined };
  const families = new Set([...candidates.keys()].map((part) => part.slice(0, 5)));
  for (const { id, source } of boardIds(root)) {
    const match = BOARD_ID.exec(id);
    if (match !== null && families.has(`p${match[1]}`)) return { value: `p${match[1]}-${match[2]}`, source: `${source} "${id}"` };
  }
  if (candidates.size === 1) {
    const [value, compatible] = [...candidates][0]!;
    return { value, source: `/ compatible "${compatible}"` };
  }
  return { note: `the tree names several modules (${[...candidates.keys()].join(', ')}) and no bootloader board id (/chosen/ids) says which this is` };
}

function boardIds(root: DtNode): Array<{ id: string; source: string }> {
  const chosen = root.child('chosen');
  const ids: Array<{ id: string; source: string }> = [];
  // NVIDIA's UEFI appends each EEPROM's id with its NUL, then a space, and ends with a newline
  // ("3767-0000-301\0 3768-0000-ES1\0 \n", edk2-nvidia AddBoardProperties): no string-list reader takes that.
  const raw = chosen?.property('ids')?.asLatin1() ?? '';
  for (const id of raw.split(/[\0\s]+/)) if (id !== '') ids.push({ id, source: '/chosen/ids' });
  for (const property of chosen?.child('plugin-manager')?.child('ids')?.properties ?? []) ids.push({ id: property.name, source: '/chosen/plugin-manager/ids' });
  return ids;
}
