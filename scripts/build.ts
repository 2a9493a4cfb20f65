// Bundles the CLI into minified ESM (dist/dt-node-labeller.js plus lazily loaded chunks). A tree-shaken
// bundle starts faster and with less RSS than loading the same dependencies from node_modules, which every
// DaemonSet pod on a small board pays.
import { readFileSync, rmSync } from 'node:fs';
import { build, type Plugin } from 'esbuild';
import { builtinsByRequire } from './builtin-imports.ts';
import { lazyImports } from './lazy-imports.ts';

// The oldest Node the package supports is said once, in package.json's engines (">=22.19"): the bundle's
// syntax target and the CLI's own version check come from it.
const engines = (JSON.parse(readFileSync('package.json', 'utf8')) as { engines: { node: string } }).engines.node;
const minimum = /^>=(\d+)\.(\d+)$/.exec(engines);
if (minimum === null) throw new Error(`package.json engines.node is ${JSON.stringify(engines)}, not ">=MAJOR.MINOR"`);

/**
 * client-node as its modules really are: free of side effects at import. Its package.json does not say so,
 * so esbuild keeps every module its index re-exports (the whole generated API, 759 model classes, the
 * auth providers) even though the labeller uses KubeConfig and ApiException. Said
 * here, unused modules are dropped; what the used ones import stays.
 */
const clientNodeWithoutSideEffects: Plugin = {
  name: 'client-node-without-side-effects',
  setup(build) {
    build.onResolve({ filter: /.*/ }, async (args) => {
      if (args.pluginData === 'resolving') return undefined;
      const inClient = args.path.startsWith('@kubernetes/client-node') || args.importer.includes('/node_modules/@kubernetes/client-node/');
      if (!inClient || args.kind === 'entry-point') return undefined;
      const resolved = await build.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: 'resolving' });
      if (resolved.errors.length > 0 || !resolved.path.includes('/node_modules/@kubernetes/client-node/')) return undefined;
      return { path: resolved.path, sideEffects: false };
    });
  },
};

/**
 * undici left out. client-node's config.js imports undici for its fetch-based HTTP library and Watch, which the
 * labeller does not use: src/kubernetes/api-request.ts sends its requests through Node's own HTTP client with
 * KubeConfig.applyToHTTPSOptions. Bundled, undici would still be 450 kB of source for V8 to parse at every start
 * and keep in the heap, and its index would load 110 modules, a WebAssembly parser and node:http2 (issue 18).
 * client-node's `undici` is a module whose exports say so if anything ever reaches for them;
 * bundle.test.ts pins that undici stays out and the API-server tests that nothing reaches for it.
 */
const withoutUndici: Plugin = {
  name: 'without-undici',
  setup(build) {
    build.onResolve({ filter: /^undici$/ }, (args) =>
      args.importer.includes('/node_modules/@kubernetes/client-node/') ? { path: 'undici', namespace: 'without-undici' } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'without-undici' }, () => ({
      contents: [
        "const missing = (name) => { throw new Error(\"dt-node-labeller is built without undici (scripts/build.ts): client-node's \" + name + ' is not available'); };",
        "for (const name of ['Agent', 'ProxyAgent', 'fetch']) Object.defineProperty(module.exports, name, { enumerable: true, get: () => missing(name) });",
      ].join('\n'),
      loader: 'js',
    }));
  },
};

/**
 * Two imports kept off the start-up path (issue 18): with the image's flags V8 refuses Node's built-in code
 * cache, so every built-in module loaded is compiled at start, and these are loaded for code `run` never calls.
 * - node:child_process as client-node imports it (for exec credential plugins and Azure's and GCP's helpers)
 *   and commander (for executable subcommands, which this CLI has none of): a module of the same functions
 *   that loads the real one on first call (about 6 ms and 9 modules less).
 * - prom-client's Pushgateway, which loads node:zlib at import (about 7 ms): a class that says it is not built in.
 * bundle.test.ts pins both; a kubeconfig with an exec plugin is tested against the real API server.
 */
const CHILD_PROCESS_FUNCTIONS = ['exec', 'execFile', 'execFileSync', 'execSync', 'fork', 'spawn', 'spawnSync'];
const offTheStartPath: Plugin = {
  name: 'off-the-start-path',
  setup(build) {
    build.onResolve({ filter: /^(node:)?child_process$/ }, (args) =>
      /\/node_modules\/(@kubernetes\/client-node|commander)\//.test(args.importer) ? { path: 'child_process', namespace: 'lazy-child-process' } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'lazy-child-process' }, () => ({
      contents: `for (const name of ${JSON.stringify(CHILD_PROCESS_FUNCTIONS)}) module.exports[name] = (...args) => require('node:child_process')[name](...args);`,
      loader: 'js',
    }));
    build.onResolve({ filter: /^\.\/lib\/pushgateway$/ }, (args) =>
      args.importer.includes('/node_modules/prom-client/') ? { path: 'pushgateway', namespace: 'without-pushgateway' } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'without-pushgateway' }, () => ({
      contents: [
        'module.exports = class Pushgateway {',
        '  constructor() { throw new Error("dt-node-labeller is built without prom-client\'s Pushgateway (scripts/build.ts)"); }',
        '};',
      ].join('\n'),
      loader: 'js',
    }));
  },
};

rmSync('dist', { recursive: true, force: true });
await build({
  entryPoints: ['src/cli/main.ts'],
  outdir: 'dist',
  entryNames: 'dt-node-labeller',
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  // The controller (client-node, prom-client, winston) is a chunk of its own, loaded only by `run` and
  // `cleanup`: the dry run does not pay for parsing 2 MB it never uses.
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: `node${minimum[1]}`,
  // A production build, as bundlers make them: the one dependency that asks, winston's debug channel
  // (@dabh/diagnostics), otherwise loads its development logger and a colour library at every start (issue 18).
  define: { __MIN_NODE_MAJOR__: minimum[1]!, __MIN_NODE_MINOR__: minimum[2]!, 'process.env.NODE_ENV': '"production"' },
  minify: true,
  sourcemap: 'linked',
  legalComments: 'linked',
  // CommonJS dependencies inside an ESM bundle still call require().
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  plugins: [lazyImports, offTheStartPath, builtinsByRequire, clientNodeWithoutSideEffects, withoutUndici],
  logLevel: 'warning',
});
