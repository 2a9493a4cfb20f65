import type { BoundedBytes } from './bounded-bytes.ts';
import type { FdtHeader } from './header.ts';

export interface MemoryReservation {
  readonly address: bigint;
  readonly size: bigint;
}

const ENTRY_SIZE = 16;

/**
 * Reads the (address, size) pairs up to the all-zero terminator. The loop is bounded by totalsize, and
 * a block with no terminator inside the blob is rejected (BAD_MEMRSV) rather than read past.
 */
export function readMemoryReservations(blob: BoundedBytes, header: FdtHeader): MemoryReservation[] {
  const reservations: MemoryReservation[] = [];
  for (let at = header.memRsvOffset; ; at += ENTRY_SIZE) {
    const what = `memory reservation entry ${reservations.length}`;
    const address = blob.u64(at, header.totalSize, 'BAD_MEMRSV', what);
    const size = blob.u64(at + 8, header.totalSize, 'BAD_MEMRSV', what);
    if (address === 0n && size === 0n) return reservations;
    reservations.push({ address, size });
  }
}
