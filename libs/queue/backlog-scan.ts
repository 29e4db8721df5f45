import type { JetStreamClient, JsMsg } from '@nats-io/jetstream';
import type { Clock } from '../runtime/clock.js';
import { rawOfJsMsg } from './feed.js';
import { decodeMessage, type RawQueueMessage } from './message.js';
import { countAfter, readAfter, type ReadContext, type ReadPage } from './reader.js';

/**
 * Why a scan exists: a customer's read is a direct get of its next messages after a sequence, and
 * nats-server finds each one by walking the stream's blocks message by message from there. In a
 * backlog interleaved over C customers that walks about C messages per message read (41x the
 * server's CPU of one sequential pass at 1,000 customers; docs/performance.md). At start-up and
 * after a takeover many customers read at once, so one pass in stream order serves them all.
 */

/** Bytes of found messages held at once, over all scans (bodies kept as stored, decoded when read). */
const BUDGET_BYTES = 32 * 1024 * 1024;
/** What holding one message costs beyond its body (the object, the subject, the headers). */
const PER_MESSAGE_BYTES = 256;
const FETCH_MESSAGES = 256;
const FETCH_EXPIRES_MS = 5_000;
/**
 * How long a full budget may hold the scan up before it stops collecting for the customers whose
 * messages do not fit (they read the rest from the stream). Readers free room as they read; ones
 * that will not read soon (no endpoint, a long backoff) must not stop the scan for the others.
 */
const STALL_MS = 1_000;
/** Fewer customers reading at once than this read with direct gets; a backlog scan pays from here. */
const MIN_SCAN_CUSTOMERS = 8;
/**
 * A scan sends every message of the stream to Hookpost (~3 us of nats-server's CPU each, and
 * Hookpost's to pass over it), where a direct get's walk costs ~0.12 us per message it passes
 * over. A scan is kept for customers whose messages are a good part of the stream (a start, a large
 * takeover), not for a few partitions' customers in a stream of others' held messages.
 */
const MIN_SHARE_OF_STREAM = 4;
/** How long what a finished scan found waits for its customers' reads before it is dropped. */
const LINGER_MS = 60_000;
/**
 * A scan that has not moved for this long (not waiting for room) is given up: its readers go on
 * from where it got to. An ordered consumer re-creates itself through a NATS outage without end.
 */
const STUCK_MS = 15_000;

/** The scans' limits; tests set small ones. */
export interface ScanLimits {
  budgetBytes: number;
  stallMs: number;
}

interface Scan {
  /** Every message of the scan's customers up to this sequence has been seen. */
  position: number;
  /** Waiting for room: readers take what they have instead of a whole page. */
  stalled: boolean;
  /** When position last moved (or the scan began), by the injected clock. */
  movedAt: number;
  /** Ended (done, failed, given up or stopped): it collects nothing more. */
  finished: boolean;
  readonly customers: Map<string, Found>;
}

/**
 * One customer's messages a scan found, oldest first. Every message of the customer with an id
 * in (handedThrough, through] is in `items`: a read after handedThrough can be answered from them.
 */
class Found {
  items: RawQueueMessage[] = [];
  bytes = 0;
  /** The customer's messages the scan has passed, collected or not. */
  seen = 0;
  /**
   * Reads start after this: what was handed out, or what a waiting reader does not want. Nothing
   * at or below it is collected; a read from before it goes to the stream.
   */
  handedThrough = 0;
  private endedThrough: number | null = null;
  private waiters: (() => void)[] = [];

  /**
   * @param stored how many messages the stream held for the customer when the scan was asked for:
   *   once the scan has passed that many, nothing more is coming before the newer ones.
   */
  constructor(
    private readonly scan: Scan,
    readonly stored: number,
  ) {}

  get through(): number {
    return this.endedThrough ?? this.scan.position;
  }

  /** Nothing more will be added: the scan finished or failed, or the customer did not fit. */
  get ended(): boolean {
    return this.endedThrough !== null;
  }

  get stalled(): boolean {
    return this.scan.stalled;
  }

  end(through: number): void {
    this.endedThrough ??= through;
    this.wake();
  }

  wake(): void {
    if (this.waiters.length === 0) {
      return;
    }
    const waiters = this.waiters;
    this.waiters = [];
    waiters.forEach((wake) => wake());
  }

  changed(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}

/**
 * Passes over the stored backlog in stream order once for many customers, holding their messages
 * until each customer's read takes them. A read the scans cannot answer exactly goes to the stream.
 */
export class BacklogScans {
  private readonly found = new Map<string, Found>();
  private held = 0;
  /** The budget stayed full for STALL_MS: customers that do not fit end until room is freed. */
  private overflowing = false;
  private room: (() => void)[] = [];
  private stopped = false;

