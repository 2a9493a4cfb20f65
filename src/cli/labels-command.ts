import { Command, Option } from 'commander';
import { discover } from '../discover.ts';
import { formatLabels, LABEL_OUTPUT_FORMATS, type LabelOutputFormat } from './label-output.ts';
import { type CliIo, printable } from './io.ts';
import { addLabelOptions, addTreeSourceOptions, type LabelFlags, type TreeSourceFlags, treeLocation } from './tree-options.ts';

interface LabelsFlags extends TreeSourceFlags, LabelFlags {
  output: LabelOutputFormat;
}

/** `labels`: the dry run. Prints the labels this machine's (or a blob's) devicetree yields; touches nothing. */
export function labelsCommand(io: CliIo): Command {
  const command = new Command('labels').description('print the labels a devicetree yields (dry run, no cluster access)');
  addTreeSourceOptions(command);
  addLabelOptions(command);
  command.addOption(new Option('-o, --output <format>', 'output format').choices(LABEL_OUTPUT_FORMATS).default('text'));
  return command.action((flags: LabelsFlags) => {
    const result = discover({ location: treeLocation(flags), nodeNames: flags.nodes ?? [], prefix: flags.prefix, includeDisabled: flags.includeDisabled === true });
    for (const node of result.selection.disabled) io.warn(`skipped ${printable(node.path)}: status is ${JSON.stringify(node.status ?? '')} (use --include-disabled to label it)`);
    for (const skip of result.skipped) io.warn(`skipped compatible ${JSON.stringify(skip.compatible)} of ${printable(skip.node)}: ${skip.reason}`);
    io.out(formatLabels(result.labels, flags.output));
  });
}
