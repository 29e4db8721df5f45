import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, headers, type NatsConnection } from '@nats-io/transport-node';
import { readFeedMessages } from '../../test/support/event-feed.js';
import { ManualClock } from '../../test/support/manual-clock.js';
import { startNatsServer, type NatsServerHandle } from '../../test/support/nats-server.js';
import { until } from '../../test/support/until.js';
import { configured, failed, succeeded, T0 } from '../domain/spec-support.js';
import type { CustomerQueueEvent } from '../domain/index.js';
import { FEED_START, type EventStore, type FeedCursor } from '../event-store/index.js';
import { backends, projectionAfter, type Backend } from '../event-store/store-spec-support.js';
import {
  openTransactionWorld,
  type OpenTransactionWorld,
} from '../event-store/open-transaction-spec-support.js';
import { EventRelay, eventsStreamName } from './index.js';

let server: NatsServerHandle;
let nc: NatsConnection;
const quietLogger = { info: () => undefined, warn: () => undefined };

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connect({ servers: server.url, noAsyncTraces: true });
});

afterAll(async () => {
  await nc?.close();
  await server?.stop();
});

const readFeed = (namespace: string) => readFeedMessages(nc, namespace);

describe.each(backends)('EventRelay on %s', (_name, createBackend) => {
  let backend: Backend;
  let store: EventStore;
  let namespace = '';
  let suite = 0;

  beforeEach(async () => {
    backend = await createBackend();
    store = await backend.open();
    suite += 1;
    namespace = `relay${_name}${suite}`;
  });

  afterEach(async () => {
    await store.close();
    await backend.dispose();
  });

  async function appendNext(customerId: string, event: CustomerQueueEvent) {
    const before = await store.load(customerId);
    const projection = projectionAfter([event], 1, before?.state);
    return store.append(customerId, before?.version ?? 0, [event], projection);
  }

  async function appendHistory(customerId: string, from: number) {
    for (const event of [
      configured(),
      failed(from, from, 1, T0 + 1_000),
      succeeded(from, from, T0 + 31_000),
    ]) {
      await appendNext(customerId, event);
    }
  }

  const openRelay = () =>
    EventRelay.open(nc, store, { namespace, retentionMs: 3_600_000, logger: quietLogger, pollMs: 50 });

  /** A first relay publishes acme's history and stops; returns the last position published. */
  async function publishHistoryAndStop(): Promise<number> {
    await appendHistory('acme', 1);
    const first = await openRelay();
    await first.start();
    const last = await lastPosition();
    await until(() => first.publishedThrough === last, 'the first relay');
    await first.stop();
    return last;
  }

  /** Waits for the relay to publish through the log's end, stops it, and returns the feed's positions. */
  async function positionsOnceAtEnd(relay: EventRelay, what: string): Promise<number[]> {
    const last = await lastPosition();
    await until(() => relay.publishedThrough === last, what);
    await relay.stop();
    return (await readFeed(namespace)).map((m) => m.event.position);
  }

  async function lastPosition(): Promise<number> {
    const rows = await backend.query('SELECT MAX("position") AS "last" FROM "events"');
    return Number(rows[0]?.last ?? 0);
  }

  test('every committed event goes out once, in position order, on <ns>.events.<customerId>.<type>', async () => {
    await appendHistory('acme', 1);
    await appendHistory('globex', 2);
    const relay = await openRelay();
    await relay.start();
    await appendHistory('acme', 3); // after start: a nudge, not a poll, brings these
    const last = await lastPosition();
    await until(() => relay.publishedThrough === last, 'the relay to reach the end of the log');
    await relay.stop();

    const feed = await readFeed(namespace);
    expect(feed.map((m) => m.event.position)).toEqual(Array.from({ length: 9 }, (_, i) => last - 8 + i));
    expect(feed.map((m) => `${m.event.customerId} v${m.event.version} ${m.event.type}`)).toEqual([
      'acme v1 WebhookConfigured',
      'acme v2 DeliveryFailed',
      'acme v3 DeliverySucceeded',
      'globex v1 WebhookConfigured',
      'globex v2 DeliveryFailed',
      'globex v3 DeliverySucceeded',
      'acme v4 WebhookConfigured',
      'acme v5 DeliveryFailed',
      'acme v6 DeliverySucceeded',
    ]);
    expect(feed[1]).toMatchObject({
      subject: `${namespace}.events.acme.DeliveryFailed`,
      position: String(feed[1]?.event.position),
      log: await store.logId(),
      event: {
        schemaVersion: 2,
        at: T0 + 1_000,
        data: { firstId: 1, lastId: 1, attempt: 1, event: 'CHECK_COMPLETED', statusCode: 500 },
      },
    });
    // The settings event carries the last four characters of the secret, never the secret.
    expect(JSON.stringify(feed[0]?.event)).not.toMatch(/whsec/);
  });

  test('a relay that died before its checkpoint resumes after the last event in the stream', async () => {
    const publishedBefore = await publishHistoryAndStop();
    // As if it had crashed between the publish and the checkpoint.
    await backend.query('UPDATE "relay_checkpoints" SET "position" = 0');
    await appendHistory('acme', 2);

    const second = await openRelay();
    await second.start();
    expect(second.publishedThrough).toBe(publishedBefore); // resumed from the stream, not from 0
    const last = await lastPosition();
    await until(() => second.publishedThrough === last, 'the second relay');
    await second.stop();
    const positions = (await readFeed(namespace)).map((m) => m.event.position);
    expect(positions).toEqual(Array.from({ length: 6 }, (_, i) => last - 5 + i));
  });

  test('a page that repeats events the stream holds is refused as a batch and goes again one acknowledgement each: every event once', async () => {
    const warnings: string[] = [];
    await publishHistoryAndStop();
    // Crashed before its checkpoint, and the stream's last message is not ours: it resumes from 0.
    await backend.query('UPDATE "relay_checkpoints" SET "position" = 0');
    await jetstream(nc).publish(`${namespace}.events.intruder.Foreign`, '{}');
    await appendHistory('globex', 2);
    const relay = await EventRelay.open(nc, store, {
      namespace,
      retentionMs: 3_600_000,
      logger: { info: () => undefined, warn: (_obj, msg) => warnings.push(msg ?? '') },
      pollMs: 50,
    });
    await relay.start();
    const last = await lastPosition();
    await until(() => relay.publishedThrough === last, 'the repeated page');
    await appendHistory('initech', 3); // the next page goes as one batch again
    await until(async () => relay.publishedThrough === (await lastPosition()), 'the next page');
    await relay.stop();

    const refusals = warnings.filter((warning) => warning.includes('refused the page as one batch'));
    expect(refusals).toHaveLength(1);
    const ours = (await readFeed(namespace)).filter((m) => m.event.customerId !== undefined);
    expect(ours.map((m) => m.event.position)).toEqual(Array.from({ length: 9 }, (_, i) => last - 5 + i));
  });

  /** Publishes on the feed's subjects as anyone allowed to could: copied headers, any position. */
  async function forge(position: number, data: unknown, type = 'DeliverySucceeded') {
    const h = headers();
    h.set('Hookpost-Log', await store.logId());
    h.set('Hookpost-Position', String(position));
    await jetstream(nc).publish(`${namespace}.events.acme.${type}`, JSON.stringify(data), { headers: h });
  }

  test.each([
    ['far past the log (1,000,000)', () => Promise.resolve(1_000_000), () => ({ position: 1_000_000 })],
    ['at a committed position not yet published, with other content', lastPosition, () => ({ forged: true })],
    [
      'at a committed position, a copy of the event before it',
      lastPosition,
      (feed: Awaited<ReturnType<typeof readFeed>>) => feed.at(-1)?.event,
    ],
  ])(
    'a message the relay did not publish, last in the stream at a restart (%s), skips nothing',
    async (_name, positionOf, contentOf) => {
      const warnings: string[] = [];
      const publishedBefore = await publishHistoryAndStop();
      // Crashed before its checkpoint; then events were committed that it never published.
      await backend.query('UPDATE "relay_checkpoints" SET "position" = ?', [publishedBefore]);
      await appendHistory('globex', 2);
      const feedBefore = await readFeed(namespace);
      await forge(await positionOf(), contentOf(feedBefore));

      const second = await EventRelay.open(nc, store, {
        namespace,
        retentionMs: 3_600_000,
        logger: { info: () => undefined, warn: (_obj, msg) => warnings.push(msg ?? '') },
        pollMs: 50,
      });
      await second.start();
      expect(second.publishedThrough).toBe(publishedBefore);
      const last = await lastPosition();
      await until(() => second.publishedThrough === last, 'the relay to publish what the forgery hid');
      await second.stop();

      expect(warnings.some((warning) => warning.includes('a message this log did not publish'))).toBe(true);
      const genuine = (await readFeedMessages(nc, namespace)).filter((_, i) => i !== feedBefore.length);
      expect(genuine.map((m) => m.event.position)).toEqual(Array.from({ length: 6 }, (_, i) => last - 5 + i));
      const checkpoint = await backend.query('SELECT "position" FROM "relay_checkpoints"');
      expect(Number(checkpoint[0]?.position)).toBe(last);
    },
  );

  test('a checkpoint past the end of the log (written after a forgery) is ignored: nothing is skipped', async () => {
    await publishHistoryAndStop();
    await backend.query('UPDATE "relay_checkpoints" SET "position" = 1000000');
    await (await jetstreamManager(nc)).streams.purge(eventsStreamName(namespace));
    await appendHistory('globex', 2);
    const relay = await openRelay();
    await relay.start();
    const positions = await positionsOnceAtEnd(relay, 'the relay to publish from the log end');
    // From the log's start: the three published before go again and the duplicate window drops them.
    const last = await lastPosition();
    expect(positions).toEqual([last - 2, last - 1, last]);
  });

  test('when the stream no longer holds our last event, the database checkpoint says where to resume', async () => {
    const publishedBefore = await publishHistoryAndStop();
    await (await jetstreamManager(nc)).streams.purge(eventsStreamName(namespace)); // as if expired
    await appendNext('acme', failed(2, 2, 1, T0 + 60_000));

    const second = await openRelay();
    await second.start();
    expect(second.publishedThrough).toBe(publishedBefore);
    await until(() => second.publishedThrough === publishedBefore + 1, 'the second relay');
    await second.stop();
    expect((await readFeed(namespace)).map((m) => m.event.type)).toEqual(['DeliveryFailed']);
  });

  test('un-nudged, events written meanwhile go out at the next poll, timed by the clock', async () => {
    const clock = new ManualClock();
    const relay = await EventRelay.open(nc, store, {
      namespace,
      retentionMs: 3_600_000,
      logger: quietLogger,
      pollMs: 1_000,
      clock,
    });
    await relay.start();
    await until(() => clock.armed === 1, 'the relay to wait for its next poll');
    await appendHistory('acme', 1); // as another process would: no nudge
    clock.advance(999);
    // It waits on the clock's one timer, which has not fired: nothing can have gone out.
    expect(relay.publishedThrough).toBe(0);
    clock.advance(1);
    const positions = await positionsOnceAtEnd(relay, 'the poll to publish the events');
    const last = await lastPosition();
    expect(positions).toEqual([last - 2, last - 1, last]);
  });

  test('a failed round is tried again after retryMs, then twice that', async () => {
    const clock = new ManualClock();
    let reads = 0;
    // The log fails its first two reads (the database down), as seen by the relay.
    const flaky = Object.assign(Object.create(store) as EventStore, {
      readFeed: (after: FeedCursor, limit: number) =>
        ++reads <= 2 ? Promise.reject(new Error('database down')) : store.readFeed(after, limit),
    });
    await appendHistory('acme', 1);
    const relay = await EventRelay.open(nc, flaky, {
      namespace,
      retentionMs: 3_600_000,
      logger: quietLogger,
      retryMs: 100,
      clock,
    });
    await relay.start();
    await until(() => reads === 1 && clock.armed === 1, 'the first failed round');
    clock.advance(99);
    expect(reads).toBe(1); // the pause is the clock's timer: no read before it fires
    clock.advance(1);
    await until(() => reads === 2 && clock.armed === 1, 'the second failed round');
    clock.advance(199);
    expect(reads).toBe(2);
    clock.advance(1);
    expect(await positionsOnceAtEnd(relay, 'the third round to publish')).toHaveLength(3);
  });
});

