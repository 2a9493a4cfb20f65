// tier: full (property-based fuzzing of the parser)
// Property test: whatever bytes it gets, parseBlob returns a tree or throws FdtError (never another
// exception), the tree it returns is safe to walk, and the same bytes always give the same result.
// Mutated seeds come from the committed fixtures and, when DTB_CORPUS_DIR is set, ~40 real blobs.
// FUZZ_CASES (default 20000, the CI budget) and FUZZ_SEED tune the run; `npm run fuzz` runs longer.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { test } from 'node:test';
import fc from 'fast-check';
import { blobMutation, checkParse, describeMutation, type ParseOutcome, type Seed, syntheticSeed } from '../helpers/blob-mutations.ts';
import { corpus, corpusPath, FIXTURES } from '../helpers/corpus.ts';

const CASES = positiveInt(process.env.FUZZ_CASES, 20_000);
const SEED = positiveInt(process.env.FUZZ_SEED, 0x0fd7_5eed);
const CORPUS_SAMPLE = 40;

function positiveInt(text: string | undefined, fallback: number): number {
  if (text === undefined || text === '') return fallback;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`expected a non-negative integer, got ${JSON.stringify(text)}`);
  return n;
}

/** Committed fixtures, two synthetic blobs (v16 and v17) and a deterministic size-spread corpus sample. */
function loadSeeds(): { seeds: Seed[]; fromCorpus: number } {
  const seeds: Seed[] = [
    { name: 'synthetic-v17', bytes: syntheticSeed(17) },
    { name: 'synthetic-v16', bytes: syntheticSeed(16) },
  ];
  let fixtures: string[] = [];
  try {
    fixtures = readdirSync(FIXTURES)
      .filter((f) => f.endsWith('.dtb'))
      .sort();
  } catch {
    // no fixtures folder: the synthetic seeds still exercise every block
  }
  for (const f of fixtures) seeds.push({ name: `fixtures/${f}`, bytes: readFileSync(`${FIXTURES}${f}`) });
  const c = corpus();
  if ('skip' in c) return { seeds, fromCorpus: 0 };
  const bySize = c.files.map((file) => ({ file, size: statSync(corpusPath(c, file)).size })).sort((a, b) => a.size - b.size || (a.file < b.file ? -1 : 1));
  // Evenly spaced through the size order: the smallest, the largest and quantiles between.
  const picked = new Set<number>();
  const n = Math.min(CORPUS_SAMPLE, bySize.length);
  for (let i = 0; i < n; i++) picked.add(Math.round((i * (bySize.length - 1)) / Math.max(1, n - 1)));
  for (const i of [...picked].sort((a, b) => a - b)) {
    const { file } = bySize[i]!;
    seeds.push({ name: file, bytes: readFileSync(corpusPath(c, file)) });
  }
  return { seeds, fromCorpus: picked.size };
}

test('parseBlob holds its contract on mutated blobs', (t) => {
  const { seeds, fromCorpus } = loadSeeds();
  for (const s of seeds) assert.equal(checkParse(s.bytes), 'ok', `seed ${s.name} must parse before mutation`);
  const histogram = new Map<ParseOutcome, number>();
  let runs = 0;
  const started = performance.now();
  fc.assert(
    fc.property(blobMutation(seeds), (m) => {
      runs++;
      const outcome = checkParse(m.bytes);
      histogram.set(outcome, (histogram.get(outcome) ?? 0) + 1);
    }),
    { numRuns: CASES, seed: SEED },
  );
  const seconds = (performance.now() - started) / 1000;
  const sorted = [...histogram].sort((a, b) => b[1] - a[1]);
  t.diagnostic(`${runs} cases in ${seconds.toFixed(1)} s (seed ${SEED}, ${seeds.length} seed blobs, ${fromCorpus} from the corpus)`);
  t.diagnostic(`outcomes: ${sorted.map(([k, v]) => `${k}=${v}`).join(' ')}`);
  if (CASES >= 2000) {
    const codes = sorted.filter(([k]) => k !== 'ok');
    assert.ok(codes.length >= 5, `mutations reached only ${codes.length} error codes: ${codes.map(([k]) => k).join(', ')}`);
    assert.ok((histogram.get('ok') ?? 0) > 0, 'no mutated blob parsed: the mutations are too destructive to test deep code');
  }
});

test('the mutation arbitrary is deterministic and describes its cases', () => {
  const seeds = [syntheticSeed()];
  const a = fc.sample(blobMutation(seeds), { seed: 42, numRuns: 50 });
  const b = fc.sample(blobMutation(seeds), { seed: 42, numRuns: 50 });
  assert.deepEqual(
    a.map((m) => m.bytes.toString('hex')),
    b.map((m) => m.bytes.toString('hex')),
  );
  for (const m of a) {
    assert.ok(m.mutations.length >= 1 && m.mutations.length <= 4);
    assert.equal(m.steps.length, m.mutations.length);
    assert.match(describeMutation(m), /^seed seed#0 /);
    assert.equal(seeds[0]!.toString('hex'), syntheticSeed().toString('hex'), 'the seed itself is never mutated');
  }
});
