// tier: full (the real L4T blobs, fdtput)
// The example NodeFeatureRules (examples/nfd/) against the features the labeller publishes, evaluated by a
// restatement of nfd-master's matching (../helpers/nfd-rules.ts, each rule citing NFD's source), so "this
// rule labels any Orin with 8 GiB or more" is checked on the boards it claims. Boards: the six stock L4T
// kernel trees in host roots with their release files, read as the chart's DaemonSet reads them, with the
// bootloader's edits made by fdtput where a board needs them (/chosen/ids naming the module; UEFI disabling
// an Orin Nano's DLAs); the fixtures (Jetson Nano, Thor, Raspberry Pi 4, a ZynqMP board whose GPU is
// disabled); and an x86 server, which has no devicetree, so the labeller publishes no features for it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parse } from 'yaml';
import { discover } from '../../src/discover.ts';
import { fixture, jetsonL4t } from '../helpers/corpus.ts';
import { makeHostRoot, NV_TEGRA_RELEASE_R32_7_1 } from '../helpers/host-root.ts';
import { type FeatureMatcherTerm, type Features, matchValue, type Rule, RuleError, ruleMatches } from '../helpers/nfd-rules.ts';
import { REPO } from '../helpers/run-cli.ts';

const l4t = jetsonL4t();
const L4T_SKIP = 'skip' in l4t ? l4t.skip : false;
const RULES = { nodeNames: [], prefix: 'beta.devicetree.org', includeDisabled: false, tegra: { prefix: 'tegra.beta.devicetree.org', gpuPresent: false } };
const R35_4_1 = '# R35 (release), REVISION: 4.1, GCID: 33958178, BOARD: t186ref, EABI: aarch64, DATE: Tue Aug  1 19:57:35 UTC 2023\n';
const ORIN_NANO = 'tegra234-p3767-0003-p3768-0000-a0.dtb';

const EXAMPLES = join(REPO, 'examples/nfd');
const examples = readdirSync(EXAMPLES)
  .filter((file) => file.endsWith('.yaml'))
  .sort()
  .map((file) => ({ file, object: parse(readFileSync(join(EXAMPLES, file), 'utf8')) as { kind: string; metadata: { name: string }; spec: { rules: Rule[] } } }));

interface Board {
  /** A blob: in a host root with this release file, or read directly (a fixture). */
  readonly dtb?: () => string;
  readonly release?: string;
  /** fdtput edits, as the bootloader makes them on a running board. */
  readonly edits?: readonly string[][];
}

