import { randomBytes } from 'node:crypto';
import {
  endpointFor,
  idsReceived,
  publish,
  SECRET,
  startRuntimeWorld,
  type RuntimeWorld,
} from '../../test/support/runtime-world.js';
import { until } from '../../test/support/until.js';
import { ActorHost } from '../runtime/actor-host.js';
import { PartitionOwnership } from './ownership.js';

const LEASE_MS = 10_000;
const PARTITIONS = 64;
const silent = { info: () => undefined, warn: () => undefined };

let world: RuntimeWorld;
const stops: Array<() => Promise<void>> = [];

beforeAll(async () => {
  world = await startRuntimeWorld();
});
afterAll(async () => {
  for (const stop of stops.splice(0).reverse()) {
    await stop().catch(() => undefined);
  }
  await world?.close();
});

/** One instance: its ownership (own id, shared database and clock) wired to its own actor host, as src/core does. */
async function instance(instanceId: string, namespace: string) {
  let host: ActorHost | null = null;
  const inSet = (partitions: readonly number[]) => (customerId: string) =>
    partitions.includes(ownership.partitionOf(customerId));
  const ownership: PartitionOwnership = await PartitionOwnership.open({
    databaseUrl: world.db.url,
    namespace,
    instanceId,
    partitions: PARTITIONS,
    leaseMs: LEASE_MS,
    clock: world.clock,
    monotonic: () => world.clock.now(),
    logger: silent,
    handover: {
      acquired: (partitions) => void host?.resume(inSet(partitions)),
      release: async (partitions) => host?.forget(inSet(partitions), true),
      lost: (partitions) => void host?.forget(inSet(partitions), false),
    },
  });
  host = new ActorHost(
    { ...world.ctx, source: world.queue, ownership },
    { idleAfterMs: 60_000, errorRetryMs: 1_000, activationConcurrency: 8, shutdownGraceMs: 5_000 },
  );
  await host.start();
  stops.push(
    () => host.stop(),
    () => ownership.stop(),
  );
  return { ownership, host };
}

test('an owner paused past its lease records nothing more for the customer (stale epoch), stops it, and the taker delivers', async () => {
  const namespace = `oh${randomBytes(3).toString('hex')}`;
  const a = await instance('a', namespace);
  await a.ownership.tick();
  const customerId = 'fenced-customer';
  await a.host.command(customerId, (actor) =>
    actor.record(
      [
        {
          type: 'WebhookConfigured',
          at: world.clock.now(),
          data: { settings: endpointFor(world, customerId) },
        },
      ],
      { secrets: { current: SECRET, previous: null } },
    ),
  );
  const b = await instance('b', namespace);
  await b.ownership.tick(); // b is live; a holds every partition

  // a's request is in flight (the receiver holds it) when a stops renewing and b takes over.
  let first = true;
  world.receiver.respondWith(() => {
    if (first) {
      first = false;
      return { status: 200, delayMs: 1_500 };
    }
    return { status: 200 };
  });
  const [id] = await publish(world, customerId, 1);
  await until(() => idsReceived(world, customerId).length === 1, 'a to send the message');
  const versionBefore = (await world.store.load(customerId))?.version;
  const refusedBefore = world.store.stats.conflicts;
  world.clock.advance(LEASE_MS + 1);
  await b.ownership.tick();
  expect(b.ownership.fence(customerId)).not.toBeNull();

  // a's outcome is refused by the fence; a drops the customer; b loads the log and sends it again
  // (the one request a paused owner had in flight is the only duplicate there can be).
  await until(() => a.host.activeCount === 0, 'a to stop the customer');
  expect(world.store.stats.conflicts).toBe(refusedBefore + 1); // a's DeliverySucceeded, refused
  await until(() => idsReceived(world, customerId).length === 2, 'b to deliver the message');
  await until(async () => (await world.store.load(customerId))?.state.cursor === id, 'b to record it');
  const log = await world.store.readStream(customerId, 0, 100);
  expect(log.map((event) => event.type)).toEqual(['WebhookConfigured', 'DeliverySucceeded']);
  expect(log.at(-1)?.version).toBe((versionBefore ?? 0) + 1);

  // Sentinel: the next message goes once, from b, and nothing else was sent.
  const [sentinel] = await publish(world, customerId, 1);
  await until(() => idsReceived(world, customerId).length === 3, 'the sentinel');
  expect(idsReceived(world, customerId)).toEqual([id, id, sentinel]);
  expect(a.host.activeCount).toBe(0);
});
