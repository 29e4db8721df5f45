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
import { NotOwnerError } from '../domain/index.js';
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
// Each test's instances stop after it: they share the world's stream and log, so one left running
// would deliver the next test's customers too.
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) {
    await stop().catch(() => undefined);
  }
});
afterAll(async () => {
  await world?.close();
});

/** One instance: its ownership (own id, shared database and clock) wired to its own actor host, as src/core does. */
async function instance(instanceId: string, namespace: string, monotonic = () => world.clock.now()) {
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
    monotonic,
    logger: silent,
    handover: {
      acquired: (partitions) => void host?.resume(inSet(partitions)),
      release: async (partitions) => host?.forget(inSet(partitions), true),
      lost: (partitions) => void host?.forget(inSet(partitions), false),
    },
  });
  // The customers whose messages the host's feed has asked about (it asks the ownership for each).
  const asked = new Set<string>();
  const watched = {
    mayStart: (customerId: string) => (asked.add(customerId), ownership.mayStart(customerId)),
    fence: (customerId: string) => ownership.fence(customerId),
  };
  host = new ActorHost(
    { ...world.ctx, source: world.queue, ownership: watched },
    { idleAfterMs: 60_000, errorRetryMs: 1_000, activationConcurrency: 8, shutdownGraceMs: 5_000 },
  );
  await host.start();
  stops.push(
    () => host.stop(),
    () => ownership.stop(),
  );
  return { ownership, host, asked };
}

/** The event a configure command records: the customer's endpoint at the world's receiver. */
function configuredEvent(customerId: string) {
  return {
    type: 'WebhookConfigured' as const,
    at: world.clock.now(),
    data: { settings: endpointFor(world, customerId) },
  };
}

/** Configures the customer through the host, as a configure command does. */
async function configure(host: ActorHost, customerId: string): Promise<void> {
  await host.command(customerId, (actor) =>
    actor.record([configuredEvent(customerId)], { secrets: { current: SECRET, previous: null } }),
  );
}

test('an owner paused past its lease records nothing more for the customer (stale epoch), stops it, and the taker delivers', async () => {
  const namespace = `oh${randomBytes(3).toString('hex')}`;
  const a = await instance('a', namespace);
  await a.ownership.tick();
  const customerId = 'fenced-customer';
  await configure(a.host, customerId);
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

test('a renewal that comes back after the validity ended: the message the feed passed over meanwhile goes before the next', async () => {
  const namespace = `oh${randomBytes(3).toString('hex')}`;
  // This instance's own clock: `late` is added to the shared clock; `next` readings come first.
  let late = 0;
  const next: number[] = [];
  const a = await instance('a', namespace, () => next.shift() ?? world.clock.now() + late);
  const start = world.clock.now();
  await a.ownership.tick();
  const customerId = 'late-renewal';
  await configure(a.host, customerId);
  const [first] = await publish(world, customerId, 1);
  await until(() => idsReceived(world, customerId).length === 1, 'the first message');

  // The validity ends while a turn's renewal is in flight: nothing may start, so the feed passes
  // over the message published now.
  const validity = LEASE_MS * 0.8;
  late = validity;
  a.asked.clear();
  const [passedOver] = await publish(world, customerId, 1);
  await until(() => a.asked.has(customerId), 'the feed to pass over the message');
  expect(a.ownership.mayStart(customerId)).toBe(false);
  next.push(start + validity - 1); // the turn started just before the end; its renewal came back after
  await a.ownership.tick();

  const [after] = await publish(world, customerId, 1);
  await until(() => idsReceived(world, customerId).length >= 3, 'the other two messages');
  expect(idsReceived(world, customerId)).toEqual([first, passedOver, after]);
});

test('an actor from before a lapse and retake appends nothing under the new epoch; a fresh one serves the customer', async () => {
  const namespace = `oh${randomBytes(3).toString('hex')}`;
  const a = await instance('a', namespace);
  await a.ownership.tick();
  const customerId = 'bound-to-epoch';
  await configure(a.host, customerId);
  const epoch = a.ownership.fence(customerId)?.epoch;

  // An operator command holds the actor in memory while the lease lapses and is taken again.
  let go: () => void = () => undefined;
  const held = new Promise<void>((resolve) => (go = resolve));
  const command = a.host.command(customerId, async (actor) => {
    await held;
    await actor.record([configuredEvent(customerId)]);
  });
  world.clock.advance(LEASE_MS + 1);
  await a.ownership.tick();
  expect(a.ownership.fence(customerId)?.epoch).toBe((epoch ?? 0) + 1);
  go();
  await expect(command).rejects.toBeInstanceOf(NotOwnerError); // the router asks the owner again
  expect((await world.store.readStream(customerId, 0, 100)).map((event) => event.type)).toEqual([
    'WebhookConfigured',
  ]);

  // Sentinel: a message now goes once, from an actor loaded under the new epoch.
  const [id] = await publish(world, customerId, 1);
  await until(() => idsReceived(world, customerId).length === 1, 'the message');
  await until(async () => (await world.store.load(customerId))?.state.cursor === id, 'its outcome recorded');
});
