import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { assertCustomerId } from './customer-id.js';
import { startFeed, type BacklogPacing, type QueueFeed } from './feed.js';
import type { QueuedMessage, QueueBody } from './message.js';
import { publishAll, publishOne, type PublishItem, type PublishResult } from './publisher.js';
import { concurrencyLimit, dutyCycle } from './concurrency-limit.js';
import { Purger } from './purger.js';
import { countAfter, readAfter, type ReadContext } from './reader.js';
import {
  queueSubject,
  queueSubjectPrefix,
  resolveSettings,
  streamName,
  type QueueSettings,
  type ResolvedQueueSettings,
} from './settings.js';
import { ensureStream } from './stream.js';

/** Released messages of one customer per purge: purge cost grows with the stream, not with what it removes. */
export const PURGE_EVERY_MESSAGES = 1_000;

/** Subject purges in flight at once (the server runs them one by one; see concurrency-limit.ts). */
const PURGE_CONCURRENCY = 4;

/** Share of the time background purges may keep the stream busy (see dutyCycle). */
const BACKGROUND_PURGE_SHARE = 0.2;

/** With a max_msgs cap, delivered messages may hold at most this share of it before all are purged. */
const UNPURGED_SHARE_OF_CAP = 0.1;

/**
 * The customers' ordered queues in one JetStream stream (limits retention, discard new; why not
 * workqueue: see streamConfig). The caller keeps each customer's cursor (last delivered id) and
 * releases what it delivered; the queue removes released messages with amortised subject purges.
 */
export class JetStreamQueue {
  private readonly prefix: string;
  private readonly stream: string;
  private readonly readContext: ReadContext;
  private readonly purger: Purger;
  private readonly tasks = new Set<Promise<unknown>>();
  private readonly feeds = new Set<QueueFeed>();

  private constructor(
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly settings: ResolvedQueueSettings,
  ) {
    this.prefix = queueSubjectPrefix(settings.namespace);
    this.stream = streamName(settings.namespace);
    this.readContext = {
      js,
      jsm,
      stream: this.stream,
      subjectPrefix: this.prefix,
      background: (task) => this.track(task),
    };
    const purges = concurrencyLimit(PURGE_CONCURRENCY);
    this.purger = new Purger(
      async (customerId, keepFrom) => {
        await purges(() =>
          this.jsm.streams.purge(this.stream, {
            filter: queueSubject(settings.namespace, customerId),
            seq: keepFrom,
          }),
        );
      },
      PURGE_EVERY_MESSAGES,
      unpurgedBudget(settings),
      dutyCycle(BACKGROUND_PURGE_SHARE),
    );
  }

  /** Creates the stream or updates it idempotently to these settings, then returns the queue. */
  static async open(nc: NatsConnection, settings: QueueSettings): Promise<JetStreamQueue> {
    const resolved = resolveSettings(settings);
    const jsm = await jetstreamManager(nc);
    await ensureStream(jsm, nc.info?.version, resolved);
    return new JetStreamQueue(jetstream(nc), jsm, resolved);
  }

  /** Appends a message to the customer's queue; the same idempotency key within the window returns the first id. */
  async publish(customerId: string, body: QueueBody, idempotencyKey?: string): Promise<PublishResult> {
    const { namespace, maxMessageBytes } = this.settings;
    return publishOne(this.js, namespace, maxMessageBytes, { customerId, body, idempotencyKey });
  }

  /** Publishes many messages pipelined (up to 1,000 acks outstanding); results in input order. */
  async publishMany(items: readonly PublishItem[]): Promise<PublishResult[]> {
    return publishAll(this.js, this.settings.namespace, this.settings.maxMessageBytes, items);
  }

  /**
   * The customer's messages with id > afterId, in id order, at most max. Fewer than max means the
   * stream held no more when the read began (an interrupted read throws IncompleteReadError).
   */
  async read(customerId: string, afterId: number, max: number): Promise<QueuedMessage[]> {
    assertCustomerId(customerId);
    return readAfter(this.readContext, customerId, afterId, max);
  }

