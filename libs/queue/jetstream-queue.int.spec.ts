import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { ManualClock } from '../../test/support/manual-clock.js';
import { startNatsServer, type NatsServerHandle } from '../../test/support/nats-server.js';
import { until } from '../../test/support/until.js';
import type { Clock } from '../runtime/clock.js';
import { JetStreamQueue, queueSubject, streamName, type QueuedMessage } from './index.js';

let server: NatsServerHandle;
let nc: NatsConnection;
let jsm: JetStreamManager;
let nsCounter = 0;
const queues: JetStreamQueue[] = [];

/** A fresh namespace (so a fresh stream) per test on the shared server. */
async function openQueue(
  extra: { maxMessages?: number } = {},
  clock?: Clock,
): Promise<{ ns: string; queue: JetStreamQueue }> {
  const ns = `q${++nsCounter}`;
  const queue = await JetStreamQueue.open(nc, { namespace: ns, ...extra }, clock);
  queues.push(queue);
  return { ns, queue };
}

const body = (n: number) => ({ event: 'CHECK_COMPLETED', data: { n } });
const ids = (messages: QueuedMessage[]) => messages.map((m) => m.id);
const storedSeqs = async (ns: string): Promise<number[]> => {
  const seqs: number[] = [];
  const si = await jsm.streams.info(streamName(ns));
  for (let seq = si.state.first_seq; seq <= si.state.last_seq && si.state.messages > 0; seq++) {
    const m = await jsm.streams.getMessage(streamName(ns), { seq }).catch(() => null);
    if (m !== null) {
      seqs.push(m.seq);
    }
  }
  return seqs;
};

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connect({ servers: server.url, noAsyncTraces: true });
  jsm = await jetstreamManager(nc);
});

afterAll(async () => {
  await Promise.all(queues.map((q) => q.close()));
  await nc?.close();
  await server?.stop();
});

test('open creates the stream and is idempotent; a second open updates the settings', async () => {
  const { ns } = await openQueue();
  const first = await jsm.streams.info(streamName(ns));
  expect(first.config).toMatchObject({ subjects: [`${ns}.queue.*`], retention: 'limits', discard: 'new' });

  queues.push(await JetStreamQueue.open(nc, { namespace: ns }));
  queues.push(await JetStreamQueue.open(nc, { namespace: ns, duplicateWindowMs: 30_000, maxMessages: 500 }));
  const updated = await jsm.streams.info(streamName(ns));
  expect(updated.config.duplicate_window).toBe(30_000 * 1_000_000);
  expect(updated.config.max_msgs).toBe(500);
  expect(updated.created).toBe(first.created);
});

test('publish returns increasing ids; the same idempotency key returns the first id and stores one message', async () => {
  const { ns, queue } = await openQueue();
  const a = await queue.publish('acme', body(1));
  const b = await queue.publish('acme', body(2), 'key-1');
  const again = await queue.publish('acme', body(99), 'key-1');
  const other = await queue.publish('globex', body(3), 'key-1'); // keys are per customer
  expect(b.webhookId).toBeGreaterThan(a.webhookId);
  expect(again).toEqual({ webhookId: b.webhookId, duplicate: true });
  expect(other.duplicate).toBe(false);
  expect((await jsm.streams.info(streamName(ns))).state.messages).toBe(3);
  await expect(queue.publish('not a token', body(1))).rejects.toThrow(/customerId/);
  await expect(queue.publish('a.b', body(1))).rejects.toThrow(/customerId/);
  await expect(queue.publish('>', body(1))).rejects.toThrow(/customerId/);
});

test('publishMany keeps input order and dedupes', async () => {
  const { queue } = await openQueue();
  const items = Array.from({ length: 300 }, (_, i) => ({
    customerId: `c${i % 3}`,
    body: body(i),
    idempotencyKey: `k${i}`,
  }));
  const results = await queue.publishMany(items);
  expect(results.map((r) => r.webhookId)).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
  const again = await queue.publishMany(items.slice(0, 2));
  expect(again).toEqual([
    { webhookId: 1, duplicate: true },
    { webhookId: 2, duplicate: true },
  ]);
});

test('read returns only the customer messages after afterId, in order, up to max; bad bodies are unreadable', async () => {
  const { ns, queue } = await openQueue();
  await queue.publishMany(
    Array.from({ length: 12 }, (_, i) => ({ customerId: i % 2 ? 'odd' : 'even', body: body(i) })),
  );
  await jetstream(nc).publish(queueSubject(ns, 'even'), 'not json');

  const all = await queue.read('even', 0, 100);
  expect(ids(all)).toEqual([1, 3, 5, 7, 9, 11, 13]);
  expect(all[0]).toMatchObject({
    kind: 'message',
    customerId: 'even',
    event: 'CHECK_COMPLETED',
    data: { n: 0 },
  });
  expect(Math.abs((all[0]?.acceptedAt ?? 0) - Date.now())).toBeLessThan(60_000);
  expect(all[6]).toMatchObject({ kind: 'unreadable', id: 13, reason: 'body is not valid JSON', bytes: 8 });

  expect(ids(await queue.read('even', 3, 2))).toEqual([5, 7]);
  expect(ids(await queue.read('odd', 8, 100))).toEqual([10, 12]);
  expect(await queue.read('odd', 12, 100)).toEqual([]);
  expect(await queue.read('nobody', 0, 100)).toEqual([]);
  await expect(queue.read('*', 0, 10)).rejects.toThrow(/customerId/);
  // Batch direct gets: no read leaves a consumer behind.
  expect((await jsm.streams.info(streamName(ns))).state.consumer_count).toBe(0);
});

