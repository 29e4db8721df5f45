import { setTimeout as sleep } from 'node:timers/promises';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import pg from 'pg';
import {
  eventsStreamName,
  LOG_HEADER,
  POSITION_HEADER,
  type OutboundEvent,
} from '../../libs/event-relay/index.js';

/** One row of the log, as the feed should carry it. */
export interface LogEntry {
  position: number;
  customerId: string;
  version: number;
}

/** What the outbound feed holds compared with the log (every count but `events` should be 0). */
export interface FeedCheck {
  events: number;
  missing: number;
  duplicates: number;
  outOfOrder: number;
}

/** The log's events in position order, read straight from PostgreSQL. */
export async function logEntries(databaseUrl: string): Promise<LogEntry[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ position: string; customer_id: string; version: number }>(
      'SELECT "position", "customer_id", "version" FROM "events" ORDER BY "position"',
    );
    return rows.map((row) => ({
      position: Number(row.position),
      customerId: row.customer_id,
      version: row.version,
    }));
  } finally {
    await client.end();
  }
}

/** One message of the feed as a subscriber receives it. */
export interface FeedMessage {
  subject: string;
  event: OutboundEvent;
  /** The Hookpost-Position and Hookpost-Log headers. */
  position: string;
  log: string;
}

/** What a subscriber reads: every message the stream holds (on `filter` when given), oldest first. */
export async function readFeedMessages(
  nc: NatsConnection,
  namespace: string,
  filter = `${namespace}.events.>`,
): Promise<FeedMessage[]> {
  const stream = eventsStreamName(namespace);
  const { state } = await (await jetstreamManager(nc)).streams.info(stream, { subjects_filter: filter });
  const count = Object.values(state.subjects ?? {}).reduce((sum, n) => sum + n, 0);
  const consumer = await jetstream(nc).consumers.get(stream, { filter_subjects: filter });
  const messages: FeedMessage[] = [];
  while (messages.length < count) {
    const batch = await consumer.fetch({
      max_messages: Math.min(count - messages.length, 1_000),
      expires: 5_000,
    });
    for await (const message of batch) {
      messages.push({
        subject: message.subject,
        event: message.json<OutboundEvent>(),
        position: message.headers?.get(POSITION_HEADER) ?? '',
        log: message.headers?.get(LOG_HEADER) ?? '',
      });
    }
  }
  return messages;
}

/** The events of {@link readFeedMessages}. */
export async function readFeed(
  nc: NatsConnection,
  namespace: string,
  filter?: string,
): Promise<OutboundEvent[]> {
  return (await readFeedMessages(nc, namespace, filter)).map((message) => message.event);
}

/** The position of the last event the stream holds (0 when none). */
export async function lastPublishedPosition(nc: NatsConnection, namespace: string): Promise<number> {
  const jsm = await jetstreamManager(nc);
  const stream = eventsStreamName(namespace);
  const { state } = await jsm.streams.info(stream);
  if (state.messages === 0) {
    return 0;
  }
  const last = await jsm.streams.getMessage(stream, { seq: state.last_seq });
  return Number(last?.header.get(POSITION_HEADER) ?? 0);
}

/** Waits until the feed has published the log's last event; throws after `timeoutMs`. */
export async function waitForFeed(
  nc: NatsConnection,
  namespace: string,
  databaseUrl: string,
  timeoutMs = 30_000,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const last = await lastInFeedOrder(databaseUrl);
    // A NATS that is still reconnecting counts as not yet.
    const published = await lastPublishedPosition(nc, namespace).catch(() => -1);
    if (published === last) {
      return;
    }
    if (Date.now() > deadline) {
      throw new Error(`the feed published through ${published}, the log ends at ${last}`);
    }
    await sleep(100);
  }
}

/** The position of the log's last event in the feed's order, (txid, position) (0 when none). */
async function lastInFeedOrder(databaseUrl: string): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ position: string }>(
      'SELECT "position" FROM "events" ORDER BY "txid" DESC, "position" DESC LIMIT 1',
    );
    return Number(rows[0]?.position ?? 0);
  } finally {
    await client.end();
  }
}

/**
 * Compares the feed with the log: each event once, each customer's in version order (across
 * customers the feed goes in commit order, so positions of different customers may interleave).
 */
export function compareFeed(log: readonly LogEntry[], feed: readonly OutboundEvent[]): FeedCheck {
  const seen = new Set<number>();
  const versions = new Map<string, number>();
  let duplicates = 0;
  let outOfOrder = 0;
  for (const event of feed) {
    if (seen.has(event.position)) {
      duplicates += 1;
    } else if (event.version < (versions.get(event.customerId) ?? 0)) {
      outOfOrder += 1;
    }
    seen.add(event.position);
    versions.set(event.customerId, Math.max(versions.get(event.customerId) ?? 0, event.version));
  }
  const missing = log.filter((entry) => !seen.has(entry.position)).length;
  return { events: log.length, missing, duplicates, outOfOrder };
}
