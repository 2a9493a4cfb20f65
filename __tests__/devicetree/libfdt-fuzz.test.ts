// Differential fuzzing against libfdt: on mutated blobs, our parser must accept exactly what libfdt's
// fdt_check_full() accepts, and then read the same tree as libfdt's iterators; the only differences allowed
// are the deliberate ones listed in DELIBERATE_DIFFERENCES (__tests__/helpers/libfdt-differential.ts),
// each with its reason. Also: every malformed blob the libfdt issue listed, reproduced by hand.
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
import { isAccepted, libfdtCheckUnavailable, libfdtVerdicts } from '../helpers/libfdt-check.ts';
import { compareWithLibfdt, DELIBERATE_DIFFERENCES } from '../helpers/libfdt-differential.ts';
import { firstDifference, ourView } from '../helpers/reference.ts';

const CASES = positiveInt(process.env.LIBFDT_FUZZ_CASES, 5000);
const SEED = positiveInt(process.env.FUZZ_SEED, 0x1bfd7);
/** Corpus blobs among the seeds: small ones, so that libfdt's walk through python stays quick. */
const CORPUS_SAMPLE = 24;
const CORPUS_MAX_BYTES = 40_000;
const SHOWN = 5;

const unavailable = libfdtCheckUnavailable();
if (unavailable !== undefined && process.env.DTB_CORPUS_REQUIRED === '1') throw new Error(`${unavailable}; DTB_CORPUS_REQUIRED=1 forbids skipping`);

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
  for (const f of readdirSync(FIXTURES).filter((f) => f.endsWith('.dtb')).sort()) seeds.push({ name: `fixtures/${f}`, bytes: readFileSync(`${FIXTURES}${f}`) });
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

test('the malformed blobs of the libfdt issue: decided as fdt_check_full decides', { skip: unavailable }, () => {
  const tree: Token[] = [{ begin: '' }, { prop: 'compatible', value: 'acme,board' }, { begin: 'cpus' }, { prop: 'x', value: 'y' }, { end: true }, { end: true }];
  const cases: Array<[string, Buffer, 'accept' | 'reject']> = [
    ['version 16 with last_comp_version 17', buildBlob(tree, { version: 16, lastCompatibleVersion: 17 }), 'reject'],
    ['a root node with a name', buildBlob([{ begin: 'root' }, { end: true }]), 'reject'],
    ['a property after a subnode', buildBlob([{ begin: '' }, { begin: 'n' }, { end: true }, { prop: 'p', value: 'x' }, { end: true }]), 'accept'],
    ['a property before the root node', buildBlob([{ prop: 'p', value: 'x' }, { begin: '' }, { end: true }]), 'accept'],
    ['FDT_NOP after the root node', buildBlob([{ begin: '' }, { end: true }, { nop: true }]), 'reject'],
    ['a reservation of size 0 and address 1 ends the list', buildBlob(tree, { memoryReservations: [[1n, 0n]] }), 'accept'],
    ['a structure block at an odd offset', oddStructOffset(buildBlob(tree)), 'accept'],
  ];
  const verdicts = libfdtVerdicts(cases.map(([, bytes]) => bytes));
  cases.forEach(([name, bytes, expected], i) => {
    const verdict = verdicts[i]!;
    assert.equal(isAccepted(verdict) ? 'accept' : 'reject', expected, `${name}: libfdt says ${JSON.stringify(verdict)}`);
    const comparison = compareWithLibfdt(bytes, verdict);
    assert.ok('outcome' in comparison && !comparison.outcome.startsWith('allowed'), `${name}: ${JSON.stringify(comparison)}`);
  });
});

/** The blob with its structure block moved 2 bytes later (libfdt requires no block alignment). */
function oddStructOffset(blob: Buffer): Buffer {
  const at = blob.readUInt32BE(HEADER.structOffset);
  const out = Buffer.concat([blob.subarray(0, at), Buffer.alloc(2), blob.subarray(at)]);
  out.writeUInt32BE(blob.length + 2, HEADER.totalSize);
  out.writeUInt32BE(at + 2, HEADER.structOffset);
  out.writeUInt32BE(blob.readUInt32BE(HEADER.stringsOffset) + 2, HEADER.stringsOffset);
  return out;
}

test('each deliberate difference from libfdt happens, and is what its rule says', { skip: unavailable }, () => {
  const deep: Token[] = [];
  for (let i = 0; i <= 64; i++) deep.push({ begin: i === 0 ? '' : 'n' });
  for (let i = 0; i <= 64; i++) deep.push({ end: true });
  const cases: Array<[string, Buffer]> = [
    ['version below 16', buildBlob([{ begin: '/' }, { end: true }], { version: 3, lastCompatibleVersion: 2 })],
    [`nesting deeper than 64`, buildBlob(deep)],
    ['no root node', buildBlob([{ nop: true }])],
    ['property length that wraps libfdt', buildBlob([{ begin: '' }, { prop: 'a', value: new Uint8Array(), length: 0xffffffff }, { end: true }])],
    ['property length that wraps libfdt', buildBlob([{ begin: '' }, { prop: 'a', value: 'xyz', length: 0xfffffff4 }, { end: true }])],
  ];
  const verdicts = libfdtVerdicts(cases.map(([, bytes]) => bytes));
  cases.forEach(([name, bytes], i) => {
    const verdict = verdicts[i]!;
    assert.ok(isAccepted(verdict) || 'died' in verdict, `${name}: libfdt should accept (or hang), says ${JSON.stringify(verdict)}`);
    assert.throws(() => parseBlob(bytes));
    assert.deepEqual(compareWithLibfdt(bytes, verdict), { outcome: 'died' in verdict ? 'libfdt hangs, ours rejects' : `allowed: ${name}` });
  });
  assert.ok(cases.some(([, ], i) => 'died' in verdicts[i]!), 'a length of 0xfffffff4 hangs libfdt 1.6.1');
});

test(`fdt_check_full and the parser agree on ${CASES} mutated blobs, and so do their trees`, { skip: unavailable }, (t) => {
  const seeds = loadSeeds();
  libfdtVerdicts(seeds.map((s) => s.bytes)).forEach((v, i) => assert.ok(isAccepted(v), `libfdt must accept seed ${seeds[i]!.name}: ${JSON.stringify(v)}`));
  const started = performance.now();
  const cases = fc.sample(blobMutation(seeds), { seed: SEED, numRuns: CASES });
  const verdicts = libfdtVerdicts(cases.map((c) => c.bytes));
  const histogram = new Map<string, number>();
  const differences: string[] = [];
  cases.forEach((c, i) => {
    const comparison = compareWithLibfdt(c.bytes, verdicts[i]!);
    const key = 'outcome' in comparison ? comparison.outcome : 'DIFFERENCE';
    histogram.set(key, (histogram.get(key) ?? 0) + 1);
    if ('difference' in comparison && differences.length < SHOWN) differences.push(`${comparison.difference}${treeDifference(c.bytes)}\n${describeMutation(c)}`);
  });
  const seconds = (performance.now() - started) / 1000;
  t.diagnostic(`${CASES} cases in ${seconds.toFixed(1)} s (seed ${SEED}, ${seeds.length} seed blobs)`);
  t.diagnostic(`outcomes: ${[...histogram].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k}=${v}`).join(', ')}`);
  t.diagnostic(`deliberate differences allowed: ${DELIBERATE_DIFFERENCES.map((d) => d.name).join('; ')}`);
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
