/** Renewals per lease: a renewal that fails twice in a row still leaves time before the lease ends. */
export const RENEWALS_PER_LEASE = 3;

/**
 * Part of the lease the holder gives up early: it stops acting this long before the lease runs out
 * by its own clock, which covers clock drift between instances and the time the renewal took to be
 * written.
 */
export const SAFETY_FRACTION = 0.2;

/** Until when (this process's monotonic clock) a lease renewed by a write that started at `started` is valid. */
export function validUntil(started: number, leaseMs: number): number {
  return started + leaseMs * (1 - SAFETY_FRACTION);
}
