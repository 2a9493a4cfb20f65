import { accessSync, constants, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { InvalidArgumentError } from 'commander';
import { fsErrorText } from '../errors.ts';

/** A Commander argument parser that takes the value as it is when `valid` accepts it, else fails with `message`. */
export function accepting(valid: (value: string) => boolean, message: string): (value: string) => string {
  return (value) => {
    if (!valid(value)) throw new InvalidArgumentError(message);
    return value;
  };
}

/** Paths and URLs: an empty value would quietly mean "the current folder" or nothing at all. */
export const nonEmpty = accepting((value) => value !== '', 'must not be empty');

/**
 * A folder that exists (--host-root): a mistyped one must not read as "this machine has no devicetree", which
 * is what an existing root without one means.
 */
export function existingFolder(value: string): string {
  nonEmpty(value);
  let isFolder: boolean;
  try {
    isFolder = statSync(value).isDirectory();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InvalidArgumentError(code === 'ENOENT' || code === 'ENOTDIR' ? `${value} does not exist` : `${value}: ${fsErrorText(error)}`);
  }
  if (!isFolder) throw new InvalidArgumentError(`${value} is not a folder`);
  return value;
}

/**
 * A file to write in a folder that exists and may be written (--nfd-features-file): a mistyped or unmounted
 * folder is a usage error at start, not a retry loop. One that goes away later is retried (FEATURES_FOLDER).
 */
export function fileInWritableFolder(value: string): string {
  nonEmpty(value);
  const folder = dirname(value);
  if (!isFolder(folder)) throw new InvalidArgumentError(`the folder ${folder} does not exist (is NFD's features.d mounted there?)`);
  if (isFolder(value)) throw new InvalidArgumentError(`${value} is a folder; name the file to write in it`);
  try {
    accessSync(folder, constants.W_OK);
  } catch (error) {
    throw new InvalidArgumentError(`the folder ${folder} is not writable (${fsErrorText(error)})`);
  }
  return value;
}

/** True when `path` is a folder; false when it is anything else, or cannot be looked at. */
function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
