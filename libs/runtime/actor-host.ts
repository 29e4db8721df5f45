import {
  initialState,
  isCustomerId,
  NotOwnerError,
  statusView,
  VersionConflictError,
  type CustomerStatus,
  type QueuedMessage,
} from '../domain/index.js';
import { isOwnershipError, type ActorContext, type CustomerActor } from './customer-actor.js';
import { DeliverySwitch } from './delivery-switch.js';
import { FeedSupervisor } from './feed-supervisor.js';
import { Mailboxes, type Mailbox } from './mailboxes.js';
import { Passivation } from './passivation.js';
import { Permits } from './permits.js';
import type { FeedSource } from './ports.js';
import { TimerQueue } from './timer-queue.js';

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

const MAX_ERROR_RETRY_MS = 30_000;

/**
 * Runs the active customers' actors, each one's steps one at a time, and wakes waiting ones from
 * one timer structure. The parts: Mailboxes (the actors in memory), FeedSupervisor (the feed of
 * new messages), Passivation (idle actors leave memory) and the DeliverySwitch (whether this
 * process delivers at all). Customers with nothing to do cost nothing.
 */
export class ActorHost {
  private readonly deliveries = new DeliverySwitch();
  private readonly mailboxes: Mailboxes;
  private readonly timers: TimerQueue;
  private readonly activations: Permits;
  private readonly feed: FeedSupervisor;
  private readonly passivation: Passivation;
  /** Subject tokens already reported as not a customerId. */
  private readonly ignored = new Set<string>();

  constructor(
    private readonly ctx: ActorContext & { readonly source: FeedSource },
    private readonly options: HostOptions,
  ) {
    this.mailboxes = new Mailboxes(ctx);
    this.timers = new TimerQueue(ctx.clock, (customerId) => this.nudge(customerId));
    this.activations = new Permits(options.activationConcurrency);
    // With several instances, each reads the one ordered feed and keeps its own customers' messages.
    const accepts =
      ctx.ownership === undefined ? undefined : (customerId: string) => this.mayStart(customerId);
    this.feed = new FeedSupervisor(
      (from) => ctx.source.feed(from, (message) => this.onFeed(message), accepts),
      this.deliveries,
      ctx.clock,
      ctx.logger,
      options.errorRetryMs,
      () => this.rereadAll(),
    );
    this.passivation = new Passivation(this.mailboxes, ctx, options.idleAfterMs, options.onIdle);
  }

  /**
   * Starts delivering (again after pause()): the feed of new messages, then a step for every
   * customer with messages in the stream, activationConcurrency at a time.
   */
  async start(): Promise<void> {
    this.deliveries.turnOn();
    await this.feed.start();
    await this.resume(() => true);
    this.passivation.start();
  }

  /**
   * Every customer with messages in the stream that `matches` (and this instance owns) gets a
   * step: after start, and when partitions are taken over (each loads from the log then), so its
   * deliveries resume without waiting for a new message. Each actor reads its own window after its
   * cursor, activations paced by the permits; a customer whose messages are held (no endpoint) only
   * counts them, so other customers' held backlog does not delay a first delivery. Called after the
   * feed started: a message published in between is then offered by the feed.
   */
  async resume(matches: (customerId: string) => boolean): Promise<void> {
    // An actor left idle in memory from before may hold an older state than the log: load afresh.
    for (const [customerId, box] of [...this.mailboxes.entries()]) {
      if (matches(customerId) && box.running === null && box.commands === 0) {
        this.mailboxes.close(customerId, box);
      }
    }
    const { customers } = await this.ctx.source.stored();
    const resumed = new Map(
      [...customers].filter(([token]) => this.isCustomer(token) && this.mayStart(token) && matches(token)),
    );
    this.ctx.logger.info({ customers: resumed.size }, 'resuming customers with queued messages');
    this.ctx.source.scanBacklog?.(resumed);
    resumed.forEach((_, customerId) => this.nudge(customerId));
  }

