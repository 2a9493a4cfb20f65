// NFD's "local" feature source: nfd-worker reads files in /etc/kubernetes/node-feature-discovery/features.d/
// with one `<namespace>/<name>[=<value>]` per line, `#` comments, and ignores dot files and files over
// 64 kB. This writes our labels in that format, for clusters where NFD owns node labels.
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fsErrorText, LabellerError } from '../errors.ts';

/** nfd-worker skips feature files larger than this. */
export const NFD_FEATURE_FILE_LIMIT = 64 * 1024;

/** The file's text: a header saying who writes it, then the labels sorted by key. */
export function formatFeatureFile(labels: Readonly<Record<string, string>>): string {
  const lines = Object.keys(labels)
    .sort()
    .map((key) => `${key}=${labels[key]}`);
  const text = ["# Written by dt-node-labeller from this machine's devicetree; rewritten whenever the devicetree changes.", ...lines, ''].join('\n');
  const bytes = Buffer.byteLength(text);
  if (bytes > NFD_FEATURE_FILE_LIMIT)
    throw new LabellerError('FEATURES_TOO_LARGE', `the feature file would be ${bytes} bytes; nfd-worker ignores files over ${NFD_FEATURE_FILE_LIMIT}`);
  return text;
}

/**
 * Replaces `path` atomically: write a dot file beside it (NFD ignores dot files), flush it, rename it over
 * the old one, so nfd-worker never reads half a file. The dot file's name is random, not the pid (1 in every
 * container), and created exclusively, so two writers never share one. Failures name `path` and its folder,
 * never the dot file: a folder that is missing or not writable is FEATURES_FOLDER (someone must fix the
 * mount), anything else FEATURES_WRITE.
 */
export function writeFileAtomically(path: string, text: string): void {
  const folder = dirname(path);
  const temporary = join(folder, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const fd = openSync(temporary, 'wx', 0o644);
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, path);
  } catch (error) {
    try {
      rmSync(temporary, { force: true });
    } catch {
      // Nothing was created (its folder is missing or is no folder): nothing to remove.
    }
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR')
      throw new LabellerError('FEATURES_FOLDER', `cannot write ${path}: the folder ${folder} does not exist (is NFD's features.d mounted there?)`, { cause: error });
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS')
      throw new LabellerError('FEATURES_FOLDER', `cannot write ${path}: the folder ${folder} is not writable (${fsErrorText(error)})`, { cause: error });
    throw new LabellerError('FEATURES_WRITE', `cannot write ${path}: ${fsErrorText(error)}`, { cause: error });
  }
}
