import { statusView, type CustomerStatus } from '../domain/index.js';
import { CustomerActor, type ActorContext } from './customer-actor.js';
import type { WindowMessage } from './ports.js';
import { TimerQueue } from './timer-queue.js';

/** A running feed: where it got to, and how it ended (an Error when it failed). */
export interface Feed {
  readonly lastSeq: number;
  readonly done: Promise<Error | undefined>;
  stop(): Promise<void>;
}

/** The queue's extra powers the host needs: the live feed and discovery at start. */
export interface FeedSource {
  feed(from: number | 'new', onMessage: (message: WindowMessage) => void): Promise<Feed>;
  customersWithMessages(): Promise<Map<string, number>>;
}

/** Tuning of the host; defaults suit one process with many thousands of customers. */
export interface HostOptions {
  /** An actor with nothing to do for this long leaves memory (its timer, if any, stays). */
  readonly idleAfterMs: number;
  /** Delay before a step that threw (NATS or database down) is tried again. */
  readonly errorRetryMs: number;
  /** Customers activated at once during start-up discovery. */
  readonly activationConcurrency: number;
  /** Longest wait for in-flight steps on shutdown. */
  readonly shutdownGraceMs: number;
}

interface Slot {
  readonly actor: CustomerActor;
  running: Promise<void> | null;
  again: boolean;
  lastActiveAt: number;
  /** Consecutive failed steps, for the retry delay. */
  errors: number;
}

/**
 * Keeps the active customers' actors, runs each one's steps one at a time, wakes waiting ones
 * from one timer structure, and lets idle ones go. Customers with nothing to do cost nothing.
 */
export class ActorHost {
  private readonly slots = new Map<string, Slot>();
  private readonly timers: TimerQueue;
  private feed: Feed | null = null;
  private sweeper: { cancel(): void } | null = null;
  private stopping = false;

  constructor(
    private readonly ctx: ActorContext & { readonly source: FeedSource },
    private readonly options: HostOptions,
  ) {
    this.timers = new TimerQueue(ctx.clock, (customerId) => this.nudge(customerId));
  }

  /** Starts the feed, then resumes every customer that has messages in the stream. */
  async start(): Promise<void> {
    this.feed = await this.ctx.source.feed('new', (message) => this.onFeed(message));
    this.watch(this.feed);
    this.armSweeper();
    const customers = [...(await this.ctx.source.customersWithMessages()).keys()];
    this.ctx.logger.info({ customers: customers.length }, 'resuming customers with queued messages');
    void this.resume(customers);
  }

  /** Number of actors in memory. */
  get activeCount(): number {
    return this.slots.size;
  }

  /** Number of customers waiting on a timer. */
  get waitingCount(): number {
    return this.timers.size;
  }

  /** Asks a customer's actor to take another step (activating it if needed). */
  nudge(customerId: string): void {
    if (this.stopping) {
      return;
    }
    const slot = this.slot(customerId);
    slot.again = true;
    slot.running ??= this.run(slot);
  }

  /** Runs an operator command against a customer's actor, then lets it step. */
  async command<T>(customerId: string, action: (actor: CustomerActor) => Promise<T>): Promise<T> {
    const slot = this.slot(customerId);
    slot.lastActiveAt = this.ctx.clock.now();
    await slot.actor.ensureLoaded();
    const result = await action(slot.actor);
    this.nudge(customerId);
    return result;
  }

  /** The live status when the actor is in memory, else the stored projection; null if unknown. */
  async status(customerId: string): Promise<CustomerStatus | null> {
    const slot = this.slots.get(customerId);
    if (slot !== undefined) {
      await slot.actor.ensureLoaded();
      return slot.actor.status();
    }
    const snapshot = await this.ctx.store.load(customerId);
    if (snapshot === null) {
      return null;
    }
    return statusView(customerId, snapshot.state, snapshot.pending, this.ctx.settings);
  }

