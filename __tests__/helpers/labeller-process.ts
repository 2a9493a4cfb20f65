// The built CLI's `run` (or `cleanup`) as a child process, the way the DaemonSet runs it: its JSON log
// lines parsed as they arrive, its status server reachable, its exit timed.
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { CLI, REPO } from './run-cli.ts';
import { eventually } from './eventually.ts';

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

  private constructor(args: string[], env: Record<string, string>, launcher: readonly string[]) {
    const [command, ...prefix] = launcher.length > 0 ? launcher : [process.execPath];
    this.child = spawn(command!, [...prefix, CLI, ...args], { cwd: REPO, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stderr?.setEncoding('utf8').on('data', (chunk: string) => this.#collect(chunk));
    this.child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (this.stdout += chunk));
    this.exited = once(this.child, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }));
  }

  /**
   * Starts `dt-node-labeller <args...>` with NODE_NAME unset unless `env` sets it. `launcher` replaces the plain
   * `node`: a command line ending in a Node.js binary (see asNonRootUser).
   */
  static start(args: string[], env: Record<string, string> = {}, launcher: readonly string[] = []): LabellerProcess {
    return new LabellerProcess(args, { NODE_NAME: '', ...env }, launcher);
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
    await eventually(() => (found = this.logs.find((line) => message.test(line.message))) !== undefined, `a log line matching ${message}\n${this.transcript()}`, ms, 10);
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

/**
 * A launcher that runs the CLI as an unprivileged user, as the chart's non-root mode does (uid 65532), from a
 * test running as root: util-linux's setpriv changes the ids, and the Node.js binary is copied where that
 * user may run it (the test's may live under /root). The caller makes the files the CLI reads readable.
 */
export function asNonRootUser(uid = 65532): string[] {
  const dir = join(tmpdir(), `dtnl-node-${process.versions.node}`);
  const node = join(dir, 'node');
  if (!existsSync(node)) {
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    const staging = `${node}.${process.pid}`;
    copyFileSync(process.execPath, staging);
    chmodSync(staging, 0o755);
    renameSync(staging, node);
  }
  chmodSync(dir, 0o755);
  return ['setpriv', `--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', node];
}
