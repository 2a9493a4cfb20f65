import { Command, CommanderError } from 'commander';
import { classify } from '../errors.ts';
import { VERSION } from '../version.ts';
import { cleanupCommand } from './cleanup-command.ts';
import { dumpCommand } from './dump-command.ts';
import type { CliIo } from './io.ts';
import { labelsCommand } from './labels-command.ts';
import { runCommand } from './run-command.ts';

const EXIT_OK = 0;
/** Any failure but the command line's, whatever its class (src/errors.ts). */
const EXIT_FAILURE = 1;
/** The command line itself is wrong (USAGE, or commander's own parse errors). */
const EXIT_USAGE = 2;

/** Commands that finish with their own exit code (run --once, cleanup) report it here. */
export type ExitCodeSink = (code: number) => void;

function buildProgram(io: CliIo, setExitCode: ExitCodeSink = () => {}): Command {
  const program = new Command('dt-node-labeller')
    .description('Label Kubernetes nodes by what their devicetree says they are')
    .version(VERSION)
    .option('--debug', 'print stack traces with errors')
    .showHelpAfterError('(add --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.out(text), writeErr: (text) => io.stderr(text) });
  // addCommand() does not pass on exitOverride/output settings the way .command() does: copy them.
  for (const command of [labelsCommand(io), dumpCommand(io), runCommand(setExitCode), cleanupCommand(io, setExitCode)]) program.addCommand(command.copyInheritedSettings(program));
  return program;
}

/** Runs the CLI and returns the exit code; every failure becomes one line on stderr (a stack only with --debug). */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let exitCode = EXIT_OK;
  const program = buildProgram(io, (code) => (exitCode = code));
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    // Every expected failure has a code and a one-line message; anything else is a bug, said as one.
    const { code } = classify(error);
    const debug = program.opts<{ debug?: boolean }>().debug === true || argv.includes('--debug');
    io.error(code === 'UNEXPECTED' || !(error instanceof Error) ? describeUnexpected(error) : error.message);
    if (debug && error instanceof Error && error.stack !== undefined) io.stderr(`${error.stack}\n`);
    return code === 'USAGE' ? EXIT_USAGE : EXIT_FAILURE;
  }
}

function describeUnexpected(error: unknown): string {
  return `${error instanceof Error ? error.message : String(error)} (run with --debug for details)`;
}
