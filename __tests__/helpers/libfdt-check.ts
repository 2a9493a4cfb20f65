// libfdt as an oracle for accept/reject decisions: fdt_check_full() from the system's libfdt.so.1 through
// libfdt_check.py, and a digest of the tree libfdt's iterators show, compared with the same digest of
// ours. One python process answers a whole batch; when libfdt hangs or crashes on a blob, that process
// dies, the blob gets a `died` verdict and a new process takes the rest. Which release answers, and its
// rules where releases differ, come from libfdtCheckOracle() (see libfdt-versions.ts).

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { DeviceTree } from '../../src/devicetree/tree.ts';
import { describeRelease, type LibfdtRelease, type LibfdtRules, OLDEST_SUPPORTED, rulesFor, scriptRelease } from './libfdt-versions.ts';
import { SYSTEM_PYTHON, type TreeView } from './reference.ts';

const LIBFDT_CHECK = new URL('./libfdt_check.py', import.meta.url).pathname;

export type LibfdtVerdict =
  /** fdt_check_full rejected the blob with this FDT_ERR_ name. */
  | { readonly error: string }
  /**
   * It accepted; `digest` covers the tree libfdt shows (see digestTree), `depth` is its deepest nesting
   * (the root is 1), `view` is there only when asked for.
   */
  | LibfdtAccepted
  /** It accepted, but walking the tree with libfdt's iterators then failed. */
  | { readonly walkError: string }
  /** libfdt did not return: killed by its timeout (SIGALRM) or a crash (SIGSEGV, ...). */
  | { readonly died: string };

/**
 * Undefined when the oracle can run, else why not: python3 and libfdt.so.1 (Debian's libfdt1) must be
 * there, and the libfdt release must be one libfdt-versions.ts has rules for.
 */
export function libfdtCheckUnavailable(): string | undefined {
  if (!existsSync(SYSTEM_PYTHON)) return `${SYSTEM_PYTHON} not found`;
  const run = spawnSync(SYSTEM_PYTHON, ['-c', "import ctypes; ctypes.CDLL('libfdt.so.1').fdt_check_full"], { encoding: 'utf8' });
  if (run.status !== 0) return `libfdt.so.1 not loadable from ${SYSTEM_PYTHON} (Debian package libfdt1): ${run.stderr.trim().split('\n').at(-1) ?? ''}`;
  const { release, rules } = libfdtCheckOracle();
  return rules === undefined ? `${describeRelease(release)} is older than ${OLDEST_SUPPORTED}, the oldest release with rules in libfdt-versions.ts` : undefined;
}

/**
 * The libfdt release libfdt_check.py loads and the rules the tests hold it to (undefined when it is older
 * than any release with rules). Asked once per process.
 */
export function libfdtCheckOracle(): { readonly release: LibfdtRelease; readonly rules: LibfdtRules | undefined } {
  const release = scriptRelease(LIBFDT_CHECK);
  return { release, rules: rulesFor(release) };
}

const DEATH_SIGNALS: ReadonlySet<string> = new Set(['SIGALRM', 'SIGSEGV', 'SIGBUS', 'SIGABRT', 'SIGFPE', 'SIGILL']);

/**
 * libfdt's verdict on each blob, in order. `full(i)` asks for libfdt's whole view of blob i (slower; for
 * reporting a difference). Throws when the oracle itself fails (python error, not a libfdt death).
 */
export function libfdtVerdicts(blobs: readonly Uint8Array[], full: (index: number) => boolean = () => false): LibfdtVerdict[] {
  const verdicts: LibfdtVerdict[] = [];
  while (verdicts.length < blobs.length) {
    const first = verdicts.length;
    const frames: Buffer[] = [];
    for (let i = first; i < blobs.length; i++) {
      const head = Buffer.alloc(8);
      head.writeUInt32BE(full(i) ? 1 : 0, 0);
      head.writeUInt32BE(blobs[i]!.length, 4);
      frames.push(head, Buffer.from(blobs[i]!.buffer, blobs[i]!.byteOffset, blobs[i]!.length));
    }
    const run = spawnSync(SYSTEM_PYTHON, [LIBFDT_CHECK], { input: Buffer.concat(frames), maxBuffer: 1 << 30, encoding: 'utf8' });
    // EPIPE: the process died before reading all its input; its signal below tells why.
    if (run.error !== undefined && (run.error as NodeJS.ErrnoException).code !== 'EPIPE') throw run.error;
    for (const line of run.stdout.split('\n')) if (line !== '') verdicts.push(JSON.parse(line) as LibfdtVerdict);
    if (verdicts.length === blobs.length) break;
    if (run.signal === null || !DEATH_SIGNALS.has(run.signal)) {
      throw new Error(`${LIBFDT_CHECK} failed at blob ${verdicts.length} (exit ${run.status ?? run.signal}): ${run.stderr.trim()}`);
    }
    verdicts.push({ died: run.signal === 'SIGALRM' ? 'libfdt did not return (timeout)' : `libfdt crashed (${run.signal})` });
  }
  return verdicts;
}

export interface LibfdtAccepted {
  readonly digest: string;
  readonly nodes: number;
  readonly depth: number;
  readonly view?: TreeView;
}

export const isAccepted = (v: LibfdtVerdict): v is LibfdtAccepted => 'digest' in v;

/** The digest libfdt_check.py computes (digest_view), over our tree: equal digests mean equal views. */
export function digestTree(tree: DeviceTree): string {
  const h = createHash('sha1');
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n >>> 0);
    h.update(b);
  };
  u32(tree.version ?? 0);
  u32(tree.memoryReservations.length);
  for (const { address, size } of tree.memoryReservations) {
    const b = Buffer.alloc(16);
    b.writeBigUInt64BE(address, 0);
    b.writeBigUInt64BE(size, 8);
    h.update(b);
  }
  for (const node of tree.root.walk()) {
    h.update(Buffer.from(`${node.path}\0`, 'latin1'));
    u32(node.properties.length);
    for (const p of node.properties) {
      h.update(Buffer.from(`${p.name}\0`, 'latin1'));
      u32(p.value.length);
      h.update(p.value);
    }
  }
  return h.digest('hex');
}
