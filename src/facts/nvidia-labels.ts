// Keys in NVIDIA's own namespace, for the tools that schedule on them: opt-in, because on a node where
// NVIDIA's GPU Feature Discovery or GPU Operator runs they are theirs. Values follow GFD's
// (NVIDIA/k8s-device-plugin internal/lm/resource.go): family lower case, product the CUDA device name with
// spaces as "-", memory in MiB.
import type { TegraGpu } from '../hardware/tegra.ts';

/** The key NVIDIA's device plugin and GFD charts schedule on (--nvidia-gpu-present). */
export const NVIDIA_GPU_PRESENT = 'nvidia.com/gpu.present';

/** GFD's names for what it reports of a GPU (--nvidia-gfd-labels). */
const GFD_KEYS = {
  family: 'nvidia.com/gpu.family',
  computeMajor: 'nvidia.com/gpu.compute.major',
  computeMinor: 'nvidia.com/gpu.compute.minor',
  product: 'nvidia.com/gpu.product',
  count: 'nvidia.com/gpu.count',
  memory: 'nvidia.com/gpu.memory',
} as const;

/** Every key outside its own prefixes the labeller may be asked to write. */
export const NVIDIA_KEYS: readonly string[] = [NVIDIA_GPU_PRESENT, ...Object.values(GFD_KEYS)];

export interface GfdInput {
  readonly gpu: Omit<TegraGpu, 'chip'>;
  /** Where the GPU facts came from, one line. */
  readonly source: string;
  /** The RAM the GPU shares with the CPU, in MiB, and where that came from; undefined when unknown. */
  readonly memory: { readonly mib: number; readonly source: string } | undefined;
}

export interface KeyedValues {
  readonly labels: Record<string, string>;
  readonly sources: Record<string, string[]>;
  readonly notes: string[];
}

/**
 * GFD's labels for one integrated GPU. A Tegra SoC has exactly one GPU, and its memory is the board's RAM
 * (CUDA reports the RAM the kernel manages, a little below what the devicetree lists).
 */
export function gfdLabels({ gpu, source, memory }: GfdInput): KeyedValues {
  const labels: Record<string, string> = {};
  const sources: Record<string, string[]> = {};
  const notes: string[] = [];
  const set = (key: string, value: string | number, from: string) => {
    labels[key] = String(value);
    sources[key] = [`${from} (--nvidia-gfd-labels)`];
  };
  set(GFD_KEYS.family, gpu.family, source);
  set(GFD_KEYS.computeMajor, gpu.compute.major, source);
  set(GFD_KEYS.computeMinor, gpu.compute.minor, source);
  set(GFD_KEYS.count, 1, `${source}: a Tegra SoC has one GPU`);
  if (gpu.cudaName !== undefined) set(GFD_KEYS.product, gpu.cudaName.replaceAll(' ', '-'), `${source}: CUDA names it "${gpu.cudaName}" (src/hardware/tegra.json)`);
  else notes.push(`${GFD_KEYS.product}: the CUDA device name of this GPU is not in the chip table (src/hardware/tegra.json)`);
  if (memory !== undefined) set(GFD_KEYS.memory, memory.mib, memory.source);
  else notes.push(`${GFD_KEYS.memory}: the board's RAM is not known (see memory.gib)`);
  return { labels, sources, notes };
}
