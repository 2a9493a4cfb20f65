import { InvalidArgumentError } from 'commander';

/** A Commander argument parser that takes the value as it is when `valid` accepts it, else fails with `message`. */
export function accepting(valid: (value: string) => boolean, message: string): (value: string) => string {
  return (value) => {
    if (!valid(value)) throw new InvalidArgumentError(message);
    return value;
  };
}

/** Paths and URLs: an empty value would quietly mean "the current folder" or nothing at all. */
export const nonEmpty = accepting((value) => value !== '', 'must not be empty');
