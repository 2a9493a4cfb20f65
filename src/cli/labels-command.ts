import { Command, Option } from 'commander';
import { type Discovery, discover } from '../discover.ts';
import { discoveryWarnings } from '../discover-warnings.ts';
import { selectingName, unlabelledAccelerators } from '../selection/unlabelled.ts';
import { type CliIo, printable } from './io.ts';
import { formatLabels, LABEL_OUTPUT_FORMATS, type LabelOutputFormat } from './label-output.ts';
import { addLabelOptions, addTreeSourceOptions, type LabelFlags, labelRules, type TreeSourceFlags, treeLocation } from './tree-options.ts';

const OUTPUT_FORMATS = [...LABEL_OUTPUT_FORMATS, 'wide', 'nodefeature'] as const;

interface LabelsFlags extends TreeSourceFlags, LabelFlags {
  output: LabelOutputFormat | 'wide' | 'nodefeature';
}

/** `labels`: the dry run. Prints the labels this machine's (or a blob's) devicetree yields; touches nothing. */
export function labelsCommand(io: CliIo): Command {
  const command = new Command('labels').description('print the labels a devicetree yields (dry run, no cluster access)');
  addTreeSourceOptions(command);
  addLabelOptions(command);
  command.addOption(
    new Option(
      '-o, --output <format>',
      'output format; wide also shows where each label comes from and GPU-like nodes left out; nodefeature prints the NodeFeature spec --publish-nodefeature publishes (labels and NFD features)',
    )
      .choices(OUTPUT_FORMATS)
      .default('text'),
  );
  return command.action(async (flags: LabelsFlags) => {
    const rules = labelRules(flags);
    const result = discover({ location: treeLocation(flags), ...rules, features: flags.output === 'nodefeature' });
    for (const node of result.selection.disabled) io.warn(`skipped ${printable(node.path)}: status is ${JSON.stringify(node.status ?? '')} (use --include-disabled to label it)`);
    for (const skip of result.skipped) io.warn(`skipped compatible ${JSON.stringify(skip.compatible)} of ${printable(skip.node)}: ${skip.reason}`);
    for (const line of discoveryWarnings(result)) io.warn(line);
    if (Object.keys(result.labels).length === 0) io.warn(`${printable(result.tree.source.path)} yields no labels`);
    if (flags.output === 'wide') io.out(formatWide(result));
    else if (flags.output === 'nodefeature') {
      const { plainYaml } = await import('./yaml-output.ts');
      io.out(plainYaml({ spec: { labels: result.labels, features: result.features?.features } }));
    } else io.out(await formatLabels(result.labels, flags.output));
  });
}

/** A table of every label with its value and where it came from, then what was left out and why. */
function formatWide(result: Discovery): string {
  const rows = Object.entries(result.labels).map(([key, value]) => [key, value, (result.sources[key] ?? []).map(printable).join(' ')] as const);
  const lines = table([['KEY', 'VALUE', 'FROM'], ...rows]);
  const left = unlabelledAccelerators(result.tree.root, result.selection);
  if (left.length > 0) {
    lines.push('', 'Not labelled, though they look like GPUs or accelerators:');
    lines.push(
      ...table(
        left.map(({ node, selectedButDisabled }) => {
          const flags = selectedButDisabled ? '--include-disabled' : `-n ${printable(selectingName(node))}${node.enabled ? '' : ' --include-disabled'}`;
          return [`  ${printable(node.path)}`, node.enabled ? 'no rule selects it' : `status ${JSON.stringify(node.status ?? '')}`, `to label it: ${flags}`];
        }),
      ),
    );
  }
  if (result.notes.length > 0) lines.push('', 'Facts not given:', ...result.notes.map((note) => `  ${printable(note)}`));
  return `${lines.join('\n')}\n`;
}

/** Left-aligned columns, two spaces apart; the last column is not padded. */
function table(rows: ReadonlyArray<readonly string[]>): string[] {
  const widths: number[] = [];
  for (const row of rows) for (const [i, cell] of row.entries()) widths[i] = Math.max(widths[i] ?? 0, cell.length);
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  '));
}
