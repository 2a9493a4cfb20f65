import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { parseBlob } from '../../src/devicetree/parse-blob.ts';
import { fixture } from '../helpers/corpus.ts';
import { expandTree } from '../helpers/expand-tree.ts';
import { JETSON_NANO_LABELS } from '../helpers/expected-labels.ts';
import { asNonRootUser } from '../helpers/labeller-process.ts';
import { CLI, cli } from '../helpers/run-cli.ts';

const NANO = 'examples/devicetree/jetson-nano.dtb';
const NANO_LABELS = Object.fromEntries(Object.entries({ ...JETSON_NANO_LABELS, 'beta.devicetree.org/pwm-fan': '1' }).sort(([a], [b]) => (a < b ? -1 : 1)));

async function ok(args: string[]) {
  const result = await cli(args);
  assert.equal(result.status, 0, result.stderr);
  return result;
}

describe('labels: the dry run', () => {
  test('text output is sorted key=value lines', async () => {
    const { stdout, stderr } = await ok(['labels', '--dtb', NANO, '-n', 'gpu', 'pwm-fan']);
    assert.equal(
      stdout,
      Object.entries(NANO_LABELS)
        .map(([k, v]) => `${k}=${v}\n`)
        .join(''),
    );
    assert.equal(stderr, '');
  });

  test('-o json prints one flat object', async () => {
    assert.deepEqual(JSON.parse((await ok(['labels', '--dtb', NANO, '-n', 'pwm-fan', '-o', 'json'])).stdout), NANO_LABELS);
  });

  test('-o yaml is a mapping of quoted strings, pasteable as a nodeSelector', async () => {
    const { stdout } = await ok(['labels', '--dtb', NANO, '-n', 'pwm-fan', '-o', 'yaml']);
    assert.deepEqual(parseYaml(stdout), NANO_LABELS);
    assert.match(stdout, /^beta\.devicetree\.org\/pwm-fan: "1"$/m);
  });

  test('-o nodefeature: the NodeFeature spec --publish-nodefeature publishes, its labels those of -o json', async () => {
    const { stdout } = await ok(['labels', '--dtb', NANO, '-n', 'pwm-fan', '-o', 'nodefeature']);
    const { spec } = parseYaml(stdout) as {
      spec: {
        labels: Record<string, string>;
        features: { attributes: Record<string, { elements: Record<string, string> }>; instances: Record<string, { elements: Array<{ attributes: Record<string, string> }> }> };
      };
    };
    assert.deepEqual(spec.labels, NANO_LABELS);
    // What fdtget reads from the same blob: the root's model, /gpu's compatible list.
    assert.equal(spec.features.attributes['devicetree.system']?.elements.model, 'NVIDIA Jetson Nano Developer Kit');
    const gpu = spec.features.instances['devicetree.node']?.elements.find((e) => e.attributes.path === '/gpu');
    assert.deepEqual(gpu?.attributes, {
      name: 'gpu',
      path: '/gpu',
      compatible: 'nvidia,tegra210-gm20b',
      compatibles: 'nvidia,tegra210-gm20b;nvidia,gm20b',
      status: 'okay',
      enabled: 'true',
    });
    assert.equal(spec.features.attributes['tegra.system']?.elements.product, 'jetson-nano-4gb');
  });

  test('--nodes a,b means the same as -n a b', async () => {
    const spaced = (await ok(['labels', '--dtb', NANO, '-n', 'gpu', 'pwm-fan'])).stdout;
    assert.equal((await ok(['labels', '--dtb', NANO, '--nodes', 'gpu,pwm-fan'])).stdout, spaced);
    assert.equal((await ok(['labels', '--dtb', NANO, '-n', 'pwm-fan', '-n', 'gpu'])).stdout, spaced);
  });

  test('without -n only the root, cpu and gpu nodes are labelled', async () => {
    const labels = JSON.parse((await ok(['labels', '--dtb', NANO, '-o', 'json'])).stdout) as Record<string, string>;
    assert.equal(labels['beta.devicetree.org/pwm-fan'], undefined);
    assert.equal(labels['beta.devicetree.org/nvidia-gm20b'], '1');
  });

  test("--prefix changes the key prefix, and the facts' prefix with it unless --tegra-prefix says otherwise", async () => {
    const labels = JSON.parse((await ok(['labels', '--dtb', NANO, '--prefix', 'dt.example.com', '-o', 'json'])).stdout) as Record<string, string>;
    assert.deepEqual(new Set(Object.keys(labels).map((k) => k.split('/')[0])), new Set(['dt.example.com', 'tegra.dt.example.com']));
    const own = JSON.parse((await ok(['labels', '--dtb', NANO, '--prefix', 'dt.example.com', '--tegra-prefix', 'jetson.example.com', '-o', 'json'])).stdout) as Record<
      string,
      string
    >;
    assert.equal(own['jetson.example.com/gpu.compute.major'], '5');
    const none = JSON.parse((await ok(['labels', '--dtb', NANO, '--no-tegra-facts', '-o', 'json'])).stdout) as Record<string, string>;
    assert.deepEqual(none, Object.fromEntries(Object.entries(NANO_LABELS).filter(([k]) => k.startsWith('beta.') && !k.endsWith('/pwm-fan'))));
  });

  test('disabled nodes are reported on stderr, and labelled with --include-disabled', async () => {
    const plain = await ok(['labels', '--dtb', fixture('disabled-gpu.dtb'), '-o', 'json']);
    assert.match(plain.stderr, /^warning: skipped \/axi\/gpu@fd4b0000: status is "disabled"/m);
    assert.equal((JSON.parse(plain.stdout) as Record<string, string>)['beta.devicetree.org/arm-mali-400'], undefined);
    const all = await ok(['labels', '--dtb', fixture('disabled-gpu.dtb'), '-o', 'json', '--include-disabled']);
    assert.equal((JSON.parse(all.stdout) as Record<string, string>)['beta.devicetree.org/arm-mali-400'], '1');
  });

  test('as a non-root user, an expanded tree whose security-* properties only root may read (as sysfs makes them) still labels', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dtnl-nonroot-'));
    const tree = join(dir, 'base');
    expandTree(parseBlob(readFileSync(NANO)).root, tree);
    writeFileSync(join(tree, 'chosen', 'security-key'), 'secret');
    chmodSync(join(tree, 'chosen', 'security-key'), 0o400);
    chmodSync(dir, 0o755);
    const as = process.getuid?.() === 0 ? asNonRootUser() : undefined;
    const [command, ...prefix] = as?.launcher ?? [process.execPath];
    const result = spawnSync(command!, [...prefix, as?.cli ?? CLI, 'labels', '--live-tree', tree, '-o', 'json'], { encoding: 'utf8', cwd: as?.dir });
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout), JETSON_NANO_LABELS);
  });

  test('--host-root reads the host blob', async () => {
    const root = mkdtempSync(join(tmpdir(), 'dtnl-cli-host-'));
    mkdirSync(join(root, 'sys/firmware'), { recursive: true });
    writeFileSync(join(root, 'sys/firmware/fdt'), readFileSync(NANO));
    assert.deepEqual(JSON.parse((await ok(['labels', '--host-root', root, '-n', 'pwm-fan', '-o', 'json'])).stdout), NANO_LABELS);
  });
});

