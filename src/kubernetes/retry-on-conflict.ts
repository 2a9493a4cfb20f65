import { httpStatus } from '../errors.ts';
import { ConflictError } from './api-errors.ts';

/** How often a resourceVersion-guarded write is re-read and re-planned after 409 Conflict before giving up. */
const CONFLICT_RETRIES = 5;

/**
 * client-go's RetryOnConflict: runs `attempt` (read, plan, guarded write) again while the write meets 409
 * Conflict, up to CONFLICT_RETRIES times, then throws ConflictError. Each attempt must read afresh;
 * `onConflict` is told of each 409.
 */
export async function retryOnConflict<T>(what: string, attempt: (retry: number) => Promise<T>, onConflict?: () => void): Promise<T> {
  for (let retry = 0; retry < CONFLICT_RETRIES; retry++) {
    try {
      return await attempt(retry);
    } catch (error) {
      if (httpStatus(error) !== 409) throw error;
      onConflict?.();
    }
  }
  throw new ConflictError(`${what} kept changing: ${CONFLICT_RETRIES} writes in a row met 409 Conflict`);
}
