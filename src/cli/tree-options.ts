import { type Command, InvalidArgumentError, Option } from 'commander';
import type { TreeLocation } from '../devicetree/load-tree.ts';
import type { LabelRules } from '../discover.ts';
import { NVIDIA_GPU_PRESENT } from '../facts/nvidia-labels.ts';
import { DEFAULT_PREFIX } from '../labels/compute-labels.ts';
import { isValidDnsSubdomain } from '../labels/kubernetes-names.ts';
import { accepting, existingFolder, nonEmpty } from './arg-parsers.ts';
import { UsageError } from './usage-error.ts';

/** --dtb / --live-tree / --host-root: one source, the host's standard places by default. */
export function addTreeSourceOptions(command: Command): Command {
  return command
    .addOption(new Option('--dtb <file>', 'read a flattened devicetree blob (.dtb) file, or - for stdin').argParser(nonEmpty).conflicts(['liveTree', 'hostRoot']))
    .addOption(new Option('--live-tree <dir>', 'read an expanded tree (a folder per node, e.g. /proc/device-tree)').argParser(nonEmpty).conflicts('hostRoot'))
    .addOption(
      new Option('--host-root <dir>', "where the host's filesystem is mounted; reads <dir>/sys/firmware/fdt, then the expanded tree, and <dir>/etc/nv_tegra_release")
        .argParser(existingFolder)
        .default('/'),
    );
}

export interface TreeSourceFlags {
  dtb?: string;
  liveTree?: string;
  hostRoot: string;
}

export function treeLocation(flags: TreeSourceFlags): TreeLocation {
  if (flags.dtb !== undefined) return { dtb: flags.dtb };
  if (flags.liveTree !== undefined) return { liveTree: flags.liveTree };
  return { hostRoot: flags.hostRoot };
}

/** --prefix and --tegra-prefix, which name an instance's key namespaces (`labels`, `run` and `cleanup`). */
export function addPrefixOptions(command: Command, which: string): Command {
  return command
    .addOption(new Option('--prefix <prefix>', `label key prefix${which} (a DNS subdomain)`).argParser(parsePrefix).default(DEFAULT_PREFIX))
    .addOption(new Option('--tegra-prefix <prefix>', 'key prefix of the Jetson facts (default: tegra.<prefix>)').argParser(parsePrefix));
}

/** -n/--nodes, --prefix, --include-disabled and the Jetson facts: which nodes become which labels. */
export function addLabelOptions(command: Command): Command {
  return addPrefixOptions(command, '')
    .addOption(new Option('-n, --nodes <names...>', 'more node names to label besides the root, cpu, gpu and known GPUs (space- or comma-separated)').argParser(splitNames))
    .addOption(new Option('--include-disabled', 'also label nodes whose status is not "okay"'))
    .addOption(new Option('--no-tegra-facts', 'do not add Jetson facts (SoC, module, GPU compute capability, L4T release)'))
    .addOption(new Option('--nvidia-gpu-present', `also set ${NVIDIA_GPU_PRESENT}=true on a node with an enabled Tegra GPU (for NVIDIA's device plugin and GFD charts)`))
    .addOption(
      new Option(
        '--nvidia-gfd-labels',
        "also set GPU Feature Discovery's nvidia.com/gpu.* keys (family, compute capability, product, count, memory) for a Tegra GPU, where GFD does not run",
      ),
    );
}

export interface LabelFlags {
  nodes?: string[];
  prefix: string;
  includeDisabled?: boolean;
  tegraPrefix?: string;
  tegraFacts: boolean;
  nvidiaGpuPresent?: boolean;
  nvidiaGfdLabels?: boolean;
}

/** The Jetson facts' key prefix: --tegra-prefix, else tegra.<prefix>. */
export const tegraPrefixOf = (flags: LabelFlags): string => flags.tegraPrefix ?? `tegra.${flags.prefix}`;

/** The label flags as validated label rules; cross-flag mistakes are usage errors. */
export function labelRules(flags: LabelFlags): LabelRules {
  const tegraPrefix = tegraPrefixOf(flags);
  if (flags.tegraFacts) {
    if (!isValidDnsSubdomain(tegraPrefix)) throw new UsageError(`--tegra-prefix: tegra.${flags.prefix} is longer than a DNS subdomain may be; set --tegra-prefix`);
    if (tegraPrefix === flags.prefix) throw new UsageError('--tegra-prefix must differ from --prefix, or fact keys could collide with compatible-derived keys');
  }
  for (const [flag, set] of [
    ['--nvidia-gpu-present', flags.nvidiaGpuPresent],
    ['--nvidia-gfd-labels', flags.nvidiaGfdLabels],
  ] as const) {
    if (set === true && !flags.tegraFacts) throw new UsageError(`${flag} needs the Jetson facts: drop --no-tegra-facts`);
  }
  return {
    nodeNames: flags.nodes ?? [],
    prefix: flags.prefix,
    includeDisabled: flags.includeDisabled === true,
    tegra: flags.tegraFacts ? { prefix: tegraPrefix, gpuPresent: flags.nvidiaGpuPresent === true, gfdLabels: flags.nvidiaGfdLabels === true } : undefined,
  };
}

/**
 * A node name as a devicetree can spell it (the spec's node-name characters, plus "_" that vendor trees
 * use), optionally with a unit address. Anything else can never match, so it is refused, not ignored.
 */
const NODE_NAME = /^[A-Za-z0-9._+-]+(@[A-Za-z0-9,._+-]*)?$/;

function splitNames(value: string, previous: string[] = []): string[] {
  const names = value.split(',').map((name) => name.trim());
  const bad = names.find((name) => !NODE_NAME.test(name));
  if (bad !== undefined) {
    throw new InvalidArgumentError(
      bad === ''
        ? `"${value}" is not a list of node names`
        : `${JSON.stringify(bad)} can never match a devicetree node name (letters, digits and . _ + - only, optionally @unit-address)`,
    );
  }
  return [...previous, ...names];
}

const parsePrefix = accepting(isValidDnsSubdomain, 'must be a DNS subdomain such as beta.devicetree.org');