describe('labels: failures are one line and an exit code', () => {
  async function fails(args: string[], status: number, stderr: RegExp) {
    const result = await cli(args);
    assert.equal(result.status, status, result.stderr);
    assert.match(result.stderr, stderr);
    assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
    assert.equal(result.stdout, '');
    return result;
  }

  test('no devicetree on this machine (e.g. x86): exit 1 naming what was tried', async () => {
    const root = mkdtempSync(join(tmpdir(), 'dtnl-x86-'));
    const { stderr } = await fails(['labels', '--host-root', root], 1, /^error: no devicetree found \(tried .*sys\/firmware\/fdt: not found;/);
    assert.equal(stderr.trim().split('\n').length, 1);
  });

  test('a missing blob file and a corrupt one: exit 1', async () => {
    await fails(['labels', '--dtb', '/nonexistent.dtb'], 1, /^error: \/nonexistent\.dtb: not found$/m);
    await fails(['labels', '--dtb', 'package.json'], 1, /^error: package\.json: invalid devicetree blob: bad magic/m);
  });

  test('--debug adds the stack trace', async () => {
    const result = await cli(['labels', '--dtb', 'package.json', '--debug']);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /FdtError/);
    assert.match(result.stderr, /\n\s+at /);
  });

  test('usage errors: exit 2', async () => {
    await fails(['labels', '--bogus'], 2, /unknown option '--bogus'/);
    await fails(['labels', '-o', 'xml'], 2, /Allowed choices are text, json, yaml/);
    await fails(['labels', '--dtb', NANO, '--live-tree', '/proc/device-tree'], 2, /cannot be used with/);
    await fails(['labels', '--prefix', 'Not_DNS'], 2, /DNS subdomain/);
    await fails(['labels', '-n', 'a,,b'], 2, /not a list of node names/);
    await fails(['frobnicate'], 2, /unknown command/);
  });

  test('--help and --version exit 0', async () => {
    assert.match((await ok(['labels', '--help'])).stdout, /--include-disabled/);
    assert.match((await ok(['--help'])).stdout, /labels \[options\]/);
    assert.match((await ok(['--version'])).stdout, /^\d+\.\d+\.\d+\n$/);
  });
});
