import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { headers, type NatsConnection } from '@nats-io/transport-node';
import { eventSchemaVersions, StaleRelayEpochError, type RelayFence } from '../domain/index.js';
import {
  FEED_START,
  type FeedCursor,
  type FeedEvent,
  type FeedPage,
  type RawStoredEvent,
} from '../event-store/index.js';
import { systemClock, type Clock } from '../runtime/clock.js';
import {
  ensureEventsStream,
  type ClaimedEvent,
  lastPublishedEvent,
  LOG_HEADER,
  MSG_ID_HEADER,
  POSITION_HEADER,
} from './events-stream.js';
import { eventSubject, toOutboundEvent } from './outbound-event.js';

/** What the relay needs from the event log. */
export interface RelaySource {
  logId(): Promise<string>;
  /** The next events in feed order, (txid, position), none an open transaction could precede. */
  readFeed(after: FeedCursor, limit: number): Promise<FeedPage>;
  /** The event at a position, with its transaction id; null when none. */
  feedEventAt(position: number): Promise<FeedEvent | null>;
  /** The position of the newest committed event (0 for an empty log). */
  lastPosition(): Promise<number>;
  readCheckpoint(name: string): Promise<FeedCursor>;
  /** Under `fence`: refused with StaleRelayEpochError, nothing written, once the lease moved on. */
  writeCheckpoint(name: string, cursor: FeedCursor, fence?: RelayFence): Promise<void>;
}

/**
 * The relay's own lease (libs/ownership/relay-lease.ts), where several instances share the log: it
 * publishes only while `mayPublish`, and each checkpoint carries the lease's fence.
 */
export interface RelayLeaseGuard {
  /** True while this instance holds the relay lease and it is valid by its own monotonic clock. */
  mayPublish(): boolean;
  /** The lease's fence; null when this instance does not hold it. */
  fence(): RelayFence | null;
}

/** The few log calls the relay makes (pino's shape). */
interface RelayLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface RelayOptions {
  readonly namespace: string;
  /** How long the stream keeps events (default 7 days). */
  readonly retentionMs: number;
  /** Copies of the stream in a cluster (HOOKPOST_STREAM_REPLICAS, default 1). */
  readonly replicas?: number;
  readonly logger: RelayLogger;
  /** Events read and published per round. */
  readonly batchSize?: number;
  /** How often the log is looked at without a nudge: events written by another process. */
  readonly pollMs?: number;
  /**
   * How soon it looks again when committed events wait behind an open transaction (default 10 ms),
   * doubled while they keep waiting, up to pollMs.
   */
  readonly heldMs?: number;
  /** Least time between two checkpoint writes. */
  readonly checkpointEveryMs?: number;
  /** Pause after a failed round (NATS or the database down), doubled up to 10 s. */
  readonly retryMs?: number;
  /** Called with each published event's type (metrics). */
  readonly onPublished?: (count: number) => void;
  /** Times the polls, the retry pauses, the checkpoint spacing and the drain at stop (default: the system clock). */
  readonly clock?: Clock;
  /** The relay lease (PostgreSQL log); without one (SQLite) a lock file keeps the relay to one process. */
  readonly lease?: RelayLeaseGuard;
}

const encoder = new TextEncoder();

/** The name of the namespace's relay checkpoint in the database (the archive reads it too). */
export function relayCheckpointName(namespace: string): string {
  return `outbound:${namespace}`;
}
const MAX_RETRY_MS = 10_000;
/** How long stop() keeps publishing what is left before it gives up (the next start resumes). */
const STOP_DRAIN_MS = 5_000;
/** nats-server's most messages in one atomic batch. */
const ATOMIC_BATCH_LIMIT = 1_000;

