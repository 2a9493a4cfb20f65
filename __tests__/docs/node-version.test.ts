// tier: full (npm and the CLI on an old Node.js, as child processes)
// On a Node.js older than the project needs, the first thing a user sees must say which one is needed and
// which was found: npm's engine check (.npmrc engine-strict) for `npm ci`, scripts/check-node.mjs for the npm
// scripts, and the CLI's own entry. Run with an older Node found on the machine (Debian's, here: v20).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { CLI, REPO } from '../helpers/run-cli.ts';

const OLD_NODE = ['/usr/bin/node', '/usr/local/bin/node'].find((path) => {
  const run = spawnSync(path, ['-p', 'process.versions.node'], { encoding: 'utf8' });
  return run.status === 0 && Number(run.stdout.split('.')[0]) < 22;
});
const skip = OLD_NODE === undefined ? 'no Node.js older than 22 on this machine to try' : false;

test("the npm scripts' check names the Node needed and the one found", { skip }, () => {
  const run = spawnSync(OLD_NODE!, ['scripts/check-node.mjs'], { cwd: REPO, encoding: 'utf8' });
  assert.equal(run.status, 1);
  assert.match(run.stderr, /^dt-node-labeller needs Node\.js >=22\.19 \(24 LTS recommended\); this is Node\.js 20\.\d+\.\d+ \(/);
  assert.equal(run.stderr.trim().split('\n').length, 1);
});

test('the built CLI says so too, instead of failing silently', { skip }, () => {
  const run = spawnSync(OLD_NODE!, [CLI, 'labels', '--dtb', 'examples/devicetree/jetson-nano.dtb'], { cwd: REPO, encoding: 'utf8' });
  assert.equal(run.status, 1);
  assert.match(run.stderr, /^error: dt-node-labeller needs Node\.js >=22\.19 \(24 LTS recommended\); this is Node\.js 20\./);
  assert.equal(run.stdout, '');
});

test('npm ci stops at its engine check, before installing or running anything, naming both versions', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'npm-ci-old-node-'));
  try {
    for (const file of ['package.json', 'package-lock.json', '.npmrc']) copyFileSync(join(REPO, file), join(dir, file));
    // npm itself under the old Node, as a user with it on PATH would run it: without the npm_* settings an
    // enclosing `npm run --silent` passes down (npm_config_loglevel=silent would hide the engine check).
    const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.toLowerCase().startsWith('npm_')));
    const npm = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: dir, encoding: 'utf8', env: { ...env, PATH: `/usr/bin:/bin` }, timeout: 60_000 });
    assert.notEqual(npm.status, 0);
    assert.match(npm.stderr, /EBADENGINE/);
    assert.match(npm.stderr, /Required: \{"node":">=22\.19"\}/);
    assert.match(npm.stderr, /Actual: +\{"npm":"[^"]+","node":"v20\.|Actual: +\{"node":"v20\./);
    assert.equal(npm.stdout, '');
    assert.ok(!existsSync(join(dir, 'node_modules')), 'npm ci installed something');
    // The README shows npm's block as it is, versions and the log file's name aside.
    const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
    const at = readme.indexOf('`npm ci` installs nothing');
    assert.ok(at >= 0, 'the README says what npm ci does on an old Node.js');
    const shown = /```\n([\s\S]*?)```/.exec(readme.slice(at))![1]!;
    const general = (text: string) =>
      text
        .replace(/dt-node-labeller@\S+/g, 'dt-node-labeller@VERSION')
        .replace(/"(node|npm)":"v?[\d.]+"/g, '"$1":"VERSION"')
        .replace(/found in: \S+/g, 'found in: LOG');
    assert.equal(general(shown), general(npm.stderr));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