  /** How many of the customer's messages have id > afterId. */
  async pendingCount(customerId: string, afterId: number): Promise<number> {
    assertCustomerId(customerId);
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
   * The caller has delivered or skipped everything <= throughId; `count` is how many messages this call
   * covers (drives the amortisation only). Removal is amortised: one subject purge per 1,000 released
   * messages of the customer, or at flush(); never past throughId.
   */
  release(customerId: string, throughId: number, count = 1): void {
    assertCustomerId(customerId);
    this.purger.release(customerId, throughId, count);
  }

  /** Runs the pending purges now (an idle customer, or all at shutdown); rejects if one failed. */
  async flush(customerId?: string): Promise<void> {
    if (customerId !== undefined) {
      assertCustomerId(customerId);
    }
    return this.purger.flush(customerId);
  }

  /** Purges the customer's released messages soon, in the background (a customer going idle). */
  purgeSoon(customerId: string): void {
    assertCustomerId(customerId);
    this.purger.purgeSoon(customerId);
  }

  /**
   * Per-customer message counts of the stream (discovery at start). They include delivered messages not
   * yet purged: the caller compares with its cursor (pendingCount gives the exact figure).
   */
  async customersWithMessages(): Promise<Map<string, number>> {
    return (await this.stored()).customers;
  }

  /**
   * What the stream holds, from one stream info: its first sequence (every message still stored has
   * this id or a higher one) and the per-customer counts of customersWithMessages.
   */
  async stored(): Promise<{ firstSeq: number; customers: Map<string, number> }> {
    const info = await this.jsm.streams.info(this.stream, { subjects_filter: `${this.prefix}*` });
    const customers = new Map<string, number>();
    for (const [subject, count] of Object.entries(info.state.subjects ?? {})) {
      if (subject.startsWith(this.prefix) && count > 0) {
        customers.set(subject.slice(this.prefix.length), count);
      }
    }
    return { firstSeq: Math.max(1, info.state.first_seq), customers };
  }

  /**
   * Hands every message from fromSeq ('new' = from now) to onMessage in stream order, bodies included;
   * with `backlog`, the messages already stored are read first at its pace (see startFeed).
   */
  async feed(
    fromSeq: number | 'new',
    onMessage: (m: QueuedMessage) => void,
    backlog?: BacklogPacing,
  ): Promise<QueueFeed> {
    const feed = await startFeed(this.js, this.jsm, this.stream, this.prefix, fromSeq, onMessage, backlog);
    this.feeds.add(feed);
    return {
      get lastSeq() {
        return feed.lastSeq;
      },
      done: feed.done,
      stop: async () => {
        this.feeds.delete(feed);
        await feed.stop();
      },
    };
  }

  /** Stops this queue's feeds, runs pending purges and waits for background work; the connection stays open. */
  async close(): Promise<void> {
    await Promise.all([...this.feeds].map((feed) => feed.stop()));
    this.feeds.clear();
    try {
      await this.purger.flush();
    } finally {
      await this.purger.idle();
      await Promise.allSettled([...this.tasks]);
    }
  }

  private track(task: Promise<unknown>): void {
    this.tasks.add(task);
    const forget = (): void => {
      this.tasks.delete(task);
    };
    task.then(forget, forget);
  }
}

/**
 * How many delivered-but-unpurged messages a capped stream may hold: they count against max_msgs,
 * so a publisher would be refused (QUEUE_FULL) by a stream holding mostly delivered messages.
 */
function unpurgedBudget(settings: ResolvedQueueSettings): number {
  return settings.maxMessages > 0
    ? Math.max(1, Math.floor(settings.maxMessages * UNPURGED_SHARE_OF_CAP))
    : Number.POSITIVE_INFINITY;
}
