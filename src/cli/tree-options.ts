import { type Command, InvalidArgumentError, Option } from 'commander';
import type { TreeLocation } from '../devicetree/load-tree.ts';
import { DEFAULT_PREFIX } from '../labels/compute-labels.ts';
import { isValidDnsSubdomain } from '../labels/kubernetes-names.ts';

/** --dtb / --live-tree / --host-root: one source, the host's standard places by default. */
export function addTreeSourceOptions(command: Command): Command {
  return command
    .addOption(new Option('--dtb <file>', 'read a flattened devicetree blob (.dtb) file').conflicts(['liveTree', 'hostRoot']))
    .addOption(new Option('--live-tree <dir>', 'read an expanded tree (a folder per node, e.g. /proc/device-tree)').conflicts('hostRoot'))
    .addOption(
      new Option('--host-root <dir>', "where the host's filesystem is mounted; reads <dir>/sys/firmware/fdt, then the expanded tree").default('/'),
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

/** -n/--nodes, --prefix, --include-disabled: which nodes become which labels. */
export function addLabelOptions(command: Command): Command {
  return command
    .addOption(
      new Option('-n, --nodes <names...>', 'more node names to label besides the root, cpu and gpu (space- or comma-separated)')
        .argParser(splitNames),
    )
    .addOption(new Option('--prefix <prefix>', 'label key prefix (a DNS subdomain)').argParser(parsePrefix).default(DEFAULT_PREFIX))
    .addOption(new Option('--include-disabled', 'also label nodes whose status is not "okay"'));
}

export interface LabelFlags {
  nodes?: string[];
  prefix: string;
  includeDisabled?: boolean;
}

function splitNames(value: string, previous: string[] = []): string[] {
  const names = value.split(',').map((name) => name.trim());
  if (names.some((name) => name === '' || name.includes('/'))) throw new InvalidArgumentError(`"${value}" is not a list of node names`);
  return [...previous, ...names];
}

function parsePrefix(value: string): string {
  if (!isValidDnsSubdomain(value)) throw new InvalidArgumentError('must be a DNS subdomain such as beta.devicetree.org');
  return value;
}
