// What the project knows about NVIDIA Tegra chips lives in tegra.json, as data: adding a chip means adding
// a row there. This module gives the rest of the code typed, checked access to it.
import table from './tegra.json' with { type: 'json' };

export interface TegraGpu {
  /** The chip name NVIDIA's L4T trees also use as the GPU node's name: gm20b, gp10b, gv11b, ga10b. */
  readonly chip: string;
  /** GPU architecture, lower case, as NVIDIA's GPU Feature Discovery spells gpu.family: maxwell, pascal, ... */
  readonly family: string;
  /** CUDA compute capability. */
  readonly compute: { readonly major: number; readonly minor: number };
  /** The device name CUDA reports (NVIDIA Tegra X1, Orin), where a published deviceQuery output shows it. */
  readonly cudaName?: string;
}

const GPUS: ReadonlyMap<string, TegraGpu> = new Map(Object.entries(table.gpus));
const SOCS: ReadonlyMap<string, string> = new Map(Object.entries(table.socs));
const JETPACK: ReadonlyMap<number, number> = new Map(Object.entries(table.jetpackByL4tMajor).map(([l4t, jetpack]) => [Number(l4t), jetpack]));

const MODULES: ReadonlyMap<string, JetsonModule> = new Map(Object.entries(table.modules));
const SOC_GPUS: ReadonlyMap<string, Omit<TegraGpu, 'chip'>> = new Map(Object.entries(table.socGpus));
const ENGINES: ReadonlyMap<string, TegraEngine> = new Map(
  Object.entries(table.engines).flatMap(([engine, compatibles]) => compatibles.map((compatible) => [compatible, { engine, compatible }] as const)),
);

/** An accelerator engine, and the compatible that names it. */
export interface TegraEngine {
  /** dla or pva: the first word of its fact, <engine>.count. */
  readonly engine: string;
  readonly compatible: string;
}

/** The compatibles that identify a Tegra GPU node, wherever it sits and whatever it is named. */
export const TEGRA_GPU_COMPATIBLES: ReadonlySet<string> = new Set(GPUS.keys());

/** The GPU a node's compatible list names, or undefined. */
export function tegraGpu(compatibles: readonly string[]): TegraGpu | undefined {
  return firstKnown(GPUS, compatibles);
}

/** The SoC a root compatible list names (tegra210, ...), or undefined. */
export function tegraSoc(rootCompatibles: readonly string[]): string | undefined {
  return firstKnown(SOCS, rootCompatibles);
}

/** The JetPack major release an L4T major release ships in, or undefined for releases not in the table. */
export function jetpackMajor(l4tMajor: number): number | undefined {
  return JETPACK.get(l4tMajor);
}

/** The accelerator engine (dla, pva) a node's compatible list names, with that compatible, or undefined. */
export function tegraEngine(compatibles: readonly string[]): TegraEngine | undefined {
  return firstKnown(ENGINES, compatibles);
}

/** The table's entry for the first compatible it knows (a compatible list goes from most to least specific). */
function firstKnown<T>(known: ReadonlyMap<string, T>, compatibles: readonly string[]): T | undefined {
  for (const compatible of compatibles) {
    const entry = known.get(compatible);
    if (entry !== undefined) return entry;
  }
  return undefined;
}

/** A Jetson module as NVIDIA sells it. */
export interface JetsonModule {
  /** The product, valid as a label value: jetson-orin-nano-8gb, ... */
  readonly product: string;
  /** Its RAM, which CPU and GPU share. */
  readonly memoryGiB: number;
}

/** The module a part number with its SKU (p3767-0005) names, or undefined. */
export function jetsonModule(part: string): JetsonModule | undefined {
  return MODULES.get(part);
}

/** The GPU of an SoC whose GPU is no devicetree node (Thor's is a PCIe device), or undefined. */
export function socGpu(soc: string): Omit<TegraGpu, 'chip'> | undefined {
  return SOC_GPUS.get(soc);
}
