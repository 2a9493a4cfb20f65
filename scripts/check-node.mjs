// Plain JavaScript on purpose: it must run on any Node.js, to say which one this project needs before a
// TypeScript script (which older Node cannot load) fails with an unrelated error.
import { readFileSync } from 'node:fs';

const wanted = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).engines.node; // ">=22.19"
const [major, minor] = wanted.replace('>=', '').split('.').map(Number);
const [haveMajor, haveMinor] = process.versions.node.split('.').map(Number);
if (haveMajor < major || (haveMajor === major && haveMinor < minor)) {
  process.stderr.write(`dt-node-labeller needs Node.js ${wanted} (24 LTS recommended); this is Node.js ${process.versions.node} (${process.execPath})\n`);
  process.exit(1);
}
