import type { BoundedBytes } from './bounded-bytes.ts';
import { FdtError } from './errors.ts';
import type { FdtHeader } from './header.ts';
import { MAX_MEMORY_RESERVATIONS } from './limits.ts';

export interface MemoryReservation {
  readonly address: bigint;
  readonly size: bigint;
}

const ENTRY_SIZE = 16;

/**
 * Reads the (address, size) pairs up to the terminator: the first entry whose size is 0, whatever its
 * address, as libfdt (fdt_num_mem_rsv), dtc and Linux read it. The loop is bounded by totalsize, and a
 * block with no terminator inside the blob is rejected (BAD_MEMRSV) rather than read past.
 */
export function readMemoryReservations(blob: BoundedBytes, header: FdtHeader): MemoryReservation[] {
  const reservations: MemoryReservation[] = [];
  for (let at = header.memRsvOffset; ; at += ENTRY_SIZE) {
    const what = `memory reservation entry ${reservations.length}`;
    const address = blob.u64(at, header.totalSize, 'BAD_MEMRSV', what);
    const size = blob.u64(at + 8, header.totalSize, 'BAD_MEMRSV', what);
    if (size === 0n) return reservations;
    if (reservations.length === MAX_MEMORY_RESERVATIONS) throw new FdtError('TOO_MANY', at, `more than ${MAX_MEMORY_RESERVATIONS} memory reservations`);
    reservations.push({ address, size });
  }
}
