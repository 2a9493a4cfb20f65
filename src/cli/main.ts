#!/usr/bin/env node
// Entry point of the dt-node-labeller command: everything lives in program.ts, loaded only once the Node.js
// version is known to be one the bundle supports, so an older Node says so instead of failing obscurely.
const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 19)) {
  process.stderr.write(`error: dt-node-labeller needs Node.js >=22.19 (24 LTS recommended); this is Node.js ${process.versions.node}\n`);
  process.exitCode = 1;
} else {
  // --debug prints stack traces: map them back to src/ through the bundle's source maps (loaded from here on).
  if (process.argv.includes('--debug')) process.setSourceMapsEnabled(true);
  const [{ processIo }, { runCli }] = await Promise.all([import('./io.ts'), import('./program.ts')]);
  process.exitCode = await runCli(process.argv.slice(2), processIo);
}