  /** Stops taking new steps, waits for the ones in flight to be recorded, flushes purges. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.sweeper?.cancel();
    await this.feed?.stop();
    this.timers.stop();
    const running = [...this.slots.values()].flatMap((slot) => (slot.running ? [slot.running] : []));
    const grace = new Promise<void>((resolve) =>
      this.ctx.clock.setTimer(resolve, this.options.shutdownGraceMs),
    );
    await Promise.race([Promise.all(running), grace]);
    await this.ctx.queue.flush();
  }

  /**
   * A failed feed is restarted from where it stopped, so no wake-up is lost; windows may have
   * missed messages meanwhile, so every active actor re-reads from the stream.
   */
  private watch(feed: Feed): void {
    void feed.done.then(async (error) => {
      if (error === undefined || this.stopping) {
        return;
      }
      this.ctx.logger.error(
        { err: error.message, lastSeq: feed.lastSeq },
        'queue feed failed; restarting it',
      );
      for (;;) {
        try {
          this.feed = await this.ctx.source.feed(feed.lastSeq + 1, (message) => this.onFeed(message));
          break;
        } catch (restartError) {
          this.ctx.logger.error({ err: String(restartError) }, 'queue feed restart failed; trying again');
          await new Promise((resolve) =>
            this.ctx.clock.setTimer(() => resolve(undefined), this.options.errorRetryMs),
          );
        }
      }
      this.watch(this.feed);
      for (const [customerId, slot] of this.slots) {
        slot.actor.forgetWindow();
        this.nudge(customerId);
      }
    });
  }

  private onFeed(message: WindowMessage): void {
    if (this.stopping) {
      return;
    }
    this.slot(message.customerId).actor.offer(message);
    this.nudge(message.customerId);
  }

  private slot(customerId: string): Slot {
    let slot = this.slots.get(customerId);
    if (slot === undefined) {
      slot = {
        actor: new CustomerActor(customerId, this.ctx),
        running: null,
        again: false,
        lastActiveAt: this.ctx.clock.now(),
        errors: 0,
      };
      this.slots.set(customerId, slot);
    }
    return slot;
  }

  private async run(slot: Slot): Promise<void> {
    const { actor } = slot;
    while (slot.again && !this.stopping) {
      slot.again = false;
      slot.lastActiveAt = this.ctx.clock.now();
      try {
        const { outcome, wakeAt } = await actor.step();
        slot.errors = 0;
        if (outcome === 'skip' || outcome === 'deliver') {
          slot.again = true;
        } else if (outcome === 'waitUntil' && wakeAt !== undefined) {
          this.timers.schedule(actor.customerId, wakeAt);
        } else {
          this.timers.cancel(actor.customerId);
        }
      } catch (error) {
        slot.errors += 1;
        await this.recover(actor, error, slot.errors);
      }
    }
    slot.running = null;
  }

  /** A failed step is tried again later: errorRetryMs, doubling per consecutive failure up to 30 s. */
  private async recover(actor: CustomerActor, error: unknown, failures: number): Promise<void> {
    const message = error instanceof Error ? error.message : String(error);
    const delay = Math.min(this.options.errorRetryMs * 2 ** (failures - 1), 30_000);
    this.ctx.logger.warn(
      { customerId: actor.customerId, err: message, retryInMs: delay },
      'step failed; will retry',
    );
    this.timers.schedule(actor.customerId, this.ctx.clock.now() + delay);
    if (error instanceof Error && error.name === 'VersionConflictError') {
      await actor.reload().catch(() => undefined);
    }
  }

  /** Every few seconds: actors idle past idleAfterMs leave memory and their purges are flushed. */
  private armSweeper(): void {
    const every = Math.max(100, Math.min(this.options.idleAfterMs, 5_000));
    this.sweeper = this.ctx.clock.setTimer(() => {
      this.sweep();
      this.armSweeper();
    }, every);
  }

  private sweep(): void {
    const idleSince = this.ctx.clock.now() - this.options.idleAfterMs;
    for (const [customerId, slot] of this.slots) {
      if (slot.running === null && !slot.again && slot.lastActiveAt < idleSince) {
        this.slots.delete(customerId);
        const { actor } = slot;
        void this.ctx.queue.flush(customerId).catch(() => undefined);
        // Unconfigured customers with messages get a row too, so they are listed as stalled.
        if (actor.version > 0 || actor.pending > 0) {
          const queue = actor.status().queue;
          void this.ctx.store.updatePending(customerId, actor.pending, queue).catch(() => undefined);
        }
      }
    }
  }

  private async resume(customers: readonly string[]): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < customers.length && !this.stopping) {
        const customerId = customers[next++]!;
        this.nudge(customerId);
        await this.slots.get(customerId)?.running;
      }
    };
    await Promise.all(Array.from({ length: this.options.activationConcurrency }, worker));
  }
}