/**
 * Publishes every committed event of the log, in feed order, to `<NS>_EVENTS` as
 * `<ns>.events.<customerId>.<type>`, each with Nats-Msg-Id `<logId>:<position>`.
 *
 * Exactly once for subscribers: it resumes after the last position found in the stream itself (or
 * the database checkpoint when the stream has expired everything), and a repeat after a failed
 * round is dropped by the stream's duplicate window. It never resumes past the log's end, nor after
 * a message it did not publish: the stream's last message counts only when it is, byte for byte,
 * what the relay publishes for the log's event at the position it names. Nothing is skipped: the
 * feed goes in (txid, position) order and reads only transactions older than every open one (see
 * the event store's FeedReader), so its cursor never passes an event that commits later. Per
 * customer that order is version order: an append expecting version n is made only after the
 * transaction that wrote n committed, so it begins (and takes its id) later.
 */
export class EventRelay {
  private cursor: FeedCursor = FEED_START;
  private loop: Promise<void> | null = null;
  private stopping = false;
  private stopBy = 0;
  private nudged = false;
  private wake: () => void = () => undefined;
  private lastCheckpointAt = 0;
  private checkpointed: FeedCursor = FEED_START;
  private heldBack = false;
  private logId = '';
  private readonly clock: Clock;

  private constructor(
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly stream: string,
    private readonly source: RelaySource,
    private readonly options: RelayOptions,
  ) {
    this.clock = options.clock ?? systemClock;
  }

  /** Creates (or updates) the outbound stream; publishing starts with start(). */
  static async open(nc: NatsConnection, source: RelaySource, options: RelayOptions): Promise<EventRelay> {
    const jsm = await jetstreamManager(nc);
    const stream = await ensureEventsStream(jsm, options.namespace, options.retentionMs, options.replicas);
    return new EventRelay(jetstream(nc), jsm, stream, source, options);
  }

  private get checkpointName(): string {
    return relayCheckpointName(this.options.namespace);
  }

  /** Whether it publishes now (only in the process that delivers). */
  get running(): boolean {
    return this.loop !== null;
  }

  /** The position of the last event published (and acknowledged by the stream). */
  get publishedThrough(): number {
    return this.cursor.position;
  }

  /** The feed cursor: every event at or before it, in feed order, is published. */
  get published(): FeedCursor {
    return this.cursor;
  }

  /** The last read found committed events waiting behind a transaction still open. */
  get held(): boolean {
    return this.heldBack;
  }

  /** Finds where to resume, then publishes in the background until stop(). */
  async start(): Promise<void> {
    if (this.loop !== null) {
      return;
    }
    this.logId = await this.source.logId();
    const [claimed, checkpoint, logEnd] = await Promise.all([
      lastPublishedEvent(this.jsm, this.stream, this.logId),
      this.source.readCheckpoint(this.checkpointName),
      this.source.lastPosition(),
    ]);
    const published = claimed === null ? FEED_START : await this.verifiedCursor(claimed);
    // A checkpoint past the log's end can only come from a forged message before this check: it says
    // nothing about what went out, so it is ignored (events may go out again, none is skipped).
    const pastEnd = checkpoint.position > logEnd;
    if (pastEnd) {
      this.options.logger.warn(
        { checkpoint: checkpoint.position, logEnd },
        'event relay: the checkpoint is past the end of the log; ignored',
      );
    }
    this.cursor = later(published, pastEnd ? FEED_START : checkpoint);
    this.checkpointed = checkpoint;
    this.stopping = false;
    this.options.logger.info(
      { stream: this.stream, after: this.cursor.position, afterTxid: this.cursor.txid },
      'event relay started',
    );
    this.loop = this.run();
  }

