import { PurgePlan } from './purge-plan.js';

/** Removes a customer's messages below keepFrom from the stream (a subject purge). */
export type PurgeSubject = (customerId: string, keepFrom: number) => Promise<void>;

/** Purges at once in flush(); the server runs them one by one anyway, this only bounds the queueing. */
const FLUSH_CONCURRENCY = 4;

/**
 * Carries out the PurgePlan: at most one purge in flight per customer, started in the background when
 * one is due; flush() waits for them and surfaces failures (background failures are retried later).
 */
export class Purger {
  private readonly plan: PurgePlan;
  private readonly running = new Map<string, Promise<void>>();
  private flushingAll: Promise<void> | null = null;
  /** Customers whose released messages purgeSoon() queued, oldest first: plain ids, no promise each. */
  private readonly due = new Set<string>();
  private draining = 0;
  private drained: Promise<void> = Promise.resolve();
  private wakeDrained: (() => void) | null = null;

  /**
   * @param every released messages of one customer per purge
   * @param budget released-but-unpurged messages of all customers together that trigger a purge of
   *   them all (a capped stream counts them against its cap: without this, a full stream could be
   *   mostly delivered messages waiting for their customer's 1,000th)
   * @param background runs the purges started in the background (due by count, or purgeSoon), e.g.
   *   paced by dutyCycle; flush() runs its purges at once
   */
  constructor(
    private readonly purge: PurgeSubject,
    every: number,
    private readonly budget = Number.POSITIVE_INFINITY,
    private readonly background: <T>(task: () => Promise<T>) => Promise<T> = (task) => task(),
  ) {
    this.plan = new PurgePlan(every);
  }

  /** See JetStreamQueue.release. */
  release(customerId: string, throughId: number, count: number): void {
    if (this.plan.release(customerId, throughId, count)) {
      this.startInBackground(customerId);
    }
    if (this.plan.unpurged >= this.budget && this.flushingAll === null) {
      // A failure leaves the messages unpurged: the next release over the budget tries again.
      this.flushingAll = this.flush()
        .catch(() => undefined)
        .finally(() => (this.flushingAll = null));
    }
  }

  /** Purges everything released so far for one customer, or for all; rejects if a purge failed. */
  async flush(customerId?: string): Promise<void> {
    const ids = customerId === undefined ? this.plan.customersToPurge() : [customerId];
    const errors: unknown[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      for (let id = ids[next++]; id !== undefined; id = ids[next++]) {
        try {
          // A purge in flight may target an older id: let it finish, then purge the rest.
          await this.running.get(id)?.catch(() => undefined);
          await this.start(id);
        } catch (err) {
          errors.push(err);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(FLUSH_CONCURRENCY, ids.length) }, worker));
    if (errors.length > 0) {
      throw errors.length === 1
        ? errors[0]
        : new AggregateError(errors, `${errors.length} queue purges failed`);
    }
  }

  /**
   * Purges what the customer released, soon and in the background (FLUSH_CONCURRENCY customers at a
   * time); failures are retried by a later flush. For customers going idle: 10,000 of them at once
   * queue 10,000 ids here, where flush(customerId) each would hold an async chain in memory for the
   * minutes the server takes to run the purges (docs/performance.md, H5).
   */
  purgeSoon(customerId: string): void {
    this.due.add(customerId);
    this.drain();
  }

  /** Waits for purges in flight and those purgeSoon() queued (close). */
  async idle(): Promise<void> {
    await this.flushingAll;
    await this.drained;
    await Promise.allSettled([...this.running.values()]);
  }

  private drain(): void {
    while (this.draining < FLUSH_CONCURRENCY && this.due.size > 0) {
      const customerId: string | undefined = this.due.values().next().value;
      if (customerId === undefined) {
        return;
      }
      this.due.delete(customerId);
      if (this.draining === 0) {
        this.drained = new Promise((resolve) => (this.wakeDrained = resolve));
      }
      this.draining += 1;
      // A purge in flight may target an older id: let it finish, then purge the rest.
      void (this.running.get(customerId) ?? Promise.resolve())
        .catch(() => undefined)
        .then(() => this.background(() => this.start(customerId)))
        .catch(() => undefined)
        .finally(() => {
          this.draining -= 1;
          if (this.draining === 0 && this.due.size === 0) {
            this.wakeDrained?.();
          }
          this.drain();
        });
    }
  }

  /** The highest id released for a customer (0 if none is tracked), for tests and diagnostics. */
  releasedThrough(customerId: string): number {
    return this.plan.releasedThrough(customerId);
  }

  private startInBackground(customerId: string): void {
    // A failure leaves the messages counted as unpurged: the next release or flush tries again.
    this.background(() => this.start(customerId)).catch(() => undefined);
  }

  private start(customerId: string): Promise<void> {
    const existing = this.running.get(customerId);
    if (existing !== undefined) {
      return existing;
    }
    const keepFrom = this.plan.begin(customerId);
    if (keepFrom === null) {
      return Promise.resolve();
    }
    const run = this.purge(customerId, keepFrom).then(
      () => {
        this.running.delete(customerId);
        if (this.plan.succeeded(customerId, keepFrom)) {
          this.startInBackground(customerId);
        }
      },
      (err: unknown) => {
        this.running.delete(customerId);
        this.plan.failed(customerId);
        throw err;
      },
    );
    this.running.set(customerId, run);
    return run;
  }
}
