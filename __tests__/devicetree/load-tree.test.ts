import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { DevicetreeSourceError, FdtError, isNoDevicetree } from '../../src/devicetree/errors.ts';
import { MAX_BLOB_BYTES } from '../../src/devicetree/limits.ts';
import { loadTree } from '../../src/devicetree/load-tree.ts';
import { parseBlob } from '../../src/devicetree/parse-blob.ts';
import { fixture } from '../helpers/corpus.ts';
import { expandTree } from '../helpers/expand-tree.ts';
import { scratchDirs } from '../helpers/scratch-dirs.ts';

const nano = fixture('jetson-nano-l4t.dtb');
const NANO_COMPATIBLE = ['nvidia,p3449-0000-b00+p3448-0000-b00', 'nvidia,jetson-nano', 'nvidia,tegra210'];
const scratch = scratchDirs('dtnl-load-');
const pi = parseBlob(readFileSync(fixture('raspberry-pi-4.dtb')));

function hostRoot(parts: { fdt?: string | Buffer; base?: boolean; proc?: boolean }): string {
  const root = scratch();
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
  assert.throws(
    () => loadTree({ hostRoot: root }),
    (e) => e instanceof FdtError && e.code === 'BAD_MAGIC',
  );
});

test('no devicetree at all names every place tried', () => {
  const root = hostRoot({});
  assert.throws(
    () => loadTree({ hostRoot: root }),
    (e) =>
      e instanceof DevicetreeSourceError &&
      isNoDevicetree(e) &&
      e.message.includes(join(root, 'sys/firmware/fdt')) &&
      e.message.includes(join(root, 'sys/firmware/devicetree/base')) &&
      e.message.includes(join(root, 'proc/device-tree')) &&
      /x86/.test(e.message) &&
      !e.message.includes('\n'),
  );
});

test('--dtb on a missing file or a folder', () => {
  assert.throws(
    () => loadTree({ dtb: '/nonexistent/x.dtb' }),
    (e) => e instanceof DevicetreeSourceError && !isNoDevicetree(e) && /\/nonexistent\/x\.dtb: not found$/.test(e.message),
  );
  assert.throws(() => loadTree({ dtb: tmpdir() }), /is a directory.*--live-tree/);
});

test('errors from a blob file name the file', () => {
  const root = hostRoot({ fdt: Buffer.from('not a blob at all'), base: true });
  const fdt = join(root, 'sys/firmware/fdt');
  assert.throws(
    () => loadTree({ hostRoot: root }),
    (e) => e instanceof FdtError && e.source === fdt && e.message.startsWith(`${fdt}: invalid devicetree blob: bad magic 0x6e6f7420`),
  );
  const truncated = join(scratch(), 'truncated.dtb');
  writeFileSync(truncated, readFileSync(nano).subarray(0, 1000));
  assert.throws(
    () => loadTree({ dtb: truncated }),
    (e) => e instanceof FdtError && e.code === 'TRUNCATED' && e.message.startsWith(`${truncated}: invalid devicetree blob: totalsize`),
  );
});

test('an empty or very short file says so', () => {
  const empty = join(scratch(), 'empty.dtb');
  writeFileSync(empty, '');
  assert.throws(
    () => loadTree({ dtb: empty }),
    (e) => e instanceof DevicetreeSourceError && e.message === `${empty}: empty file, not a devicetree blob`,
  );
  const root = hostRoot({ fdt: Buffer.alloc(0), base: true });
  assert.throws(() => loadTree({ hostRoot: root }), /sys\/firmware\/fdt: empty file, not a devicetree blob$/);
  const short = join(scratch(), 'short.dtb');
  writeFileSync(short, Buffer.from([0xd0, 0x0d]));
  assert.throws(
    () => loadTree({ dtb: short }),
    (e) => e instanceof FdtError && e.message.startsWith(`${short}: invalid devicetree blob: 2 bytes, too short to be a devicetree blob`),
  );
});

test('a folder at /sys/firmware/fdt is reported in --host-root terms, not --dtb ones', () => {
  const root = hostRoot({ base: true });
  mkdirSync(join(root, 'sys/firmware/fdt'));
  assert.throws(
    () => loadTree({ hostRoot: root }),
    (e) => e instanceof DevicetreeSourceError && e.message === `${join(root, 'sys/firmware/fdt')}: is a directory, not a devicetree blob (is --host-root the host's root folder?)`,
  );
});

