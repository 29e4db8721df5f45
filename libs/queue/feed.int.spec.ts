import { connect, type NatsConnection } from '@nats-io/transport-node';
import { startNatsServer, type NatsServerHandle } from '../../test/support/nats-server.js';
import { until } from '../../test/support/until.js';
import { JetStreamQueue, type QueuedMessage } from './index.js';

let server: NatsServerHandle;
let nc: NatsConnection;
const body = (n: number) => ({ event: 'CHECK_COMPLETED', data: { n } });

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connect({
    servers: server.url,
    noAsyncTraces: true,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 100,
  });
});

afterAll(async () => {
  await nc?.close();
  await server?.stop();
});

test("feed('new') hands over every later message in stream order across customers", async () => {
  const queue = await JetStreamQueue.open(nc, { namespace: 'feed1' });
  await queue.publish('a', body(0)); // before the feed: not delivered
  const seen: QueuedMessage[] = [];
  const feed = await queue.feed('new', (m) => seen.push(m));
  expect(feed.lastSeq).toBe(1);
  await queue.publishMany(
    Array.from({ length: 200 }, (_, i) => ({ customerId: `c${i % 7}`, body: body(i) })),
  );
  await until(() => seen.length === 200, '200 messages');
  expect(seen.map((m) => m.id)).toEqual(Array.from({ length: 200 }, (_, i) => i + 2));
  expect(seen[0]).toMatchObject({ kind: 'message', customerId: 'c0', data: { n: 0 } });
  expect(feed.lastSeq).toBe(201);
  await feed.stop();
  await expect(feed.done).resolves.toBeUndefined();
  await queue.close();
});

test('feed(fromSeq) starts at that sequence; a throwing handler ends the feed with its error', async () => {
  const queue = await JetStreamQueue.open(nc, { namespace: 'feed2' });
  await queue.publishMany(Array.from({ length: 5 }, (_, i) => ({ customerId: 'a', body: body(i) })));
  const seen: number[] = [];
  const feed = await queue.feed(3, (m) => {
    if (m.id === 5) {
      throw new Error('handler broke');
    }
    seen.push(m.id);
  });
  await expect(feed.done).resolves.toThrow('handler broke');
  expect(seen).toEqual([3, 4]);
  expect(feed.lastSeq).toBe(4);
  await feed.stop();
  await queue.close();
});

test('the feed carries on after a nats-server restart without skipping or repeating', async () => {
  const queue = await JetStreamQueue.open(nc, { namespace: 'feed3' });
  const seen: number[] = [];
  const feed = await queue.feed('new', (m) => seen.push(m.id));
  await queue.publishMany(Array.from({ length: 3 }, (_, i) => ({ customerId: 'a', body: body(i) })));
  await until(() => seen.length === 3, 'first 3');
  const reconnected = (async () => {
    for await (const status of nc.status()) {
      if (status.type === 'reconnect') {
        return;
      }
    }
  })();
  await server.restart(); // waits until the new server answers JetStream requests
  await reconnected; // and this until our connection is back
  await queue.publishMany([3, 4].map((i) => ({ customerId: 'a', body: body(i) })));
  await until(() => seen.length === 5, 'messages after restart');
  expect(seen).toEqual([1, 2, 3, 4, 5]);
  await feed.stop();
  await queue.close();
}, 30_000);

test('stored() gives the per-customer counts after a purge', async () => {
  const queue = await JetStreamQueue.open(nc, { namespace: 'feed4' });
  await queue.publishMany(
    Array.from({ length: 700 }, (_, i) => ({ customerId: `c${i % 3}`, body: body(i) })),
  );
  queue.release('c0', 100); // delivered earlier and purged: the stream starts later for c0
  await queue.flush();
  const { customers } = await queue.stored();
  expect(customers).toEqual(
    new Map([
      ['c0', 234 - 34],
      ['c1', 233],
      ['c2', 233],
    ]),
  );
  await queue.close();
});
