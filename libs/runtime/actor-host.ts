import { isCustomerId, statusView, type CustomerStatus } from '../domain/index.js';
import { CustomerActor, type ActorContext } from './customer-actor.js';
import { PendingWindow, WindowBudget } from './pending-window.js';
import { Permits } from './permits.js';
import type { WindowMessage } from './ports.js';
import { TimerQueue } from './timer-queue.js';

/** A running feed: where it got to, and how it ended (an Error when it failed). */
export interface Feed {
  readonly lastSeq: number;
  readonly done: Promise<Error | undefined>;
  stop(): Promise<void>;
}

/** Paces a feed that starts with the stored backlog (libs/queue's BacklogPacing). */
export interface BacklogPacing {
  room(): Promise<number>;
  caughtUp(): void;
}

/** The queue's extra powers the host needs: the feed and discovery at start. */
export interface FeedSource {
  feed(
    from: number | 'new',
    onMessage: (message: WindowMessage) => void,
    backlog?: BacklogPacing,
  ): Promise<Feed>;
  /** The stream's first stored sequence and the customers with messages in it. */
  stored(): Promise<{ firstSeq: number; customers: Map<string, number> }>;
}

/**
 * Message bodies all windows may hold together before the start-up backlog read waits (about
 * 20-60 MiB of heap for 1 KiB messages), and their stored bytes.
 */
const WINDOW_BUDGET_MESSAGES = 20_000;
const WINDOW_BUDGET_BYTES = 32 * 1024 * 1024;
/** Capacity of a window fed from the start-up backlog: a customer's share of the budget. */
const FED_WINDOW_MESSAGES = 2_000;
/**
 * The backlog read waits for room at most this long without any window draining (customers stalled
 * or unconfigured hold their messages): then it reads on, and windows that are full drop what they
 * cannot hold and read it from the stream later, as any window that overflowed.
 */
const BACKLOG_STALL_MS = 2_000;
const BACKLOG_MIN_ROOM = 1_000;
const BACKLOG_POLL_MS = 10;

/** Tuning of the host; defaults suit one process with many thousands of customers. */
export interface HostOptions {
  /**
   * An actor with nothing to do for this long leaves memory (its timer, if any, stays); one that
   * starts waiting at least this long (a backoff) leaves at once and its timer brings it back.
   */
  readonly idleAfterMs: number;
  /** Delay before a step that threw (NATS or database down) is tried again. */
  readonly errorRetryMs: number;
  /** Customers activating at once (first step: load, first read, first attempt), at start-up and in bursts. */
  readonly activationConcurrency: number;
  /** Longest wait for in-flight steps on shutdown. */
  readonly shutdownGraceMs: number;
  /** Told after a command ran while paused, so the process that delivers can reload the customer. */
  readonly onChangedWhilePaused?: (customerId: string) => void;
  /** Told when the last actor has left memory (the process may give memory back then). */
  readonly onIdle?: () => void;
}

interface Slot {
  readonly actor: CustomerActor;
  running: Promise<void> | null;
  again: boolean;
  lastActiveAt: number;
  /** Consecutive failed steps, for the retry delay. */
  errors: number;
  /** Another process appended to the customer's log: reload it before the next step. */
  stale: boolean;
  /** Operator commands in progress: the actor stays in memory while one runs. */
  commands: number;
  /** Has taken its first step (activation) since it came into memory. */
  activated: boolean;
}

/**
 * Keeps the active customers' actors, runs each one's steps one at a time, wakes waiting ones
 * from one timer structure, and lets idle ones go. Customers with nothing to do cost nothing.
 */
export class ActorHost {
  private readonly slots = new Map<string, Slot>();
  private readonly timers: TimerQueue;
  private readonly activations: Permits;
  private feed: Feed | null = null;
  private sweeper: { cancel(): void } | null = null;
  private stopping = false;
  /**
   * Until start() and after pause(): another process may be delivering (it holds the delivery
   * lock), so nothing steps here; commands still run, against the log.
   */
  private paused = true;
  /** Subject tokens already reported as not a customerId. */
  private readonly ignored = new Set<string>();
  /** What all windows hold (bounds the start-up backlog read). */
  private readonly budget = new WindowBudget(WINDOW_BUDGET_MESSAGES, WINDOW_BUDGET_BYTES);
  /**
   * While the start-up feed reads the backlog from the stream's first stored message: customers
   * found then whose actor has not been in memory since. Their first actor gets a fed window (the
   * feed offers it all their messages, so it reads nothing itself). Null once the feed caught up
   * or was restarted.
   */
  private unfed: Set<string> | null = null;

  constructor(
    private readonly ctx: ActorContext & { readonly source: FeedSource },
    private readonly options: HostOptions,
  ) {
    this.timers = new TimerQueue(ctx.clock, (customerId) => this.nudge(customerId));
    this.activations = new Permits(options.activationConcurrency);
  }

