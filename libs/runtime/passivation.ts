import type { ActorContext } from './customer-actor.js';
import type { Mailbox, Mailboxes } from './mailboxes.js';

/**
 * Lets actors leave memory: every few seconds the ones idle past idleAfterMs, and at once one that
 * starts a wait at least that long (its timer entry brings it back). On the way out the stored
 * projection gets the actor's pending count, so status and the overview stay right without it.
 */
export class Passivation {
  private sweeper: { cancel(): void } | null = null;

  constructor(
    private readonly mailboxes: Mailboxes,
    private readonly ctx: ActorContext,
    private readonly idleAfterMs: number,
    private readonly onIdle?: () => void,
  ) {}

  start(): void {
    const every = Math.max(100, Math.min(this.idleAfterMs, 5_000));
    this.sweeper = this.ctx.clock.setTimer(() => {
      this.sweep();
      this.start();
    }, every);
  }

  stop(): void {
    this.sweeper?.cancel();
    this.sweeper = null;
  }

  /** A wait this long is better spent out of memory. */
  isLongWait(ms: number): boolean {
    return ms >= this.idleAfterMs;
  }

  sweep(): void {
    const idleSince = this.ctx.clock.now() - this.idleAfterMs;
    for (const [customerId, box] of this.mailboxes.entries()) {
      if (box.lastActiveAt < idleSince) {
        this.passivate(customerId, box);
      }
    }
  }

  /** Lets an actor with nothing running leave memory and stores its pending count. */
  passivate(customerId: string, box: Mailbox): void {
    if (box.running !== null || box.again || box.commands > 0 || !this.mailboxes.close(customerId, box)) {
      return;
    }
    if (this.mailboxes.size === 0) {
      this.onIdle?.();
    }
    const { actor } = box;
    // Unconfigured customers with messages get a row too, so they are listed as stalled.
    if (actor.version > 0 || actor.pending > 0) {
      const queue = actor.status().queue;
      void this.ctx.store
        .updatePending(customerId, actor.pending, queue, actor.oldestPendingAt())
        .catch(() => undefined);
    }
  }
}