describe('commit order on PostgreSQL', () => {
  test('a reader following the feed from two concurrent writers sees every event once, each customer in version order', async () => {
    const backend = await backends[1][1]();
    const writers = [await backend.open(), await backend.open()];
    const seen: Array<{ position: number; customerId: string; version: number }> = [];
    let done = false;
    const follower = (async () => {
      for (let after = FEED_START; ;) {
        const finished = done; // read before the query: every append committed by then is visible to it
        const { events, held } = await writers[0]!.readFeed(after, 100);
        seen.push(...events.map(({ position, customerId, version }) => ({ position, customerId, version })));
        const last = events.at(-1);
        after = last === undefined ? after : { txid: last.txid, position: last.position };
        if (events.length === 0 && !held) {
          if (finished) {
            break;
          }
          await new Promise((resolve) => setImmediate(resolve));
        }
      }
    })();
    await Promise.all(
      writers.map(async (writer, w) => {
        for (let round = 0; round < 40; round += 1) {
          await Promise.all(
            Array.from({ length: 10 }, async (_, c) => {
              const customerId = `w${w}-c${c}`;
              const before = await writer.load(customerId);
              const event = configured({}, T0 + round);
              await writer.append(
                customerId,
                before?.version ?? 0,
                [event],
                projectionAfter([event], 0, before?.state),
              );
            }),
          );
        }
      }),
    );
    done = true;
    await follower;
    const all = (await writers[0]!.readLog(0, 10_000)).map((row) => row.position);
    expect(all).toHaveLength(800);
    expect(seen.map((event) => event.position).sort((a, b) => a - b)).toEqual(all); // each once
    const versions = new Map<string, number[]>();
    seen.forEach(({ customerId, version }) =>
      versions.set(customerId, [...(versions.get(customerId) ?? []), version]),
    );
    for (const list of versions.values()) {
      expect(list).toEqual(Array.from({ length: 40 }, (_, index) => index + 1));
    }
    await Promise.all(writers.map((writer) => writer.close()));
    await backend.dispose();
  }, 60_000);
});

