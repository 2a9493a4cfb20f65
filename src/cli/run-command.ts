import { Command, InvalidArgumentError, Option } from 'commander';
import { parseListenAddress } from '../app/listen-address.ts';
import type { RunOptions } from '../app/options.ts';
import { LOG_LEVELS, type LogFormat, type LogLevel } from '../observability/log-levels.ts';
import { addClusterOptions, type ClusterFlags, clusterAccess, resolveNodeName } from './cluster-options.ts';
import { type Interval, intervalParser } from './duration.ts';
import { addInstanceOption, type InstanceFlags, labelOwnership } from './ownership-options.ts';
import type { ExitCodeSink } from './program.ts';
import { addTargetOptions, type TargetFlags, targetOptions } from './target-options.ts';
import { addLabelOptions, addTreeSourceOptions, type LabelFlags, labelRules, type TreeSourceFlags, treeLocation } from './tree-options.ts';
import { UsageError } from './usage-error.ts';

interface RunFlags extends TreeSourceFlags, LabelFlags, ClusterFlags, TargetFlags, InstanceFlags {
  once?: boolean;
  rereadInterval: Interval;
  resyncInterval: Interval;
  metricsAddress: RunOptions['listen'];
  logFormat: LogFormat;
  logLevel: LogLevel;
  events: boolean;
  adoptExisting?: boolean;
}

/** `run`: the DaemonSet's command. The controller code is loaded only here, keeping `labels` start-up light. */
export function runCommand(setExitCode: ExitCodeSink): Command {
  const command = new Command('run').description("label this machine's Node and keep the labels true (the DaemonSet's command)");
  addTreeSourceOptions(command);
  addLabelOptions(command);
  addInstanceOption(command);
  addClusterOptions(command, 'the Node to label');
  command
    .addOption(new Option('--once', 'label the node, then exit 0 (labelled) or 1 (for init containers)'))
    .addOption(
      new Option('--reread-interval <duration>', 're-read the devicetree this often, e.g. 10m, or off (default: only on SIGHUP)')
        .argParser(intervalParser({ min: 1000 }))
        .default('off'),
    )
    .addOption(
      new Option('--resync-interval <duration>', 're-check the node against a fresh read this often, or off').argParser(intervalParser({ min: 10_000 })).default(300_000, '5m'),
    )
    .addOption(new Option('--metrics-address <addr>', 'listen address for /metrics, /healthz and /readyz').argParser(parseAddress).default(parseListenAddress(':8080'), ':8080'))
    .addOption(new Option('--log-format <format>', 'log format').choices(['json', 'text']).default('json'))
    .addOption(new Option('--log-level <level>', 'log level').choices(LOG_LEVELS).default('info'))
    .addOption(new Option('--no-events', 'do not record LabelsUpdated Events about the node (they go to namespace default)'))
    .addOption(new Option('--adopt-existing', 'take ownership of labels already set to the value the devicetree gives (migrating from the Go labeller)'));
  addTargetOptions(command, 'keep');
  return command.action(async (flags: RunFlags) => {
    const options = runOptions(flags);
    const { runLabeller } = await import('../app/run.ts');
    setExitCode(await runLabeller(options));
  });
}

function runOptions(flags: RunFlags): RunOptions {
  // Standard input can be read once: a controller that re-reads on SIGHUP would find it empty.
  if (flags.dtb === '-' && flags.once !== true) throw new UsageError('--dtb - (standard input) needs --once: a running controller re-reads its devicetree');
  return {
    source: treeLocation(flags),
    rules: labelRules(flags),
    ownership: labelOwnership(flags),
    nodeName: resolveNodeName(flags),
    cluster: clusterAccess(flags),
    target: targetOptions(flags),
    once: flags.once === true,
    rereadMs: flags.rereadInterval === 'off' ? undefined : flags.rereadInterval,
    resyncMs: flags.resyncInterval === 'off' ? undefined : flags.resyncInterval,
    listen: flags.metricsAddress,
    log: { format: flags.logFormat, level: flags.logLevel },
    events: flags.events,
    adoptExisting: flags.adoptExisting === true,
  };
}

function parseAddress(value: string): RunOptions['listen'] {
  try {
    return parseListenAddress(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}
