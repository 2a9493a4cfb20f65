// Which libfdt the differential tests compare with, and that release's rules where they changed between
// releases. .ci/run installs whatever libfdt the distribution ships, so the tests read the release the
// oracle actually loads (libfdt_version.py says how and why) and look its rules up here, instead of
// assuming one release. Each rule lists the answers a release gives; a release the scripts cannot
// identify gets every answer any supported release gives, so the tests then hold libfdt only to what all
// of them agree on. The rows were checked once against Debian's builds (bookworm 1.6.1-4, trixie 1.7.2-2,
// sid 1.8.1-2), by running these tests and 40,000 more mutated blobs with LD_LIBRARY_PATH pointing at each:
// their decisions differ only as listed here, with the sources that say why. Error names differ more (1.8
// answers FDT_ERR_ALIGNMENT before any other check), so the tests compare decisions, never names.
//
// - Property lengths whose end passes INT_MAX: 1.6.x adds the length to an int offset, which wraps
//   (0xfffffff4 lands back on the same token and fdt_check_full never returns; 0xffffffff is accepted).
//   dgibson/dtc 73590342fc85 "libfdt: prevent integer overflow in fdt_next_tag" (v1.6.1-62, so first in
//   v1.7.0) ends the walk there, and fdt_check_full answers FDT_ERR_BADSTRUCTURE (libfdt/fdt.c,
//   fdt_next_tag, at tag v1.7.2).
// - Block alignment: up to 1.7.x fdt_check_header checks only that each block lies inside totalsize
//   (libfdt/fdt.c at v1.7.2); from 1.8.0 it also wants off_dt_struct a multiple of 4 and off_mem_rsvmap
//   a multiple of 8, before any bounds check, and answers FDT_ERR_ALIGNMENT (dgibson/dtc issue #178
//   reported the misaligned reads a misaligned off_dt_struct caused). off_dt_strings may be anywhere.
// - FDT_NOP after the root node's FDT_END_NODE: fdt_check_full wants only FDT_END there since 1.6.1,
//   whose release notes add "several checks for root node sanity in fdt_check_full()" (dgibson/dtc
//   a2def5479950 is one; libfdt/fdt_check.c at v1.7.2 has them); 1.8.1 skips such NOPs (FDT_END must
//   still follow). Whether 1.8.0 does too is not checked here, so 1.8.0 may give either answer.
//
// Older than 1.6.1 is not supported: fdt_check_full did not check the root node before it. Releases newer
// than the newest row get its rules; a later release that changes them needs a new row.
import { spawnSync } from 'node:child_process';
import { SYSTEM_PYTHON } from './reference.ts';

/** One libfdt release's decision on a blob: fdt_check_full accepts it or refuses it. */
export type Decision = 'accept' | 'reject';

export interface LibfdtRules {
  /** The releases these rules are for, as a reader would say it. */
  readonly releases: string;
  /** Blocks at offsets libfdt 1.8 calls misaligned (off_dt_struct % 4, off_mem_rsvmap % 8). */
  readonly misalignedBlock: readonly Decision[];
  /** FDT_NOP tokens between the root node's FDT_END_NODE and FDT_END. */
  readonly nopAfterRoot: readonly Decision[];
  /** A property length whose end overflows int: 'wrap' (1.6.x: accepted, refused or a hang, by value) or 'reject'. */
  readonly overflowingLength: readonly ('wrap' | 'reject')[];
}

interface Row extends LibfdtRules {
  readonly from: string;
}

const ROWS: readonly Row[] = [
  { from: '1.6.1', releases: '1.6.1 to 1.6.x', misalignedBlock: ['accept'], nopAfterRoot: ['reject'], overflowingLength: ['wrap'] },
  { from: '1.7.0', releases: '1.7.0 to 1.7.x', misalignedBlock: ['accept'], nopAfterRoot: ['reject'], overflowingLength: ['reject'] },
  { from: '1.8.0', releases: '1.8.0', misalignedBlock: ['reject'], nopAfterRoot: ['reject', 'accept'], overflowingLength: ['reject'] },
  { from: '1.8.1', releases: '1.8.1 and later', misalignedBlock: ['reject'], nopAfterRoot: ['accept'], overflowingLength: ['reject'] },
];

