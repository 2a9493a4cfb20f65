// tier: full (the documents' helm commands rendered by the repository's helm)
// The README and the chart's README are both install manuals, and read apart: they must give the same steps
// (the namespace with Pod Security "privileged", then a release's chart, or the checkout's with the image
// named), and every `helm install` a document shows must render with the image it says. They must also say the
// same thing about nfd-master's label namespaces as values.yaml and NOTES.txt do: what NFD's source says
// (pkg/nfd-master/nfd-master.go filterFeatureLabel, pkg/apis/nfd/validate/validate.go Label; v0.13 changed it).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { CHART_DIR, helm, parseManifests, renderNotes } from '../helpers/helm.ts';
import { REPO } from '../helpers/run-cli.ts';

const MAIN_README = 'README.md';
const CHART_README = 'charts/dt-node-labeller/README.md';
const INSTALL_DOCS = [MAIN_README, CHART_README, ...readdirSync(join(REPO, 'docs')).map((file) => `docs/${file}`)];
const read = (file: string) => readFileSync(join(REPO, file), 'utf8');
const OCI_CHART = 'oci://ghcr.io/dt-node-labeller/charts/dt-node-labeller';
const NAMESPACE = 'dt-node-labeller';

/** The commands of a document's `sh` blocks, continuation lines joined, comments dropped. */
function shellCommands(text: string): string[] {
  const commands: string[] = [];
  for (const [, body] of text.matchAll(/```sh\n([\s\S]*?)```/g)) {
    const lines = body!
      .replace(/\\\n\s*/g, '')
      .split('\n')
      .map((line) => line.replace(/\s+#.*$/, '').trim());
    commands.push(...lines.filter((line) => line !== '' && !line.startsWith('#')));
  }
  return commands;
}

const installSteps = (file: string) => shellCommands(read(file)).filter((line) => /^(kubectl (create|label) namespace|helm install) /.test(line));

test("both READMEs install alike: the namespace, its Pod Security label, then a release's chart or the checkout's with its image", () => {
  const main = installSteps(MAIN_README);
  assert.deepEqual(installSteps(CHART_README), main, "the chart README's install commands differ from the README's");
  assert.deepEqual(main.slice(0, 2), [`kubectl create namespace ${NAMESPACE}`, `kubectl label namespace ${NAMESPACE} pod-security.kubernetes.io/enforce=privileged`]);
  const installs = main.filter((line) => line.startsWith('helm install '));
  assert.ok(
    installs.some((line) => line.includes(` ${OCI_CHART} --version `)),
    "a release's chart",
  );
  assert.ok(
    installs.some((line) => line.includes(' ./charts/dt-node-labeller ') && line.includes('--set image.repository=') && line.includes('--set image.tag=')),
    "the checkout's chart with the image named",
  );
  assert.ok(!/--create-namespace/.test(read(CHART_README)), 'a namespace helm creates has no Pod Security label');
});

test('every documented helm install of the chart renders, in the labelled namespace, with the image it names', () => {
  const chart = parseYaml(read('charts/dt-node-labeller/Chart.yaml')) as { appVersion: string };
  const values = parseYaml(read('charts/dt-node-labeller/values.yaml')) as { image: { repository: string } };
  let checked = 0;
  for (const file of INSTALL_DOCS) {
    for (const line of shellCommands(read(file)).filter((command) => command.startsWith('helm install '))) {
      const words = line.split(/\s+/).slice(2);
      const namespace = words[words.indexOf('-n') + 1] ?? words[words.indexOf('--namespace') + 1];
      assert.equal(namespace, NAMESPACE, `${file}: ${line}: installs outside the namespace labelled for Pod Security`);
      // A release's chart is the checkout's once published; helm ignores --version for a chart folder.
      const args = ['template', ...words.map((word) => (word === './charts/dt-node-labeller' || word === OCI_CHART ? CHART_DIR : word))];
      const result = helm(args);
      assert.equal(result.status, 0, `${file}: ${line}\n${result.stderr}`);
      const set = (key: string) => words.find((word) => word.startsWith(`${key}=`))?.slice(key.length + 1);
      const image = `${set('image.repository') ?? values.image.repository}:${set('image.tag') ?? chart.appVersion}`;
      if (line.includes('./charts/')) assert.notEqual(set('image.repository'), undefined, `${file}: ${line}: the checkout's chart names an image no release has published`);
      const daemonSets = parseManifests(result.stdout).filter((r) => r.object.kind === 'DaemonSet');
      assert.ok(daemonSets.length > 0, `${file}: ${line}: no DaemonSet rendered`);
      for (const { object } of daemonSets) {
        const containers = (object as { spec: { template: { spec: { containers: { image: string }[] } } } }).spec.template.spec.containers;
        assert.deepEqual(
          containers.map((c) => c.image),
          [image],
          `${file}: ${line}`,
        );
      }
      checked++;
    }
  }
  assert.ok(checked >= 4, `${checked} helm install commands found`);
});

const squash = (text: string) => text.replace(/\s+/g, ' ');
/** A document's part between a heading and the next heading of its level or higher. */
function section(text: string, heading: string): string {
  const at = text.indexOf(`\n${heading}\n`);
  assert.ok(at >= 0, `no "${heading}"`);
  const level = heading.split(' ')[0]!;
  const next = text.slice(at + heading.length + 2).search(new RegExp(`^#{1,${level.length}} `, 'm'));
  return text.slice(at, next < 0 ? undefined : at + heading.length + 2 + next);
}

test("README, chart README, values.yaml and NOTES say the same about nfd-master's label namespaces", () => {
  const values = read('charts/dt-node-labeller/values.yaml');
  const places: Record<string, string> = {
    'README, NFD interop': section(read(MAIN_README), '## NFD interop'),
    'README, Troubleshooting': section(read(MAIN_README), '## Troubleshooting'),
    'chart README, Modes': section(read(CHART_README), '## Modes'),
    'values.yaml, nfd': values.slice(values.lastIndexOf('\n\n', values.indexOf('\nnfd:\n')), values.indexOf('\nnfd:\n')),
    'NOTES, NodeFeature mode': renderNotes({ values: { nfd: { nodeFeature: { enabled: true } } } }),
    'NOTES, feature-file mode': renderNotes({ values: { nfd: { featuresFile: { enabled: true } } } }),
  };
  for (const [place, text] of Object.entries(places)) {
    const said = squash(text);
    assert.match(said, /v0\.13/, `${place}: from which NFD release no setting is needed`);
    assert.match(said, /-deny-label-ns/, `${place}: what still drops a namespace`);
    assert.match(said, /v0\.12/, `${place}: which releases need -extra-label-ns`);
    assert.match(said, /-extra-label-ns=beta\.devicetree\.org,tegra\.beta\.devicetree\.org\b/, `${place}: both prefixes, the Jetson facts' too`);
    assert.doesNotMatch(said, /current (NFD )?releases|add (the |labeller\.)?prefix to its/i, `${place}: the old, contradictory advice`);
  }
});

test('NOTES name the label namespaces the labeller writes with these values', () => {
  const notes = (values: object) => squash(renderNotes({ values: { nfd: { nodeFeature: { enabled: true } }, ...values } }));
  assert.match(notes({ labeller: { prefix: 'dt.example.com' }, tegra: { gfdLabels: true } }), /-extra-label-ns=dt\.example\.com,tegra\.dt\.example\.com,nvidia\.com\./);
  assert.match(notes({ tegra: { facts: false } }), /keys under beta\.devicetree\.org\/ from NFD v0\.13 on.* -extra-label-ns=beta\.devicetree\.org\./);
  assert.match(notes({ tegra: { prefix: 'jetson.example.com', nvidiaGpuPresent: true } }), /-extra-label-ns=beta\.devicetree\.org,jetson\.example\.com,nvidia\.com\./);
  // validate.Label refuses kubernetes.io and *.kubernetes.io (other than NFD's own) on every release unless listed.
  assert.match(notes({ labeller: { prefix: 'dt.kubernetes.io' } }), /only with -extra-label-ns=dt\.kubernetes\.io,tegra\.dt\.kubernetes\.io /);
  assert.doesNotMatch(notes({ labeller: { prefix: 'dt.feature.node.kubernetes.io' } }), /only with/);
});
