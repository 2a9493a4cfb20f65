// The differential rule between our parser and the libfdt the machine has: the same accept/reject
// decision as its fdt_check_full(), and when both accept, the same tree as libfdt's iterators show (paths,
// property names, value bytes, memory reservations, version). Where the two decide differently on
// purpose, the difference is listed in DELIBERATE_DIFFERENCES with its reason and the libfdt releases it
// exists with (libfdt-versions.ts), and only that exact case, with those releases, is allowed.
// Shared by __tests__/devicetree/libfdt-fuzz.test.ts and `npm run fuzz -- --libfdt`.
import { FdtError } from '../../src/devicetree/errors.ts';
import { FIRST_SUPPORTED_VERSION } from '../../src/devicetree/header.ts';
import { MAX_DEPTH } from '../../src/devicetree/limits.ts';
import { parseBlob } from '../../src/devicetree/parse-blob.ts';
import type { DeviceTree } from '../../src/devicetree/tree.ts';
import { digestTree, isAccepted, type LibfdtVerdict, libfdtCheckOracle } from './libfdt-check.ts';
import { type LibfdtRules, releaseDependentLayout } from './libfdt-versions.ts';

interface DifferenceBase {
  readonly name: string;
  readonly why: string;
  /** True under the libfdt rules where the difference exists; under the others both decide alike. */
  readonly with: (rules: LibfdtRules) => boolean;
}

export type DeliberateDifference = DifferenceBase &
  (
    | {
        /** Our parser refuses what libfdt accepted (or died on). */
        readonly refusedBy: 'parser';
        /** True when our rejection `error` of `bytes` is this case. */
        readonly applies: (error: FdtError, bytes: Buffer, libfdt: LibfdtVerdict) => boolean;
      }
    | {
        /** libfdt refuses what our parser accepts. */
        readonly refusedBy: 'libfdt';
        /** True when libfdt's rejection of `bytes` is this case. */
        readonly applies: (bytes: Buffer, libfdt: { readonly error: string }) => boolean;
      }
  );

/** libfdt 1.6.x computes a property's end in int arithmetic: lengths from 2^32 - 12 up wrap back onto the property. */
const WRAPPING_LENGTH = 0xfffffff4;

export const DELIBERATE_DIFFERENCES: readonly DeliberateDifference[] = [
  {
    name: 'version below 16',
    why: 'libfdt also reads versions 2-15, whose nodes are named by full path; the parser reads only 16 and 17 (and libfdt can crash on old blobs)',
    with: () => true,
    refusedBy: 'parser',
    applies: (error, bytes) => error.code === 'BAD_VERSION' && bytes.length >= 24 && bytes.readUInt32BE(20) < FIRST_SUPPORTED_VERSION,
  },
  {
    name: `nesting deeper than ${MAX_DEPTH}`,
    why: 'Linux does not unflatten nodes that deep (FDT_MAX_DEPTH), so no real tree has them; fdt_check_full allows INT_MAX',
    with: () => true,
    refusedBy: 'parser',
    applies: (error, _bytes, libfdt) => error.code === 'TOO_DEEP' && (!isAccepted(libfdt) || libfdt.depth > MAX_DEPTH),
  },
  {
    name: 'no root node',
    why: 'fdt_check_full accepts a structure block with no node at all; a tree needs a root',
    with: () => true,
    refusedBy: 'parser',
    applies: (error, _bytes, libfdt) => error.code === 'BAD_STRUCTURE' && error.detail === 'no root node' && (!isAccepted(libfdt) || libfdt.nodes === 0),
  },
  {
    name: 'property length that wraps libfdt',
    why: `in libfdt 1.6.x a length of 0x${WRAPPING_LENGTH.toString(16)} or more wraps the offset back into the property (0x${WRAPPING_LENGTH.toString(16)} loops fdt_check_full forever); it runs past any block, and libfdt 1.7.0+ refuses it too`,
    with: (rules) => rules.overflowingLength.includes('wrap'),
    refusedBy: 'parser',
    applies: (error, bytes) => error.code === 'BAD_VALUE' && error.offset + 8 <= bytes.length && bytes.readUInt32BE(error.offset + 4) >= WRAPPING_LENGTH,
  },
  {
    name: 'resource limits',
    why: 'the labeller refuses trees over MAX_BLOB_BYTES, MAX_NODES or MAX_PROPERTIES rather than grow without bound',
    with: () => true,
    refusedBy: 'parser',
    applies: (error) => error.code === 'TOO_LARGE' || error.code === 'TOO_MANY',
  },
  {
    name: 'FDT_NOP after the root node',
    why: 'only FDT_END may follow the root node, as libfdt 1.6.1 to 1.7.x hold too; libfdt 1.8.1 skips NOPs there',
    with: (rules) => rules.nopAfterRoot.includes('accept'),
    refusedBy: 'parser',
    applies: (error) => error.code === 'BAD_STRUCTURE' && error.detail.startsWith('FDT_NOP after the root node'),
  },
  {
    name: 'misaligned block',
    why: 'the parser reads every field bytewise and takes blocks at any offset, as libfdt 1.6.1 to 1.7.x do; libfdt 1.8.0+ refuses them (src/devicetree/header.ts)',
    with: (rules) => rules.misalignedBlock.includes('reject'),
    refusedBy: 'libfdt',
    applies: (bytes, libfdt) => libfdt.error === 'FDT_ERR_ALIGNMENT' && releaseDependentLayout(bytes) !== undefined,
  },
];

