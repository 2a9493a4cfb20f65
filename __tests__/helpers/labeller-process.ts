// The built CLI's `run` (or `cleanup`) as a child process, the way the DaemonSet runs it: its JSON log
// lines parsed as they arrive, its status server reachable, its exit timed.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, copyFileSync, cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { eventually } from './eventually.ts';
import { CLI, REPO } from './run-cli.ts';

export interface LogLine {
  level: string;
  message: string;
  [key: string]: unknown;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class LabellerProcess {
  readonly child: ChildProcess;
  readonly logs: LogLine[] = [];
  /** stderr lines that were not JSON log lines (there should be none from `run`). */
  readonly otherOutput: string[] = [];
  stdout = '';
  readonly exited: Promise<Exit>;
  #partial = '';

  private constructor(args: string[], env: Record<string, string>, as: NonRootCli | undefined) {
    const [command, ...prefix] = as?.launcher ?? [process.execPath];
    this.child = spawn(command!, [...prefix, as?.cli ?? CLI, ...args], { cwd: as?.dir ?? REPO, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stderr?.setEncoding('utf8').on('data', (chunk: string) => this.#collect(chunk));
    this.child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (this.stdout += chunk));
    this.exited = once(this.child, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }));
  }

  /**
   * Starts `dt-node-labeller <args...>` with NODE_NAME unset unless `env` sets it; `as` another user (see
   * asNonRootUser).
   */
  static start(args: string[], env: Record<string, string> = {}, as?: NonRootCli): LabellerProcess {
    return new LabellerProcess(args, { NODE_NAME: '', ...env }, as);
  }

  #collect(chunk: string): void {
    const lines = (this.#partial + chunk).split('\n');
    this.#partial = lines.pop() ?? '';
    for (const line of lines) {
      try {
        this.logs.push(JSON.parse(line) as LogLine);
      } catch {
        this.otherOutput.push(line);
      }
    }
  }

  /** Waits for a log line whose message matches; returns it. */
  async waitForLog(message: RegExp, ms = 5000): Promise<LogLine> {
    let found: LogLine | undefined;
    await eventually(
      () => {
        found = this.logs.find((line) => message.test(line.message));
        return found !== undefined;
      },
      () => `a log line matching ${message}\n${this.transcript()}`,
      ms,
      10,
    );
    return found as LogLine;
  }

  logsMatching(message: RegExp): LogLine[] {
    return this.logs.filter((line) => message.test(line.message));
  }

  /** The status server's base URL, from its start-up log line (start it with --metrics-address 127.0.0.1:0). */
  async statusUrl(): Promise<string> {
    const line = await this.waitForLog(/^serving \/metrics/);
    return `http://${String(line.address)}`;
  }

  async http(path: string): Promise<{ status: number; body: string }> {
    const response = await fetch((await this.statusUrl()) + path);
    return { status: response.status, body: await response.text() };
  }

  /** The value of one metric series, e.g. `dt_node_labeller_labels` or `dt_node_labeller_reconciles_total{result="applied"}`. */
  async metric(series: string): Promise<number | undefined> {
    const { body } = await this.http('/metrics');
    const line = body.split('\n').find((l) => l.startsWith(`${series} `));
    return line === undefined ? undefined : Number(line.slice(series.length + 1));
  }

  /** Sends a signal and resolves how the process ended and how long it took. */
  async signal(signal: NodeJS.Signals): Promise<Exit & { ms: number }> {
    const started = performance.now();
    this.child.kill(signal);
    const exit = await this.exited;
    return { ...exit, ms: performance.now() - started };
  }

  /** Ends the process if it still runs (for after-each clean-up). */
  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }

  /** Everything it logged, for assertion messages. */
  transcript(): string {
    return [...this.logs.map((line) => JSON.stringify(line)), ...this.otherOutput].join('\n');
  }
}

/** How to run the built CLI as another user: a launcher ending in a Node.js binary, and the CLI to give it. */
export interface NonRootCli {
  /** e.g. ['setpriv', '--reuid=65532', …, '/tmp/…/node']. */
  readonly launcher: readonly string[];
  /** The CLI's entry point, in a copy of dist/ that user can read. */
  readonly cli: string;
  /** A folder that user can read and enter: a cwd for it, and where `readable()` puts files. */
  readonly dir: string;
  /** A copy of `file` that user can read (e.g. a helper given to Node's --import). */
  readable(file: string): string;
}

let nonRootDir: string | undefined;

/**
 * Runs the CLI as an unprivileged user, as the chart's non-root mode does (uid 65532), from a test running as
 * root: util-linux's setpriv changes the ids. That user cannot be assumed to reach the checkout (a clone made
 * with `mktemp -d` is 0700, and /root is too), so the Node.js binary, dist/ and any helper it needs are copied
 * into a world-readable folder of this test process, removed when it exits.
 */
export function asNonRootUser(uid = 65532): NonRootCli {
  if (nonRootDir === undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'dtnl-nonroot-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    copyFileSync(process.execPath, join(dir, 'node'));
    cpSync(join(REPO, 'dist'), join(dir, 'dist'), { recursive: true });
    execFileSync('chmod', ['-R', 'a+rX', dir]);
    chmodSync(join(dir, 'node'), 0o755);
    nonRootDir = dir;
  }
  const dir = nonRootDir;
  return {
    launcher: ['setpriv', `--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', join(dir, 'node')],
    cli: join(dir, 'dist', basename(CLI)),
    dir,
    readable(file: string): string {
      const copy = join(dir, basename(file));
      copyFileSync(file, copy);
      chmodSync(copy, 0o644);
      return copy;
    },
  };
}
