// The README is the user's manual: what it shows must be what the code does. Each check reads the README
// and compares it with the built CLI or the chart.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO, runCli } from '../helpers/run-cli.ts';

const README = readFileSync(join(REPO, 'README.md'), 'utf8');

/** The fenced block right after the first paragraph containing `marker`. */
function blockAfter(marker: string): string {
  const at = README.indexOf(marker);
  assert.ok(at >= 0, `README has no "${marker}"`);
  const match = /```[a-z]*\n([\s\S]*?)```/.exec(README.slice(at));
  assert.ok(match, `no code block after "${marker}"`);
  return match[1]!;
}

test('quick start: the second set-up command prints exactly the labels the README shows', () => {
  const commands = blockAfter('## Quick start').trim().split('\n');
  assert.deepEqual(commands[0], 'npm ci');
  const dryRun = commands[1]!;
  assert.match(dryRun, /^npx dt-node-labeller labels /);
  const args = dryRun.replace(/^npx dt-node-labeller /, '').split(' ');
  const result = runCli(args);
  assert.equal(result.status, 0, result.stderr);
  assert.equal(result.stderr, '');
  assert.equal(blockAfter('command prints the labels'), result.stdout);
});
