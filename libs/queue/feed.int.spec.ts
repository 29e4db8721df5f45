import { jetstream } from '@nats-io/jetstream';
import { connect, headers, type NatsConnection } from '@nats-io/transport-node';
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

const TRACE = {
  traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
  tracestate: 'rojo=00f067aa0ba902b7',
};

test('a trace context published with a message comes back from the feed and from reads; none, none', async () => {
  const queue = await JetStreamQueue.open(nc, { namespace: 'trace1' });
  const seen: QueuedMessage[] = [];
  const feed = await queue.feed('new', (m) => seen.push(m));
  await queue.publishMany([
    { customerId: 'a', body: body(1), trace: TRACE, idempotencyKey: 'k1' },
    { customerId: 'a', body: body(1) },
    { customerId: 'a', body: body(1), trace: { traceparent: TRACE.traceparent } },
  ]);
  await until(() => seen.length === 3, 'three messages');
  const traces = (messages: readonly QueuedMessage[]) =>
    messages.map((m) => (m.kind === 'message' ? m.trace : 'unreadable'));
  const expected = [TRACE, undefined, { traceparent: TRACE.traceparent }];
  expect(traces(seen)).toEqual(expected);
  expect(traces(await queue.read('a', 0, 10))).toEqual(expected);
  await feed.stop();
  await queue.close();
});

test('a fast-path publish: its own headers in any case, a malformed traceparent dropped', async () => {
  const queue = await JetStreamQueue.open(nc, { namespace: 'trace2' });
  const js = jetstream(nc);
  const publish = async (name: string, value: string) => {
    const h = headers();
    h.set(name, value);
    h.set('Tracestate', TRACE.tracestate);
    await js.publish('trace2.queue.b', JSON.stringify(body(1)), { headers: h });
  };
  await publish('Traceparent', TRACE.traceparent);
  await publish('traceparent', 'garbage');
  const [good, bad] = await queue.read('b', 0, 10);
  expect(good).toMatchObject({ kind: 'message', trace: TRACE });
  expect(bad).toMatchObject({ kind: 'message' });
  expect(bad).not.toHaveProperty('trace');
  await queue.close();
});