const l4tBlob = (file: string) => () => join((l4t as { dir: string }).dir, file);
const disableDlas = [
  ['-t', 's', '/host1x/nvdla0@15880000', 'status', 'disabled'],
  ['-t', 's', '/host1x/nvdla1@158c0000', 'status', 'disabled'],
];
const L4T_BOARDS: Record<string, Board> = {
  'Jetson Nano (R32.7.1)': { dtb: l4tBlob('tegra210-p3448-0000-p3449-0000-b00.dtb'), release: NV_TEGRA_RELEASE_R32_7_1 },
  'Jetson TX2 NX (R32.7.1)': { dtb: l4tBlob('tegra186-p3636-0001-p3509-0000-a01.dtb'), release: NV_TEGRA_RELEASE_R32_7_1 },
  'Jetson TX2 (R32.7.1)': { dtb: l4tBlob('tegra186-quill-p3310-1000-c03-00-base.dtb'), release: NV_TEGRA_RELEASE_R32_7_1 },
  'Jetson Xavier NX 8GB (R32.7.1)': {
    dtb: l4tBlob('tegra194-p3668-all-p3509-0000.dtb'),
    release: NV_TEGRA_RELEASE_R32_7_1,
    edits: [['-t', 's', '/chosen', 'ids', '3668-0001-100 3509-0000-200']],
  },
  // The kernel blob as shipped: no /chosen/ids, so the module (and its memory) is not known.
  'Jetson Orin Nano, kernel blob (R35.4.1)': { dtb: l4tBlob(ORIN_NANO), release: R35_4_1 },
  // As UEFI hands it over on an Orin Nano 8GB: the module's id in /chosen/ids, both DLAs disabled.
  'Jetson Orin Nano 8GB (R35.4.1)': { dtb: l4tBlob(ORIN_NANO), release: R35_4_1, edits: [['-t', 's', '/chosen', 'ids', '3767-0003-300 3768-0000-300'], ...disableDlas] },
  // The 4GB module's tree names p3767-0004 where the 8GB's names p3767-0003/0005 (NVIDIA's
  // tegra234-p3767-0004-p3768-0000-a0.dtb); made from the 8GB tree by rewriting the root compatible.
  'Jetson Orin Nano 4GB (R35.4.1)': {
    dtb: l4tBlob(ORIN_NANO),
    release: R35_4_1,
    edits: [
      ['-t', 's', '/', 'compatible', 'nvidia,p3768-0000+p3767-0004', 'nvidia,p3767-0004', 'nvidia,tegra234'],
      ['-t', 's', '/chosen', 'ids', '3767-0004-300 3768-0000-300'],
      ...disableDlas,
    ],
  },
  'Jetson AGX Orin 32GB (R35.4.1)': { dtb: l4tBlob('tegra234-p3701-0000-p3737-0000.dtb'), release: R35_4_1 },
};
const FIXTURE_BOARDS: Record<string, Board> = {
  'Jetson Nano (fixture)': { dtb: () => fixture('jetson-nano-l4t.dtb') },
  'Jetson AGX Thor (fixture)': { dtb: () => fixture('jetson-agx-thor.dtb') },
  'Raspberry Pi 4 (fixture)': { dtb: () => fixture('raspberry-pi-4.dtb') },
  'ZynqMP board, GPU disabled (fixture)': { dtb: () => fixture('disabled-gpu.dtb') },
  'x86 server (no devicetree)': {},
};

/** Which boards each example rule matches: written from what each board is, not from a run. */
const EXPECTED: Record<string, string[]> = {
  'jetson orin with 8 GiB or more': ['Jetson AGX Orin 32GB (R35.4.1)', 'Jetson Orin Nano 8GB (R35.4.1)'],
  'devicetree board without a gpu': ['ZynqMP board, GPU disabled (fixture)'],
  'enabled nvidia dla': ['Jetson AGX Orin 32GB (R35.4.1)', 'Jetson Orin Nano, kernel blob (R35.4.1)', 'Jetson Xavier NX 8GB (R32.7.1)'],
};

const features = new Map<string, Features>();
let scratch = '';
before(() => {
  scratch = mkdtempSync(join(tmpdir(), 'nfd-rules-'));
  const boards = { ...FIXTURE_BOARDS, ...(L4T_SKIP ? {} : L4T_BOARDS) };
  for (const [name, board] of Object.entries(boards)) {
    if (board.dtb === undefined) {
      features.set(name, {}); // nothing is published for a machine without a devicetree
      continue;
    }
    let dtb = board.dtb();
    if (board.edits !== undefined) {
      const copy = join(scratch, `${name.replace(/\W+/g, '-')}.dtb`);
      copyFileSync(dtb, copy);
      for (const edit of board.edits) {
        const done = spawnSync('fdtput', [copy, ...edit], { encoding: 'utf8' });
        assert.equal(done.status, 0, `fdtput ${edit.join(' ')}: ${done.stderr}`);
      }
      dtb = copy;
    }
    const location = board.release === undefined ? { dtb } : { hostRoot: makeHostRoot(join(scratch, name.replace(/\W+/g, '-')), dtb, { release: board.release }) };
    features.set(name, discover({ location, ...RULES, features: true }).features!.features);
  }
});
after(() => rmSync(scratch, { recursive: true, force: true }));

