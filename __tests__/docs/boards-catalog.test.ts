// tier: full (the real-blob corpus)
// docs/boards.md is generated from the real blobs; it must say what the labeller does today.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { CATALOG, renderCatalog } from '../../scripts/board-catalog.ts';
import { type Corpus, corpus, jetsonL4t } from '../helpers/corpus.ts';

const mainline = corpus();
const l4t = jetsonL4t();
const skip = 'skip' in mainline ? mainline.skip : 'skip' in l4t ? l4t.skip : false;

test('docs/boards.md is up to date (regenerate with `npm run --silent catalog`)', { skip }, () => {
  const expected = renderCatalog((mainline as Corpus).dir, (l4t as Corpus).dir);
  const current = readFileSync(CATALOG, 'utf8');
  if (current !== expected) {
    const [a, b] = [current.split('\n'), expected.split('\n')];
    const line = a.findIndex((text, i) => text !== b[i]);
    assert.fail(`docs/boards.md is stale from line ${line + 1}: has ${JSON.stringify(a[line])}, the labeller now gives ${JSON.stringify(b[line])}; run npm run --silent catalog`);
  }
});

test('the catalog lists every real board, and each stock Jetson with its GPU and compute capability', { skip }, () => {
  const text = readFileSync(CATALOG, 'utf8');
  assert.equal(text.split('\n### ').length - 1, (mainline as Corpus).files.length + (l4t as Corpus).files.length);
  for (const file of (l4t as Corpus).files) assert.match(text, new RegExp(`\`${file.replaceAll('.', '\\.')}\``));
  for (const [gpu, major] of [
    ['gm20b', 5],
    ['gp10b', 6],
    ['gv11b', 7],
    ['ga10b', 8],
  ] as const) {
    assert.match(text, new RegExp(`beta\\.devicetree\\.org/nvidia-${gpu}=1\\n(.*\\n)*?tegra\\.beta\\.devicetree\\.org/gpu\\.compute\\.major=${major}\\n`));
  }
});
