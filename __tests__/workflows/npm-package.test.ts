// What `npm publish` in release.yml ships: the package metadata npm provenance checks, and the file list of the
// tarball, which is all `npx dt-node-labeller` needs: the bundle in dist/ (with the licence notices of what it
// bundles), README and package.json; no source maps, sources or tests. Needs dist/ built (npm test builds it).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { JETSON_NANO_LABELS } from '../helpers/expected-labels.ts';

const REPO = resolve(import.meta.dirname, '../..');
const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as Record<string, unknown>;

test('package.json: repository (npm provenance requires it to match the publishing repository), homepage, bugs, publishConfig', () => {
  assert.deepEqual(pkg.repository, { type: 'git', url: 'git+https://github.com/dt-node-labeller/dt-node-labeller.git' });
  assert.equal(pkg.homepage, 'https://github.com/dt-node-labeller/dt-node-labeller#readme');
  assert.deepEqual(pkg.bugs, { url: 'https://github.com/dt-node-labeller/dt-node-labeller/issues' });
  assert.deepEqual(pkg.publishConfig, { access: 'public', provenance: true });
});

test('npm pack: the bundle, its licence notices, README and package.json, nothing else', () => {
  // Without the npm_* settings of an enclosing `npm test`, which would otherwise apply to this npm too.
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name)));
  const pack = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: REPO, encoding: 'utf8', env });
  assert.equal(pack.status, 0, pack.stderr);
  const [{ files }] = JSON.parse(pack.stdout) as [{ files: { path: string }[] }];
  const paths = files.map((file) => file.path).sort();
  assert.ok(paths.includes('dist/dt-node-labeller.js'), `the bin is packed: ${paths.join(', ')}`);
  for (const path of paths) {
    assert.match(path, /^(?:README\.md|package\.json|LICENSE|dist\/dt-node-labeller\.js|dist\/chunks\/[\w-]+\.js(?:\.LEGAL\.txt)?)$/, `unexpected file in the package: ${path}`);
  }
  // Every chunk the bundle imports is there: the bin and what it reaches, by relative import.
  const reachable = new Set<string>();
  const visit = (path: string) => {
    if (reachable.has(path)) return;
    reachable.add(path);
    const source = readFileSync(join(REPO, path), 'utf8');
    for (const [, spec] of source.matchAll(/(?:from ?|import\()"(\.\.?\/[^"]+)"/g)) visit(join(path, '..', spec!));
  };
  visit('dist/dt-node-labeller.js');
  assert.ok(reachable.size > 3, `the bin imports its chunks: ${[...reachable].join(', ')}`);
  for (const path of reachable) assert.ok(paths.includes(path), `${path} is imported by the bundle but not packed`);
});

test('what `npx dt-node-labeller` installs: the packed tarball alone, no dependencies to fetch, and its bin runs the dry run', () => {
  // The bundle carries its libraries (esbuild), so the published package declares none: npx downloads one
  // tarball. Installed here from the tarball with the registry out of reach (--offline), into an empty prefix.
  assert.equal(pkg.dependencies, undefined, 'dependencies would be downloaded by every npx run and never loaded');
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name)));
  const dir = mkdtempSync(join(tmpdir(), 'npx-'));
  try {
    const pack = spawnSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], { cwd: REPO, encoding: 'utf8', env });
    assert.equal(pack.status, 0, pack.stderr);
    const [{ filename }] = JSON.parse(pack.stdout) as [{ filename: string }];
    const prefix = join(dir, 'prefix');
    mkdirSync(prefix);
    const install = spawnSync('npm', ['install', '--offline', '--no-audit', '--no-fund', '--no-package-lock', '--prefix', prefix, join(dir, filename)], { encoding: 'utf8', env });
    assert.equal(install.status, 0, install.stderr);
    assert.deepEqual(
      readdirSync(join(prefix, 'node_modules')).filter((name) => !name.startsWith('.')),
      ['dt-node-labeller'],
    );
    const run = spawnSync(join(prefix, 'node_modules/.bin/dt-node-labeller'), ['labels', '--dtb', join(REPO, 'examples/devicetree/jetson-nano.dtb'), '-o', 'json'], {
      encoding: 'utf8',
    });
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout), JETSON_NANO_LABELS);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