  /**
   * The cursor of the event the stream's last message names, when it is exactly what this relay
   * publishes for the log's event there; else the start (resume from the checkpoint: at worst a few events go out again,
   * and the duplicate window drops those published in its last 2 minutes). A message copied from
   * another one, or naming a position the log has not committed, is never trusted. A log whose old
   * events now upcast differently (a new schema version) looks the same and costs the same repeat.
   */
  private async verifiedCursor(claimed: ClaimedEvent): Promise<FeedCursor> {
    const row = await this.source.feedEventAt(claimed.position);
    const expected = row === null ? null : this.message(row);
    if (
      row !== null &&
      expected !== null &&
      expected.subject === claimed.subject &&
      Buffer.from(expected.payload).equals(Buffer.from(claimed.data))
    ) {
      return { txid: row.txid, position: row.position };
    }
    this.options.logger.warn(
      { claimedPosition: claimed.position, subject: claimed.subject },
      'event relay: the stream ends with a message this log did not publish; resuming from the checkpoint',
    );
    return FEED_START;
  }

  /** Something was committed: look now instead of at the next poll. */
  nudge(): void {
    this.nudged = true;
    this.wake();
  }

  /** Publishes what is left (for up to 5 s), records the checkpoint and stops. */
  async stop(): Promise<void> {
    if (this.loop === null) {
      return;
    }
    this.stopping = true;
    this.stopBy = this.clock.now() + STOP_DRAIN_MS;
    this.wake();
    await this.loop;
    this.loop = null;
    await this.saveCheckpoint(true).catch(() => undefined);
  }

  private async run(): Promise<void> {
    const batchSize = this.options.batchSize ?? 500;
    const pollMs = this.options.pollMs ?? 1_000;
    const heldMs = this.options.heldMs ?? 10;
    const baseRetryMs = this.options.retryMs ?? 1_000;
    let retryMs = baseRetryMs;
    let heldWaitMs = heldMs;
    while (!this.stopping || this.clock.now() < this.stopBy) {
      this.nudged = false;
      if (this.options.lease?.mayPublish() === false) {
        // Lost or run out by this process's own clock: another instance may be publishing already.
        this.options.logger.warn(
          { after: this.cursor.position },
          'event relay: the relay lease is not held; stopped',
        );
        return;
      }
      let published: number;
      try {
        published = await this.publishBatch(batchSize);
        await this.saveCheckpoint(false);
        retryMs = baseRetryMs;
      } catch (error) {
        if (error instanceof StaleRelayEpochError) {
          // Taken while this one was paused or cut off: what it published since is a repeat.
          this.options.logger.warn(
            { after: this.cursor.position, err: error.message },
            'event relay: the relay lease was taken by another instance; stopped',
          );
          return;
        }
        if (this.stopping) {
          return;
        }
        this.options.logger.warn(
          { err: String(error), after: this.cursor.position },
          'event relay: publishing failed; trying again',
        );
        await this.sleep(retryMs);
        retryMs = Math.min(retryMs * 2, MAX_RETRY_MS);
        continue;
      }
      if (published === batchSize || this.nudged) {
        continue; // more is waiting
      }
      if (this.stopping && !this.heldBack) {
        return; // drained
      }
      // Behind an open transaction: look again soon (it is usually a commit away), less often the
      // longer it stays open (an archive deletion, a long migration), never less than a poll.
      if (this.heldBack) {
        await this.sleep(heldWaitMs);
        heldWaitMs = Math.min(heldWaitMs * 2, pollMs);
      } else {
        heldWaitMs = heldMs;
        await this.sleep(pollMs);
      }
    }
  }

  /** Reads the next events and publishes them: the quick way, or one acknowledgement each. */
  private async publishBatch(batchSize: number): Promise<number> {
    const { events: rows, held } = await this.source.readFeed(this.cursor, batchSize);
    this.heldBack = held;
    const last = rows.at(-1);
    if (last === undefined) {
      return 0;
    }
    if (!(await this.publishAtomically(rows))) {
      await this.publishEachAcknowledged(rows);
    }
    this.cursor = { txid: last.txid, position: last.position };
    this.options.onPublished?.(rows.length);
    return rows.length;
  }

