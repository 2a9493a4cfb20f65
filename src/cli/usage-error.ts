import { LabellerError } from '../errors.ts';

/** A command line that is wrong as a whole (conflicting or impossible flag values): exit 2, one line. */
export class UsageError extends LabellerError {
  override readonly name = 'UsageError';

  constructor(message: string) {
    super('USAGE', message);
  }
}
