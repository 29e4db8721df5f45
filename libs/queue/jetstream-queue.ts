import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { BacklogScans } from './backlog-scan.js';
import { assertCustomerId } from './customer-id.js';
import { startFeed, type QueueFeed } from './feed.js';
import type { QueuedMessage, QueueBody } from './message.js';
import { publishAll, type PublishItem, type PublishResult } from './publisher.js';
import { systemClock, type Clock } from '../runtime/clock.js';
import { Purges } from './purges.js';
import { countAfter, readAfter, type ReadContext, type ReadPage } from './reader.js';
import {
  queueSubject,
  queueSubjectPrefix,
  resolveSettings,
  streamName,
  type QueueSettings,
  type ResolvedQueueSettings,
} from './settings.js';
import { ensureStream } from './stream.js';

/** Subject purges in flight at once; releases beyond that wait and coalesce per customer (see Purges). */
const PURGE_CONCURRENCY = 4;

/**
 * When a customer's delivered messages are purged (see Purges): once it has released nothing for
 * a tick of PURGE_QUIET_MS, and at least every PURGE_MAX_DELAY_MS while it keeps delivering. Each
 * purge is a JetStream API request the server answers: purging every 250 ms gave H2 (500 customers
 * delivering one message at a time) 9,223 purges for 10,000 deliveries and 7x the nats-server CPU
 * per message of one purge per drained customer. Unlimited streams keep delivered messages up to
 * 10 s longer for it; a capped stream (maxMessages or maxBytes) purges every 250 ms, since
 * delivered messages left in it count against the cap.
 */
const PURGE_QUIET_MS = 1_000;
const PURGE_MAX_DELAY_MS = 10_000;
const CAPPED_PURGE_DELAY_MS = 250;

/**
 * The customers' ordered queues in one JetStream stream (limits retention, discard new; why not
 * workqueue: see streamConfig). The caller keeps each customer's cursor (last delivered id) and
 * releases what it delivered; the queue removes released messages with subject purges in the
 * background and reads with batch direct gets, so no consumer is created per read.
 */
export class JetStreamQueue {
  private readonly prefix: string;
  private readonly stream: string;
  private readonly readContext: ReadContext;
  private readonly purges: Purges;
  private readonly scans: BacklogScans;
  private readonly feeds = new Set<QueueFeed>();

  private constructor(
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly settings: ResolvedQueueSettings,
    clock: Clock,
  ) {
    this.prefix = queueSubjectPrefix(settings.namespace);
    this.stream = streamName(settings.namespace);
    this.readContext = { jsm, stream: this.stream, subjectPrefix: this.prefix };
    this.scans = new BacklogScans(this.readContext, js, clock);
    const capped = settings.maxMessages !== -1 || settings.maxBytes !== -1;
    this.purges = new Purges(
      async (customerId, keepFrom) => {
        await this.jsm.streams.purge(this.stream, {
          filter: queueSubject(settings.namespace, customerId),
          seq: keepFrom,
        });
      },
      PURGE_CONCURRENCY,
      capped ? CAPPED_PURGE_DELAY_MS : PURGE_QUIET_MS,
      clock,
      capped ? CAPPED_PURGE_DELAY_MS : PURGE_MAX_DELAY_MS,
    );
  }

  /**
   * Creates the stream or updates it idempotently to these settings, then returns the queue. The
   * clock times the background purges and the backlog scans.
   */
  static async open(
    nc: NatsConnection,
    settings: QueueSettings,
    clock: Clock = systemClock,
  ): Promise<JetStreamQueue> {
    const resolved = resolveSettings(settings);
    const jsm = await jetstreamManager(nc);
    await ensureStream(jsm, nc.info?.version, resolved);
    return new JetStreamQueue(jetstream(nc), jsm, resolved, clock);
  }

  /** Appends a message to the customer's queue; the same idempotency key within the window returns the first id. */
  async publish(customerId: string, body: QueueBody, idempotencyKey?: string): Promise<PublishResult> {
    const [result] = await this.publishMany([{ customerId, body, idempotencyKey }]);
    return result!;
  }

  /** Publishes many messages pipelined (up to 1,000 acks outstanding); results in input order. */
  async publishMany(items: readonly PublishItem[]): Promise<PublishResult[]> {
    return publishAll(this.js, this.settings.namespace, this.settings.maxMessageBytes, items);
  }

