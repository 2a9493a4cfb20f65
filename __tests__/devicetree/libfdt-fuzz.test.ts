// tier: full (fuzzing against libfdt)
// Differential fuzzing against libfdt: on mutated blobs, our parser must accept exactly what libfdt's
// fdt_check_full() accepts, and then read the same tree as libfdt's iterators; the only differences allowed
// are the deliberate ones listed in DELIBERATE_DIFFERENCES (__tests__/helpers/libfdt-differential.ts),
// each with its reason and the libfdt releases it exists with. Also: every malformed blob the libfdt issue
// listed, reproduced by hand. libfdt is whatever release the machine has: the tests read which one and hold
// it to that release's rules where releases differ (__tests__/helpers/libfdt-versions.ts), so a
// distribution upgrade of libfdt changes which answers are expected, not whether the tests pass.
// LIBFDT_FUZZ_CASES (default 5000, about 2 s: the CI budget) and FUZZ_SEED tune the run; `npm run fuzz -- --libfdt`
// runs longer. Needs /usr/bin/python3 and Debian's libfdt1; skips visibly without them (fails when
// DTB_CORPUS_REQUIRED=1).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { test } from 'node:test';
import fc from 'fast-check';
import { parseBlob } from '../../src/devicetree/parse-blob.ts';
import { blobMutation, describeMutation, type Seed, syntheticSeed } from '../helpers/blob-mutations.ts';
import { corpus, corpusPath, FIXTURES } from '../helpers/corpus.ts';
import { buildBlob, HEADER, type Token } from '../helpers/fdt-builder.ts';
import { isAccepted, type LibfdtVerdict, libfdtCheckOracle, libfdtCheckUnavailable, libfdtVerdicts } from '../helpers/libfdt-check.ts';
import { compareWithLibfdt, DELIBERATE_DIFFERENCES, deliberateDifferences } from '../helpers/libfdt-differential.ts';
import { ANY_SUPPORTED_RELEASE, type Decision, describeRelease, type LibfdtRules } from '../helpers/libfdt-versions.ts';
import { firstDifference, ourView } from '../helpers/reference.ts';

const CASES = positiveInt(process.env.LIBFDT_FUZZ_CASES, 5000);
const SEED = positiveInt(process.env.FUZZ_SEED, 0x1bfd7);
/** Corpus blobs among the seeds: small ones, so that libfdt's walk through python stays quick. */
const CORPUS_SAMPLE = 24;
const CORPUS_MAX_BYTES = 40_000;
const SHOWN = 5;

const unavailable = libfdtCheckUnavailable();
if (unavailable !== undefined && process.env.DTB_CORPUS_REQUIRED === '1') throw new Error(`${unavailable}; DTB_CORPUS_REQUIRED=1 forbids skipping`);
/** The rules of the libfdt under test; read only in tests that run (the oracle is there). */
const rules = (): LibfdtRules => libfdtCheckOracle().rules!;
const release = () => `${describeRelease(libfdtCheckOracle().release)}, held to the rules of ${rules().releases}`;

function positiveInt(text: string | undefined, fallback: number): number {
  if (text === undefined || text === '') return fallback;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`expected a non-negative integer, got ${JSON.stringify(text)}`);
  return n;
}

function loadSeeds(): Seed[] {
  const seeds: Seed[] = [
    { name: 'synthetic-v17', bytes: syntheticSeed(17) },
    { name: 'synthetic-v16', bytes: syntheticSeed(16) },
  ];
  for (const f of readdirSync(FIXTURES)
    .filter((f) => f.endsWith('.dtb'))
    .sort())
    seeds.push({ name: `fixtures/${f}`, bytes: readFileSync(`${FIXTURES}${f}`) });
  const c = corpus();
  if ('skip' in c) return seeds;
  const small = c.files
    .map((file) => ({ file, size: statSync(corpusPath(c, file)).size }))
    .filter((f) => f.size <= CORPUS_MAX_BYTES)
    .sort((a, b) => a.size - b.size || (a.file < b.file ? -1 : 1));
  // Evenly spaced through the size order.
  const picked = new Set<number>();
  for (let i = 0; i < Math.min(CORPUS_SAMPLE, small.length); i++) picked.add(Math.round((i * (small.length - 1)) / Math.max(1, CORPUS_SAMPLE - 1)));
  for (const i of [...picked].sort((a, b) => a - b)) seeds.push({ name: small[i]!.file, bytes: readFileSync(corpusPath(c, small[i]!.file)) });
  return seeds;
}

function parserDecision(bytes: Buffer): Decision {
  try {
    parseBlob(bytes);
    return 'accept';
  } catch {
    return 'reject';
  }
}

