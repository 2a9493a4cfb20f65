// Long-run fuzzer for the blob parser: the mutation arbitrary and invariant of the parser-fuzz test, run
// for many more cases; with --libfdt, also the rule of the libfdt-fuzz test: the same accept/reject decision
// as libfdt's fdt_check_full and the same tree when both accept, deliberate differences aside (needs
// /usr/bin/python3 and Debian's libfdt1). Usage:
//   npm run fuzz -- [--cases N] [--seconds S] [--seed N] [--corpus DIR] [--jobs J] [--out DIR] [--libfdt]
// Seeds: the synthetic blobs, __tests__/fixtures/*.dtb and every .dtb under --corpus (default
// $DTB_CORPUS_DIR). Cases come in batches of 1000, batch b drawn by fc.sample with a seed derived from
// --seed and b, so any case can be regenerated. Each worker reports a heartbeat; a parse slower than 1 s
// is a failure, and one stuck for --hang-seconds (a real hang) is written out before the worker is killed.
// Failing blobs go to --out (default .fuzz-out/), the smallest one per kind of failure. Progress goes to
// stderr; the last stdout line is {"cases","ok","errors","failures","seconds","seed"}, plus "libfdt" (outcome
// counts) with --libfdt. Exit 1 on failure.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import fc from 'fast-check';
import { blobMutation, checkParse, describeMutation, InvariantViolation, type MutatedBlob, type Seed, syntheticSeed } from '../__tests__/helpers/blob-mutations.ts';
import { type LibfdtVerdict, libfdtCheckUnavailable, libfdtVerdicts } from '../__tests__/helpers/libfdt-check.ts';
import { compareWithLibfdt } from '../__tests__/helpers/libfdt-differential.ts';

const BATCH = 1000;
const MAX_PARSE_MS = 1000;
const MAX_SAVED_KINDS = 50;
const FIXTURES = new URL('../__tests__/fixtures/', import.meta.url).pathname;

interface Config {
  readonly cases: number;
  readonly seconds: number;
  readonly seed: number;
  readonly corpus: string | undefined;
  readonly jobs: number;
  readonly out: string;
  readonly hangSeconds: number;
  readonly libfdt: boolean;
}

/** Heartbeat slots per worker in the shared array. */
const SLOT = { batch: 0, index: 1, busy: 2, tick: 3 } as const;
const SLOTS = 4;

type Outcome = string;
type FromWorker =
  | { type: 'progress'; job: number; cases: number; ok: number; errors: Record<string, number>; libfdt: Record<string, number> }
  | { type: 'failure'; job: number; batch: number; index: number; message: string; description: string; bytes: Uint8Array }
  | { type: 'done'; job: number };

