// Bundles the CLI into one minified ESM file. Measured: a tree-shaken bundle starts in about a third of the
// time and with ~40 MiB less RSS than loading the same dependencies from node_modules, which every
// DaemonSet pod on a small board pays.
import { build } from 'esbuild';

await build({
  entryPoints: ['src/cli/main.ts'],
  outfile: 'dist/dt-node-labeller.js',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  minify: true,
  sourcemap: 'linked',
  legalComments: 'linked',
  // CommonJS dependencies inside an ESM bundle still call require().
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  logLevel: 'warning',
});
