// The real blobs live outside the repo: the corpus (576 .dtb files from Debian's arm64 kernel, mainline
// naming) in DTB_CORPUS_DIR, and the six NVIDIA L4T kernel blobs that stock JetPack boots in
// JETSON_L4T_DIR. Tests that use them skip with a clear reason when the variable is unset; CI sets both
// together with DTB_CORPUS_REQUIRED=1, which turns a missing folder into a failure instead of a skip.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const CORPUS_ENV = 'DTB_CORPUS_DIR';
const JETSON_L4T_ENV = 'JETSON_L4T_DIR';

export interface Corpus {
  readonly dir: string;
  /** Paths relative to `dir`, sorted. */
  readonly files: readonly string[];
}

/** The corpus, or a skip reason for `test(name, { skip })`. */
export function corpus(): Corpus | { skip: string } {
  return blobFolder(CORPUS_ENV, 'real-blob corpus', '../shared/dtb');
}

/** The six L4T kernel blobs (Nano, TX2 NX, TX2, Xavier NX, Orin Nano, AGX Orin), or a skip reason. */
export function jetsonL4t(): Corpus | { skip: string } {
  return blobFolder(JETSON_L4T_ENV, 'Jetson L4T blobs', '../shared/jetson-l4t');
}

function blobFolder(env: string, what: string, example: string): Corpus | { skip: string } {
  const dir = process.env[env];
  const required = process.env.DTB_CORPUS_REQUIRED === '1';
  if (dir === undefined || dir === '' || !existsSync(dir)) {
    const reason = `${what} not available: set ${env} to a folder of .dtb files (e.g. ${example})`;
    if (required) throw new Error(`${reason}; DTB_CORPUS_REQUIRED=1 forbids skipping`);
    return { skip: reason };
  }
  const files = readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.dtb'))
    .sort();
  if (files.length === 0) throw new Error(`${env}=${dir} holds no .dtb files`);
  return { dir, files };
}

export const corpusPath = (c: Corpus, file: string) => join(c.dir, file);

/** Directory of the committed hand-written fixtures. */
export const FIXTURES = new URL('../fixtures/', import.meta.url).pathname;
export const fixture = (name: string) => join(FIXTURES, name);
