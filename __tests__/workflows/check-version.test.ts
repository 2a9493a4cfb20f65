// scripts/release/check-version.ts, the release workflow's first gate, on temporary copies of package.json and
// Chart.yaml: the tag must equal package.json version and the chart's version and appVersion.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { scratchDirs } from '../helpers/scratch-dirs.ts';

const REPO = resolve(import.meta.dirname, '../..');
const SCRIPT = join(REPO, 'scripts/release/check-version.ts');
const CHART = 'charts/dt-node-labeller/Chart.yaml';
const scratch = scratchDirs('check-version-');

/** A root holding the real package.json and Chart.yaml with their versions replaced by the given ones. */
function root(versions: { pkg: string; chart: string; app: string }): string {
  const dir = scratch();
  const pkg = readFileSync(join(REPO, 'package.json'), 'utf8').replace(/^ {2}"version": "[^"]*",$/m, `  "version": "${versions.pkg}",`);
  const chart = readFileSync(join(REPO, CHART), 'utf8')
    .replace(/^version: .*$/m, `version: ${versions.chart}`)
    .replace(/^appVersion: .*$/m, `appVersion: "${versions.app}"`);
  writeFileSync(join(dir, 'package.json'), pkg);
  mkdirSync(join(dir, 'charts/dt-node-labeller'), { recursive: true });
  writeFileSync(join(dir, CHART), chart);
  return dir;
}

function check(tag: string, dir: string, env: NodeJS.ProcessEnv = {}) {
  const { GITHUB_OUTPUT: _, ...inherited } = process.env;
  const run = spawnSync(process.execPath, [SCRIPT, tag, '--root', dir], { encoding: 'utf8', env: { ...inherited, ...env } });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

test('the copies really carry the versions written into them', () => {
  const dir = root({ pkg: '1.2.3', chart: '1.2.4', app: '1.2.5' });
  assert.match(readFileSync(join(dir, 'package.json'), 'utf8'), /"version": "1\.2\.3"/);
  assert.match(readFileSync(join(dir, CHART), 'utf8'), /^version: 1\.2\.4\nappVersion: "1\.2\.5"$/m);
});

test('all equal to the tag: exit 0, one line, and the step outputs', () => {
  const dir = root({ pkg: '1.2.3', chart: '1.2.3', app: '1.2.3' });
  const outputs = join(scratch(), 'github-output');
  writeFileSync(outputs, '');
  const result = check('v1.2.3', dir, { GITHUB_OUTPUT: outputs });
  assert.equal(result.status, 0, result.stderr);
  assert.equal(result.stdout, 'check-version: tag v1.2.3 matches package.json and charts/dt-node-labeller/Chart.yaml (version and appVersion 1.2.3)\n');
  assert.equal(result.stderr, '');
  assert.equal(readFileSync(outputs, 'utf8'), 'version=1.2.3\nmajor_minor=1.2\nprerelease=false\n');
});

test('GITHUB_REF form and a prerelease', () => {
  const dir = root({ pkg: '2.0.0-rc.1', chart: '2.0.0-rc.1', app: '2.0.0-rc.1' });
  const outputs = join(scratch(), 'github-output');
  writeFileSync(outputs, '');
  const result = check('refs/tags/v2.0.0-rc.1', dir, { GITHUB_OUTPUT: outputs });
  assert.equal(result.status, 0, result.stderr);
  assert.equal(readFileSync(outputs, 'utf8'), 'version=2.0.0-rc.1\nmajor_minor=2.0\nprerelease=true\n');
});

test('the repository itself: its own tag passes', () => {
  const version = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version;
  const result = check(`v${version}`, REPO);
  assert.equal(result.status, 0, result.stderr);
});

const mismatches: [string, { pkg: string; chart: string; app: string }, string][] = [
  ['package.json behind', { pkg: '1.2.2', chart: '1.2.3', app: '1.2.3' }, 'check-version: tag v1.2.3 wants version 1.2.3, but package.json version is "1.2.2"\n'],
  [
    'chart version behind',
    { pkg: '1.2.3', chart: '1.2.2', app: '1.2.3' },
    'check-version: tag v1.2.3 wants version 1.2.3, but charts/dt-node-labeller/Chart.yaml version is "1.2.2"\n',
  ],
  [
    'appVersion behind',
    { pkg: '1.2.3', chart: '1.2.3', app: '1.3.0' },
    'check-version: tag v1.2.3 wants version 1.2.3, but charts/dt-node-labeller/Chart.yaml appVersion is "1.3.0"\n',
  ],
  [
    'all three behind',
    { pkg: '1.2.2', chart: '1.2.2', app: '1.2.2' },
    'check-version: tag v1.2.3 wants version 1.2.3, but package.json version is "1.2.2", charts/dt-node-labeller/Chart.yaml version is "1.2.2", charts/dt-node-labeller/Chart.yaml appVersion is "1.2.2"\n',
  ],
];
for (const [name, versions, message] of mismatches) {
  test(`mismatch, ${name}: exit 1 with one line naming what differs`, () => {
    const result = check('v1.2.3', root(versions));
    assert.equal(result.status, 1);
    assert.equal(result.stdout, '');
    assert.equal(result.stderr, message);
  });
}

test('a tag that is not vX.Y.Z is refused before any file is read', () => {
  for (const tag of ['1.2.3', 'v1.2', 'v1.2.3+build.5', 'v01.2.3', 'release-1.2.3']) {
    const result = check(tag, join(scratch(), 'nothing-here'));
    assert.equal(result.status, 1, tag);
    assert.equal(result.stderr, `check-version: tag "${tag}" is not v<major>.<minor>.<patch>[-<prerelease>]\n`);
  }
});

test('an appVersion that YAML reads as a number is reported as that number, not coerced to match', () => {
  const dir = root({ pkg: '1.2.0', chart: '1.2.0', app: '1.2.0' });
  writeFileSync(join(dir, CHART), readFileSync(join(dir, CHART), 'utf8').replace(/^appVersion: .*$/m, 'appVersion: 1.2'));
  const result = check('v1.2.0', dir);
  assert.equal(result.status, 1);
  assert.equal(result.stderr, 'check-version: tag v1.2.0 wants version 1.2.0, but charts/dt-node-labeller/Chart.yaml appVersion is 1.2\n');
});

test('no tag: usage, exit 1', () => {
  const run = spawnSync(process.execPath, [SCRIPT], { encoding: 'utf8' });
  assert.equal(run.status, 1);
  assert.match(run.stderr, /^check-version: usage: /);
});