/** What libfdt did with a blob, coarser than its verdict: error names are not compared between releases. */
type Answer = Decision | 'hang';
const answerOf = (v: LibfdtVerdict): Answer | 'walk error' => (isAccepted(v) ? 'accept' : 'error' in v ? 'reject' : 'died' in v ? 'hang' : 'walk error');

test('the malformed blobs of the libfdt issue: decided as fdt_check_full decides', { skip: unavailable }, (t) => {
  const r = rules();
  t.diagnostic(release());
  const tree: Token[] = [{ begin: '' }, { prop: 'compatible', value: 'acme,board' }, { begin: 'cpus' }, { prop: 'x', value: 'y' }, { end: true }, { end: true }];
  // [name, blob, the answers libfdt may give under these rules, the deliberate difference the case may show]
  const cases: Array<[string, Buffer, readonly Decision[], string?]> = [
    ['version 16 with last_comp_version 17', buildBlob(tree, { version: 16, lastCompatibleVersion: 17 }), ['reject']],
    ['a root node with a name', buildBlob([{ begin: 'root' }, { end: true }]), ['reject']],
    ['a property after a subnode', buildBlob([{ begin: '' }, { begin: 'n' }, { end: true }, { prop: 'p', value: 'x' }, { end: true }]), ['accept']],
    ['a property before the root node', buildBlob([{ prop: 'p', value: 'x' }, { begin: '' }, { end: true }]), ['accept']],
    ['FDT_NOP after the root node', buildBlob([{ begin: '' }, { end: true }, { nop: true }]), r.nopAfterRoot, 'FDT_NOP after the root node'],
    ['a reservation of size 0 and address 1 ends the list', buildBlob(tree, { memoryReservations: [[1n, 0n]] }), ['accept']],
    ['a structure block at an offset that is not a multiple of 4', moveBlock(buildBlob(tree), HEADER.structOffset, 2), r.misalignedBlock, 'misaligned block'],
    ['a memory reservation block at a multiple of 4, not of 8', moveBlock(buildBlob(tree), HEADER.memRsvOffset, 4), r.misalignedBlock, 'misaligned block'],
  ];
  const verdicts = libfdtVerdicts(cases.map(([, bytes]) => bytes));
  cases.forEach(([name, bytes, expected, difference], i) => {
    const verdict = verdicts[i]!;
    assert.ok(
      (expected as readonly string[]).includes(answerOf(verdict)),
      `${name}: libfdt says ${JSON.stringify(verdict)}; the rules of ${r.releases} expect ${expected.join(' or ')}`,
    );
    const comparison = compareWithLibfdt(bytes, verdict, r);
    assert.ok('outcome' in comparison && (!comparison.outcome.startsWith('allowed') || comparison.outcome === `allowed: ${difference}`), `${name}: ${JSON.stringify(comparison)}`);
  });
});

/** The blob with `by` zero bytes inserted where the header field at `field` points, and the header following the move. */
function moveBlock(blob: Buffer, field: number, by: number): Buffer {
  const at = blob.readUInt32BE(field);
  const out = Buffer.concat([blob.subarray(0, at), Buffer.alloc(by), blob.subarray(at)]);
  out.writeUInt32BE(blob.length + by, HEADER.totalSize);
  for (const offset of [HEADER.structOffset, HEADER.stringsOffset, HEADER.memRsvOffset]) {
    const value = blob.readUInt32BE(offset);
    if (value >= at) out.writeUInt32BE(value + by, offset);
  }
  return out;
}