function loadSeeds(corpusDir: string | undefined): Seed[] {
  const seeds: Seed[] = [
    { name: 'synthetic-v17', bytes: syntheticSeed(17) },
    { name: 'synthetic-v16', bytes: syntheticSeed(16) },
  ];
  const add = (dir: string, prefix: string) => {
    const files = readdirSync(dir, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.dtb'))
      .sort();
    for (const f of files) seeds.push({ name: `${prefix}${f}`, bytes: readFileSync(join(dir, f)) });
  };
  try {
    add(FIXTURES, 'fixtures/');
  } catch {
    // no fixtures: the synthetic seeds remain
  }
  if (corpusDir !== undefined && corpusDir !== '') add(corpusDir, '');
  return seeds;
}

const batchSeed = (seed: number, batch: number) => (seed + Math.imul(batch, 0x9e3779b1)) | 0;

function sampleBatch(arb: fc.Arbitrary<MutatedBlob>, seed: number, batch: number): MutatedBlob[] {
  return fc.sample(arb, { seed: batchSeed(seed, batch), numRuns: BATCH });
}

// ------------------------------------------------------------------------------------------------ worker

function runWorker(): void {
  const { config, job, heartbeat } = workerData as { config: Config; job: number; heartbeat: SharedArrayBuffer };
  const port = parentPort!;
  const beat = new Int32Array(heartbeat, job * SLOTS * 4, SLOTS);
  const arb = blobMutation(loadSeeds(config.corpus));
  const deadline = Date.now() + config.seconds * 1000;
  let cases = 0;
  let ok = 0;
  let errors: Record<string, number> = {};
  let libfdt: Record<string, number> = {};
  const flush = () => {
    port.postMessage({ type: 'progress', job, cases, ok, errors, libfdt } satisfies FromWorker);
    cases = 0;
    ok = 0;
    errors = {};
    libfdt = {};
  };
  outer: for (let batch = job; batch * BATCH < config.cases; batch += config.jobs) {
    const values = sampleBatch(arb, config.seed, batch);
    const count = Math.min(BATCH, config.cases - batch * BATCH);
    // libfdt's verdicts for the whole batch, from one python process (not counted as busy: it has its own timeout).
    const verdicts: LibfdtVerdict[] = config.libfdt ? libfdtVerdicts(values.slice(0, count).map((m) => m.bytes)) : [];
    for (let index = 0; index < count; index++) {
      if (Date.now() > deadline) break outer;
      const m = values[index]!;
      Atomics.store(beat, SLOT.batch, batch);
      Atomics.store(beat, SLOT.index, index);
      Atomics.store(beat, SLOT.busy, 1);
      let outcome: Outcome;
      try {
        outcome = checkParse(m.bytes, { maxParseMs: MAX_PARSE_MS });
        if (config.libfdt) {
          const comparison = compareWithLibfdt(m.bytes, verdicts[index]!);
          if ('difference' in comparison) throw new InvariantViolation(`libfdt: ${comparison.difference}`);
          libfdt[comparison.outcome] = (libfdt[comparison.outcome] ?? 0) + 1;
        }
      } catch (error) {
        const message = error instanceof InvariantViolation ? error.message : `checker threw ${String(error)}`;
        port.postMessage({ type: 'failure', job, batch, index, message, description: describeMutation(m), bytes: m.bytes } satisfies FromWorker);
        outcome = 'FAILURE';
      }
      Atomics.store(beat, SLOT.busy, 0);
      Atomics.add(beat, SLOT.tick, 1);
      cases++;
      if (outcome === 'ok') ok++;
      else if (outcome !== 'FAILURE') errors[outcome] = (errors[outcome] ?? 0) + 1;
    }
    flush();
  }
  flush();
  port.postMessage({ type: 'done', job } satisfies FromWorker);
}

// ------------------------------------------------------------------------------------------------ main

function parseConfig(): Config {
  const { values } = parseArgs({
    options: {
      cases: { type: 'string' },
      seconds: { type: 'string' },
      seed: { type: 'string' },
      corpus: { type: 'string' },
      jobs: { type: 'string', default: '1' },
      out: { type: 'string', default: '.fuzz-out' },
      'hang-seconds': { type: 'string', default: '10' },
      libfdt: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help === true) {
    process.stderr.write('usage: node scripts/fuzz.ts [--cases N] [--seconds S] [--seed N] [--corpus DIR] [--jobs J] [--out DIR] [--hang-seconds S] [--libfdt]\n');
    process.exit(0);
  }
  const num = (name: string, text: string | undefined, fallback: number, min: number) => {
    if (text === undefined) return fallback;
    const n = Number(text);
    if (!Number.isFinite(n) || n < min) throw new Error(`--${name}: expected a number >= ${min}, got ${JSON.stringify(text)}`);
    return n;
  };
  const seconds = num('seconds', values.seconds, Infinity, 0);
  // --seconds alone means "until time runs out"; otherwise a million cases.
  const cases = Math.floor(num('cases', values.cases, values.seconds === undefined ? 1_000_000 : Number.MAX_SAFE_INTEGER, 1));
  const seed = num('seed', values.seed, (Date.now() ^ (Math.random() * 0x100000000)) | 0, -0x80000000) | 0;
  const jobs = Math.floor(num('jobs', values.jobs, 1, 1));
  const hangSeconds = num('hang-seconds', values['hang-seconds'], 10, 1);
  const libfdt = values.libfdt === true;
  const unavailable = libfdt ? libfdtCheckUnavailable() : undefined;
  if (unavailable !== undefined) throw new Error(`--libfdt: ${unavailable}`);
  return { cases, seconds, seed, corpus: values.corpus ?? process.env.DTB_CORPUS_DIR, jobs, out: values.out, hangSeconds, libfdt };
}

async function main(): Promise<number> {
  const config = parseConfig();
  const started = performance.now();
  const seedCount = loadSeeds(config.corpus).length;
  process.stderr.write(
    `fuzz: seed ${config.seed}, ${seedCount} seed blobs, ${config.jobs} job(s), up to ${config.cases} cases${config.libfdt ? ', against libfdt' : ''}${config.seconds === Infinity ? '' : ` / ${config.seconds} s`}\n`,
  );

  const heartbeat = new SharedArrayBuffer(config.jobs * SLOTS * 4);
  const beats = new Int32Array(heartbeat);
  let cases = 0;
  let ok = 0;
  let failures = 0;
  const errors: Record<string, number> = {};
  const libfdt: Record<string, number> = {};
  const saved = new Map<string, number>(); // failure kind -> size of the blob saved for it

  const save = (batch: number, index: number, message: string, description: string, bytes: Uint8Array) => {
    failures++;
    // One file per kind of failure (numbers and quoted names masked), keeping the smallest blob seen.
    const kind = message.replace(/"(?:[^"\\]|\\.)*"|0x[0-9a-f]+|\d+/gi, '#');
    const previous = saved.get(kind);
    if (previous === undefined) process.stderr.write(`fuzz: FAILURE (batch ${batch} case ${index}): ${message}\n${description}\n`);
    if ((previous === undefined && saved.size >= MAX_SAVED_KINDS) || (previous !== undefined && previous <= bytes.length)) return;
    saved.set(kind, bytes.length);
    const name = createHash('sha256').update(kind).digest('hex').slice(0, 12);
    mkdirSync(config.out, { recursive: true });
    writeFileSync(join(config.out, `${name}.dtb`), bytes);
    writeFileSync(join(config.out, `${name}.txt`), `${message}\nseed ${config.seed} batch ${batch} (fc seed ${batchSeed(config.seed, batch)}) case ${index}\n${description}\n`);
  };

  const workers = Array.from({ length: config.jobs }, (_, job) => new Worker(new URL(import.meta.url), { workerData: { config, job, heartbeat } }));
  const finished = workers.map(
    (worker) =>
      new Promise<void>((resolve, reject) => {
        worker.on('message', (msg: FromWorker) => {
          if (msg.type === 'progress') {
            cases += msg.cases;
            ok += msg.ok;
            for (const [code, n] of Object.entries(msg.errors)) errors[code] = (errors[code] ?? 0) + n;
            for (const [outcome, n] of Object.entries(msg.libfdt)) libfdt[outcome] = (libfdt[outcome] ?? 0) + n;
          } else if (msg.type === 'failure') save(msg.batch, msg.index, msg.message, msg.description, msg.bytes);
          else resolve();
        });
        worker.on('error', reject);
        worker.on('exit', () => resolve());
      }),
  );

  // Watchdog and progress: a worker whose tick has not moved while busy for hangSeconds is hung.
  const lastTick = workers.map(() => -1);
  const lastMove = workers.map(() => performance.now());
  let lastReport = performance.now();
  const watchdog = setInterval(() => {
    const now = performance.now();
    workers.forEach((worker, job) => {
      const tick = Atomics.load(beats, job * SLOTS + SLOT.tick);
      if (tick !== lastTick[job]) {
        lastTick[job] = tick;
        lastMove[job] = now;
        return;
      }
      if (Atomics.load(beats, job * SLOTS + SLOT.busy) !== 1 || now - lastMove[job]! < config.hangSeconds * 1000) return;
      const batch = Atomics.load(beats, job * SLOTS + SLOT.batch);
      const index = Atomics.load(beats, job * SLOTS + SLOT.index);
      void worker.terminate();
      const m = sampleBatch(blobMutation(loadSeeds(config.corpus)), config.seed, batch)[index]!;
      save(batch, index, `parse hung for over ${config.hangSeconds} s`, describeMutation(m), m.bytes);
      lastMove[job] = Infinity;
    });
    if (now - lastReport >= 5000) {
      lastReport = now;
      const s = (now - started) / 1000;
      process.stderr.write(`fuzz: ${cases} cases, ${Math.round(cases / s)}/s, ${ok} ok, ${failures} failures, ${s.toFixed(0)} s\n`);
    }
  }, 250);

  try {
    await Promise.all(finished);
  } finally {
    clearInterval(watchdog);
  }
  const seconds = Math.round((performance.now() - started) / 100) / 10;
  const sortedErrors = Object.fromEntries(Object.entries(errors).sort((a, b) => b[1] - a[1]));
  if (failures > 0) process.stderr.write(`fuzz: ${failures} failures, ${saved.size} kind(s) saved under ${config.out}/\n`);
  const sortedLibfdt = config.libfdt ? { libfdt: Object.fromEntries(Object.entries(libfdt).sort((a, b) => b[1] - a[1])) } : {};
  process.stdout.write(`${JSON.stringify({ cases, ok, errors: sortedErrors, failures, seconds, seed: config.seed, ...sortedLibfdt })}\n`);
  return failures > 0 ? 1 : 0;
}

if (isMainThread) process.exitCode = await main();
else runWorker();
