// tier: full (the README's commands run by the built CLI)
// The README is the user's manual: what it shows must be what the code does. Each check reads the README
// and compares it with the built CLI or the chart.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { END_MARKER, readResults, renderFigures, START_MARKER } from '../../bench/lib/figures.ts';
import { REPO, runCli } from '../helpers/run-cli.ts';

const README = readFileSync(join(REPO, 'README.md'), 'utf8');

/** The fenced block right after the first paragraph containing `marker`. */
function blockAfter(marker: string): string {
  const at = README.indexOf(marker);
  assert.ok(at >= 0, `README has no "${marker}"`);
  const match = /```[a-z]*\n([\s\S]*?)```/.exec(README.slice(at));
  assert.ok(match, `no code block after "${marker}"`);
  return match[1]!;
}

test('quick start: the second set-up command prints exactly the labels the README shows', () => {
  const commands = blockAfter('## Quick start').trim().split('\n');
  assert.deepEqual(commands[0], 'npm ci');
  const dryRun = commands[1]!;
  // The built file, not `npx dt-node-labeller`: outside the checkout npx asks the public registry for that name.
  assert.match(dryRun, /^node dist\/dt-node-labeller\.js labels /);
  const args = dryRun.replace(/^node dist\/dt-node-labeller\.js /, '').split(' ');
  const result = runCli(args);
  assert.equal(result.status, 0, result.stderr);
  assert.equal(result.stderr, '');
  assert.equal(blockAfter('command prints the labels'), result.stdout);
});

test('the measured figures are exactly what bench/results.json says (regenerate with npm run --silent bench:readme)', () => {
  const start = README.indexOf(START_MARKER);
  const end = README.indexOf(END_MARKER);
  assert.ok(start >= 0 && end > start, 'README has the figures block');
  assert.equal(README.slice(start + START_MARKER.length, end).trim(), renderFigures(readResults()));
});

test('no figure outside the generated block: throughput, RSS and timings appear only there', () => {
  const outside = README.slice(0, README.indexOf(START_MARKER)) + README.slice(README.indexOf(END_MARKER));
  assert.doesNotMatch(outside, /\d+(\.\d+)? ?(MB\/s|MiB idle|ms median)/);
});

/**
 * Flags the README mentions that belong to other tools (npm, helm, kubectl, docker) or to the repository's
 * scripts, each with whose it is. Every other `--flag` in the README must be one the CLI accepts.
 */
const OTHER_TOOLS_FLAGS: Record<string, string> = {
  '--api-versions': 'helm template',
  '--kube-version': 'helm template',
  '--set': 'helm install',
  '--no-hooks': 'helm uninstall',
  '--logs': 'helm test',
  '--field-selector': 'kubectl get',
  '--platform': 'docker buildx build',
  '--build-arg': 'docker buildx build',
  '--rm': 'docker run',
  '--stand-in-bases': 'scripts/image/build.sh',
  '--platforms': 'scripts/image/build.sh',
  '--tag': 'scripts/image/build.sh',
  '--all': 'buildah manifest push',
  '--no-build': 'bench:image',
  '--layers': 'buildah bud',
  '--silent': 'npm run',
  '--cases': 'npm run fuzz',
  '--seed': 'npm run fuzz',
  '--libfdt': 'npm run fuzz',
  '--corpus': 'npm run fuzz / bench:readme',
  '--runs': 'bench scripts',
  '--node-flags': 'bench scripts',
  '--idle-seconds': 'bench:controller-idle-rss',
  '--seconds': 'bench:controller-traffic',
  '--scenarios': 'bench:controller-load',
  '--forbidden-minutes': 'bench:controller-load',
  '--enable-taints': 'nfd-master',
};

test("every flag the README names exists: the CLI accepts it, or it is another tool's (listed here)", () => {
  const accepted = new Set<string>();
  for (const command of [[], ['labels'], ['dump'], ['run'], ['cleanup']]) {
    const help = runCli([...command, '--help']);
    assert.equal(help.status, 0);
    for (const flag of help.stdout.matchAll(/--[a-z][a-z0-9-]*/g)) accepted.add(flag[0]);
  }
  const named = new Set([...README.matchAll(/--[a-z][a-z0-9-]*/g)].map((m) => m[0]));
  const unknown = [...named].filter((flag) => !accepted.has(flag) && !(flag in OTHER_TOOLS_FLAGS));
  assert.deepEqual(unknown, [], 'flags in the README that no command accepts');
  const stale = Object.keys(OTHER_TOOLS_FLAGS).filter((flag) => !named.has(flag));
  assert.deepEqual(stale, [], "other tools' flags this test lists that the README no longer names");
});

test("every command line in the README's code blocks parses: its command and flags are the CLI's", () => {
  let fenced = false;
  const lines = README.split('\n').filter((line) => {
    if (line.startsWith('```')) fenced = !fenced;
    return fenced && /^(\$ )?(node dist\/dt-node-labeller\.js|dt-node-labeller) (labels|dump|run|cleanup)\b/.test(line);
  });
  assert.ok(lines.length >= 6, `${lines.length} command lines found`);
  for (const line of lines) {
    const [command, ...rest] = line
      .replace(/^(\$ )?(node dist\/dt-node-labeller\.js|dt-node-labeller) /, '')
      .replace(/\s+#.*$/, '')
      .split(/\s+/);
    const help = runCli([command!, '--help']).stdout;
    for (const word of rest) {
      const flag = /--[a-z][a-z0-9-]*/.exec(word)?.[0];
      if (flag !== undefined) assert.ok(help.includes(flag), `${line}: ${command} has no ${flag}`);
    }
  }
});

test('every chart value the README names exists in values.yaml (the schema rejects any other)', () => {
  const values = parseYaml(readFileSync(join(REPO, 'charts/dt-node-labeller/values.yaml'), 'utf8')) as Record<string, unknown>;
  const topLevel = new Set(Object.keys(values));
  const resolves = (path: string[]) => {
    let at: unknown = values;
    for (const part of path) {
      if (part === '*') return typeof at === 'object' && at !== null;
      if (typeof at !== 'object' || at === null || !(part in at)) return false;
      at = (at as Record<string, unknown>)[part];
    }
    return true;
  };
  const named: string[] = [];
  let parent: string[] = [];
  // Backticked dotted names whose first part is a top-level value, also with "=value", and the table's
  // shorthand ".nodes" after "labeller.prefix".
  for (const [, token] of README.matchAll(/`([.A-Za-z][A-Za-z0-9.*]*)(?:=[^`]*)?`/g)) {
    const parts = token!.split('.');
    if (/\.(json|ya?ml|md|ts|dtb|dts)$/.test(token!)) continue; // a file, such as tegra.json
    if (token === 'tegra.system') continue; // an NFD feature the labeller publishes, not a chart value
    if (token!.startsWith('.') && parent.length > 0) named.push([...parent, ...parts.slice(1)].join('.'));
    else if (parts.length > 1 && topLevel.has(parts[0]!)) {
      named.push(token!);
      parent = parts.slice(0, -1);
    }
  }
  // And whatever the prose calls a chart value, dotted or not ("chart value `adoptExistingLabels`" was once wrong).
  for (const [, token] of README.matchAll(/(?:chart )?values? `([A-Za-z][A-Za-z0-9.]*)`/g)) named.push(token!);
  assert.ok(named.length >= 20, `${named.length} value names found`);
  const missing = named.filter((name) => !resolves(name.split('.')));
  assert.deepEqual(missing, [], 'chart values the README names that values.yaml does not have');
});
