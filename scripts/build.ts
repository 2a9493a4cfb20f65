// Bundles the CLI into minified ESM (dist/dt-node-labeller.js plus lazily loaded chunks). A tree-shaken
// bundle starts faster and with less RSS than loading the same dependencies from node_modules, which every
// DaemonSet pod on a small board pays.
import { readFileSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

// The oldest Node the package supports is said once, in package.json's engines (">=22.19"): the bundle's
// syntax target and the CLI's own version check come from it.
const engines = (JSON.parse(readFileSync('package.json', 'utf8')) as { engines: { node: string } }).engines.node;
const minimum = /^>=(\d+)\.(\d+)$/.exec(engines);
if (minimum === null) throw new Error(`package.json engines.node is ${JSON.stringify(engines)}, not ">=MAJOR.MINOR"`);

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
  define: { __MIN_NODE_MAJOR__: minimum[1]!, __MIN_NODE_MINOR__: minimum[2]! },
  minify: true,
  sourcemap: 'linked',
  legalComments: 'linked',
  // CommonJS dependencies inside an ESM bundle still call require().
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  logLevel: 'warning',
});
