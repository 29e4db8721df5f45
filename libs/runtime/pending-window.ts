import type { PendingMessage } from '../domain/index.js';
import type { WindowMessage } from './ports.js';

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

  constructor(private readonly capacity: number) {}

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
    if (!this.complete || this.items.length >= this.capacity) {
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
    this.items = [];
    this.pendingView = null;
    this.complete = false;
    this.highest = 0;
  }

  /** Drops everything at or below `id` (delivered, skipped or purged). */
  removeThrough(id: number): void {
    const keepFrom = this.items.findIndex((message) => message.id > id);
    if (keepFrom !== 0) {
      this.items = keepFrom === -1 ? [] : this.items.slice(keepFrom);
      this.pendingView = null;
    }
  }

  private push(message: WindowMessage): void {
    this.items.push(message);
    this.highest = message.id;
    this.pendingView = null;
  }
}

function toPending(message: WindowMessage): PendingMessage {
  return { id: message.id, event: message.kind === 'message' ? message.event : null };
}