  /**
   * Publishes the page as atomic batches (nats-server 2.12+, `allow_atomic` on the stream): each is
   * stored whole and in order or not at all, and synced to disk once instead of once per event under
   * `sync_interval: always` (about a quarter of the server's CPU per event, docs/performance.md). A
   * batch the stream refuses (it holds one of its events already: a resume after a crash, or a
   * page from before a takeover) returns false, and the page goes again one acknowledgement each.
   */
  private async publishAtomically(rows: readonly RawStoredEvent[]): Promise<boolean> {
    for (let start = 0; start < rows.length; start += ATOMIC_BATCH_LIMIT) {
      const [first, ...rest] = rows.slice(start, start + ATOMIC_BATCH_LIMIT).map((row) => this.message(row));
      const last = rest.pop();
      if (first === undefined || last === undefined) {
        return false; // a single event: one acknowledgement is the cheaper way
      }
      try {
        const batch = await this.js.startBatch(first.subject, first.payload, { headers: first.headers });
        rest.forEach(({ subject, payload, headers }) => batch.add(subject, payload, { headers }));
        await batch.commit(last.subject, last.payload, { headers: last.headers });
      } catch (error) {
        this.options.logger.warn(
          { after: this.cursor.position, err: String(error) },
          'event relay: the stream refused the page as one batch; publishing it again, one acknowledgement each',
        );
        return false;
      }
    }
    return true;
  }

  /**
   * Publishes the page pipelined with one acknowledgement per event; what the stream already holds
   * is dropped by its duplicate window. Throws at the first event not acknowledged (the page goes
   * again from the same position).
   */
  private async publishEachAcknowledged(rows: readonly RawStoredEvent[]): Promise<void> {
    const acks = await Promise.allSettled(
      rows.map((row) => {
        const { subject, payload, headers } = this.message(row);
        return this.js.publish(subject, payload, { headers });
      }),
    );
    for (const ack of acks) {
      if (ack.status === 'rejected') {
        throw ack.reason;
      }
    }
  }

  /** The event's subject, body and headers (Nats-Msg-Id `<logId>:<position>` for the duplicate window). */
  private message(row: RawStoredEvent) {
    const { event, valid } = toOutboundEvent(row, eventSchemaVersions);
    if (!valid) {
      this.options.logger.warn(
        { position: row.position, customerId: row.customerId },
        'event relay: an invalid event goes out as stored',
      );
    }
    const h = headers();
    h.set(MSG_ID_HEADER, `${this.logId}:${row.position}`);
    h.set(POSITION_HEADER, String(row.position));
    h.set(LOG_HEADER, this.logId);
    return {
      subject: eventSubject(this.options.namespace, row.customerId, row.type),
      payload: encoder.encode(JSON.stringify(event)),
      headers: h,
    };
  }

  /** The checkpoint matters only when the stream has lost its last event: written at most once a second. */
  private async saveCheckpoint(force: boolean): Promise<void> {
    const every = this.options.checkpointEveryMs ?? 1_000;
    if (
      same(this.cursor, this.checkpointed) ||
      (!force && this.clock.now() - this.lastCheckpointAt < every)
    ) {
      return;
    }
    const cursor = this.cursor;
    const lease = this.options.lease;
    const fence = lease?.fence() ?? null;
    if (lease !== undefined && fence === null) {
      return; // released already: the cursor is the next holder's
    }
    await this.source.writeCheckpoint(this.checkpointName, cursor, fence ?? undefined);
    this.checkpointed = cursor;
    this.lastCheckpointAt = this.clock.now();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = this.clock.setTimer(done, ms);
      function done() {
        timer.cancel();
        resolve();
      }
      this.wake = done;
      // A stop drains without pausing, except behind an open transaction (its commit is waited for).
      if (this.nudged || (this.stopping && !this.heldBack)) {
        done();
      }
    });
  }
}

/** The later of two feed cursors, in (txid, position) order. */
function later(a: FeedCursor, b: FeedCursor): FeedCursor {
  return a.txid > b.txid || (a.txid === b.txid && a.position >= b.position) ? a : b;
}

function same(a: FeedCursor, b: FeedCursor): boolean {
  return a.txid === b.txid && a.position === b.position;
}