describe('NFD matching as restated (the cases the examples rely on)', () => {
  test('an expression on a missing attribute: false for every op but DoesNotExist, NotIn included', () => {
    assert.equal(matchValue({ op: 'NotIn', value: ['x'] }, undefined), false);
    assert.equal(matchValue({ op: 'Gt', value: ['7'] }, undefined), false);
    assert.equal(matchValue({ op: 'DoesNotExist' }, undefined), true);
    assert.equal(matchValue({ op: 'Exists' }, undefined), false);
  });
  test('Gt/Lt/GtLt compare integers and fail the rule on anything else', () => {
    assert.equal(matchValue({ op: 'Gt', value: ['7'] }, '8'), true);
    assert.equal(matchValue({ op: 'Gt', value: ['7'] }, '7'), false);
    assert.equal(matchValue({ op: 'GtLt', value: ['1', '3'] }, '2'), true);
    assert.throws(() => matchValue({ op: 'Gt', value: ['7'] }, '7.5'), RuleError);
    assert.throws(() => matchValue({ op: 'Gt', value: ['7', '8'] }, '9'), RuleError);
  });
  test('a term on a feature the node lacks fails, even with DoesNotExist; instances: one instance must match all', () => {
    const rule = (feature: string, matchExpressions: FeatureMatcherTerm['matchExpressions']): Rule => ({
      name: 'r',
      matchFeatures: [{ feature, ...(matchExpressions === undefined ? {} : { matchExpressions }) }],
    });
    const f: Features = {
      attributes: { 'a.b': { elements: { x: '1' } } },
      instances: { 'c.d': { elements: [{ attributes: { p: '1', q: 'no' } }, { attributes: { p: '2', q: 'yes' } }] } },
    };
    assert.equal(ruleMatches(rule('z.z', { x: { op: 'DoesNotExist' } }), f), false);
    assert.equal(ruleMatches(rule('A.B', { x: { op: 'In', value: ['1'] } }), f), true, 'feature names are matched lower-cased');
    assert.equal(ruleMatches(rule('c.d', { p: { op: 'In', value: ['2'] }, q: { op: 'In', value: ['yes'] } }), f), true);
    assert.equal(ruleMatches(rule('c.d', { p: { op: 'In', value: ['1'] }, q: { op: 'In', value: ['yes'] } }), f), false, 'not across instances');
  });
});

describe('examples/nfd: the NodeFeatureRules and the boards they match', () => {
  test('the examples are NodeFeatureRules, one rule each, with an expectation here for every rule', () => {
    const names = examples.flatMap(({ object }) => {
      assert.equal(object.kind, 'NodeFeatureRule');
      return object.spec.rules.map((rule) => rule.name);
    });
    assert.deepEqual(names.sort(), Object.keys(EXPECTED).sort());
  });

  for (const { file, object } of examples) {
    for (const rule of object.spec.rules) {
      test(`${file}: "${rule.name}" matches exactly: ${EXPECTED[rule.name]?.join(', ')}`, (t) => {
        if (L4T_SKIP) t.diagnostic(`only the fixtures: ${L4T_SKIP}`);
        const matched = [...features].filter(([, f]) => ruleMatches(rule, f)).map(([name]) => name);
        assert.deepEqual(matched.sort(), (EXPECTED[rule.name] ?? []).filter((name) => features.has(name)).sort());
      });
    }
  }

  test("the labels and taints the examples set are ones nfd-master accepts (prefixed, NFD's own namespace)", () => {
    for (const { object } of examples) {
      for (const rule of object.spec.rules) {
        for (const key of [...Object.keys(rule.labels ?? {}), ...(rule.taints ?? []).map((taint) => taint.key)])
          assert.match(key, /^feature\.node\.kubernetes\.io\/[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/);
        for (const taint of rule.taints ?? []) assert.ok(['NoSchedule', 'PreferNoSchedule', 'NoExecute'].includes(taint.effect));
      }
    }
  });

  test('the Orin rule: memory.gib is known on the boards it should tell apart (8 vs 4 GiB)', { skip: L4T_SKIP }, () => {
    assert.equal(features.get('Jetson Orin Nano 8GB (R35.4.1)')?.attributes?.['tegra.system']?.elements['memory.gib'], '8');
    assert.equal(features.get('Jetson Orin Nano 4GB (R35.4.1)')?.attributes?.['tegra.system']?.elements['memory.gib'], '4');
    assert.equal(features.get('Jetson Orin Nano, kernel blob (R35.4.1)')?.attributes?.['tegra.system']?.elements['memory.gib'], undefined);
  });
});