test('each deliberate difference from libfdt happens, and is what its rule says', { skip: unavailable }, (t) => {
  const r = rules();
  const deep: Token[] = [];
  for (let i = 0; i <= 64; i++) deep.push({ begin: i === 0 ? '' : 'n' });
  for (let i = 0; i <= 64; i++) deep.push({ end: true });
  const wraps = (hang: boolean) => r.overflowingLength.map((a): Answer => (a === 'reject' ? 'reject' : hang ? 'hang' : 'accept'));
  // [difference, blob, the answers libfdt may give under these rules]
  const cases: Array<[string, Buffer, readonly Answer[]]> = [
    ['version below 16', buildBlob([{ begin: '/' }, { end: true }], { version: 3, lastCompatibleVersion: 2 }), ['accept']],
    [`nesting deeper than 64`, buildBlob(deep), ['accept']],
    ['no root node', buildBlob([{ nop: true }]), ['accept']],
    // libfdt 1.6.x: 0xffffffff wraps to an accepted property, 0xfffffff4 back onto its own token (a hang).
    ['property length that wraps libfdt', buildBlob([{ begin: '' }, { prop: 'a', value: new Uint8Array(), length: 0xffffffff }, { end: true }]), wraps(false)],
    ['property length that wraps libfdt', buildBlob([{ begin: '' }, { prop: 'a', value: 'xyz', length: 0xfffffff4 }, { end: true }]), wraps(true)],
    ['FDT_NOP after the root node', buildBlob([{ begin: '' }, { prop: 'a', value: 'x' }, { end: true }, { nop: true }, { nop: true }]), r.nopAfterRoot],
    ['misaligned block', moveBlock(syntheticSeed(), HEADER.structOffset, 2), r.misalignedBlock],
  ];
  const verdicts = libfdtVerdicts(cases.map(([, bytes]) => bytes));
  const seen = new Set<string>();
  cases.forEach(([name, bytes, expected], i) => {
    const verdict = verdicts[i]!;
    const answer = answerOf(verdict);
    assert.ok((expected as readonly string[]).includes(answer), `${name}: libfdt says ${JSON.stringify(verdict)}; the rules of ${r.releases} expect ${expected.join(' or ')}`);
    const ours: Decision = DELIBERATE_DIFFERENCES.find((d) => d.name === name)!.refusedBy === 'parser' ? 'reject' : 'accept';
    assert.equal(parserDecision(bytes), ours, `${name}: our parser's decision`);
    // Where libfdt decides as the parser does, this release has no such difference: the two agree.
    const outcome = answer === 'hang' ? 'libfdt hangs, ours rejects' : answer !== ours ? `allowed: ${name}` : ours === 'reject' ? 'both reject' : 'both accept, same tree';
    assert.deepEqual(compareWithLibfdt(bytes, verdict, r), { outcome }, name);
    if (outcome === `allowed: ${name}`) seen.add(name);
  });
  const inForce = deliberateDifferences(r).map((d) => d.name);
  t.diagnostic(`${release()}; differences in force: ${inForce.join('; ')}`);
  // A release the scripts identified has exactly these differences; an unidentified one may lack some.
  if (r !== ANY_SUPPORTED_RELEASE) {
    const expectedSeen = inForce.filter((name) => cases.some(([n]) => n === name));
    assert.deepEqual([...seen].sort(), expectedSeen.sort(), `differences seen under the rules of ${r.releases}`);
  }
});

test(`fdt_check_full and the parser agree on ${CASES} mutated blobs, and so do their trees`, { skip: unavailable }, (t) => {
  const r = rules();
  const seeds = loadSeeds();
  for (const [i, v] of libfdtVerdicts(seeds.map((s) => s.bytes)).entries()) assert.ok(isAccepted(v), `libfdt must accept seed ${seeds[i]!.name}: ${JSON.stringify(v)}`);
  const started = performance.now();
  const cases = fc.sample(blobMutation(seeds), { seed: SEED, numRuns: CASES });
  const verdicts = libfdtVerdicts(cases.map((c) => c.bytes));
  const histogram = new Map<string, number>();
  const differences: string[] = [];
  cases.forEach((c, i) => {
    const comparison = compareWithLibfdt(c.bytes, verdicts[i]!, r);
    const key = 'outcome' in comparison ? comparison.outcome : 'DIFFERENCE';
    histogram.set(key, (histogram.get(key) ?? 0) + 1);
    if ('difference' in comparison && differences.length < SHOWN) differences.push(`${comparison.difference}${treeDifference(c.bytes)}\n${describeMutation(c)}`);
  });
  const seconds = (performance.now() - started) / 1000;
  t.diagnostic(`${CASES} cases in ${seconds.toFixed(1)} s (seed ${SEED}, ${seeds.length} seed blobs) against ${release()}`);
  t.diagnostic(
    `outcomes: ${[...histogram]
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k}=${v}`)
      .join(', ')}`,
  );
  t.diagnostic(
    `deliberate differences allowed: ${deliberateDifferences(r)
      .map((d) => d.name)
      .join('; ')}`,
  );
  assert.equal(histogram.get('DIFFERENCE') ?? 0, 0, `the parser and libfdt disagree:\n${differences.join('\n\n')}`);
  if (CASES >= 1000) {
    assert.ok((histogram.get('both accept, same tree') ?? 0) > CASES / 20, 'too few mutated blobs are accepted to compare trees');
    assert.ok((histogram.get('both reject') ?? 0) > CASES / 4, 'too few mutated blobs are rejected');
  }
});

/** For a report: where libfdt's full view and ours part, when both accept. */
function treeDifference(bytes: Buffer): string {
  const [verdict] = libfdtVerdicts([bytes], () => true);
  if (verdict === undefined || !isAccepted(verdict) || verdict.view === undefined) return '';
  try {
    return `: ${firstDifference(verdict.view, ourView(parseBlob(bytes))) ?? 'no difference in the full views'}`;
  } catch {
    return '';
  }
}
