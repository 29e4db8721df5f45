import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { setTimeout as sleep } from 'node:timers/promises';
import { ensureEventsStream } from '../event-relay/events-stream.js';
import { startNatsCluster, type NatsClusterHandle } from '../../test/support/nats-cluster.js';
import { until } from '../../test/support/until.js';
import { JetStreamQueue, QueueSettingsError, streamName, type QueuedMessage } from './index.js';

// The queue on a 3-node JetStream cluster (sync_interval: always) on loopback.
let cluster: NatsClusterHandle;
let nc: NatsConnection;
let jsm: JetStreamManager;

beforeAll(async () => {
  cluster = await startNatsCluster(3);
  nc = await connect({ servers: [...cluster.urls], noAsyncTraces: true, maxReconnectAttempts: -1 });
  jsm = await jetstreamManager(nc);
}, 60_000);
afterAll(async () => {
  await nc?.close();
  await cluster?.stop();
});

const replicasOf = async (stream: string) => {
  const info = await jsm.streams.info(stream);
  return { configured: info.config.num_replicas, peers: 1 + (info.cluster?.replicas?.length ?? 0) };
};
/** The servers add the new copies in the background after the update. */
const untilReplicated = (stream: string, count: number) =>
  until(
    async () =>
      JSON.stringify(await replicasOf(stream)) === JSON.stringify({ configured: count, peers: count }),
    `${stream} on ${count} servers`,
    20_000,
  );

test('an existing stream is moved to the configured replica count at open; more than the cluster holds is a clear error', async () => {
  const single = await JetStreamQueue.open(nc, { namespace: 'moved' });
  await single.publish('a', { event: 'E', data: { n: 1 } });
  expect(await replicasOf(streamName('moved'))).toEqual({ configured: 1, peers: 1 });
  await single.close();

  const replicated = await JetStreamQueue.open(nc, { namespace: 'moved', replicas: 3 });
  expect((await replicasOf(streamName('moved'))).configured).toBe(3);
  await untilReplicated(streamName('moved'), 3);
  expect((await replicated.read('a', 0, 10)).map((m) => m.kind === 'message' && m.data)).toEqual([{ n: 1 }]);
  await replicated.close();

  const events = await ensureEventsStream(jsm, 'moved', 60_000, 3);
  await untilReplicated(events, 3);

  const refused: unknown = await JetStreamQueue.open(nc, { namespace: 'moved', replicas: 5 }).catch((e) => e);
  expect(refused).toBeInstanceOf(QueueSettingsError);
  expect(String(refused)).toMatch(
    /stream MOVED_QUEUE cannot have 5 replicas here \(HOOKPOST_STREAM_REPLICAS\)/,
  );
  expect(await replicasOf(streamName('moved'))).toEqual({ configured: 3, peers: 3 });
}, 60_000);

test('kill -9 of the stream leader under load, restarted on its store: every acked message is there once, in order', async () => {
  const queue = await JetStreamQueue.open(nc, { namespace: 'crash', replicas: 3 });
  const customers = ['c0', 'c1', 'c2', 'c3'];
  const acked = new Map(customers.map((c) => [c, [] as number[]]));
  let running = true;
  // One sequential producer per customer; a failed publish is tried again with the same key, as producers do.
  const producers = customers.map(async (customerId) => {
    for (let n = 0; running; n += 1) {
      for (;;) {
        try {
          await queue.publish(customerId, { event: 'E', data: { n } }, `k${n}`);
          acked.get(customerId)!.push(n);
          break;
        } catch {
          await sleep(50); // the leader is gone or a new one is being elected
        }
      }
    }
  });
  await until(() => acked.get('c0')!.length > 200, 'the load to run', 20_000);
  const leaderName = (await jsm.streams.info(streamName('crash'))).cluster?.leader ?? '';
  const leader = Number(/-n(\d+)$/.exec(leaderName)?.[1]);
  await cluster.kill(leader);
  const atKill = acked.get('c0')!.length;
  await until(() => acked.get('c0')!.length > atKill + 200, 'a new leader to take publishes', 30_000);
  await cluster.restart(leader);
  await until(() => acked.get('c0')!.length > atKill + 400, 'publishes after the restart', 30_000);
  running = false;
  await Promise.all(producers);

  for (const customerId of customers) {
    // Reads are direct gets any replica may answer; the restarted one may not have applied the
    // newest messages yet. Read until the last acked one is there, then check the whole queue.
    const last = acked.get(customerId)!.at(-1);
    let stored: QueuedMessage[] = [];
    await until(async () => {
      stored = await queue.read(customerId, 0, 100_000);
      const tail = stored.at(-1);
      return tail?.kind === 'message' && tail.data.n === last;
    }, `${customerId}'s last acked message in a read`);
    const ns = stored.map((m) => (m.kind === 'message' ? (m.data.n as number) : -1));
    // Each acked message once, in publish order; nothing else (a retried key is de-duplicated).
    expect(ns).toEqual(acked.get(customerId));
    const ids = stored.map((m) => m.id);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
  }
  // The restarted node caught up from its store and the leader: all three copies are current again.
  await until(
    async () => {
      const info = await jsm.streams.info(streamName('crash'));
      return info.cluster?.replicas?.length === 2 && info.cluster.replicas.every((r) => r.current);
    },
    'three current copies',
    30_000,
  );
  await queue.close();
}, 120_000);
