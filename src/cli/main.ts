#!/usr/bin/env node
// Entry point of the dt-node-labeller command: everything lives in program.ts, loaded only once the Node.js
// version is known to be one the bundle supports, so an older Node says so instead of failing obscurely.
// The build defines the minimum from package.json's engines (scripts/build.ts); run from src/ (tests),
// the globals are absent and the check is skipped: scripts/check-node.mjs guards that path.
declare const __MIN_NODE_MAJOR__: number | undefined;
declare const __MIN_NODE_MINOR__: number | undefined;
const wantMajor = typeof __MIN_NODE_MAJOR__ === 'number' ? __MIN_NODE_MAJOR__ : 0;
const wantMinor = typeof __MIN_NODE_MINOR__ === 'number' ? __MIN_NODE_MINOR__ : 0;
const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
if (major < wantMajor || (major === wantMajor && minor < wantMinor)) {
  process.stderr.write(`error: dt-node-labeller needs Node.js >=${wantMajor}.${wantMinor} (24 LTS recommended); this is Node.js ${process.versions.node}\n`);
  process.exitCode = 1;
} else {
  // --debug prints stack traces: map them back to src/ through the bundle's source maps (loaded from here on).
  if (process.argv.includes('--debug')) process.setSourceMapsEnabled(true);
  // V8's code cache of the modules loaded from here on, where Node keeps it by default (a folder under the
  // temp folder; NODE_COMPILE_CACHE names another, NODE_DISABLE_COMPILE_CACHE=1 turns it off): every start
  // after the first compiles none of them. The image ships its cache made at build time (Dockerfile).
  (await import('node:module')).enableCompileCache?.();
  const [{ processIo }, { runCli }] = await Promise.all([import('./io.ts'), import('./program.ts')]);
  process.exitCode = await runCli(process.argv.slice(2), processIo);
}
