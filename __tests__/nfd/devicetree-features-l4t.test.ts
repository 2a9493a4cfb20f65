// tier: full (the real L4T blobs, dtc)
// The devicetree.node instances and devicetree.system attributes of the six stock L4T trees, against an
// oracle that does not use our parser: dtc's own decompilation (`dtc -I dtb -O dts`), read line by line. Also
// the sizes the README quotes: the instance count and the JSON size of the features of each tree.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { discover } from '../../src/discover.ts';
import { MAX_NODE_INSTANCE_BYTES, MAX_NODE_INSTANCES } from '../../src/nfd/devicetree-features.ts';
import { type Corpus, corpus, jetsonL4t } from '../helpers/corpus.ts';

const l4t = jetsonL4t();
const SKIP = 'skip' in l4t ? l4t.skip : false;
const RULES = { nodeNames: [], prefix: 'beta.devicetree.org', includeDisabled: false, tegra: { prefix: 'tegra.beta.devicetree.org', gpuPresent: false } };

/** Instance count and JSON bytes of spec.features per blob, as measured (the README's figures). */
const SIZES: Record<string, { instances: number; maxBytes: number }> = {
  'tegra210-p3448-0000-p3449-0000-b00.dtb': { instances: 265, maxBytes: 48_000 },
  'tegra186-p3636-0001-p3509-0000-a01.dtb': { instances: 360, maxBytes: 66_000 },
  'tegra186-quill-p3310-1000-c03-00-base.dtb': { instances: 425, maxBytes: 78_000 },
  'tegra194-p3668-all-p3509-0000.dtb': { instances: 364, maxBytes: 66_000 },
  'tegra234-p3767-0003-p3768-0000-a0.dtb': { instances: 449, maxBytes: 83_000 },
  'tegra234-p3701-0000-p3737-0000.dtb': { instances: 526, maxBytes: 96_000 },
};

interface OracleNode {
  path: string;
  name: string;
  compatibles: string[] | undefined;
  status: string | undefined;
  model: string | undefined;
}

/** dts string escapes as dtc writes them: \0 between list items, \" \\ \n \t \r and \xNN. */
function unescapeDts(body: string): string {
  return body.replace(/\\(x[0-9a-fA-F]{2}|[0-7]{1,3}|.)/g, (_, esc: string) => {
    if (esc[0] === 'x') return String.fromCharCode(parseInt(esc.slice(1), 16));
    if (/^[0-7]/.test(esc)) return String.fromCharCode(parseInt(esc, 8));
    return ({ n: '\n', t: '\t', r: '\r' } as Record<string, string>)[esc] ?? esc;
  });
}

/** Every node of `blob` in dtc's order, with its compatible list and status, read from dtc's dts output. */
function dtcNodes(blob: string): OracleNode[] {
  const dts = spawnSync('dtc', ['-q', '-I', 'dtb', '-O', 'dts', blob], { encoding: 'latin1', maxBuffer: 64 * 1024 * 1024 });
  assert.equal(dts.status, 0, dts.stderr);
  const nodes: OracleNode[] = [];
  const stack: OracleNode[] = [];
  for (const line of dts.stdout.split('\n')) {
    const open = /^\t*(\S+) \{$/.exec(line);
    if (open) {
      const name = open[1] === '/' ? '' : open[1]!;
      const parent = stack.at(-1);
      const path = parent === undefined ? '/' : parent.path === '/' ? `/${name}` : `${parent.path}/${name}`;
      const node: OracleNode = { path, name, compatibles: undefined, status: undefined, model: undefined };
      nodes.push(node);
      stack.push(node);
      continue;
    }
    if (/^\t*\};$/.test(line)) {
      stack.pop();
      continue;
    }
    const property = /^\t*(compatible|status|model) = "(.*)";$/.exec(line);
    if (property && stack.length > 0) {
      const value = unescapeDts(property[2]!);
      const node = stack.at(-1)!;
      if (property[1] === 'compatible') node.compatibles = value.split('\0');
      else if (property[1] === 'status') node.status = value;
      else node.model = value;
    } else if (/^\t*compatible = /.test(line)) {
      assert.fail(`a compatible dtc does not print as one string: ${line}`);
    }
  }
  assert.equal(stack.length, 0, 'balanced braces');
  return nodes;
}

