// Runs the built CLI (dist/, as `npm ci` leaves it) in a child process, as a user would.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const CLI = fileURLToPath(new URL('../../dist/dt-node-labeller.js', import.meta.url));

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], options: { cwd?: string } = {}): CliResult {
  const result = spawnSync(process.execPath, [CLI, ...args], { cwd: options.cwd ?? REPO, encoding: 'utf8', timeout: 30_000 });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/**
 * Runs the CLI in this process, from src/, with its output captured: for tests of what a command prints and
 * returns, where the process boundary is not the subject (those run the built CLI with runCli above).
 */
export async function cli(args: readonly string[]): Promise<CliResult> {
  const { runCli: run } = await import('../../src/cli/program.ts');
  let stdout = '';
  let stderr = '';
  const status = await run(args, {
    out: (text) => {
      stdout += text;
    },
    warn: (line) => {
      stderr += `warning: ${line}\n`;
    },
    error: (line) => {
      stderr += `error: ${line}\n`;
    },
    stderr: (text) => {
      stderr += text;
    },
  });
  return { status, stdout, stderr };
}
