// The real-blob corpus (576 .dtb files from Debian's arm64 kernel) lives outside the repo. Tests that use it
// take its folder from DTB_CORPUS_DIR and skip with a clear reason when it is unset; CI sets it together
// with DTB_CORPUS_REQUIRED=1, which turns a missing folder into a failure instead of a skip.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export const CORPUS_ENV = 'DTB_CORPUS_DIR';

export interface Corpus {
  readonly dir: string;
  /** Paths relative to `dir`, sorted. */
  readonly files: readonly string[];
}

/** The corpus, or a skip reason for `test(name, { skip })`. */
export function corpus(): Corpus | { skip: string } {
  const dir = process.env[CORPUS_ENV];
  const required = process.env.DTB_CORPUS_REQUIRED === '1';
  if (dir === undefined || dir === '' || !existsSync(dir)) {
    const reason = `real-blob corpus not available: set ${CORPUS_ENV} to a folder of .dtb files (e.g. ../shared/dtb)`;
    if (required) throw new Error(`${reason}; DTB_CORPUS_REQUIRED=1 forbids skipping`);
    return { skip: reason };
  }
  const files = readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.dtb'))
    .sort();
  if (files.length === 0) throw new Error(`${CORPUS_ENV}=${dir} holds no .dtb files`);
  return { dir, files };
}

export const corpusPath = (c: Corpus, file: string) => join(c.dir, file);

/** Directory of the committed hand-written fixtures. */
export const FIXTURES = new URL('../fixtures/', import.meta.url).pathname;
export const fixture = (name: string) => join(FIXTURES, name);
