/** A command line that is wrong as a whole (conflicting or impossible flag values): exit 2, one line. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
