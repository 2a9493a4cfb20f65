import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseL4tRelease, readL4tRelease } from '../../src/facts/l4t-release.ts';

// First lines of /etc/nv_tegra_release as JetPack releases write them (R32.7.1 on a Nano, R35.4.1 on an
// Orin, R36.4.3 from JetPack 6.2).
const R32 = '# R32 (release), REVISION: 7.1, GCID: 29818004, BOARD: t210ref, EABI: aarch64, DATE: Sat Feb 19 17:05:08 UTC 2022\n# KERNEL_VARIANT: oot\n';
const R35 = '# R35 (release), REVISION: 4.1, GCID: 33958178, BOARD: t186ref, EABI: aarch64, DATE: Tue Aug  1 19:57:35 UTC 2023\n';
const R36 = '# R36 (release), REVISION: 4.3, GCID: 38968081, BOARD: generic, EABI: aarch64, DATE: Wed Jan  8 01:49:37 UTC 2025\n';

test('the first line gives the release (major.REVISION) and the major', () => {
  assert.deepEqual(parseL4tRelease(R32, 'f'), { release: '32.7.1', major: 32, path: 'f' });
  assert.deepEqual(parseL4tRelease(R35, 'f'), { release: '35.4.1', major: 35, path: 'f' });
  assert.deepEqual(parseL4tRelease(R36, 'f'), { release: '36.4.3', major: 36, path: 'f' });
});

test('anything else is not guessed at', () => {
  for (const text of [
    '',
    'R35.4.1\n',
    '# R35 (release), REVISION: , GCID: 1\n',
    '# R35 (release), REVISION: 4.1.2.3.4, GCID\n',
    `\n${R35}`,
    '# RX (release), REVISION: 1.0, GCID\n',
  ]) {
    assert.equal(parseL4tRelease(text, 'f'), undefined, JSON.stringify(text));
  }
});

test('reading under a host root: absent, unusable and readable files', () => {
  const root = mkdtempSync(join(tmpdir(), 'l4t-'));
  assert.deepEqual(readL4tRelease(root), { absent: join(root, 'etc/nv_tegra_release') });
  mkdirSync(join(root, 'etc'));
  writeFileSync(join(root, 'etc/nv_tegra_release'), 'garbage');
  assert.match((readL4tRelease(root) as { unusable: string }).unusable, /the first line is not/);
  writeFileSync(join(root, 'etc/nv_tegra_release'), R35);
  assert.deepEqual(readL4tRelease(root), { release: { release: '35.4.1', major: 35, path: join(root, 'etc/nv_tegra_release') } });
  const dirRoot = mkdtempSync(join(tmpdir(), 'l4t-dir-'));
  mkdirSync(join(dirRoot, 'etc/nv_tegra_release'), { recursive: true });
  assert.match((readL4tRelease(dirRoot) as { unusable: string }).unusable, /is a directory/);
});