  /** A scan held up by a full budget goes on once reads have brought the held bytes below this. */
  private readonly resumeBelow: number;

  constructor(
    private readonly ctx: ReadContext,
    private readonly js: JetStreamClient,
    private readonly clock: Clock,
    private readonly limits: ScanLimits = { budgetBytes: BUDGET_BYTES, stallMs: STALL_MS },
  ) {
    this.resumeBelow = (limits.budgetBytes * 3) / 4;
  }

  /**
   * Starts one pass through what the stream holds now for these customers' coming reads, each
   * with how many messages the stream held for it (a read waits no longer than for those).
   * Fewer than MIN_SCAN_CUSTOMERS read from the stream themselves.
   */
  start(customers: ReadonlyMap<string, number>): void {
    if (customers.size < MIN_SCAN_CUSTOMERS) {
      return;
    }
    const scan: Scan = {
      position: 0,
      stalled: false,
      movedAt: this.clock.now(),
      finished: false,
      customers: new Map(),
    };
    for (const [customerId, stored] of customers) {
      this.forget(customerId);
      const found = new Found(scan, stored);
      scan.customers.set(customerId, found);
      this.found.set(customerId, found);
    }
    this.watch(scan);
    void this.run(scan)
      .catch(() => undefined) // what was seen so far stands; the rest is read from the stream
      .finally(() => this.finish(scan));
  }

  /**
   * The customer's messages with id > afterId, at most max, from what a scan found (then the
   * stream past it); null when no scan covers the read. Waits while the scan may still find more.
   */
  async readPage(customerId: string, afterId: number, max: number): Promise<ReadPage | null> {
    let found = this.covering(customerId, afterId);
    while (found !== undefined) {
      this.take(found, afterId, 0); // what it holds up to afterId leaves memory, and is not collected
      found.handedThrough = Math.max(found.handedThrough, afterId);
      if (this.answerable(found, max)) {
        break;
      }
      await found.changed();
      found = this.covering(customerId, afterId);
    }
    if (found === undefined) {
      return null;
    }
    const raw = this.take(found, afterId, max);
    const messages = raw.map((m) => decodeMessage(m, this.ctx.subjectPrefix));
    const { through } = found;
    const rest = found.items.length;
    if (found.ended && rest === 0) {
      this.forget(customerId);
    }
    if (messages.length === max || !found.ended) {
      return { messages, remaining: rest + (await countAfter(this.ctx, customerId, through)) };
    }
    const tail = await readAfter(this.ctx, customerId, Math.max(through, afterId), max - messages.length);
    return { messages: [...messages, ...tail.messages], remaining: tail.remaining };
  }

  /** Drops what the scans found of the customer (it only counts its messages: no endpoint, or disabled). */
  drop(customerId: string): void {
    this.forget(customerId);
  }

  /** Drops everything found and stops the scans (the queue closes). */
  stop(): void {
    this.stopped = true;
    [...this.found.keys()].forEach((customerId) => this.forget(customerId));
  }

  private covering(customerId: string, afterId: number): Found | undefined {
    const found = this.found.get(customerId);
    return found !== undefined && afterId >= found.handedThrough ? found : undefined;
  }

  /**
   * A whole page is there, or the scan will add nothing more, or it waits for room (take what
   * there is). Everything held is after the read's start: what was before it has been dropped.
   */
  private answerable(found: Found, max: number): boolean {
    const held = found.items.length;
    return held >= max || found.ended || (found.stalled && held > 0);
  }

  /** Hands out up to max items after afterId; they and those before leave memory. */
  private take(found: Found, afterId: number, max: number): RawQueueMessage[] {
    const from = found.items.findIndex((m) => m.seq > afterId);
    const upTo = from === -1 ? found.items.length : Math.min(from + max, found.items.length);
    const taken = from === -1 ? [] : found.items.slice(from, upTo);
    const gone = found.items.slice(0, upTo);
    found.items = found.items.slice(upTo);
    const last = gone.at(-1);
    if (last !== undefined) {
      found.handedThrough = last.seq;
      this.free(
        found,
        gone.reduce((sum, m) => sum + sizeOf(m), 0),
      );
    }
    return taken;
  }

  private forget(customerId: string, onlyOf?: Scan): void {
    const found = this.found.get(customerId);
    if (found === undefined || (onlyOf !== undefined && onlyOf.customers.get(customerId) !== found)) {
      return;
    }
    this.found.delete(customerId);
    this.free(found, found.bytes);
    found.items = [];
    found.end(0);
  }

