import { CustomerActor, type ActorContext } from './customer-actor.js';

/** One customer's actor in memory and the bookkeeping that runs its steps one at a time. */
export interface Mailbox {
  readonly actor: CustomerActor;
  /** The step loop, while one runs. */
  running: Promise<void> | null;
  /** Another step was asked for while one ran. */
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

/** The customers' actors in memory, by customerId; an actor is made on first use. */
export class Mailboxes {
  private readonly boxes = new Map<string, Mailbox>();

  constructor(private readonly ctx: ActorContext) {}

  get size(): number {
    return this.boxes.size;
  }

  /** The customer's mailbox, made (with a fresh actor) when it is not in memory. */
  open(customerId: string): Mailbox {
    let box = this.boxes.get(customerId);
    if (box === undefined) {
      box = {
        actor: new CustomerActor(customerId, this.ctx),
        running: null,
        again: false,
        lastActiveAt: this.ctx.clock.now(),
        errors: 0,
        stale: false,
        commands: 0,
        activated: false,
      };
      this.boxes.set(customerId, box);
    }
    return box;
  }

  find(customerId: string): Mailbox | undefined {
    return this.boxes.get(customerId);
  }

  /** Lets the customer leave memory, if `box` is still its mailbox; true when it did. */
  close(customerId: string, box: Mailbox): boolean {
    return this.boxes.get(customerId) === box && this.boxes.delete(customerId);
  }

  /** Every actor leaves memory (the host stands by). */
  clear(): void {
    this.boxes.clear();
  }

  entries(): IterableIterator<[string, Mailbox]> {
    return this.boxes.entries();
  }

  count(matches: (box: Mailbox) => boolean): number {
    let n = 0;
    this.boxes.forEach((box) => (n += matches(box) ? 1 : 0));
    return n;
  }

  running(): Promise<void>[] {
    return [...this.boxes.values()].flatMap((box) => (box.running === null ? [] : [box.running]));
  }
}