test('only regular files are read: devices and FIFOs are refused at once, without reading or waiting', () => {
  for (const device of ['/dev/null', '/dev/zero']) {
    assert.throws(
      () => loadTree({ dtb: device }),
      (e) => e instanceof DevicetreeSourceError && e.message === `${device}: is a character device, not a blob file (use --dtb - to read a blob from standard input)`,
    );
  }
  const fifo = join(scratch(), 'fifo');
  execFileSync('mkfifo', [fifo]);
  assert.throws(() => loadTree({ dtb: fifo }), /fifo: is a FIFO \(named pipe\), not a blob file/);
});

test('the header is checked before the rest is read: a huge file costs a 40-byte read', () => {
  const sparse = join(scratch(), 'sparse');
  execFileSync('truncate', ['-s', '200M', sparse]);
  assert.throws(
    () => loadTree({ dtb: sparse }),
    (e) => e instanceof FdtError && e.code === 'BAD_MAGIC' && e.source === sparse,
  );
  // A valid header that claims more than the limit: refused naming the file and the limit.
  const header = Buffer.from(readFileSync(nano).subarray(0, 40));
  header.writeUInt32BE(200 * 1024 * 1024, 4);
  const big = join(scratch(), 'big.dtb');
  writeFileSync(big, header);
  execFileSync('truncate', ['-s', '200M', big]);
  assert.throws(
    () => loadTree({ dtb: big }),
    (e) =>
      e instanceof FdtError &&
      e.code === 'TOO_LARGE' &&
      e.message.startsWith(`${big}: invalid devicetree blob: totalsize 209715200 is over the ${MAX_BLOB_BYTES}-byte (2 MiB) limit`),
  );
});

test('bytes after totalsize are not read', () => {
  const padded = join(scratch(), 'padded.dtb');
  writeFileSync(padded, readFileSync(nano));
  execFileSync('truncate', ['-s', '50M', padded]);
  assert.deepEqual(loadTree({ dtb: padded }).root.property('compatible')?.asStringList(), NANO_COMPATIBLE);
});

describe('--dtb - reads the blob from standard input', () => {
  /** Runs loadTree({ dtb: '-' }) in a child whose stdin is `stdin`; prints the source and root compatible, or the error. */
  const loadStdin = (stdin: { input: Buffer } | { shell: string }) => {
    const script = `import(${JSON.stringify(new URL('../../src/devicetree/load-tree.ts', import.meta.url).href)}).then(({ loadTree }) => {
      try { const t = loadTree({ dtb: '-' }); console.log(JSON.stringify([t.source, t.root.property('compatible')?.asStringList()])); }
      catch (e) { console.log(JSON.stringify({ name: e.name, code: e.code, message: e.message })); }
    })`;
    const node = [process.execPath, '--input-type=module', '-e', script];
    const run =
      'input' in stdin
        ? spawnSync(node[0]!, node.slice(1), { input: stdin.input, encoding: 'utf8', timeout: 20_000 })
        : spawnSync('sh', ['-c', `${stdin.shell} | "$@"`, 'sh', ...node], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(run.status, 0, run.stderr);
    return JSON.parse(run.stdout) as unknown;
  };

  test('a blob', () => {
    assert.deepEqual(loadStdin({ input: readFileSync(nano) }), [{ kind: 'blob', path: '<stdin>' }, NANO_COMPATIBLE]);
  });
  test('empty input, and garbage', () => {
    assert.deepEqual(loadStdin({ input: Buffer.alloc(0) }), { name: 'DevicetreeSourceError', code: 'DEVICETREE_INVALID', message: '<stdin>: empty input, not a devicetree blob' });
    assert.match((loadStdin({ shell: 'cat /dev/zero' }) as { message: string }).message, /^<stdin>: invalid devicetree blob: bad magic 0x00000000/);
  });
  test('reads no more than totalsize, even from an endless stream', () => {
    const header = join(scratch(), 'header');
    writeFileSync(header, readFileSync(nano).subarray(0, 40));
    const result = loadStdin({ shell: `cat ${header} /dev/zero` }) as { code: string; message: string };
    // totalsize bytes are read (header and zeros) and parsed: an empty reservation list, then token 0.
    assert.equal(result.code, 'BAD_TOKEN');
    const over = Buffer.from(readFileSync(nano).subarray(0, 40));
    over.writeUInt32BE(MAX_BLOB_BYTES + 1, 4);
    writeFileSync(header, over);
    assert.equal((loadStdin({ shell: `cat ${header} /dev/zero` }) as { code: string }).code, 'TOO_LARGE');
  });
});
