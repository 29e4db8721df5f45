import type { ConsumerMessages, JetStreamClient, JsMsg } from '@nats-io/jetstream';
import { decodeMessage, type QueuedMessage, type RawQueueMessage } from './message.js';
import type { ReadContext } from './reader.js';
import { traceOfHeaders } from './trace-headers.js';

/** A running feed of every new queue message, in stream order. */
export interface QueueFeed {
  /** The stream sequence of the last message handed over (fromSeq - 1 before the first). */
  readonly lastSeq: number;
  /** Resolves when the feed ends: undefined after stop(), the Error when it failed (or onMessage threw). */
  readonly done: Promise<Error | undefined>;
  /** Stops the feed and deletes its consumer. */
  stop(): Promise<void>;
}

/** Messages the feed's consumer may buffer ahead of onMessage (each at most ~264 KiB). */
const FEED_MAX_MESSAGES = 256;
/**
 * Life of each pull request. nats.js waits up to this long between its checks after a reconnect
 * (and 2 missed heartbeats of half of it): with its 30 s default the feed stayed silent for ~40 s
 * after a nats-server restart (measured by the chaos suite); 2 s costs one idle pull every 2 s.
 */
const FEED_PULL_EXPIRES_MS = 2_000;

function toError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

/** What decodeMessage takes from a consumer's message. */
export function rawOfJsMsg(m: JsMsg): RawQueueMessage {
  return {
    seq: m.seq,
    subject: m.subject,
    data: m.data,
    timestampNanos: m.timestampNanos,
    trace: traceOfHeaders(m.headers),
  };
}

/** Where a feed reads and whom it tells. */
export interface FeedTarget extends ReadContext {
  js: JetStreamClient;
  onMessage: (m: QueuedMessage) => void;
  /**
   * Whether this process wants the customer's messages (active-active: it owns the customer's
   * partition); the others are passed over by subject, without decoding their bodies.
   */
  accepts?: (customerId: string) => boolean;
}

/**
 * Starts one ordered consumer over the whole stream from fromSeq ('new' = after the current last
 * message, so nothing published after this call is missed). The ordered consumer re-creates itself
 * from its cursor after a gap or a server restart, so the caller sees every message once, in order.
 */
export async function startFeed(target: FeedTarget, fromSeq: number | 'new'): Promise<QueueFeed> {
  if (fromSeq !== 'new' && (!Number.isSafeInteger(fromSeq) || fromSeq < 1)) {
    throw new Error(`feed: fromSeq must be a positive integer or 'new', got ${fromSeq}`);
  }
  const { js, jsm, stream, subjectPrefix, onMessage, accepts } = target;
  const start = fromSeq === 'new' ? (await jsm.streams.info(stream)).state.last_seq + 1 : fromSeq;
  const consumer = await js.consumers.get(stream, { opt_start_seq: start });
  let lastSeq = start - 1;
  let failure: Error | undefined;
  const running: { messages?: ConsumerMessages } = {};
  const handle = (m: JsMsg): void => {
    if (failure !== undefined) {
      return;
    }
    try {
      if (accepts === undefined || accepts(m.subject.slice(subjectPrefix.length))) {
        onMessage(decodeMessage(rawOfJsMsg(m), subjectPrefix));
      }
      lastSeq = m.seq;
    } catch (err) {
      failure = toError(err);
      void running.messages?.close();
    }
  };
  const messages = await consumer.consume({
    max_messages: FEED_MAX_MESSAGES,
    expires: FEED_PULL_EXPIRES_MS,
    callback: handle,
  });
  running.messages = messages;
  if (failure !== undefined) {
    void messages.close(); // onMessage threw before the handle existed
  }
  const done = messages.closed().then(
    (err) => failure ?? (err instanceof Error ? err : undefined),
    (err: unknown) => failure ?? toError(err),
  );
  return {
    get lastSeq() {
      return lastSeq;
    },
    done,
    async stop() {
      await messages.close();
      await consumer.delete().catch(() => false);
    },
  };
}
