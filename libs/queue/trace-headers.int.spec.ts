import { jetstream } from '@nats-io/jetstream';
import { connect, headers, type NatsConnection } from '@nats-io/transport-node';
import { startNatsServer, type NatsServerHandle } from '../../test/support/nats-server.js';
import { until } from '../../test/support/until.js';
import { JetStreamQueue, type QueuedMessage } from './index.js';

let server: NatsServerHandle;
let nc: NatsConnection;
const body = { event: 'CHECK_COMPLETED', data: { n: 1 } };
const TRACE = {
  traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
  tracestate: 'rojo=00f067aa0ba902b7',
};

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connect({ servers: server.url, noAsyncTraces: true });
});

afterAll(async () => {
  await nc?.close();
  await server?.stop();
});

test('a trace context published with a message comes back from the feed and from reads; none, none', async () => {
  const queue = await JetStreamQueue.open(nc, { namespace: 'trace1' });
  const seen: QueuedMessage[] = [];
  const feed = await queue.feed('new', (m) => seen.push(m));
  await queue.publishMany([
    { customerId: 'a', body, trace: TRACE, idempotencyKey: 'k1' },
    { customerId: 'a', body },
    { customerId: 'a', body, trace: { traceparent: TRACE.traceparent } },
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
    await js.publish('trace2.queue.b', JSON.stringify(body), { headers: h });
  };
  await publish('Traceparent', TRACE.traceparent);
  await publish('traceparent', 'garbage');
  const [good, bad] = await queue.read('b', 0, 10);
  expect(good).toMatchObject({ kind: 'message', trace: TRACE });
  expect(bad).toMatchObject({ kind: 'message' });
  expect(bad).not.toHaveProperty('trace');
  await queue.close();
});