describe('devicetree features of the stock L4T trees', { skip: SKIP }, () => {
  const dir = (l4t as Corpus).dir;
  for (const [file, size] of Object.entries(SIZES)) {
    test(`${file}: one instance per node with a compatible, as dtc prints the tree; ${size.instances} instances`, () => {
      const blob = join(dir, file);
      const found = discover({ location: { dtb: blob }, ...RULES, features: true }).features!;
      const oracle = dtcNodes(blob);
      const expected = oracle
        .filter((node) => node.compatibles !== undefined)
        .map((node) => ({
          attributes: {
            name: node.name,
            path: node.path,
            compatible: node.compatibles![0]!,
            compatibles: node.compatibles!.join(';'),
            status: node.status ?? '',
            // The devicetree spec: no status, "okay" (or the old "ok") is enabled; anything else is not.
            enabled: String(node.status === undefined || node.status === 'okay' || node.status === 'ok'),
          },
        }));
      assert.deepEqual(found.features.instances?.['devicetree.node']?.elements, expected);
      assert.equal(expected.length, size.instances);
      assert.deepEqual(found.leftOut, []);

      const root = oracle[0]!;
      assert.deepEqual(found.features.attributes?.['devicetree.system']?.elements, {
        model: root.model!,
        compatible: root.compatibles![0]!,
        compatibles: root.compatibles!.join(';'),
        gpu: 'true', // every stock L4T tree enables its GPU node (../shared/jetson-l4t/README.md)
      });

      const bytes = Buffer.byteLength(JSON.stringify(found.features));
      assert.ok(bytes <= size.maxBytes, `${bytes} bytes of features`);
    });
  }

  test(`the largest tree (AGX Orin) is well inside the caps (${MAX_NODE_INSTANCES} instances, ${MAX_NODE_INSTANCE_BYTES / 1024} KiB)`, () => {
    const largest = Math.max(...Object.values(SIZES).map((s) => s.instances));
    assert.ok(largest * 1.9 < MAX_NODE_INSTANCES && Math.max(...Object.values(SIZES).map((s) => s.maxBytes)) * 2.5 < MAX_NODE_INSTANCE_BYTES);
  });

  test("tegra.system: the Jetson facts, e.g. the AGX Orin's", () => {
    const found = discover({ location: { dtb: join(dir, 'tegra234-p3701-0000-p3737-0000.dtb') }, ...RULES, features: true }).features!;
    const tegra = found.features.attributes?.['tegra.system']?.elements ?? {};
    assert.equal(tegra.soc, 'tegra234');
    assert.equal(tegra.module, 'p3701-0000');
    assert.equal(tegra['gpu.family'], 'ampere');
    assert.equal(tegra['gpu.compute.major'], '8');
    assert.equal(tegra['dla.count'], '2');
    for (const value of Object.values(tegra)) assert.equal(typeof value, 'string');
  });
});

const mainline = corpus();

describe('devicetree features of the 576 mainline kernel blobs', { skip: 'skip' in mainline ? mainline.skip : false }, () => {
  test("none nears the caps: at most 275 instances (the README's figure), nothing left out", () => {
    const { dir, files } = mainline as Corpus;
    let most = { instances: 0, file: '' };
    for (const file of files) {
      const found = discover({ location: { dtb: join(dir, file) }, ...RULES, features: true }).features!;
      assert.deepEqual(found.leftOut, [], file);
      const instances = found.features.instances?.['devicetree.node']?.elements.length ?? 0;
      if (instances > most.instances) most = { instances, file };
    }
    assert.equal(most.instances, 275, `the most: ${most.file}`);
  });
});
