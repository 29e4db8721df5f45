import type { PendingMessage } from '../domain/index.js';
import type { WindowMessage } from './ports.js';

/**
 * Messages (and their bytes) held in all windows together. The start-up backlog is read only as
 * fast as this leaves room, and a window fed from the start refuses messages while it is full.
 */
export class WindowBudget {
  messages = 0;
  bytes = 0;

  constructor(
    readonly maxMessages: number,
    readonly maxBytes: number,
  ) {}

  get full(): boolean {
    return this.messages >= this.maxMessages || this.bytes >= this.maxBytes;
  }

  /** Messages that fit before the budget is full (0 when it is). */
  get room(): number {
    return this.bytes >= this.maxBytes ? 0 : Math.max(0, this.maxMessages - this.messages);
  }

  count(message: WindowMessage, sign: 1 | -1): void {
    this.messages += sign;
    this.bytes += sign * (message.bytes ?? 0);
  }
}

/** How a window starts. */
export interface WindowOptions {
  /** Counts what the window holds (shared by all windows). */
  budget?: WindowBudget;
  /**
   * The feed will offer every message of this customer from the stream's first stored one: the
   * window starts complete and keeps what the feed offers (while the budget has room) instead of
   * reading from the stream. Only for a customer's first actor since such a feed started.
   */
  fed?: boolean;
}

/**
 * The oldest pending messages of one customer, held in memory so that most deliveries need no
 * read from the stream. `complete` means the window holds every message the customer has up to
 * the newest one the feed has shown; otherwise the rest must be read from the stream.
 */
export class PendingWindow {
  private items: WindowMessage[] = [];
  private complete = false;
  /**
   * Not reading until the first beginRead(): what the feed offers before it is dropped, since the
   * first read (of a stream that already holds those messages) brings it. An actor waiting to
   * activate holds no message bodies.
   */
  private reading = false;
  private arrivedDuringRead: WindowMessage[] = [];
  /** Highest id ever held: the feed may replay older messages after a read, which must not return. */
  private highest = 0;
  /** `items` as the rules see them, rebuilt only after a change (a held customer steps once per new message). */
  private pendingView: PendingMessage[] | null = null;

  private readonly budget: WindowBudget | undefined;
  private readonly fed: boolean;

  constructor(
    private readonly capacity: number,
    options: WindowOptions = {},
  ) {
    this.budget = options.budget;
    this.fed = options.fed ?? false;
    this.complete = this.fed;
  }

  get messages(): readonly WindowMessage[] {
    return this.items;
  }

  /** The messages as `decide` takes them (id and event type), oldest first. */
  get pending(): readonly PendingMessage[] {
    this.pendingView ??= this.items.map(toPending);
    return this.pendingView;
  }

  get isComplete(): boolean {
    return this.complete;
  }

  /** A new message from the feed. Returns whether the window took it. */
  offer(message: WindowMessage): boolean {
    if (this.reading) {
      this.arrivedDuringRead.push(message);
      return true;
    }
    if (message.id <= this.highest) {
      return false;
    }
    if (!this.complete || this.items.length >= this.capacity || (this.fed && this.budget?.full === true)) {
      this.complete = false;
      return false;
    }
    this.push(message);
    return true;
  }

  /** True when the window is short of `want` messages and the stream may hold more. */
  needsRead(want: number): boolean {
    return !this.complete && this.items.length < Math.min(want, this.capacity);
  }

  /** Starts a read: returns the id to read after and how many to ask for. */
  beginRead(cursor: number): { afterId: number; max: number } {
    this.reading = true;
    this.arrivedDuringRead = [];
    return { afterId: Math.max(cursor, this.highest), max: this.capacity - this.items.length };
  }

  /** Ends a read; a short read means the stream had nothing more, so the feed takes over. */
  endRead(read: readonly WindowMessage[], asked: number): void {
    this.reading = false;
    for (const message of read) {
      if (message.id > this.highest) {
        this.push(message);
      }
    }
    this.complete = read.length < asked;
    const arrived = this.arrivedDuringRead;
    this.arrivedDuringRead = [];
    for (const message of arrived) {
      this.offer(message);
    }
  }

  /** Read failed: keep what we have and try again later. */
  abortRead(): void {
    this.reading = false;
    this.complete = false;
    this.arrivedDuringRead = [];
  }

  /** Forgets everything: the next fill reads from the cursor again. */
  reset(): void {
    this.uncount(this.items.length);
    this.items = [];
    this.pendingView = null;
    this.complete = false;
    this.highest = 0;
  }

  /** The message `id` cannot be sent (its body cannot be encoded): from now on it is unreadable. */
  markUnreadable(id: number, reason: string): void {
    const index = this.items.findIndex((message) => message.id === id);
    const message = this.items[index];
    if (message !== undefined) {
      const { customerId, acceptedAt, bytes } = message;
      this.items[index] = { kind: 'unreadable', id, customerId, acceptedAt, reason, bytes };
      this.pendingView = null;
    }
  }

  /** Drops everything at or below `id` (delivered, skipped or purged). */
  removeThrough(id: number): void {
    const keepFrom = this.items.findIndex((message) => message.id > id);
    if (keepFrom !== 0) {
      this.uncount(keepFrom === -1 ? this.items.length : keepFrom);
      this.items = keepFrom === -1 ? [] : this.items.slice(keepFrom);
      this.pendingView = null;
    }
  }

  /** The first `count` items leave the budget. */
  private uncount(count: number): void {
    if (this.budget !== undefined) {
      for (let i = 0; i < count; i++) {
        this.budget.count(this.items[i]!, -1);
      }
    }
  }

  private push(message: WindowMessage): void {
    this.budget?.count(message, 1);
    this.items.push(message);
    this.highest = message.id;
    this.pendingView = null;
  }
}

function toPending(message: WindowMessage): PendingMessage {
  return { id: message.id, event: message.kind === 'message' ? message.event : null };
}
