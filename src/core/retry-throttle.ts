import type { Clock } from '../../libs/runtime/index.js';

/** Retries one customer may ask for at once (a few clicks of the page's button). */
export const RETRY_BURST = 5;
/** After the burst, one more Retry per customer every this long (5 a minute). */
export const RETRY_REFILL_MS = 12_000;
/** Customers tracked before the ones with a full allowance are forgotten (they lose nothing). */
const MAX_TRACKED = 10_000;

/**
 * The per-customer allowance of Retries (a token bucket): RETRY_BURST at once, then one per
 * RETRY_REFILL_MS. Each Retry skips the backoff and sends a request to the customer's endpoint,
 * so an unthrottled status link could hammer a failing receiver.
 */
export class RetryThrottle {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly clock: Clock,
    private readonly burst = RETRY_BURST,
    private readonly refillMs = RETRY_REFILL_MS,
  ) {}

  /** Takes one Retry from the customer's allowance: 0 when taken, else the ms until one is back. */
  take(customerId: string): number {
    const now = this.clock.now();
    const tokens = this.tokens(customerId, now);
    if (tokens < 1) {
      return Math.ceil((1 - tokens) * this.refillMs);
    }
    this.forgetFull(now);
    this.buckets.set(customerId, { tokens: tokens - 1, at: now });
    return 0;
  }

  private tokens(customerId: string, now: number): number {
    const bucket = this.buckets.get(customerId);
    return bucket === undefined
      ? this.burst
      : Math.min(this.burst, bucket.tokens + (now - bucket.at) / this.refillMs);
  }

  private forgetFull(now: number): void {
    if (this.buckets.size < MAX_TRACKED) {
      return;
    }
    for (const customerId of this.buckets.keys()) {
      if (this.tokens(customerId, now) >= this.burst) {
        this.buckets.delete(customerId);
      }
    }
  }
}
