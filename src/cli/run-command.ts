import { Command, Option } from 'commander';
import { LOG_LEVELS } from '../controller/logger.ts';
import { addClusterOptions, type ClusterFlags } from './cluster-options.ts';
import { parseDuration } from './duration.ts';
import type { ExitCodeSink } from './program.ts';
import { addTargetOptions, type TargetFlags } from './target-options.ts';
import { addLabelOptions, addTreeSourceOptions, type LabelFlags, type TreeSourceFlags } from './tree-options.ts';

export interface RunFlags extends TreeSourceFlags, LabelFlags, ClusterFlags, TargetFlags {
  once?: boolean;
  rereadInterval?: number;
  resyncInterval?: number;
  metricsAddress: string;
  logFormat: 'json' | 'text';
  logLevel: (typeof LOG_LEVELS)[number];
  events: boolean;
  eventNamespace: string;
  adoptExisting?: boolean;
}

/** `run`: the DaemonSet's command. The controller code is loaded only here, keeping `labels` start-up light. */
export function runCommand(setExitCode: ExitCodeSink): Command {
  const command = new Command('run').description("label this machine's Node and keep the labels true (the DaemonSet's command)");
  addTreeSourceOptions(command);
  addLabelOptions(command);
  addClusterOptions(command);
  command
    .addOption(new Option('--once', 'label the node, then exit 0 (labelled) or 1 (for init containers)'))
    .addOption(new Option('--reread-interval <duration>', 're-read the devicetree this often, e.g. 10m (default: only on SIGHUP)').argParser(parseDuration))
    .addOption(new Option('--resync-interval <duration>', 're-check the node against a fresh read this often').argParser(parseDuration).default(300_000, '5m'))
    .addOption(new Option('--metrics-address <addr>', 'listen address for /metrics, /healthz and /readyz').default(':8080'))
    .addOption(new Option('--log-format <format>', 'log format').choices(['json', 'text']).default('json'))
    .addOption(new Option('--log-level <level>', 'log level').choices(LOG_LEVELS).default('info'))
    .addOption(new Option('--no-events', 'do not record Kubernetes Events when labels change'))
    .addOption(new Option('--event-namespace <ns>', 'namespace of the Events about the node').default('default'))
    .addOption(new Option('--adopt-existing', 'take ownership of labels already set to the value the devicetree gives (migrating from the Go labeller)'));
  addTargetOptions(command, 'keep');
  return command.action(async (flags: RunFlags) => {
    const { runController } = await import('../controller/run-controller.ts');
    setExitCode(await runController(flags));
  });
}
