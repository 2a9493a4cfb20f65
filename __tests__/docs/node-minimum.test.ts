// The oldest supported Node is said once, in package.json's engines; everything else that names a Node must
// agree with it: the README's requirement line, the image's runtime bases, and the Node .ci/run provisions.
// (The CLI's own check and the bundle's target are generated from engines by scripts/build.ts.)
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO } from '../helpers/run-cli.ts';

const read = (file: string) => readFileSync(join(REPO, file), 'utf8');
const engines = (JSON.parse(read('package.json')) as { engines: { node: string } }).engines.node;
const [, major = '', minor = ''] = /^>=(\d+)\.(\d+)$/.exec(engines) ?? [];

test('package.json engines is a plain minimum, MAJOR.MINOR', () => {
  assert.match(engines, /^>=\d+\.\d+$/);
});

test("the README's requirement line names the same minimum", () => {
  assert.match(read('README.md'), new RegExp(`Requires Node\\.js 24 \\(≥ ${major}\\.${minor} works\\)`));
});

test("the image's distroless Node runtimes are no older than the minimum's major", () => {
  const runtimes = [...read('Dockerfile').matchAll(/^FROM .*gcr\.io\/distroless\/nodejs(\d+)-/gm)].map((m) => Number(m[1]));
  assert.ok(runtimes.length >= 2, 'the Dockerfile names its runtime bases');
  for (const runtime of runtimes) assert.ok(runtime >= Number(major), `nodejs${runtime} against engines ${engines}`);
});

test('the Node .ci/run provisions satisfies engines', () => {
  const [, ciMajor = '0', ciMinor = '0'] = /^NODE_VERSION=(\d+)\.(\d+)\.\d+$/m.exec(read('.ci/run')) ?? [];
  assert.ok(Number(ciMajor) > Number(major) || (Number(ciMajor) === Number(major) && Number(ciMinor) >= Number(minor)), `${ciMajor}.${ciMinor} against ${engines}`);
});
