import { Command, Option } from 'commander';
import { toDts } from '../devicetree/dts-writer.ts';
import { jsonForTerminal } from '../devicetree/errors.ts';
import { loadTree } from '../devicetree/load-tree.ts';
import { toJsonTree } from '../devicetree/tree-json.ts';
import type { CliIo } from './io.ts';
import { addTreeSourceOptions, type TreeSourceFlags, treeLocation } from './tree-options.ts';

const DUMP_FORMATS = ['dts', 'json'] as const;

interface DumpFlags extends TreeSourceFlags {
  output: (typeof DUMP_FORMATS)[number];
}

/** `dump`: the whole tree as dtc-compilable source or JSON, to see what the labeller sees. */
export function dumpCommand(io: CliIo): Command {
  const command = new Command('dump').description('print the whole devicetree as source (dtc can compile it) or JSON');
  addTreeSourceOptions(command);
  command.addOption(new Option('-o, --output <format>', 'output format').choices(DUMP_FORMATS).default('dts'));
  return command.action((flags: DumpFlags) => {
    const tree = loadTree(treeLocation(flags));
    const json = () => jsonForTerminal(JSON.stringify(toJsonTree(tree), null, 2));
    io.out(flags.output === 'dts' ? toDts(tree) : `${json()}\n`);
  });
}
