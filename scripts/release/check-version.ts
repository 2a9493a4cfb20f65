// Checks that a release tag names the version the repository says it is: `vX.Y.Z` (or `vX.Y.Z-pre`) must
// equal package.json `version` and charts/dt-node-labeller/Chart.yaml `version` and `appVersion`. Prints one
// line and exits 1 when any differs, so a release job stops before it builds or publishes anything.
//   node scripts/release/check-version.ts TAG [--root DIR]
// TAG may be given as `refs/tags/v1.2.3` (GITHUB_REF) or `v1.2.3` (GITHUB_REF_NAME). When GITHUB_OUTPUT is
// set (in a GitHub Actions step), it also writes `version`, `major_minor` and `prerelease` there.
import { appendFileSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';

const CHART = 'charts/dt-node-labeller/Chart.yaml';
/** Semantic Versioning 2.0.0 without build metadata (npm and Helm would keep or drop it differently). */
const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)(?:\.(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*))*))?$/;

const fail = (message: string): never => {
  process.stderr.write(`check-version: ${message}\n`);
  process.exit(1);
};

const args = process.argv.slice(2);
let root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const rootAt = args.indexOf('--root');
if (rootAt >= 0) {
  root = resolve(args[rootAt + 1] ?? fail('--root needs a folder'));
  args.splice(rootAt, 2);
}
if (args.length !== 1) fail('usage: node scripts/release/check-version.ts TAG [--root DIR]   (TAG like v1.2.3)');

const tag = args[0]!.replace(/^refs\/tags\//, '');
if (!tag.startsWith('v') || !SEMVER.test(tag.slice(1))) fail(`tag "${tag}" is not v<major>.<minor>.<patch>[-<prerelease>]`);
const version = tag.slice(1);

function read(file: string): string {
  try {
    return readFileSync(join(root, file), 'utf8');
  } catch (error) {
    return fail(`cannot read ${file}: ${(error as Error).message}`);
  }
}

let pkg: unknown;
try {
  pkg = JSON.parse(read('package.json'));
} catch (error) {
  fail(`package.json is not JSON: ${(error as Error).message}`);
}
let chart: unknown;
try {
  chart = parseYaml(read(CHART));
} catch (error) {
  fail(`${CHART} is not YAML: ${(error as Error).message}`);
}

const field = (doc: unknown, key: string) => (typeof doc === 'object' && doc !== null ? (doc as Record<string, unknown>)[key] : undefined);
// A YAML number such as `appVersion: 1.2` would parse as a number: show it as written rather than coerce it.
const found: [string, unknown][] = [
  ['package.json version', field(pkg, 'version')],
  [`${CHART} version`, field(chart, 'version')],
  [`${CHART} appVersion`, field(chart, 'appVersion')],
];
const wrong = found.filter(([, value]) => value !== version);
if (wrong.length > 0) {
  fail(`tag ${tag} wants version ${version}, but ${wrong.map(([where, value]) => `${where} is ${JSON.stringify(value ?? null)}`).join(', ')}`);
}

const [, major, minor, , prerelease] = SEMVER.exec(version)!;
process.stdout.write(`check-version: tag ${tag} matches package.json and ${CHART} (version and appVersion ${version})\n`);
if (process.env.GITHUB_OUTPUT) {
  appendFileSync(process.env.GITHUB_OUTPUT, `version=${version}\nmajor_minor=${major}.${minor}\nprerelease=${prerelease === undefined ? 'false' : 'true'}\n`);
}
