import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { ManualClock } from '../../test/support/manual-clock.js';
import { startNatsServer, type NatsServerHandle } from '../../test/support/nats-server.js';
import { until } from '../../test/support/until.js';
import {
  JetStreamQueue,
  MessageTooLargeError,
  QueueFullError,
  QueueSettingsError,
  streamName,
} from './index.js';

let server: NatsServerHandle;
let nc: NatsConnection;
let jsm: JetStreamManager;
const body = (n: number) => ({ event: 'CHECK_COMPLETED', data: { n } });

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connect({ servers: server.url, noAsyncTraces: true });
  jsm = await jetstreamManager(nc);
});

afterAll(async () => {
  await nc?.close();
  await server?.stop();
});

test('a full stream refuses with QueueFullError and keeps every earlier message', async () => {
  const queue = await JetStreamQueue.open(nc, { namespace: 'full', maxMessages: 5 });
  await queue.publishMany(Array.from({ length: 5 }, (_, i) => ({ customerId: 'a', body: body(i) })));
  await expect(queue.publish('a', body(5))).rejects.toBeInstanceOf(QueueFullError);
  await expect(queue.publishMany([{ customerId: 'b', body: body(6) }])).rejects.toBeInstanceOf(
    QueueFullError,
  );
  expect((await queue.read('a', 0, 100)).map((m) => m.id)).toEqual([1, 2, 3, 4, 5]);

  queue.release('a', 2);
  await queue.flush();
  expect((await queue.publish('a', body(7))).webhookId).toBe(6); // room again after the purge
  await queue.close();
});

test('with a cap, delivered messages are purged within 250 ms, before they can fill the stream', async () => {
  const clock = new ManualClock();
  const queue = await JetStreamQueue.open(nc, { namespace: 'capped', maxMessages: 20 }, clock);
  const ids = await queue.publishMany(
    Array.from({ length: 20 }, (_, i) => ({ customerId: 'a', body: body(i) })),
  );
  await expect(queue.publish('a', body(20))).rejects.toBeInstanceOf(QueueFullError);
  for (const { webhookId } of ids) {
    queue.release('a', webhookId); // delivered one at a time, no flush
    clock.advance(10);
  }
  clock.advance(50); // 250 ms since the first release: a capped stream does not wait for quiet
  await until(
    async () => (await jsm.streams.info(streamName('capped'))).state.messages === 0,
    'the capped purge',
  );
  expect((await queue.publish('a', body(21))).webhookId).toBe(21);
  await queue.close();
});

test('a stream full by maxBytes refuses the next message and keeps every one it took', async () => {
  const queue = await JetStreamQueue.open(nc, { namespace: 'bytes', maxBytes: 4_096 });
  const results: number[] = [];
  await expect(
    (async () => {
      for (let i = 0; i < 1_000; i++) {
        results.push((await queue.publish('a', body(i))).webhookId);
      }
    })(),
  ).rejects.toBeInstanceOf(QueueFullError);
  expect((await queue.read('a', 0, 1_000)).map((m) => m.id)).toEqual(results);
  await queue.close();
});

test('open refuses to lower a limit below what the stream holds, and to adopt a foreign stream', async () => {
  const queue = await JetStreamQueue.open(nc, { namespace: 'shrink' });
  await queue.publishMany(Array.from({ length: 10 }, (_, i) => ({ customerId: 'a', body: body(i) })));
  await expect(JetStreamQueue.open(nc, { namespace: 'shrink', maxMessages: 5 })).rejects.toBeInstanceOf(
    QueueSettingsError,
  );
  expect((await jsm.streams.info(streamName('shrink'))).state.messages).toBe(10);

  await jsm.streams.add({ name: streamName('wq'), subjects: ['wq.queue.*'], retention: 'workqueue' });
  await expect(JetStreamQueue.open(nc, { namespace: 'wq' })).rejects.toThrow(/retention workqueue/);
  await queue.close();
});

test('a message above maxMessageBytes is refused before it is sent', async () => {
  const queue = await JetStreamQueue.open(nc, { namespace: 'big', maxMessageBytes: 1_024 });
  await expect(queue.publish('a', { event: 'X', data: { p: 'x'.repeat(2_000) } })).rejects.toBeInstanceOf(
    MessageTooLargeError,
  );
  expect((await jsm.streams.info(streamName('big'))).state.messages).toBe(0);
  await queue.close();
});

test('more replicas than a single server can hold is a clear error, and the stream stays as it was', async () => {
  const queue = await JetStreamQueue.open(nc, { namespace: 'solo' });
  await queue.publish('a', body(1));
  const refused: unknown = await JetStreamQueue.open(nc, { namespace: 'solo', replicas: 3 }).catch((e) => e);
  expect(refused).toBeInstanceOf(QueueSettingsError);
  expect((refused as Error).message).toBe(
    'stream SOLO_QUEUE cannot have 3 replicas here (HOOKPOST_STREAM_REPLICAS): replicas > 1 not supported in non-clustered mode; it needs a cluster of at least 3 JetStream servers',
  );
  const { config, state } = await jsm.streams.info(streamName('solo'));
  expect([config.num_replicas, state.messages]).toEqual([1, 1]);
  await queue.close();
});
