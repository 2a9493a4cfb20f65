// What the dry run loads: `labels` and `dump` must not pay for the controller. The bundle's chunks are
// followed through their static imports (dynamic import() is what defers `run` and `cleanup`) from the
// entry and the program chunk it loads, and none of them may pull in client-node, prom-client, winston, the
// YAML library or node:http (whose ESM facade loads Node's fetch stack: ~25 ms at every start).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fixture } from '../helpers/corpus.ts';
import { CLI } from '../helpers/run-cli.ts';

const DIST = dirname(CLI);

/** Files reachable from `file` by static imports, and the dynamic ones, by name. */
function reachable(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen;
  seen.add(file);
  const text = readFileSync(join(DIST, file), 'utf8');
  for (const [, target] of text.matchAll(/(?:^|;)\s*import\s*(?:[^'"();]*?from\s*)?["'](\.\/[^"']+)["']/g)) reachable(join(dirname(file), target!), seen);
  return seen;
}

test("the dry run's start-up path loads no controller code and no node:http", () => {
  const entry = 'dt-node-labeller.js';
  const program = readdirSync(join(DIST, 'chunks')).find((name) => /^program-.*\.js$/.test(name));
  assert.ok(program, 'a program chunk');
  assert.match(readFileSync(join(DIST, entry), 'utf8'), new RegExp(`import\\("\\./chunks/${program.replace('.', '\\.')}"\\)`), 'the entry loads the program chunk');
  const files = [...reachable(join('chunks', program), reachable(entry))];
  const offending = (pattern: RegExp) => files.filter((file) => pattern.test(readFileSync(join(DIST, file), 'utf8')));
  assert.deepEqual(offending(/from\s*"node:https?"/), [], 'an ESM import of node:http on the start-up path');
  // client-node names itself in its User-Agent.
  assert.deepEqual(offending(/kubernetes-client-javascript|collectDefaultMetrics/), [], 'client-node or prom-client on the start-up path');
  // winston names itself in its bundled package.json; yaml's stringify options name its scalar types.
  assert.deepEqual(offending(/name:"winston"|QUOTE_DOUBLE:|defaultStringType:"PLAIN"/), [], 'winston or the YAML library on the start-up path');
});

test('no chunk imports a Node built-in as an ES module: they come through require() (scripts/build.ts), but for the banner', () => {
  for (const file of [
    join('dt-node-labeller.js'),
    ...readdirSync(join(DIST, 'chunks'))
      .filter((name) => name.endsWith('.js'))
      .map((name) => join('chunks', name)),
  ]) {
    const text = readFileSync(join(DIST, file), 'utf8');
    const imports = [...text.matchAll(/from\s*["'](node:[a-z_/]+)["']/g)].map((m) => m[1]);
    assert.deepEqual(
      imports.filter((name) => name !== 'node:module'),
      [],
      file,
    );
  }
});

/** Every chunk's text, for what no chunk may carry. */
function allChunks(): string {
  return readdirSync(join(DIST, 'chunks'))
    .filter((name) => name.endsWith('.js'))
    .map((name) => readFileSync(join(DIST, 'chunks', name), 'utf8'))
    .join('\n');
}

test("the controller carries client-node's configuration, not its generated API classes and models, nor undici (issue 18)", () => {
  const text = allChunks();
  assert.match(text, /kubernetes-client-javascript/, 'client-node itself (its User-Agent) is bundled');
  // Generated model classes name their attribute types as strings; CoreV1Api would bring all 759 of them.
  assert.doesNotMatch(text, /"V1PodSpec"/, "client-node's models (CoreV1Api, ObjectSerializer) are bundled");
  // undici's HTTP/1 client names its WebAssembly parser; its fetch names the Fetch standard's errors.
  assert.doesNotMatch(text, /llhttp|MockAgent|fetch failed/, 'undici is bundled (scripts/build.ts withoutUndici)');
  assert.match(text, /is built without undici/, "client-node's undici import is the stand-in that says so");
});

test("a production build: no dependency reads NODE_ENV at run time (winston's debug channel takes its no-op logger, without a colour library)", () => {
  assert.doesNotMatch(allChunks(), /process\.env\.NODE_ENV/);
});

test('`run` starts without node:child_process, zlib, vm, dns, worker_threads or readline: nothing it calls at start needs them (issue 18)', () => {
  // What Node has loaded once `run` has labelled (--once, NFD's feature file as target so no cluster is
  // needed), from process.moduleLoadList.
  const scratch = mkdtempSync(join(tmpdir(), 'bundle-modules-'));
  try {
    // CommonJS: an ES module's import of node:fs would itself load what fs loads lazily (fs/dir, fs/promises, readline).
    const report = join(scratch, 'report.cjs');
    writeFileSync(report, `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(join(scratch, 'modules.txt'))}, process.moduleLoadList.join('\\n')));\n`);
    const run = spawnSync(
      process.execPath,
      ['--require', report, CLI, 'run', '--once', '--dtb', fixture('jetson-nano-l4t.dtb'), '--nfd-features-file', join(scratch, 'labels.txt')],
      {
        encoding: 'utf8',
      },
    );
    assert.equal(run.status, 0, run.stderr);
    const loaded = readFileSync(join(scratch, 'modules.txt'), 'utf8').split('\n');
    // vm comes with jsonpath-plus and dns with socks-proxy-agent: their loading at start would mean the lazy
    // imports of scripts/lazy-imports.ts are evaluated at start after all. worker_threads and readline come
    // with node:util's and node:fs's lazily loaded functions, read when a bundled import copies the whole
    // module (scripts/builtin-imports.ts).
    for (const name of ['child_process', 'zlib', 'vm', 'dns', 'worker_threads', 'internal/readline/interface']) {
      assert.ok(!loaded.includes(`NativeModule ${name}`), `${name} is loaded at start`);
    }
    // The labeller's own modules did load (the check is not vacuous): its HTTP client and metrics.
    for (const name of ['https', 'perf_hooks']) assert.ok(loaded.includes(`NativeModule ${name}`), `${name} is not loaded`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
});