  /**
   * Resumes every customer that has messages in the stream (again after pause()): one feed reads
   * the stored messages from the first one, in order, into those customers' windows (paced by the
   * window budget), and then follows new messages. Each message offered activates its customer,
   * activationConcurrency at a time.
   */
  async start(): Promise<void> {
    this.paused = false;
    const stored = await this.ctx.source.stored();
    const customers = [...stored.customers.keys()].filter((customerId) => this.isCustomer(customerId));
    this.ctx.logger.info({ customers: customers.length }, 'resuming customers with queued messages');
    const onMessage = (message: WindowMessage) => this.onFeed(message);
    if (customers.length === 0) {
      this.feed = await this.ctx.source.feed('new', onMessage);
    } else {
      // Every message of these customers still stored has an id >= firstSeq: the feed offers them all.
      this.unfed = new Set(customers);
      this.feed = await this.ctx.source.feed(stored.firstSeq, onMessage, {
        room: () => this.backlogRoom(),
        caughtUp: () => {
          this.unfed = null;
        },
      });
    }
    this.watch(this.feed);
    this.armSweeper();
  }

  /** Number of actors in memory. */
  get activeCount(): number {
    return this.slots.size;
  }

  /** Number of customers waiting on a timer. */
  get waitingCount(): number {
    return this.timers.size;
  }

  /** Number of actors whose steps keep failing. */
  get failingCount(): number {
    return [...this.slots.values()].filter((slot) => slot.actor.stepFailure !== null).length;
  }

  /** Asks a customer's actor to take another step (activating it if needed). */
  nudge(customerId: string): void {
    if (this.stopping || this.paused) {
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
    slot.commands += 1;
    let result: T;
    try {
      await slot.actor.ensureLoaded();
      result = await action(slot.actor);
    } finally {
      slot.commands -= 1;
    }
    if (this.paused) {
      // Paused, this process holds no customer in memory: the owner's log moves on without it.
      this.slots.delete(customerId);
      this.options.onChangedWhilePaused?.(customerId);
    }
    this.nudge(customerId);
    return result;
  }

  /**
   * Another process ran a command on this customer (it appended to the log): an actor in memory
   * reloads before its next step, so e.g. an endpoint enabled there is not ignored here.
   */
  changedElsewhere(customerId: string): void {
    const slot = this.slots.get(customerId);
    if (slot !== undefined && !this.paused) {
      slot.stale = true;
      this.nudge(customerId);
    }
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
    // Paused, the stored pending count may lag (the delivering process writes it on its appends).
    const pending = this.paused
      ? await this.ctx.queue.pendingCount(customerId, snapshot.state.cursor)
      : snapshot.pending;
    return statusView(customerId, snapshot.state, pending, this.ctx.settings);
  }

  /** Stops taking new steps, waits for the ones in flight to be recorded, flushes purges. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.quiesce();
    await this.ctx.queue.flush();
  }

  /**
   * Stops delivering but not the process: another one holds the delivery lock, or the connection
   * that held it failed. Steps in flight are recorded first, then every actor leaves memory, so
   * start() reloads each customer from the log the owner kept writing meanwhile.
   */
  async pause(): Promise<void> {
    this.paused = true;
    await this.quiesce();
    this.slots.forEach((slot) => slot.actor.forgetWindow());
    this.slots.clear();
    await this.ctx.queue.flush().catch(() => undefined);
  }

  /** No new steps: stops the sweeper, the feed and the timers, and waits (a while) for running steps. */
  private async quiesce(): Promise<void> {
    this.unfed = null;
    this.sweeper?.cancel();
    this.sweeper = null;
    const feed = this.feed;
    this.feed = null;
    await feed?.stop();
    this.timers.stop();
    const running = [...this.slots.values()].flatMap((slot) => (slot.running ? [slot.running] : []));
    const grace = new Promise<void>((resolve) =>
      this.ctx.clock.setTimer(resolve, this.options.shutdownGraceMs),
    );
    await Promise.race([Promise.all(running), grace]);
  }

  /**
   * A failed feed is restarted from where it stopped, so no wake-up is lost; windows may have
   * missed messages meanwhile, so every active actor re-reads from the stream.
   */
  private watch(feed: Feed): void {
    void feed.done.then(async (error) => {
      if (error === undefined || this.stopping || this.paused) {
        return;
      }
      this.ctx.logger.error(
        { err: error.message, lastSeq: feed.lastSeq },
        'queue feed failed; restarting it',
      );
      let restarted: Feed | null = null;
      while (restarted === null) {
        if (this.stopping || this.paused) {
          return;
        }
        try {
          restarted = await this.ctx.source.feed(feed.lastSeq + 1, (message) => this.onFeed(message));
        } catch (restartError) {
          this.ctx.logger.error({ err: String(restartError) }, 'queue feed restart failed; trying again');
          await new Promise((resolve) =>
            this.ctx.clock.setTimer(() => resolve(undefined), this.options.errorRetryMs),
          );
        }
      }
      if (this.stopping || this.paused) {
        await restarted.stop(); // stopped or paused while it was being restarted
        return;
      }
      this.feed = restarted;
      this.watch(restarted);
      this.unfed = null; // the restarted feed does not start at the first stored message
      for (const [customerId, slot] of this.slots) {
        slot.actor.forgetWindow();
        this.nudge(customerId);
      }
    });
  }

  private onFeed(message: WindowMessage): void {
    if (this.stopping || this.paused || !this.isCustomer(message.customerId)) {
      return;
    }
    this.slot(message.customerId).actor.offer(message);
    this.nudge(message.customerId);
  }

  /**
   * A raw JetStream publish can use any subject token; one that is no customerId would make an
   * actor that fails forever. Such messages are ignored (said once per subject) and left in the stream.
   */
  private isCustomer(customerId: string): boolean {
    const valid: boolean = isCustomerId(customerId); // not a type guard here: the token is a string either way
    if (valid) {
      return true;
    }
    if (!this.ignored.has(customerId) && this.ignored.size < 1_000) {
      this.ignored.add(customerId);
      this.ctx.logger.warn(
        { subjectToken: customerId.slice(0, 100) },
        'queue messages on a subject that is not a customerId are ignored (purge them with the nats CLI)',
      );
    }
    return false;
  }

  private slot(customerId: string): Slot {
    let slot = this.slots.get(customerId);
    if (slot === undefined) {
      const fed = this.unfed?.delete(customerId) ?? false;
      const window = new PendingWindow(fed ? FED_WINDOW_MESSAGES : this.ctx.windowSize, {
        budget: this.budget,
        fed,
      });
      slot = {
        actor: new CustomerActor(customerId, this.ctx, window),
        running: null,
        again: false,
        lastActiveAt: this.ctx.clock.now(),
        errors: 0,
        stale: false,
        commands: 0,
        activated: false,
      };
      this.slots.set(customerId, slot);
    }
    return slot;
  }

  private async run(slot: Slot): Promise<void> {
    const { actor } = slot;
    let longWait = false;
    while (slot.again && !this.stopping && !this.paused) {
      slot.again = false;
      slot.lastActiveAt = this.ctx.clock.now();
      longWait = false;
      // The first step of an actor new in memory waits for an activation permit.
      const release = slot.activated ? null : await this.activations.acquire();
      if (this.stopping || this.paused) {
        release?.();
        break;
      }
      try {
        if (slot.stale) {
          slot.stale = false;
          await actor.reload();
        }
        const { outcome, wakeAt } = await actor.step();
        slot.errors = 0;
        if (outcome === 'skip' || outcome === 'deliver' || outcome === 'alert') {
          slot.again = true;
        } else if (outcome === 'waitUntil' && wakeAt !== undefined) {
          this.timers.schedule(actor.customerId, wakeAt);
          longWait = wakeAt - this.ctx.clock.now() >= this.options.idleAfterMs;
        } else {
          this.timers.cancel(actor.customerId);
        }
      } catch (error) {
        slot.errors += 1;
        await this.recover(actor, error, slot.errors);
      } finally {
        slot.activated = true;
        release?.();
      }
    }
    slot.running = null;
    // A backoff at least as long as the idle time: the timer entry is all this customer needs.
    if (longWait && !this.stopping && !this.paused) {
      this.passivate(actor.customerId, slot);
    }
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
      if (slot.lastActiveAt < idleSince) {
        this.passivate(customerId, slot);
      }
    }
  }

