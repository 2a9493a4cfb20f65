// tier: full (the real-blob corpus against libfdt and dtc)
// Differential tests: our blob parser and dts writer against the reference implementation (libfdt, through
// pylibfdt), with fdtget as a second, independent reader, on the real-blob corpus and on the hand-written
// fixtures. Needs Debian's device-tree-compiler and python3-libfdt; skips visibly without them (fails when
// DTB_CORPUS_REQUIRED=1).
// Which libfdt rules: those every release from 1.6.1 on shares (__tests__/helpers/libfdt-versions.ts).
// The blobs compared here are well formed, which the parser's acceptance shows for everything but block
// alignment, and each test checks that too (releaseDependentLayout), so the comparison means the same on
// whatever libfdt the machine has; the diagnostics name the release. dtc changed one rule these tests
// meet: see dtcOnEmptyBaseName.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, type TestContext, test } from 'node:test';
import { toDts } from '../../src/devicetree/dts-writer.ts';
import { DevicetreeSourceError, FdtError } from '../../src/devicetree/errors.ts';
import { parseBlob } from '../../src/devicetree/parse-blob.ts';
import type { DeviceTree } from '../../src/devicetree/tree.ts';
import { type Corpus, corpus, FIXTURES } from '../helpers/corpus.ts';
import { buildBlob, type NodeSpec } from '../helpers/fdt-builder.ts';
import { compareReleases, describeRelease, OLDEST_SUPPORTED, releaseDependentLayout, scriptRelease } from '../helpers/libfdt-versions.ts';
import { countProperties, firstDifference, hasReferenceTools, isRejected, LIBFDT_REFERENCE, libfdtView, ourView, type ReferenceView } from '../helpers/reference.ts';

const tools = hasReferenceTools();
const realBlobs = corpus();
const corpusSkip = 'skip' in realBlobs ? realBlobs.skip : tools;
/** The corpus, in tests that are skipped without it. */
const theCorpus = () => realBlobs as Corpus;

/** dtc runs on this many cores at most: the machine is shared with other test files. */
const DTC_CONCURRENCY = Math.max(1, Math.min(2, availableParallelism()));
/** How many differing blobs a failure message lists. */
const SHOWN = 10;

let scratch: string | undefined;
const scratchDir = () => (scratch ??= mkdtempSync(join(tmpdir(), 'dt-differential-')));
after(() => {
  if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
});

let corpusReference: Promise<Map<string, ReferenceView>> | undefined;
const libfdtCorpus = () => (corpusReference ??= libfdtView(theCorpus().files, theCorpus().dir));

function mustGet<K, V>(map: Map<K, V>, key: K): V {
  const value = map.get(key);
  assert.ok(value !== undefined, `no reference view for ${String(key)}`);
  return value;
}

function failureReport(what: string, total: number, failures: readonly string[]): string {
  const more = failures.length > SHOWN ? `\n… and ${failures.length - SHOWN} more` : '';
  return `${failures.length} of ${total} ${what}:\n${failures.slice(0, SHOWN).join('\n')}${more}`;
}

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** The pylibfdt behind libfdtView, for diagnostics. */
const referenceRelease = () => `reference: ${describeRelease(scriptRelease(LIBFDT_REFERENCE))}, on blobs every release from ${OLDEST_SUPPORTED} on reads alike`;

/**
 * What dtc does with a node named only by its unit address ("@0": an empty base name): dtc 1.6.1 and
 * 1.7.2 compile it; 1.8.1 refuses it (ERROR (node_name_not_empty)). 1.8.0 is unchecked and may do either,
 * as may a dtc whose --version gives no release.
 */
function dtcOnEmptyBaseName(): { readonly dtc: string; readonly answers: readonly ('compiles' | 'refuses')[] } {
  const version = /DTC (\S+)/.exec(spawnSync('dtc', ['--version'], { encoding: 'utf8' }).stdout ?? '')?.[1];
  const since = (release: string) => (version === undefined ? undefined : compareReleases(version, release));
  const [since180, since181] = [since('1.8.0'), since('1.8.1')];
  let answers: readonly ('compiles' | 'refuses')[] = ['compiles', 'refuses'];
  if (since181 !== undefined && since181 >= 0) answers = ['refuses'];
  else if (since180 !== undefined && since180 < 0) answers = ['compiles'];
  return { dtc: `dtc ${version ?? '(release unknown)'}`, answers };
}

