/** Released-but-not-purged state of one customer. */
interface CustomerPurgeState {
  /** Highest id the caller has released (delivered or skipped everything up to it). */
  releasedThrough: number;
  /** Highest id a finished purge has removed through. */
  purgedThrough: number;
  /** Messages released since the last purge started (the caller's count). */
  unpurged: number;
  /** The `unpurged` count taken by the purge in flight, restored if it fails; null when none runs. */
  inFlight: number | null;
}

/**
 * Pure bookkeeping for amortised purges: one subject purge per `every` released messages of a customer
 * (or on flush), never one per delivery, and never past the highest released id.
 */
export class PurgePlan {
  private readonly customers = new Map<string, CustomerPurgeState>();
  private unpurgedTotal = 0;

  constructor(private readonly every: number) {
    if (!Number.isSafeInteger(every) || every < 1) {
      throw new Error(`purge interval must be a positive integer, got ${every}`);
    }
  }

  /** Records that everything <= throughId is done; true when a purge is now due. Older ids are ignored. */
  release(customerId: string, throughId: number, count: number): boolean {
    if (!Number.isSafeInteger(throughId) || throughId < 1) {
      throw new Error(`release: throughId must be a positive integer, got ${throughId}`);
    }
    if (!Number.isSafeInteger(count) || count < 0) {
      throw new Error(`release: count must be a non-negative integer, got ${count}`);
    }
    const state = this.customers.get(customerId) ?? {
      releasedThrough: 0,
      purgedThrough: 0,
      unpurged: 0,
      inFlight: null,
    };
    this.customers.set(customerId, state);
    if (throughId <= state.releasedThrough) {
      return false;
    }
    state.releasedThrough = throughId;
    state.unpurged += count;
    this.unpurgedTotal += count;
    return state.inFlight === null && state.unpurged >= this.every;
  }

  /**
   * Starts a purge: returns the sequence to keep from (releasedThrough + 1, always >= 2, since seq 1
   * would purge the whole subject on 2.9), or null when nothing is left to purge or one is in flight.
   */
  begin(customerId: string): number | null {
    const state = this.customers.get(customerId);
    if (state === undefined || state.inFlight !== null || state.releasedThrough <= state.purgedThrough) {
      return null;
    }
    state.inFlight = state.unpurged;
    state.unpurged = 0;
    return state.releasedThrough + 1;
  }

  /** Ends a successful purge; true when enough was released meanwhile that another one is due. */
  succeeded(customerId: string, keepFrom: number): boolean {
    const state = this.customers.get(customerId);
    if (state === undefined) {
      return false;
    }
    this.unpurgedTotal -= state.inFlight ?? 0;
    state.inFlight = null;
    state.purgedThrough = Math.max(state.purgedThrough, keepFrom - 1);
    if (state.releasedThrough <= state.purgedThrough) {
      // Forgetting a purged customer keeps memory flat; a later stale release costs one no-op purge.
      this.customers.delete(customerId);
      return false;
    }
    return state.unpurged >= this.every;
  }

  /** Ends a failed purge: its messages count as unpurged again, so the next release or flush retries. */
  failed(customerId: string): void {
    const state = this.customers.get(customerId);
    if (state !== undefined && state.inFlight !== null) {
      state.unpurged += state.inFlight;
      state.inFlight = null;
    }
  }

  /** Customers with released messages not yet purged (flush-all works through these). */
  customersToPurge(): string[] {
    return [...this.customers].filter(([, s]) => s.releasedThrough > s.purgedThrough).map(([id]) => id);
  }

  /** Released messages of every customer that no finished purge has removed yet. */
  get unpurged(): number {
    return this.unpurgedTotal;
  }

  /** The highest released id of a customer, 0 when none is tracked. */
  releasedThrough(customerId: string): number {
    return this.customers.get(customerId)?.releasedThrough ?? 0;
  }
}