/**
 * The relay on PostgreSQL when two transactions commit out of position order, with no commit lock:
 * a second connection holds one open while the store appends and the relay runs.
 */
describe('EventRelay with transactions committing out of position order', () => {
  let world: OpenTransactionWorld;
  beforeEach(async () => {
    world = await openTransactionWorld();
  });

  afterEach(() => world.dispose());

  test('neither skips the event that took its position first and committed last, nor repeats one', async () => {
    const relay = await EventRelay.open(nc, world.store, {
      namespace: 'corder',
      retentionMs: 3_600_000,
      logger: quietLogger,
    });
    const unsubscribe = world.store.onCommitted(() => relay.nudge());
    await relay.start();
    const first = await world.append('first');
    await until(() => relay.publishedThrough === first, 'the first event to go out');

    // The other connection takes the next position and keeps its transaction open...
    await world.other.query('BEGIN');
    const slow = await world.insertOnOther('slow');
    // ...while the store commits a later position (and nudges the relay).
    const fast = await world.append('fast');
    expect(fast).toBeGreaterThan(slow);
    // A reader by position would now pass `slow` for ever; the relay reads and waits behind it.
    expect((await world.store.readLog(first, 10)).map((row) => row.position)).toEqual([fast]);
    await until(() => relay.held, 'the relay to find committed events behind the open transaction');
    expect(relay.publishedThrough).toBe(first);

    await world.other.query('COMMIT');
    await until(() => relay.publishedThrough === fast, 'the relay to publish both');
    await relay.stop();
    unsubscribe();
    const feed = await readFeed('corder');
    expect(feed.map((message) => Number(message.position))).toEqual([first, slow, fast]);
    expect(feed.map((message) => message.event.customerId)).toEqual(['first', 'slow', 'fast']);
    // The checkpoint is the pair: a restart resumes after `fast`, not after position `fast` alone.
    const checkpoint = await world.store.readCheckpoint('outbound:corder');
    expect(checkpoint.position).toBe(fast);
    expect((await world.store.readFeed(checkpoint, 10)).events).toEqual([]);
  });
});
