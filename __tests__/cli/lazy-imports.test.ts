// The lazy imports of scripts/lazy-imports.ts: a stand-in answers only the names it lists, so every name an
// importer takes from such a module must be listed, and the real module must have it. Read from the
// importers' own source in node_modules, so a dependency update that uses another name fails here, not in a
// user's cluster. The bundle's start without them is in bundle.test.ts; their code paths through the built
// bundle in the proxy and kubeconfig tests (run-command.test.ts).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { test } from 'node:test';
import { LAZY_IMPORTS } from '../../scripts/lazy-imports.ts';

const NODE_MODULES = join(import.meta.dirname, '..', '..', 'node_modules');

/** Every .js/.cjs/.mjs file below a folder. */
function scripts(folder: string): string[] {
  return readdirSync(folder, { recursive: true, encoding: 'utf8' })
    .filter((file) => /\.[cm]?js$/.test(file))
    .map((file) => join(folder, file));
}

const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\/@]/g, '\\$&');

/**
 * The names `source` takes from module `name`, or the reason it takes them in a way a stand-in of getters
 * cannot serve lazily (a default import, a re-export, destructuring at load).
 */
function namesUsed(text: string, name: string): { names: Set<string>; unsupported: string[] } {
  // Comments are not code: a source-map line names the file ("yaml.js.map"), which reads like a member.
  const source = text.replace(/\/\*[\s\S]*?\*\/|^\s*\/\/.*$/gm, '');
  const quoted = `['"]${literal(name)}['"]`;
  const names = new Set<string>();
  const unsupported: string[] = [];
  const members = (binding: string) => {
    for (const [, member] of source.matchAll(new RegExp(`(?<![\\w$.])${literal(binding)}\\.([A-Za-z_$][\\w$]*)`, 'g'))) names.add(member!);
  };
  for (const [, list] of source.matchAll(new RegExp(`import\\s*\\{([^}]*)\\}\\s*from\\s*${quoted}`, 'g'))) {
    for (const item of list!.split(',')) {
      const imported = item.trim().split(/\s+as\s+/)[0]!;
      if (imported !== '') names.add(imported);
    }
  }
  for (const [, binding] of source.matchAll(new RegExp(`import\\s*\\*\\s*as\\s+([\\w$]+)\\s+from\\s*${quoted}`, 'g'))) members(binding!);
  for (const [, binding] of source.matchAll(new RegExp(`(?:const|let|var)\\s+([\\w$]+)\\s*=\\s*require\\(${quoted}\\)`, 'g'))) members(binding!);
  if (new RegExp(`import\\s+[\\w$]+\\s*(?:,|from)[^;]*${quoted}`).test(source)) unsupported.push('a default import');
  if (new RegExp(`export\\s*(?:\\*|\\{[^}]*\\})\\s*from\\s*${quoted}`).test(source)) unsupported.push('a re-export');
  if (new RegExp(`(?:const|let|var)\\s*\\{[^}]*\\}\\s*=\\s*require\\(${quoted}\\)`).test(source)) unsupported.push('destructuring of require() at load');
  return { names, unsupported };
}

/** The installed files each lazy import's `importer` pattern covers. */
const candidates = [...scripts(join(NODE_MODULES, '@kubernetes', 'client-node', 'dist')), ...scripts(join(NODE_MODULES, 'prom-client'))];

for (const [name, lazy] of Object.entries(LAZY_IMPORTS)) {
  test(`lazy import ${name}: its importers use only the names the stand-in lists, and the real module has them`, () => {
    const importers = candidates.filter((file) => lazy.importer.test(file) && new RegExp(`['"]${literal(name)}['"]`).test(readFileSync(file, 'utf8')));
    assert.ok(importers.length > 0, `no importer of ${name} found: drop it from LAZY_IMPORTS`);
    for (const file of importers) {
      const { names, unsupported } = namesUsed(readFileSync(file, 'utf8'), name);
      assert.deepEqual(unsupported, [], `${file} takes ${name} in a way the stand-in cannot serve`);
      const unlisted = [...names].filter((used) => !lazy.names.includes(used));
      assert.deepEqual(unlisted, [], `${file} uses names of ${name} that scripts/lazy-imports.ts does not list`);
    }
    // Resolved as the stand-in's require() is, from the importer's folder.
    const real = createRequire(importers[0]!)(name) as Record<string, unknown>;
    for (const listed of lazy.names) assert.notEqual(real[listed], undefined, `${name} has no export ${listed}`);
  });
}

test('namesUsed reads the forms importers use, and refuses the forms a stand-in cannot serve', () => {
  const source = [
    "import { SocksProxyAgent } from 'socks-proxy-agent';",
    "import { HttpProxyAgent, HttpsProxyAgent as Https } from 'hpagent';",
    "import * as yaml from 'js-yaml';",
    'const a = yaml.load(text); yaml.dump(a);',
    "const OtelApi = require('@opentelemetry/api');",
    'OtelApi.trace.getSpan(OtelApi.context.active());',
    '//# sourceMappingURL=yaml.js.map',
  ].join('\n');
  assert.deepEqual([...namesUsed(source, 'socks-proxy-agent').names], ['SocksProxyAgent']);
  assert.deepEqual([...namesUsed(source, 'hpagent').names], ['HttpProxyAgent', 'HttpsProxyAgent']);
  assert.deepEqual([...namesUsed(source, 'js-yaml').names].sort(), ['dump', 'load']);
  assert.deepEqual([...namesUsed(source, '@opentelemetry/api').names].sort(), ['context', 'trace']);
  assert.deepEqual(namesUsed("import yaml from 'js-yaml';", 'js-yaml').unsupported, ['a default import']);
  assert.deepEqual(namesUsed("export * from 'socks';", 'socks').unsupported, ['a re-export']);
  assert.deepEqual(namesUsed("const { TDigest } = require('tdigest');", 'tdigest').unsupported, ['destructuring of require() at load']);
});
