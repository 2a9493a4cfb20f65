// The L4T release a Jetson runs is a fact of its root filesystem, not of its devicetree: JetPack's
// nvidia-l4t-core package writes /etc/nv_tegra_release, whose first line reads
//   # R35 (release), REVISION: 4.1, GCID: 33958178, BOARD: t186ref, EABI: aarch64, DATE: ...
// This reads that line under the host root (the chart mounts only this one file) and nothing else.
import { closeSync } from 'node:fs';
import { join } from 'node:path';
import { openRegularFile, readInto } from '../devicetree/bounded-read.ts';
import { DevicetreeSourceError } from '../devicetree/errors.ts';

/** Where JetPack records the L4T release, relative to the host root. */
const L4T_RELEASE_FILE = 'etc/nv_tegra_release';
/** The first line is all we read; real files are a few hundred bytes. */
const MAX_READ = 4096;

export interface L4tRelease {
  /** "35.4.1": the major release and the REVISION field, as NVIDIA writes release numbers. */
  readonly release: string;
  readonly major: number;
  /** The file it came from. */
  readonly path: string;
}

/** What reading the release file gave: a release, nothing (no file: not L4T), or why it could not be used. */
export type L4tReleaseReading = { readonly release: L4tRelease } | { readonly absent: string } | { readonly unusable: string };

const FIRST_LINE = /^# R(\d{1,4}) \(release\), REVISION: (\d{1,4}(?:\.\d{1,4}){0,2}),/;

/** The release named by the file's first line, or undefined when the line is not in NVIDIA's format. */
export function parseL4tRelease(text: string, path: string): L4tRelease | undefined {
  const match = FIRST_LINE.exec(text);
  if (match === null) return undefined;
  const major = Number(match[1]);
  return { release: `${major}.${match[2]}`, major, path };
}

export function readL4tRelease(hostRoot: string): L4tReleaseReading {
  const path = join(hostRoot, L4T_RELEASE_FILE);
  let text: string;
  try {
    text = readHead(path);
  } catch (error) {
    if (error instanceof DevicetreeSourceError && error.reason === 'ABSENT') return { absent: path };
    return { unusable: error instanceof Error ? error.message : String(error) };
  }
  const release = parseL4tRelease(text, path);
  return release === undefined ? { unusable: `${path}: the first line is not "# R<major> (release), REVISION: <revision>, ..."` } : { release };
}

/**
 * The first MAX_READ bytes: enough for the first line, through the devicetree reader's bounded reads, so a
 * FIFO or a device in its place is refused, not waited on or read forever.
 */
function readHead(path: string): string {
  const fd = openRegularFile(path, (kind) => new DevicetreeSourceError(`${path}: is ${kind}, not a file`));
  try {
    const buffer = Buffer.alloc(MAX_READ);
    return buffer.toString('latin1', 0, readInto(fd, buffer, 0, path));
  } finally {
    closeSync(fd);
  }
}