/** The differences that exist with libfdt under `rules`. */
export const deliberateDifferences = (rules: LibfdtRules): DeliberateDifference[] => DELIBERATE_DIFFERENCES.filter((d) => d.with(rules));

export type Comparison =
  /** Agreement, or an allowed difference: a short label for the outcome histogram. */
  | { readonly outcome: string }
  /** A real disagreement, as one readable line. */
  | { readonly difference: string };

/**
 * Compares our parse of `bytes` with libfdt's verdict on the same bytes, under the rules of the libfdt
 * release that gave the verdict (by default the one libfdt_check.py loads).
 */
export function compareWithLibfdt(bytes: Buffer, libfdt: LibfdtVerdict, rules: LibfdtRules | undefined = libfdtCheckOracle().rules): Comparison {
  if (rules === undefined) throw new Error('no rules for this libfdt release (see libfdtCheckUnavailable)');
  let tree: DeviceTree | undefined;
  let error: FdtError | undefined;
  try {
    tree = parseBlob(bytes);
  } catch (e) {
    if (!(e instanceof FdtError)) return { difference: `our parser threw a non-FdtError: ${String(e)}` };
    error = e;
  }
  const differences = deliberateDifferences(rules);
  if ('error' in libfdt) {
    if (error !== undefined) return { outcome: 'both reject' };
    const allowed = differences.find((d) => d.refusedBy === 'libfdt' && d.applies(bytes, libfdt));
    return allowed !== undefined ? { outcome: `allowed: ${allowed.name}` } : { difference: `libfdt rejects (${libfdt.error}), ours accepts` };
  }
  if ('died' in libfdt)
    return error !== undefined
      ? { outcome: `libfdt ${libfdt.died.startsWith('libfdt crashed') ? 'crashes' : 'hangs'}, ours rejects` }
      : { difference: `${libfdt.died}, ours accepts` };
  if ('walkError' in libfdt)
    return { difference: `fdt_check_full accepts but libfdt's walk fails (${libfdt.walkError}); ours ${error === undefined ? 'accepts' : `rejects: ${error.message}`}` };
  if (error !== undefined) {
    const allowed = differences.find((d) => d.refusedBy === 'parser' && d.applies(error, bytes, libfdt));
    return allowed !== undefined ? { outcome: `allowed: ${allowed.name}` } : { difference: `libfdt accepts, ours rejects: ${error.code} ${error.message}` };
  }
  const ours = digestTree(tree!);
  return ours === libfdt.digest ? { outcome: 'both accept, same tree' } : { difference: 'both accept, but the trees differ' };
}