  /** Lets an actor with nothing running leave memory: flush its purges, store its pending count. */
  private passivate(customerId: string, slot: Slot): void {
    if (slot.running !== null || slot.again || slot.commands > 0 || this.slots.get(customerId) !== slot) {
      return;
    }
    this.slots.delete(customerId);
    if (this.slots.size === 0) {
      this.options.onIdle?.();
    }
    const { actor } = slot;
    this.ctx.queue.purgeSoon(customerId);
    // Unconfigured customers with messages get a row too, so they are listed as stalled.
    if (actor.version > 0 || actor.pending > 0) {
      const queue = actor.status().queue;
      void this.ctx.store.updatePending(customerId, actor.pending, queue).catch(() => undefined);
    }
    actor.forgetWindow(); // gives its messages back to the budget
  }

  /**
   * How many more messages the start-up backlog read may hand over now: it waits for the windows
   * to drain below the budget, but not for customers that hold their messages (BACKLOG_STALL_MS).
   */
  private async backlogRoom(): Promise<number> {
    let held = this.budget.messages;
    let progressAt = this.ctx.clock.now();
    while (!this.stopping && !this.paused) {
      const room = this.budget.room;
      if (room >= BACKLOG_MIN_ROOM) {
        return room;
      }
      const now = this.ctx.clock.now();
      if (this.budget.messages < held) {
        progressAt = now;
      } else if (now - progressAt >= BACKLOG_STALL_MS) {
        return BACKLOG_MIN_ROOM;
      }
      held = this.budget.messages;
      await new Promise((resolve) => this.ctx.clock.setTimer(() => resolve(undefined), BACKLOG_POLL_MS));
    }
    return 0;
  }
}