test('pendingCount counts messages after the cursor', async () => {
  const { queue } = await openQueue();
  await queue.publishMany(
    Array.from({ length: 10 }, (_, i) => ({ customerId: i < 7 ? 'a' : 'b', body: body(i) })),
  );
  expect(await queue.pendingCount('a', 0)).toBe(7);
  expect(await queue.pendingCount('a', 5)).toBe(2);
  expect(await queue.pendingCount('a', 7)).toBe(0);
  expect(await queue.pendingCount('a', 1_000)).toBe(0);
  expect(await queue.pendingCount('b', 0)).toBe(3);
});

test('release + flush removes delivered messages and never an undelivered one', async () => {
  const { ns, queue } = await openQueue();
  await queue.publishMany(
    Array.from({ length: 10 }, (_, i) => ({ customerId: i % 2 ? 'b' : 'a', body: body(i) })),
  );
  // a: 1,3,5,7,9  b: 2,4,6,8,10
  queue.release('a', 5);
  await queue.flush('a');
  expect(await storedSeqs(ns)).toEqual([2, 4, 6, 7, 8, 9, 10]);
  expect(ids(await queue.read('a', 0, 100))).toEqual([7, 9]);

  queue.release('b', 4);
  queue.release('a', 9);
  await queue.flush();
  expect(await storedSeqs(ns)).toEqual([6, 8, 10]);
  expect((await queue.stored()).customers).toEqual(new Map([['b', 3]]));
});

test('releases purge in the background once the customer went quiet, coalesced, never past the release', async () => {
  const clock = new ManualClock();
  const { ns, queue } = await openQueue({}, clock);
  await queue.publishMany(Array.from({ length: 1_100 }, (_, i) => ({ customerId: 'a', body: body(i) })));
  const all = await queue.read('a', 0, 1_100); // more than one direct-get batch
  expect(ids(all)).toEqual(Array.from({ length: 1_100 }, (_, i) => i + 1));
  for (let id = 100; id <= 1_000; id += 100) {
    queue.release('a', id); // coalesced: one purge keeps from the last
    clock.advance(50);
  }
  clock.advance(500); // the first tick, at 1 s: 'a' released 550 ms before it, not quiet yet
  expect((await jsm.streams.info(streamName(ns))).state.first_seq).toBe(1);
  clock.advance(1_000); // the next tick: nothing released for a whole tick
  await until(
    async () => (await jsm.streams.info(streamName(ns))).state.first_seq === 1_001,
    'the background purge',
  );
  expect((await jsm.streams.info(streamName(ns))).state).toMatchObject({ messages: 100, first_seq: 1_001 });
  expect(ids(await queue.read('a', 0, 2))).toEqual([1_001, 1_002]);
  expect(await queue.pendingCount('a', 0)).toBe(100);
});

test('a customer that keeps releasing is purged at least every 10 s', async () => {
  const clock = new ManualClock();
  const { ns, queue } = await openQueue({}, clock);
  await queue.publishMany(Array.from({ length: 30 }, (_, i) => ({ customerId: 'a', body: body(i) })));
  const firstSeq = async () => (await jsm.streams.info(streamName(ns))).state.first_seq;
  for (let id = 1; id <= 19; id += 1) {
    queue.release('a', id); // one delivery every 500 ms: never quiet for a whole tick
    clock.advance(500);
  }
  expect(await firstSeq()).toBe(1); // 9.5 s since the first release
  queue.release('a', 20);
  clock.advance(500);
  await until(async () => (await firstSeq()) === 21, 'the purge at 10 s');
  expect(ids(await queue.read('a', 0, 100))).toEqual(Array.from({ length: 10 }, (_, i) => 21 + i));
});

test('stored() gives per-customer counts', async () => {
  const { queue } = await openQueue();
  expect((await queue.stored()).customers).toEqual(new Map());
  await queue.publishMany([
    { customerId: 'a', body: body(1) },
    { customerId: 'b', body: body(2) },
    { customerId: 'a', body: body(3) },
  ]);
  expect((await queue.stored()).customers).toEqual(
    new Map([
      ['a', 2],
      ['b', 1],
    ]),
  );
});