  /**
   * The customer's messages with id > afterId, in id order, at most max. Fewer than max means the
   * stream held no more (a read that lost a reply throws IncompleteReadError).
   */
  async read(customerId: string, afterId: number, max: number): Promise<QueuedMessage[]> {
    assertCustomerId(customerId);
    return (await readAfter(this.readContext, customerId, afterId, max)).messages;
  }

  /**
   * As read, with how many more of the customer's messages the stream held behind the last one
   * read; from a backlog scan where one covers it, and then it may hold fewer than max while more
   * remain (the scan had not got further yet).
   */
  async readPage(customerId: string, afterId: number, max: number): Promise<ReadPage> {
    assertCustomerId(customerId);
    const scanned = await this.scans.readPage(customerId, afterId, max);
    return scanned ?? readAfter(this.readContext, customerId, afterId, max);
  }

  /**
   * These customers are about to read their queues (start-up, a takeover), with the counts stored()
   * gave: one pass through the stream in order collects their messages for those reads (see BacklogScans).
   */
  scanBacklog(customers: ReadonlyMap<string, number>): void {
    this.scans.start(customers);
  }

  /** How many of the customer's messages have id > afterId; a customer that counts reads no bodies, so a scan drops its own. */
  async pendingCount(customerId: string, afterId: number): Promise<number> {
    assertCustomerId(customerId);
    this.scans.drop(customerId);
    return countAfter(this.readContext, customerId, afterId);
  }

  /**
   * The id of the oldest message with id > afterId and when it was accepted (ms since the epoch), or
   * null when there is none: one stream get of the subject's next message, no consumer (the status
   * overview's age column, the oldest pending message's age in the metrics).
   */
  async oldestPending(
    customerId: string,
    afterId: number,
  ): Promise<{ id: number; acceptedAt: number } | null> {
    assertCustomerId(customerId);
    // STREAM.MSG.GET takes next_by_subj with seq; the client's type lists only seq and last_by_subj.
    const query = { seq: afterId + 1, next_by_subj: `${this.prefix}${customerId}` } as unknown as {
      seq: number;
    };
    const message = await this.jsm.streams.getMessage(this.stream, query);
    return message === null ? null : { id: message.seq, acceptedAt: message.time.getTime() };
  }

  /**
   * The caller has delivered or skipped everything <= throughId: those messages leave the stream
   * soon, in a subject purge that never removes anything past throughId.
   */
  release(customerId: string, throughId: number): void {
    assertCustomerId(customerId);
    this.purges.release(customerId, throughId);
  }

  /** Runs the pending purges now (all at shutdown); rejects if one failed. */
  async flush(customerId?: string): Promise<void> {
    if (customerId !== undefined) {
      assertCustomerId(customerId);
    }
    return this.purges.flush(customerId);
  }

  /**
   * Per-customer message counts of the stream, from one stream info (discovery at start). They
   * include delivered messages not yet purged: the caller compares with its cursor.
   */
  async stored(): Promise<{ customers: Map<string, number> }> {
    const info = await this.jsm.streams.info(this.stream, { subjects_filter: `${this.prefix}*` });
    const customers = new Map<string, number>();
    for (const [subject, count] of Object.entries(info.state.subjects ?? {})) {
      if (subject.startsWith(this.prefix) && count > 0) {
        customers.set(subject.slice(this.prefix.length), count);
      }
    }
    return { customers };
  }

  /** Hands every message from fromSeq ('new' = from now) to onMessage in stream order, bodies included. */
  async feed(
    fromSeq: number | 'new',
    onMessage: (m: QueuedMessage) => void,
    accepts?: (customerId: string) => boolean,
  ): Promise<QueueFeed> {
    const feed = await startFeed({ ...this.readContext, js: this.js, onMessage, accepts }, fromSeq);
    this.feeds.add(feed); // until it ends (stopped or failed): close() stops the running ones
    void feed.done.then(() => this.feeds.delete(feed));
    return feed;
  }

  /** Stops this queue's feeds and runs pending purges; the connection stays open. */
  async close(): Promise<void> {
    this.scans.stop();
    await Promise.all([...this.feeds].map((feed) => feed.stop()));
    this.feeds.clear();
    try {
      await this.purges.flush();
    } finally {
      await this.purges.idle();
      this.purges.stop();
    }
  }
}
