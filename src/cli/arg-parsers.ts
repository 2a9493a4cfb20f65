import { statSync } from 'node:fs';
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
