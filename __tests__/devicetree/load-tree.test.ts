import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DevicetreeSourceError, FdtError } from '../../src/devicetree/errors.ts';
import { loadTree } from '../../src/devicetree/load-tree.ts';
import { parseBlob } from '../../src/devicetree/parse-blob.ts';
import { fixture } from '../helpers/corpus.ts';
import { expandTree } from '../helpers/expand-tree.ts';

const nano = fixture('jetson-nano-l4t.dtb');
const pi = parseBlob(readFileSync(fixture('raspberry-pi-4.dtb')));

function hostRoot(parts: { fdt?: string | Buffer; base?: boolean; proc?: boolean }): string {
  const root = mkdtempSync(join(tmpdir(), 'dtnl-host-'));
  if (parts.fdt !== undefined) {
    mkdirSync(join(root, 'sys/firmware'), { recursive: true });
    if (typeof parts.fdt === 'string') copyFileSync(parts.fdt, join(root, 'sys/firmware/fdt'));
    else writeFileSync(join(root, 'sys/firmware/fdt'), parts.fdt);
  }
  if (parts.base) expandTree(pi.root, join(root, 'sys/firmware/devicetree/base'));
  if (parts.proc) expandTree(pi.root, join(root, 'proc/device-tree'));
  return root;
}

test('--dtb reads a blob file', () => {
  const tree = loadTree({ dtb: nano });
  assert.deepEqual(tree.source, { kind: 'blob', path: nano });
});

test('the host blob /sys/firmware/fdt comes first', () => {
  const root = hostRoot({ fdt: nano, base: true, proc: true });
  assert.deepEqual(loadTree({ hostRoot: root }).source, { kind: 'blob', path: join(root, 'sys/firmware/fdt') });
});

test('then /sys/firmware/devicetree/base, then /proc/device-tree', () => {
  const both = hostRoot({ base: true, proc: true });
  assert.deepEqual(loadTree({ hostRoot: both }).source, { kind: 'expanded', path: join(both, 'sys/firmware/devicetree/base') });
  const proc = hostRoot({ proc: true });
  const tree = loadTree({ hostRoot: proc });
  assert.deepEqual(tree.source, { kind: 'expanded', path: join(proc, 'proc/device-tree') });
  assert.deepEqual(tree.root.property('compatible')?.asStringList(), ['raspberrypi,4-model-b', 'brcm,bcm2711']);
});

test('a corrupt host blob is reported, not silently replaced by the expanded tree', () => {
  const root = hostRoot({ fdt: Buffer.from('not a blob at all'), base: true });
  assert.throws(() => loadTree({ hostRoot: root }), (e) => e instanceof FdtError && e.code === 'BAD_MAGIC');
});

test('no devicetree at all names every place tried', () => {
  const root = hostRoot({});
  assert.throws(
    () => loadTree({ hostRoot: root }),
    (e) =>
      e instanceof DevicetreeSourceError &&
      e.message.includes(join(root, 'sys/firmware/fdt')) &&
      e.message.includes(join(root, 'sys/firmware/devicetree/base')) &&
      e.message.includes(join(root, 'proc/device-tree')) &&
      /x86/.test(e.message) &&
      !e.message.includes('\n'),
  );
});

test('--dtb on a missing file or a folder', () => {
  assert.throws(() => loadTree({ dtb: '/nonexistent/x.dtb' }), /\/nonexistent\/x\.dtb: not found/);
  assert.throws(() => loadTree({ dtb: tmpdir() }), /is a directory.*--live-tree/);
});
