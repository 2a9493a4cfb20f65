import { InvalidArgumentError } from 'commander';

/** Paths and URLs: an empty value would quietly mean "the current folder" or nothing at all. */
export function nonEmpty(value: string): string {
  if (value === '') throw new InvalidArgumentError('must not be empty');
  return value;
}
