import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { startNatsServer, type NatsServerHandle } from '../../test/support/nats-server.js';
import { ensureEventsStream } from './events-stream.js';

let server: NatsServerHandle;
let nc: NatsConnection;

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connect({ servers: server.url, noAsyncTraces: true });
});

afterAll(async () => {
  await nc?.close();
  await server?.stop();
});

describe('the events stream of a namespace with a "-"', () => {
  test('is MY-NS_EVENTS, like MY-NS_QUEUE', async () => {
    const jsm = await jetstreamManager(nc);
    expect(await ensureEventsStream(jsm, 'new-ns', 60_000)).toBe('NEW-NS_EVENTS');
    expect((await jsm.streams.info('NEW-NS_EVENTS')).config.subjects).toEqual(['new-ns.events.>']);
  });

  test('is refused, naming the old stream, while the old MY_NS_EVENTS holds its subjects', async () => {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'OLD_NS_EVENTS', subjects: ['old-ns.events.>'] });
    await expect(ensureEventsStream(jsm, 'old-ns', 60_000)).rejects.toThrow(
      /old-ns\.events\.> belong to another stream than OLD-NS_EVENTS \(OLD_NS_EVENTS in older versions\)/,
    );
  });
});

test('a stream made before atomic batches is brought to allow them (the relay publishes each page as one)', async () => {
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: 'BEFORE_EVENTS', subjects: ['before.events.>'] });
  expect((await jsm.streams.info('BEFORE_EVENTS')).config.allow_atomic).toBeFalsy();
  await ensureEventsStream(jsm, 'before', 60_000);
  expect((await jsm.streams.info('BEFORE_EVENTS')).config.allow_atomic).toBe(true);
});
