// Parser throughput: load every .dtb under a folder, then time full parses that touch every node and
// every property (name and value length, as libfdt's walk reads them). Prints progress to stderr and one JSON summary line last.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseBlob } from '../src/devicetree/parse-blob.ts';

const ROUNDS = 10;
const dir = process.argv[2];
if (dir === undefined) {
  console.error('usage: npm run --silent bench:parse -- <dir-with-dtbs>');
  process.exit(2);
}
const files = readdirSync(dir, { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.dtb'))
  .sort();
const blobs = files.map((f) => readFileSync(join(dir, f)));
const bytes = blobs.reduce((sum, b) => sum + b.length, 0);

function parseAll(): { nodes: number; props: number; checksum: number } {
  let nodes = 0;
  let props = 0;
  let checksum = 0; // consumed below so the visits cannot be optimised away
  for (const blob of blobs) {
    for (const node of parseBlob(blob).root.walk()) {
      nodes++;
      for (const prop of node.properties) {
        props++;
        checksum += prop.name.length + prop.length;
      }
    }
  }
  return { nodes, props, checksum };
}

let best = Infinity;
const times: number[] = [];
let counts = parseAll(); // warm-up round, not timed
for (let round = 0; round < ROUNDS; round++) {
  const start = performance.now();
  counts = parseAll();
  const seconds = (performance.now() - start) / 1000;
  times.push(seconds);
  best = Math.min(best, seconds);
}
times.sort((a, b) => a - b);
console.error(`rounds: ${times.map((t) => t.toFixed(4)).join(' ')} s (median ${times[Math.floor(ROUNDS / 2)]!.toFixed(4)} s, checksum ${counts.checksum})`);
console.log(
  JSON.stringify({ blobs: blobs.length, bytes, nodes: counts.nodes, props: counts.props, best_s: Number(best.toFixed(6)), mb_per_s: Number((bytes / best / 1e6).toFixed(1)) }),
);