  private free(found: Found, bytes: number): void {
    found.bytes -= bytes;
    this.held -= bytes;
    if (bytes > 0 && this.held < this.resumeBelow) {
      this.overflowing = false;
      const room = this.room;
      this.room = [];
      room.forEach((wake) => wake());
    }
  }

  private async run(scan: Scan): Promise<void> {
    const { state } = await this.ctx.jsm.streams.info(this.ctx.stream);
    if (state.messages === 0) {
      scan.position = state.last_seq;
      return;
    }
    let wanted = 0;
    scan.customers.forEach((found) => (wanted += found.stored));
    if (wanted * MIN_SHARE_OF_STREAM < state.messages) {
      return; // a takeover of a few partitions: their reads walk less than the whole stream would cost
    }
    scan.position = state.first_seq - 1;
    const consumer = await this.js.consumers.get(this.ctx.stream, { opt_start_seq: state.first_seq });
    try {
      // Past last_seq, or nothing pending after a message (the server's count, trusted only to
      // stop early: what lies between is read by direct gets after the position).
      let atEnd = false;
      while (!atEnd && !scan.finished && !this.stopped) {
        const batch = await consumer.fetch({ max_messages: FETCH_MESSAGES, expires: FETCH_EXPIRES_MS });
        let received = 0;
        for await (const m of batch) {
          received += 1;
          if (scan.finished) {
            break; // given up or stopped: it stays where it got to
          }
          if (m.seq > state.last_seq) {
            scan.position = state.last_seq;
            atEnd = true;
            break; // not waiting out the fetch for messages past the backlog
          }
          await this.collect(scan, m);
          scan.position = m.seq;
          scan.movedAt = this.clock.now();
          atEnd = m.seq === state.last_seq || m.info.pending === 0;
          if (atEnd) {
            break;
          }
        }
        if (received === 0) {
          throw new Error('backlog scan: a fetch found nothing before the end of the backlog');
        }
      }
    } finally {
      await consumer.delete().catch(() => false);
    }
  }

  /** Ends every customer of the scan where it got to; what it holds waits LINGER_MS for their reads. */
  private finish(scan: Scan): void {
    if (scan.finished) {
      return;
    }
    scan.finished = true;
    scan.customers.forEach((found) => found.end(scan.position));
    this.clock.setTimer(() => scan.customers.forEach((_, id) => this.forget(id, scan)), LINGER_MS);
  }

  /** Gives the scan up once it has not moved for STUCK_MS while not waiting for room. */
  private watch(scan: Scan): void {
    this.clock.setTimer(() => {
      if (scan.finished) {
        return;
      }
      if (!scan.stalled && this.clock.now() - scan.movedAt >= STUCK_MS) {
        this.finish(scan);
        return;
      }
      this.watch(scan);
    }, STUCK_MS / 3);
  }

  private async collect(scan: Scan, m: JsMsg): Promise<void> {
    const customerId = m.subject.slice(this.ctx.subjectPrefix.length);
    const found = scan.customers.get(customerId);
    if (found === undefined || found.ended) {
      return;
    }
    found.seen += 1;
    if (m.seq > found.handedThrough) {
      const raw = { ...rawOfJsMsg(m), data: m.data.slice() }; // its own bytes, not a view of the socket's buffer
      if (!(await this.roomFor(scan, sizeOf(raw))) || this.found.get(customerId) !== found || scan.finished) {
        found.end(scan.position); // read from the stream after what was collected
        return;
      }
      found.items.push(raw);
      found.bytes += sizeOf(raw);
      this.held += sizeOf(raw);
    }
    scan.position = m.seq; // with the push: a reader must never see the message both held and ahead
    if (found.seen >= found.stored) {
      found.end(m.seq); // the customer's last stored message: its reads need not wait for the scan's end
    }
    found.wake();
  }

  private async roomFor(scan: Scan, bytes: number): Promise<boolean> {
    while (this.held + bytes > this.limits.budgetBytes) {
      if (this.overflowing || this.stopped) {
        return false;
      }
      scan.stalled = true;
      scan.customers.forEach((found) => found.wake());
      const freed = await new Promise<boolean>((resolve) => {
        const timer = this.clock.setTimer(() => resolve(false), this.limits.stallMs);
        this.room.push(() => {
          timer.cancel();
          resolve(true);
        });
      });
      scan.stalled = false;
      this.overflowing ||= !freed;
    }
    return true;
  }
}

function sizeOf(m: RawQueueMessage): number {
  return m.data.length + PER_MESSAGE_BYTES;
}