/** Compiles dts source (on stdin) to a blob file with dtc. Resolves to dtc's complaint, or undefined. */
function dtc(source: string, out: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const child = spawn('dtc', ['-I', 'dts', '-O', 'dtb', '-q', '-o', out, '-'], { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', (error) => resolve(`dtc did not start: ${error.message}`));
    child.on('close', (code) => resolve(code === 0 ? undefined : `dtc exited with ${code}: ${stderr.trim().split('\n')[0] ?? ''}`));
    child.stdin.on('error', () => {}); // dtc may exit before reading everything; 'close' reports why
    child.stdin.end(source);
  });
}

/** Runs `work` on every item, at most `limit` at a time. */
async function pool<T>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      await work(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

interface RoundTripCase {
  readonly name: string;
  readonly tree: DeviceTree;
  readonly expected: ReferenceView;
}

/**
 * Writes each tree as dts, compiles it with dtc and reads the result with libfdt. Returns one message per
 * case whose round trip does not give libfdt's view of the original (the header version aside: dts source
 * cannot carry it, dtc writes version 17).
 */
async function roundTrip(cases: readonly RoundTripCase[], dir: string): Promise<string[]> {
  const failures: string[] = [];
  const compiled: { case: RoundTripCase; file: string }[] = [];
  await pool(cases, DTC_CONCURRENCY, async (c, index) => {
    const file = `${index}.dtb`;
    const complaint = await dtc(toDts(c.tree), join(dir, file));
    if (complaint === undefined) compiled.push({ case: c, file });
    else failures.push(`${c.name}: ${complaint}`);
  });
  const views = await libfdtView(
    compiled.map((c) => c.file),
    dir,
  );
  for (const { case: c, file } of compiled) {
    const back = mustGet(views, file);
    if (isRejected(c.expected)) failures.push(`${c.name}: libfdt rejects the original: ${c.expected.error}`);
    else if (isRejected(back)) failures.push(`${c.name}: libfdt rejects the round-tripped blob: ${back.error}`);
    else {
      const diff = firstDifference(c.expected, back, { version: false });
      if (diff !== undefined) failures.push(`${c.name}: after toDts | dtc, ${diff}`);
    }
  }
  return failures.sort();
}

test('every corpus blob parses to exactly the tree libfdt reads', { skip: corpusSkip }, async (t) => {
  const { dir, files } = theCorpus();
  const reference = await libfdtCorpus();
  const totals = { libfdtNodes: 0, libfdtProperties: 0, ourNodes: 0, ourProperties: 0, memoryReservations: 0 };
  const failures: string[] = [];
  for (const file of files) {
    const expected = mustGet(reference, file);
    const bytes = readFileSync(join(dir, file));
    const dependent = releaseDependentLayout(bytes);
    if (dependent !== undefined) failures.push(`${file}: libfdt's answer depends on its release: ${dependent}`);
    let actual: ReturnType<typeof ourView> | undefined;
    try {
      actual = ourView(parseBlob(bytes, file));
      totals.ourNodes += actual.nodes.length;
      totals.ourProperties += countProperties(actual);
    } catch (error) {
      failures.push(`${file}: our parser rejects it: ${errorText(error)}`);
    }
    if (isRejected(expected)) {
      failures.push(`${file}: libfdt rejects it: ${expected.error}`);
      continue;
    }
    totals.libfdtNodes += expected.nodes.length;
    totals.libfdtProperties += countProperties(expected);
    totals.memoryReservations += expected.memrsv.length;
    if (actual === undefined) continue;
    const diff = firstDifference(expected, actual);
    if (diff !== undefined) failures.push(`${file}: ${diff}`);
  }
  t.diagnostic(referenceRelease());
  t.diagnostic(
    `${files.length} blobs; libfdt: ${totals.libfdtNodes} nodes, ${totals.libfdtProperties} properties, ${totals.memoryReservations} memory reservations; ` +
      `ours: ${totals.ourNodes} nodes, ${totals.ourProperties} properties`,
  );
  assert.equal(failures.length, 0, failureReport('blobs differ from libfdt', files.length, failures));
  assert.equal(totals.ourNodes, totals.libfdtNodes, 'corpus node total');
  assert.equal(totals.ourProperties, totals.libfdtProperties, 'corpus property total');
});

test('spot checks against the fdtget command', { skip: corpusSkip }, (t) => {
  const { dir, files } = theCorpus();
  const wanted = ['nvidia/tegra210-p3450-0000.dtb', 'broadcom/bcm2711-rpi-4-b.dtb', 'freescale/imx8mq-phanbell.dtb', 'xilinx/zynqmp-zcu102-rev1.0.dtb'];
  let chosen = files.filter((f) => wanted.some((w) => f.endsWith(w)));
  if (chosen.length === 0) chosen = files.slice(0, 3);
  /** `fdtget [options] blob node [property]`, its output without the final newline. */
  const fdtget = (blob: string, options: string[], node: string, property?: string) => {
    const args = [...options, blob, node, ...(property === undefined ? [] : [property])];
    const run = spawnSync('fdtget', args, { encoding: 'utf8' });
    assert.equal(run.status, 0, `fdtget ${args.join(' ')}: ${run.stderr}`);
    return run.stdout.replace(/\n$/, '');
  };
  let checks = 0;
  for (const file of chosen) {
    const blob = join(dir, file);
    const tree = parseBlob(readFileSync(blob), file);
    const root = tree.root;
    const compatible = root.property('compatible');
    assert.ok(compatible !== undefined, `${file}: / has a compatible`);
    assert.equal(compatible.asStringList().join(' '), fdtget(blob, ['-t', 's'], '/', 'compatible'), `${file}: / compatible`);
    assert.deepEqual(
      root.properties.map((p) => p.name),
      fdtget(blob, ['-p'], '/').split('\n'),
      `${file}: properties of /`,
    );
    assert.deepEqual(
      root.children.map((c) => c.name),
      fdtget(blob, ['-l'], '/').split('\n'),
      `${file}: subnodes of /`,
    );
    const addressCells = root.property('#address-cells')?.asU32Array()?.[0];
    assert.equal(addressCells?.toString(16), fdtget(blob, ['-t', 'x'], '/', '#address-cells'), `${file}: /#address-cells`);
    const model = root.property('model');
    assert.ok(model !== undefined, `${file}: / has a model`);
    assert.equal([...model.value].map((b) => b.toString(16)).join(' '), fdtget(blob, ['-t', 'bx'], '/', 'model'), `${file}: / model bytes`);
    checks += 5;
    const cpus = root.child('cpus');
    if (cpus !== undefined) {
      assert.deepEqual(
        cpus.children.map((c) => c.name),
        fdtget(blob, ['-l'], '/cpus').split('\n'),
        `${file}: subnodes of /cpus`,
      );
      const cpu = cpus.children.find((c) => c.property('reg') !== undefined);
      if (cpu !== undefined) {
        const reg = cpu.property('reg')!.asU32Array()!;
        assert.equal(reg.map((v) => v.toString(16)).join(' '), fdtget(blob, ['-t', 'x'], cpu.path, 'reg'), `${file}: ${cpu.path} reg`);
        checks++;
      }
      checks++;
    }
  }
  t.diagnostic(`${checks} fdtget checks on ${chosen.join(', ')}`);
});

test('dump -o dts round trip: every corpus blob, through dtc, reads back the same in libfdt', { skip: corpusSkip }, async (t) => {
  const { dir, files } = theCorpus();
  const reference = await libfdtCorpus();
  const started = performance.now();
  const cases = files.map((file) => ({ name: file, tree: parseBlob(readFileSync(join(dir, file)), file), expected: mustGet(reference, file) }));
  const out = mkdtempSync(join(scratchDir(), 'corpus-'));
  const failures = await roundTrip(cases, out);
  t.diagnostic(`${files.length} blobs through toDts | dtc (${DTC_CONCURRENCY} at a time) | libfdt in ${Math.round(performance.now() - started)} ms`);
  assert.equal(failures.length, 0, failureReport('blobs do not survive the dts round trip', files.length, failures));
});

const fixtureFiles = readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.dtb'))
  .sort();
const fixtureSkip = tools ?? (fixtureFiles.length === 0 ? `no .dtb files in ${FIXTURES}` : undefined);

test('hand-written fixtures: libfdt agrees with the parser, and the dts round trip keeps them', { skip: fixtureSkip }, async (t) => {
  const reference = await libfdtView(fixtureFiles, FIXTURES);
  const cases: RoundTripCase[] = [];
  for (const file of fixtureFiles) {
    await t.test(file, (st: TestContext) => {
      const expected = mustGet(reference, file);
      const bytes = readFileSync(join(FIXTURES, file));
      assert.equal(releaseDependentLayout(bytes), undefined, `${file}: libfdt's answer depends on its release`);
      let tree: DeviceTree | undefined;
      let rejection: unknown;
      try {
        tree = parseBlob(bytes, file);
      } catch (error) {
        rejection = error;
      }
      if (isRejected(expected)) {
        // A deliberately broken fixture: both readers must refuse it.
        assert.ok(rejection instanceof FdtError, `libfdt rejects ${file} (${expected.error}) but our parser ${tree ? 'accepts it' : `throws ${errorText(rejection)}`}`);
        st.diagnostic(`rejected by both: libfdt "${expected.error}", ours ${rejection.code}`);
        return;
      }
      assert.ok(tree !== undefined, `libfdt reads ${file} but our parser rejects it: ${errorText(rejection)}`);
      const actual = ourView(tree);
      assert.equal(firstDifference(expected, actual), undefined, `${file} differs from libfdt`);
      st.diagnostic(`version ${actual.version}, ${actual.nodes.length} nodes, ${countProperties(actual)} properties, ${actual.memrsv.length} memory reservations`);
      cases.push({ name: file, tree, expected });
    });
  }
  await t.test(`dts round trip of the ${fixtureFiles.length} fixtures`, async () => {
    assert.ok(cases.length > 0, 'no fixture parsed');
    const failures = await roundTrip(cases, mkdtempSync(join(scratchDir(), 'fixtures-')));
    assert.equal(failures.length, 0, failureReport('fixtures do not survive the dts round trip', cases.length, failures));
  });
});

test('dump -o dts at the edges: every name dtc reads and strings with control characters survive dtc; other names are refused', { skip: tools }, async (t) => {
  const emptyBaseName = 'a node named only by its unit address';
  const edges: Array<[string, NodeSpec]> = [
    [
      'name characters',
      { name: '', props: { '#a?*-+,._9': 'x', 'A-Z_0.9': [1] }, children: [{ name: 'A-Z_0.9,+-@1,2' }, { name: '0x10', props: { '0x10': [] } }, { name: 'n@' }] },
    ],
    ['string escapes', { name: '', props: { p: ['tab\there', 'line\nbreak\r', 'bell\x07 ff\f vt\v', 'quote" backslash\\ \\x41'], q: 'a\x1b[2J', r: '\n' } }],
    [emptyBaseName, { name: '', children: [{ name: '@0' }] }],
  ];
  const refused: Array<[string, NodeSpec]> = [
    ['ESC in a node name', { name: '', children: [{ name: 'x\x1b[31m' }] }],
    ['newline in a property name', { name: '', props: { 'a\nb': 'x' } }],
    ['a slash in a node name', { name: '', children: [{ name: 'a/b' }] }],
    ['@ in a property name', { name: '', props: { 'a@b': 'x' } }],
    ['# in a node name', { name: '', children: [{ name: 'a#b' }] }],
  ];
  const dir = mkdtempSync(join(scratchDir(), 'edges-'));
  for (const [i, [, spec]] of edges.entries()) writeFileSync(join(dir, `${i}.dtb`), buildBlob(spec));
  const reference = await libfdtView(
    edges.map((_, i) => `${i}.dtb`),
    dir,
  );
  const cases = edges.map(([name, spec], i): RoundTripCase => ({ name, tree: parseBlob(buildBlob(spec)), expected: mustGet(reference, `${i}.dtb`) }));
  const failures = await roundTrip(cases, mkdtempSync(join(scratchDir(), 'edges-out-')));
  // "@0" survives the round trip where dtc compiles it; where dtc refuses it, for that reason only.
  const emptyBase = failures.find((f) => f.startsWith(`${emptyBaseName}:`));
  const answer = emptyBase === undefined ? 'compiles' : /ERROR \(node_name_not_empty\)/.test(emptyBase) ? 'refuses' : emptyBase;
  const { dtc: dtcName, answers } = dtcOnEmptyBaseName();
  assert.ok((answers as readonly string[]).includes(answer), `${dtcName} on "@0": expected it ${answers.join(' or ')}, got: ${answer}`);
  t.diagnostic(`${dtcName} ${answer} "@0"`);
  assert.deepEqual(
    failures.filter((f) => f !== emptyBase),
    [],
  );
  for (const [name, spec] of refused) {
    const tree = parseBlob(buildBlob(spec));
    assert.throws(
      () => toDts(tree),
      // biome-ignore lint/suspicious/noControlCharactersInRegex: the message must hold no control characters
      (e) => e instanceof DevicetreeSourceError && /use -o json$/.test(e.message) && !/[\x00-\x1f\x7f-\x9f]/.test(e.message),
      name,
    );
    // What dtc makes of the names written raw: it refuses every one of them.
    const body = [...tree.root.properties.map((p) => `\t${p.name} = "x";`), ...tree.root.children.map((n) => `\t${n.name} { };`)];
    const raw = `/dts-v1/;\n/ {\n${body.join('\n')}\n};\n`;
    assert.notEqual(await dtc(raw, join(dir, 'raw.dtb')), undefined, `dtc compiles ${name} written raw`);
  }
});