  /**
   * The customers that `matches` leave memory: those not owned any more. `graceful` (a handover)
   * first waits, up to the shutdown grace, for their steps in flight to be recorded; the ownership
   * already refuses them new steps and requests.
   */
  async forget(matches: (customerId: string) => boolean, graceful: boolean): Promise<void> {
    const boxes = [...this.mailboxes.entries()].filter(([customerId]) => matches(customerId));
    if (graceful) {
      await this.withinGrace(boxes.flatMap(([, box]) => (box.running === null ? [] : [box.running])));
    }
    boxes.forEach(([customerId, box]) => this.mailboxes.close(customerId, box));
  }

  get activeCount(): number {
    return this.mailboxes.size;
  }

  get waitingCount(): number {
    return this.timers.size;
  }

  get failingCount(): number {
    return this.mailboxes.count((box) => box.actor.stepFailure !== null);
  }

  /** Asks a customer's actor to take another step (activating it if needed). */
  nudge(customerId: string): void {
    if (!this.deliveries.on || !this.mayStart(customerId)) {
      return;
    }
    const box = this.mailboxes.open(customerId);
    box.again = true;
    box.running ??= this.run(box);
  }

  /** Runs an operator command against a customer's actor, then lets it step. */
  async command<T>(customerId: string, action: (actor: CustomerActor) => Promise<T>): Promise<T> {
    const box = this.mailboxes.open(customerId);
    box.lastActiveAt = this.ctx.clock.now();
    box.commands += 1;
    let result: T;
    try {
      await box.actor.ensureLoaded();
      result = await action(box.actor);
    } finally {
      box.commands -= 1;
      if (box.running === null && box.commands === 0 && !this.mayStart(customerId)) {
        // Not (or no longer) this instance's customer: keep no actor that would go stale in memory.
        this.mailboxes.close(customerId, box);
      }
    }
    if (this.deliveries.standingBy) {
      // Standing by, this process holds no customer in memory: the owner's log moves on without it.
      this.mailboxes.close(customerId, box);
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
    const box = this.mailboxes.find(customerId);
    if (box !== undefined && this.deliveries.on) {
      box.stale = true;
      this.nudge(customerId);
    }
  }

  /**
   * The live status when the actor is in memory; else the stored state with the messages the
   * stream holds after its cursor (held ones too); null when the customer has neither.
   */
  async status(customerId: string): Promise<CustomerStatus | null> {
    const box = this.mailboxes.find(customerId);
    if (box !== undefined) {
      const { actor } = box;
      await actor.ensureLoaded();
      if (actor.countIsMeasured) {
        return actor.status();
      }
      // Loaded but not stepped yet (waiting to activate): its stored count may be stale.
      const pending = await this.ctx.queue.pendingCount(customerId, actor.state.cursor);
      return statusView(customerId, actor.state, pending, this.ctx.settings, actor.stepFailure);
    }
    const snapshot = await this.ctx.store.load(customerId);
    const pending = await this.ctx.queue.pendingCount(customerId, snapshot?.state.cursor ?? 0);
    if (snapshot === null && pending === 0) {
      return null;
    }
    // A customer with messages but no log yet is shown as its actor would show it: unconfigured.
    return statusView(customerId, snapshot?.state ?? initialState(), pending, this.ctx.settings);
  }

  /** Stops taking new steps, waits for the ones in flight to be recorded, flushes purges. */
  async stop(): Promise<void> {
    this.deliveries.stop();
    await this.quiesce();
    await this.ctx.queue.flush();
  }

  /**
   * Stops delivering but not the process: another one holds the delivery lock, or the connection
   * that held it failed. Steps in flight are recorded first, then every actor leaves memory, so
   * start() reloads each customer from the log the owner kept writing meanwhile.
   */
  async pause(): Promise<void> {
    this.deliveries.standBy();
    await this.quiesce();
    this.mailboxes.clear();
    await this.ctx.queue.flush().catch(() => undefined);
  }

  /** No new steps: stops the sweeper, the feed and the timers, and waits (a while) for running steps. */
  private async quiesce(): Promise<void> {
    this.passivation.stop();
    await this.feed.stop();
    this.timers.stop();
    await this.withinGrace(this.mailboxes.running());
  }

  private async withinGrace(work: readonly Promise<void>[]): Promise<void> {
    let grace: { cancel(): void } | undefined;
    const timedOut = new Promise<void>((resolve) => {
      grace = this.ctx.clock.setTimer(resolve, this.options.shutdownGraceMs);
    });
    await Promise.race([Promise.all(work), timedOut]);
    grace?.cancel();
  }

  private mayStart(customerId: string): boolean {
    return this.ctx.ownership?.mayStart(customerId) ?? true;
  }

  /** The feed was down: windows may have missed messages, so every active actor reads again. */
  private rereadAll(): void {
    for (const [customerId, box] of this.mailboxes.entries()) {
      box.actor.forgetWindow();
      this.nudge(customerId);
    }
  }

  private onFeed(message: QueuedMessage): void {
    if (!this.deliveries.on || !this.mayStart(message.customerId) || !this.isCustomer(message.customerId)) {
      return;
    }
    this.mailboxes.open(message.customerId).actor.offer(message);
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

  /** The step loop of one mailbox: steps while asked to, then schedules, passivates or rests. */
  private async run(box: Mailbox): Promise<void> {
    const { actor } = box;
    let longWait = false;
    // A mailbox closed meanwhile (its customer lost, then maybe taken again) steps no more: a
    // fresh actor loads in its place.
    const current = () => this.mailboxes.find(actor.customerId) === box;
    while (box.again && this.deliveries.on && this.mayStart(actor.customerId) && current()) {
      box.again = false;
      box.lastActiveAt = this.ctx.clock.now();
      longWait = false;
      // The first step of an actor new in memory waits for an activation permit.
      const release = box.activated ? null : await this.activations.acquire();
      if (!this.deliveries.on || !current()) {
        release?.();
        break;
      }
      try {
        if (box.stale) {
          box.stale = false;
          await actor.reload();
        }
        const { outcome, wakeAt } = await actor.step();
        box.errors = 0;
        if (outcome === 'skip' || outcome === 'deliver' || outcome === 'alert') {
          box.again = true;
        } else if (outcome === 'waitUntil' && wakeAt !== undefined) {
          this.timers.schedule(actor.customerId, wakeAt);
          longWait = this.passivation.isLongWait(wakeAt - this.ctx.clock.now());
        } else {
          this.timers.cancel(actor.customerId);
        }
      } catch (error) {
        if (isOwnershipError(error)) {
          // Another instance owns the customer now: this one stops it (it loads there from the log).
          this.ctx.logger.info({ customerId: actor.customerId, err: error.message }, 'customer moved away');
          box.again = false;
          this.mailboxes.close(actor.customerId, box);
          if (error instanceof NotOwnerError) {
            // Refused by this instance's own check: the actor is from an earlier epoch while the
            // customer may be ours again; a fresh actor loads under the current lease if so.
            this.nudge(actor.customerId);
          }
        } else {
          box.errors += 1;
          await this.recover(actor, error, box.errors);
        }
      } finally {
        box.activated = true;
        release?.();
      }
    }
    box.running = null;
    // A backoff at least as long as the idle time: the timer entry is all this customer needs.
    if (longWait && this.deliveries.on) {
      this.passivation.passivate(actor.customerId, box);
    }
  }

  /** A failed step is tried again later: errorRetryMs, doubling per consecutive failure up to 30 s. */
  private async recover(actor: CustomerActor, error: unknown, failures: number): Promise<void> {
    const message = error instanceof Error ? error.message : String(error);
    const delay = Math.min(this.options.errorRetryMs * 2 ** (failures - 1), MAX_ERROR_RETRY_MS);
    this.ctx.logger.warn(
      { customerId: actor.customerId, err: message, retryInMs: delay },
      'step failed; will retry',
    );
    this.timers.schedule(actor.customerId, this.ctx.clock.now() + delay);
    if (error instanceof VersionConflictError) {
      await actor.reload().catch(() => undefined); // another writer was here
    }
  }
}
