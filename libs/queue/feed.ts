import type { ConsumerMessages, JetStreamClient, JetStreamManager, JsMsg } from '@nats-io/jetstream';
import { decodeMessage, type QueuedMessage } from './message.js';

/**
 * How a feed that starts with a backlog (everything stored at start-up) is paced: it reads the
 * stored messages in fetches of at most room() messages, so the caller's buffers stay bounded,
 * then follows new messages as a live feed.
 */
export interface BacklogPacing {
  /** Resolves with how many more messages the caller can take now. */
  room(): Promise<number>;
  /** Told once, when the stored messages are read and the feed follows new ones. */
  caughtUp(): void;
}

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
/** Most messages per fetch of the backlog (as the live feed buffers; nats.js takes a count or a byte size, not both). */
const BACKLOG_FETCH_MESSAGES = FEED_MAX_MESSAGES;
/**
 * A backlog fetch asks for no more than the consumer reports pending, so it ends at once; it waits
 * this long only when messages ahead of it were purged meanwhile.
 */
const BACKLOG_FETCH_EXPIRES_MS = 1_000;

function toError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

function decode(m: JsMsg, subjectPrefix: string): QueuedMessage {
  return decodeMessage(
    { seq: m.seq, subject: m.subject, data: m.data, timestampNanos: m.timestampNanos },
    subjectPrefix,
  );
}

/**
 * Starts one ordered consumer over the whole stream from fromSeq ('new' = after the current last
 * message, so nothing published after this call is missed). The ordered consumer re-creates itself
 * from its cursor after a gap or a server restart, so the caller sees every message once, in order.
 * With `backlog` (and a numeric fromSeq), the messages already stored are read first in fetches
 * paced by it, then the same sequence continues as a live feed from the next message.
 */
export async function startFeed(
  js: JetStreamClient,
  jsm: JetStreamManager,
  stream: string,
  subjectPrefix: string,
  fromSeq: number | 'new',
  onMessage: (m: QueuedMessage) => void,
  backlog?: BacklogPacing,
): Promise<QueueFeed> {
  if (fromSeq !== 'new' && (!Number.isSafeInteger(fromSeq) || fromSeq < 1)) {
    throw new Error(`feed: fromSeq must be a positive integer or 'new', got ${fromSeq}`);
  }
  const target: FeedTarget = { js, jsm, stream, subjectPrefix, onMessage };
  return backlog === undefined || fromSeq === 'new'
    ? startLiveFeed(target, fromSeq)
    : startBacklogFeed(target, fromSeq, backlog);
}

/** Where a feed reads and whom it tells. */
interface FeedTarget {
  js: JetStreamClient;
  jsm: JetStreamManager;
  stream: string;
  subjectPrefix: string;
  onMessage: (m: QueuedMessage) => void;
}

/** The live feed: a consume() that keeps pulling new messages. */
async function startLiveFeed(target: FeedTarget, fromSeq: number | 'new'): Promise<QueueFeed> {
  const { js, jsm, stream, subjectPrefix, onMessage } = target;
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
      onMessage(decode(m, subjectPrefix));
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

/**
 * The start-up backlog through ONE ordered consumer (fetches of at most `room()` messages, each
 * no more than the consumer reports pending), then a live feed from the next sequence. Reading a
 * backlog per customer instead costs a filtered consumer per read, which nats-server 2.9 creates
 * by walking the stream (docs/performance.md, H1/H2).
 */
async function startBacklogFeed(
  target: FeedTarget,
  fromSeq: number,
  pacing: BacklogPacing,
): Promise<QueueFeed> {
  const { js, jsm, stream, subjectPrefix, onMessage } = target;
  const consumer = await js.consumers.get(stream, { opt_start_seq: fromSeq });
  let lastSeq = fromSeq - 1;
  let stopped = false;
  let fetching: ConsumerMessages | null = null;
  let live: QueueFeed | null = null;

  // 1. read what is stored, paced; 2. delete the fetch consumer; 3. follow new messages.
  const readBacklog = async (): Promise<void> => {
    let pending = (await jsm.streams.info(stream)).state.messages;
    while (!stopped && pending > 0) {
      const room = await pacing.room();
      if (stopped) {
        return;
      }
      fetching = await consumer.fetch({
        max_messages: Math.max(1, Math.min(BACKLOG_FETCH_MESSAGES, room, pending)),
        expires: BACKLOG_FETCH_EXPIRES_MS,
      });
      let got = 0;
      for await (const m of fetching) {
        onMessage(decode(m, subjectPrefix));
        lastSeq = m.seq;
        pending = m.info.pending;
        got += 1;
      }
      fetching = null;
      if (got === 0) {
        return; // nothing came before the expiry: whatever comes next, the live feed brings
      }
    }
  };
  const run = async (): Promise<Error | undefined> => {
    try {
      await readBacklog();
    } catch (err) {
      return toError(err);
    } finally {
      await consumer.delete().catch(() => false);
    }
    if (stopped) {
      return undefined;
    }
    pacing.caughtUp();
    try {
      live = await startLiveFeed(target, lastSeq + 1);
    } catch (err) {
      return toError(err);
    }
    if (stopped) {
      await live.stop(); // stopped while the live feed was starting
      return undefined;
    }
    return live.done;
  };
  const done = run();
  return {
    get lastSeq() {
      return live?.lastSeq ?? lastSeq;
    },
    done,
    async stop() {
      stopped = true;
      await fetching?.close();
      await live?.stop();
      await done;
    },
  };
}
