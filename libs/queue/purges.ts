import type { Clock } from '../runtime/clock.js';

/** Removes a customer's messages below keepFrom from the stream (a subject purge). */
export type PurgeSubject = (customerId: string, keepFrom: number) => Promise<void>;

/**
 * Removes released messages from the stream in the background: a subject purge per customer that
 * keeps from the first undelivered id. A subject purge costs the messages it removes (nats-server
 * 2.10+ keeps a subject index; docs/performance.md), but each is still a JetStream API request the
 * server answers (measured in H2: about 0.8 ms of nats-server CPU each), so a customer delivering
 * one message at a time must not purge per delivery. Releases only mark the customer due; every
 * `delayMs` the due customers that released nothing since the last tick (they went quiet: drained,
 * waiting or passivated), or have been due for `maxDelayMs`, are purged, at most `concurrency` at
 * once. So a busy customer gets one purge per `maxDelayMs` and a backlog one purge when it drains.
 */
export class Purges {
  /** Customers with released messages not yet purged: the id to keep from, when it became due, its last release. */
  private readonly due = new Map<string, { keepFrom: number; since: number; last: number }>();
  private readonly running = new Map<string, Promise<void>>();
  /** Due at the last tick and waiting for one of the `concurrency` places. */
  private readonly ready = new Set<string>();
  private tick: { cancel(): void } | null = null;

  constructor(
    private readonly purge: PurgeSubject,
    private readonly concurrency: number,
    private readonly delayMs: number,
    private readonly clock: Clock,
    private readonly maxDelayMs: number = delayMs,
  ) {}

  /** Everything <= throughId of the customer is delivered or skipped: purge it soon. */
  release(customerId: string, throughId: number): void {
    if (!Number.isSafeInteger(throughId) || throughId < 1) {
      throw new Error(`release: throughId must be a positive integer, got ${throughId}`);
    }
    const now = this.clock.now();
    const due = this.due.get(customerId);
    if (due === undefined) {
      this.due.set(customerId, { keepFrom: throughId + 1, since: now, last: now });
    } else {
      due.keepFrom = Math.max(due.keepFrom, throughId + 1);
      due.last = now;
    }
    this.arm();
  }

  /** Cancels the next tick (close: flush() purges what is due). */
  stop(): void {
    this.tick?.cancel();
    this.tick = null;
  }

  /** Purges what was released, for one customer or all, now; rejects if a purge failed. */
  async flush(customerId?: string): Promise<void> {
    const ids =
      customerId === undefined ? [...new Set([...this.due.keys(), ...this.running.keys()])] : [customerId];
    const results = await Promise.allSettled(ids.map((id) => this.flushOne(id)));
    const errors: unknown[] = results.flatMap((result) =>
      result.status === 'rejected' ? [result.reason as unknown] : [],
    );
    if (errors.length > 0) {
      throw errors.length === 1
        ? errors[0]
        : new AggregateError(errors, `${errors.length} queue purges failed`);
    }
  }

  /** Waits for the purges in flight (close). */
  async idle(): Promise<void> {
    while (this.running.size > 0) {
      await Promise.allSettled([...this.running.values()]);
    }
  }

  private async flushOne(customerId: string): Promise<void> {
    // One in flight may keep from an older id: let it end, then purge the rest.
    await this.running.get(customerId)?.catch(() => undefined);
    const started = this.running.get(customerId);
    if (started !== undefined) {
      return started; // the pump started the rest meanwhile
    }
    if (this.due.has(customerId)) {
      await this.start(customerId);
    }
  }

  private arm(): void {
    this.tick ??= this.clock.setTimer(() => {
      this.tick = null;
      const now = this.clock.now();
      let waiting = false;
      for (const [customerId, { since, last }] of this.due) {
        if (now - last >= this.delayMs || now - since >= this.maxDelayMs) {
          this.ready.add(customerId);
        } else {
          waiting = true; // still releasing: the next tick looks again
        }
      }
      this.pump();
      if (waiting) {
        this.arm();
      }
    }, this.delayMs);
  }

  private pump(): void {
    for (const customerId of this.ready) {
      if (this.running.size >= this.concurrency) {
        return;
      }
      this.ready.delete(customerId);
      if (!this.running.has(customerId) && this.due.has(customerId)) {
        // A failure leaves it due for the next tick.
        this.start(customerId).catch(() => undefined);
      }
    }
  }

  private start(customerId: string): Promise<void> {
    const keepFrom = this.due.get(customerId)?.keepFrom ?? 0;
    this.due.delete(customerId);
    const run = this.purge(customerId, keepFrom).then(
      () => {
        this.running.delete(customerId);
        this.pump();
        if (this.due.has(customerId)) {
          this.arm(); // released again meanwhile: the next tick
        }
      },
      (err: unknown) => {
        this.running.delete(customerId);
        const due = this.due.get(customerId);
        if (due === undefined) {
          const now = this.clock.now();
          this.due.set(customerId, { keepFrom, since: now, last: now - this.delayMs });
        } else {
          due.keepFrom = Math.max(due.keepFrom, keepFrom);
        }
        this.pump();
        this.arm();
        throw err;
      },
    );
    this.running.set(customerId, run);
    return run;
  }
}
