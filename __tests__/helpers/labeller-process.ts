// The built CLI's `run` (or `cleanup`) as a child process, the way the DaemonSet runs it: its JSON log
// lines parsed as they arrive, its status server reachable, its exit timed.
import { type ChildProcess, spawn } from 'node:child_process';
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

  private constructor(args: string[], env: Record<string, string>) {
    this.child = spawn(process.execPath, [CLI, ...args], { cwd: REPO, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stderr?.setEncoding('utf8').on('data', (chunk: string) => this.#collect(chunk));
    this.child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (this.stdout += chunk));
    this.exited = once(this.child, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }));
  }

  /** Starts `dt-node-labeller <args...>` with NODE_NAME unset unless `env` sets it. */
  static start(args: string[], env: Record<string, string> = {}): LabellerProcess {
    return new LabellerProcess(args, { NODE_NAME: '', ...env });
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