export const OLDEST_SUPPORTED = ROWS[0]!.from;

const union = <T>(pick: (row: Row) => readonly T[]): T[] => [...new Set(ROWS.flatMap(pick))];

/** For a release the scripts could not identify: whatever any supported release answers. */
export const ANY_SUPPORTED_RELEASE: LibfdtRules = {
  releases: `an unidentified release (held to what ${OLDEST_SUPPORTED} and later all agree on)`,
  misalignedBlock: union((r) => r.misalignedBlock),
  nopAfterRoot: union((r) => r.nopAfterRoot),
  overflowingLength: union((r) => r.overflowingLength),
};

/** What libfdt_version.py reports about the libfdt code a script loaded. */
export interface LibfdtRelease {
  /** "X.Y.Z", or null when neither the file name nor package metadata gave one. */
  readonly version: string | null;
  readonly file: string | null;
  /** How the version was found: "file name", "python package NAME" or "unknown". */
  readonly from: string;
}

/** [major, minor, patch] from the leading X.Y.Z of a release string ("1.7.2.post2" reads as 1.7.2). */
function parseRelease(version: string): [number, number, number] | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)/.exec(version);
  return m === null ? undefined : [Number(m[1]), Number(m[2]), Number(m[3])];
}

/** Negative, zero or positive as release `a` is older than, the same as or newer than `b`; undefined if either has no X.Y.Z. */
export function compareReleases(a: string, b: string): number | undefined {
  const x = parseRelease(a);
  const y = parseRelease(b);
  if (x === undefined || y === undefined) return undefined;
  return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
}

/**
 * The rules of `release`: its row, ANY_SUPPORTED_RELEASE when it has no version, or undefined when it is
 * older than OLDEST_SUPPORTED.
 */
export function rulesFor(release: LibfdtRelease): LibfdtRules | undefined {
  if (release.version === null || parseRelease(release.version) === undefined) return ANY_SUPPORTED_RELEASE;
  return ROWS.findLast((row) => compareReleases(release.version!, row.from)! >= 0);
}

/** "libfdt 1.6.1 (from the file name /usr/lib/x86_64-linux-gnu/libfdt-1.6.1.so)", for messages. */
export function describeRelease(release: LibfdtRelease): string {
  const file = release.file ?? 'an unknown file';
  if (release.version === null) return `libfdt of unknown release (${file})`;
  return release.from === 'file name' ? `libfdt ${release.version} (from the file name ${file})` : `libfdt ${release.version} (from the ${release.from}; code in ${file})`;
}

/**
 * Why libfdt's answer on `blob` may depend on its release, for a blob whose structure our parser accepts
 * (the parser refuses NOP after the root and overflowing lengths itself, so only the header is left), or
 * undefined when every supported release answers alike. Tests that compare trees on real blobs use it to
 * show that the comparison means the same whatever libfdt the machine has.
 */
export function releaseDependentLayout(blob: Uint8Array): string | undefined {
  if (blob.length < 20) return undefined;
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const struct = view.getUint32(8);
  const memrsv = view.getUint32(16);
  if (struct % 4 !== 0) return `off_dt_struct ${struct} is not a multiple of 4 (libfdt 1.8.0+ refuses it)`;
  if (memrsv % 8 !== 0) return `off_mem_rsvmap ${memrsv} is not a multiple of 8 (libfdt 1.8.0+ refuses it)`;
  return undefined;
}

const releases = new Map<string, LibfdtRelease>();

/**
 * The libfdt release a helper script (libfdt_check.py or libfdt_reference.py) loads, from its --version.
 * Throws when the script cannot say: an oracle whose release is unknown to itself is broken.
 */
export function scriptRelease(script: string): LibfdtRelease {
  let release = releases.get(script);
  if (release === undefined) {
    const run = spawnSync(SYSTEM_PYTHON, [script, '--version'], { encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`${script} --version failed (exit ${run.status ?? run.signal}): ${run.stderr.trim()}`);
    release = JSON.parse(run.stdout) as LibfdtRelease;
    releases.set(script, release);
  }
  return release;
}
