import type { PendingMessage, QueuedMessage } from '../domain/index.js';

/**
 * A read ended before a message the feed had already shown. Reads are direct gets that any replica
 * of the stream may answer, and a replica may lag the leader the feed reads from: taking such a read
 * as the whole queue would let the next message from the feed jump the missing one.
 */
export class StaleReadError extends Error {
  override readonly name = 'StaleReadError';

  constructor(readThrough: number, shownId: number) {
    super(
      `a stream replica answered through id ${readThrough}, behind id ${shownId} the feed showed; reading again`,
    );
  }
}

/**
 * The oldest pending messages of one customer, held in memory so that most deliveries need no
 * read from the stream, and how many more the stream holds behind them. `complete` means the
 * window holds every message the customer has up to the newest one the feed has shown; otherwise
 * the rest must be read from the stream.
 *
 * The customer's pending count is derived here and nowhere else: what the window holds plus what
 * the stream holds behind it (`behind`), known from the last read or count and kept up by the feed.
 */
export class PendingWindow {
  private items: QueuedMessage[] = [];
  private complete = false;
  /**
   * Not reading until the first beginRead(): what the feed offers before it is dropped, since the
   * first read (of a stream that already holds those messages) brings it. An actor waiting to
   * activate holds no message bodies.
   */
  private reading = false;
  private arrivedDuringRead: QueuedMessage[] = [];
  /** Highest id ever held: the feed may replay older messages after a read, which must not return. */
  private highest = 0;
  /** Highest id the feed has offered, held or not: a read that reaches the end must reach it. */
  private shown = 0;
  /** What the read under way must reach: the newest id shown when it began, above where it began. */
  private mustReach = 0;
  /** The customer's messages in the stream after the held ones; null while nothing is known. */
  private behind: number | null = null;
  /** `behind` came from assumeCount, not from the stream. */
  private assumed = false;
  /** `items` as the rules see them, rebuilt only after a change (a held customer steps once per new message). */
  private pendingView: PendingMessage[] | null = null;

  constructor(private readonly capacity: number) {}

  get messages(): readonly QueuedMessage[] {
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

  /** The customer's pending messages: held plus behind; null before any read, count or assumption. */
  get pendingCount(): number | null {
    return this.behind === null ? null : this.items.length + this.behind;
  }

  /** True once the count came from the stream (a read or a count), not from assumeCount. */
  get countIsMeasured(): boolean {
    return this.behind !== null && !this.assumed;
  }

  /** Takes a count from elsewhere (the stored projection) while nothing better is known. */
  assumeCount(count: number): void {
    if (this.behind === null) {
      this.behind = Math.max(0, count - this.items.length);
      this.assumed = true;
    }
  }

  /** The stream was counted without reading the bodies: that many messages follow the cursor. */
  counted(count: number): void {
    this.items = [];
    this.pendingView = null;
    this.complete = false;
    this.behind = count;
    this.assumed = false;
  }

  /** A new message from the feed. Returns whether the window took it. */
  offer(message: QueuedMessage): boolean {
    this.shown = Math.max(this.shown, message.id);
    if (this.reading) {
      this.arrivedDuringRead.push(message);
      return true;
    }
    if (message.id <= this.highest) {
      return false;
    }
    if (!this.complete || this.items.length >= this.capacity) {
      this.complete = false;
      if (this.behind !== null) {
        this.behind += 1; // not held, but pending: a later read brings it
      }
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
    const afterId = Math.max(cursor, this.highest);
    this.mustReach = this.shown > afterId ? this.shown : 0;
    return { afterId, max: this.capacity - this.items.length };
  }

  /**
   * Ends a read; `remaining` is how many messages the stream held after the last one read (0 means
   * the read reached the end, so the feed takes over). Messages that arrived during the read are
   * kept when it reached the end; otherwise `remaining` counts them (or the next read does).
   * Throws StaleReadError when it "reached the end" short of a message the feed showed before it
   * began; the window keeps what it read and the next read goes on from there.
   */
  endRead(read: readonly QueuedMessage[], remaining: number): void {
    this.reading = false;
    this.assumed = false;
    const arrived = this.arrivedDuringRead;
    this.arrivedDuringRead = [];
    for (const message of read) {
      if (message.id > this.highest) {
        this.push(message);
      }
    }
    if (remaining === 0 && this.highest < this.mustReach) {
      this.complete = false;
      this.behind = Math.max(1, this.behind ?? 1);
      throw new StaleReadError(this.highest, this.mustReach);
    }
    this.complete = remaining === 0;
    this.behind = remaining;
    if (this.complete) {
      arrived.forEach((message) => this.offer(message));
    }
  }

  /** Read failed: keep what we have and try again later. */
  abortRead(): void {
    this.reading = false;
    this.complete = false;
    this.arrivedDuringRead = [];
  }

  /** Drops the held bodies (they count as behind): the next fill reads from the cursor again. */
  reset(): void {
    this.behind = this.pendingCount;
    this.items = [];
    this.pendingView = null;
    this.complete = false;
    this.highest = 0;
    this.shown = 0; // the feed starts again and shows what exists
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

  /** The pending count once `count` messages through `id` are gone (for the projection before they go). */
  countAfter(id: number, count: number): number {
    const total = this.pendingCount ?? count;
    if (id <= this.highest || this.complete) {
      return this.items.filter((message) => message.id > id).length + (this.behind ?? 0);
    }
    return Math.max(0, total - count);
  }

  /** Drops everything at or below `id` (delivered, skipped or purged); `count` of them in all. */
  removeThrough(id: number, count = 0): void {
    const keepFrom = this.items.findIndex((message) => message.id > id);
    const removed = keepFrom === -1 ? this.items.length : keepFrom;
    if (removed > 0) {
      this.items = this.items.slice(removed);
      this.pendingView = null;
    }
    if (id > this.highest && this.behind !== null) {
      this.behind = Math.max(0, this.behind - Math.max(0, count - removed)); // some were behind the window
    }
  }

  private push(message: QueuedMessage): void {
    this.items.push(message);
    this.highest = message.id;
    this.pendingView = null;
  }
}

function toPending(message: QueuedMessage): PendingMessage {
  return { id: message.id, event: message.kind === 'message' ? message.event : null };
}
