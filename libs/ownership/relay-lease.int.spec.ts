import { connect, type NatsConnection } from '@nats-io/transport-node';
import { compareFeed, logEntries, readFeed } from '../../test/support/event-feed.js';
import { ManualClock } from '../../test/support/manual-clock.js';
import { startNatsServer, type NatsServerHandle } from '../../test/support/nats-server.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/postgres.js';
import { until } from '../../test/support/until.js';
import { configured, succeeded, T0 } from '../domain/spec-support.js';
import { EventRelay, relayCheckpointName } from '../event-relay/index.js';
import { EventStore, StaleRelayEpochError } from '../event-store/index.js';
import { recordEach, testKey } from '../event-store/store-spec-support.js';
import { RelayLease, type HeldRelayLease } from './relay-lease.js';

/** Divisible by 3: a standby looking every lease/3 finds the lease free exactly when it runs out. */
const LEASE_MS = 9_000;

/** One contender: its own clock (a paused process's stands still), store, lease and relay. */
interface Contender {
  readonly clock: ManualClock;
  readonly lease: RelayLease;
  readonly relay: EventRelay;
  readonly store: EventStore;
  readonly warnings: string[];
}

describe('the relay lease in PostgreSQL, two relays on one log and one real nats-server', () => {
  let db: TestDatabase;
  let server: NatsServerHandle;
  let nc: NatsConnection;
  let writer: EventStore;
  let namespace = '';
  let suite = 0;
  const contenders: Contender[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startNatsServer();
    nc = await connect({ servers: server.url, noAsyncTraces: true });
    writer = await EventStore.open({ databaseUrl: db.url, encryptionKey: testKey }); // runs the migrations
  });
  afterAll(async () => {
    await writer?.close();
    await nc?.close();
    await server?.stop();
    await db?.drop();
  });
  beforeEach(() => {
    suite += 1;
    namespace = `relaylease${suite}`;
  });
  afterEach(async () => {
    for (const one of contenders.splice(0)) {
      await one.relay.stop();
      await one.lease.close();
      await one.store.close();
    }
  });

  async function contender(instanceId: string): Promise<Contender> {
    const clock = new ManualClock(T0);
    const warnings: string[] = [];
    const logger = { info: () => undefined, warn: (_: object, msg?: string) => warnings.push(msg ?? '') };
    const lease = await RelayLease.open({
      databaseUrl: db.url,
      namespace,
      instanceId,
      leaseMs: LEASE_MS,
      clock,
      monotonic: () => clock.now(),
      logger,
    });
    const store = await EventStore.open({ databaseUrl: db.url, encryptionKey: testKey });
    const relay = await EventRelay.open(nc, store, {
      namespace,
      retentionMs: 3_600_000,
      logger,
      pollMs: 20,
      checkpointEveryMs: 0, // every page's checkpoint goes through the fence
      lease,
    });
    writer.onCommitted(() => relay.nudge());
    const one = { clock, lease, relay, store, warnings };
    contenders.push(one);
    return one;
  }

  /** Five events per customer, each committed alone. */
  async function appendRound(round: number): Promise<number> {
    for (const customerId of ['acme', 'globex']) {
      await recordEach(writer, customerId, [
        configured({}, T0 + round),
        succeeded(round, round, T0 + round + 1),
        configured({}, T0 + round + 2),
        succeeded(round + 1, round + 1, T0 + round + 3),
        configured({}, T0 + round + 4),
      ]);
    }
    return (await logEntries(db.url)).at(-1)?.position ?? 0;
  }

  const checkpoint = async () => (await writer.readCheckpoint(relayCheckpointName(namespace))).position;

  test('the holder stops renewing: the other takes over within 2 × lease, the old one is fenced, the feed has every event once in order', async () => {
    const a = await contender('instance-a');
    const b = await contender('instance-b');
    const heldA = await a.lease.tryAcquire();
    expect(heldA).not.toBeNull();
    expect(await b.lease.tryAcquire()).toBeNull(); // one relay at a time
    await a.relay.start();
    const firstLast = await appendRound(1);
    await until(() => a.relay.publishedThrough === firstLast, 'relay a to publish the first round');
    await until(async () => (await checkpoint()) === firstLast, "relay a's checkpoint");

    // A is paused (its clock, timers and renewals stand still); B looks every lease/3 as a standby does.
    let waited = 0;
    let heldB: HeldRelayLease | null = null;
    while (heldB === null && waited <= 3 * LEASE_MS) {
      b.clock.advance(LEASE_MS / 3);
      waited += LEASE_MS / 3;
      heldB = await b.lease.tryAcquire();
    }
    expect(heldB).not.toBeNull();
    expect(waited).toBeGreaterThanOrEqual(LEASE_MS); // not before A's lease ran out
    expect(waited).toBeLessThanOrEqual(2 * LEASE_MS);
    expect(heldB!.epoch).toBe(heldA!.epoch + 1);
    await b.relay.start();

    // A does not know yet (its own clock says the lease is valid) and keeps publishing the new round:
    // its next checkpoint is refused in the transaction that would move the cursor, and it stops.
    const secondLast = await appendRound(3);
    await until(
      () => a.warnings.includes('event relay: the relay lease was taken by another instance; stopped'),
      "relay a's checkpoint to be fenced",
    );
    await until(() => b.relay.publishedThrough === secondLast, 'relay b to publish the second round');
    await until(async () => (await checkpoint()) === secondLast, "relay b's checkpoint");
    // Nor can A move the cursor back.
    await expect(
      a.store.writeCheckpoint(
        relayCheckpointName(namespace),
        { txid: 0, position: firstLast },
        a.lease.fence()!,
      ),
    ).rejects.toBeInstanceOf(StaleRelayEpochError);
    expect(await checkpoint()).toBe(secondLast);

    const log = await logEntries(db.url);
    const feed = await readFeed(nc, namespace);
    expect(log).toHaveLength(20);
    expect(compareFeed(log, feed)).toEqual({ events: 20, missing: 0, duplicates: 0, outOfOrder: 0 });
    expect(feed.map((event) => event.position)).toEqual(log.map((entry) => entry.position));

    // A wakes up: its next renewal finds the lease taken.
    a.clock.advance(LEASE_MS / 3);
    await expect(heldA!.lost).resolves.toBe('taken by another instance');
    expect(a.lease.mayPublish()).toBe(false);
    expect(b.lease.mayPublish()).toBe(true);
    expect(await b.lease.holder()).toEqual({ instanceId: 'instance-b', renewedAt: T0 + LEASE_MS });
  }, 60_000);

  test('a holder whose own clock passed the validity (a long pause) publishes nothing more', async () => {
    const a = await contender('instance-a');
    const heldA = await a.lease.tryAcquire();
    await a.relay.start();
    const last = await appendRound(1);
    await until(() => a.relay.publishedThrough === last, 'relay a to publish');
    a.clock.advance(0.8 * LEASE_MS); // woke up at the end of its validity: no renewal came in between
    await appendRound(3); // the nudge wakes the relay
    await until(
      () => a.warnings.includes('event relay: the relay lease is not held; stopped'),
      'relay a to stop on its own clock',
    );
    expect(a.relay.publishedThrough).toBe(last);
    await expect(heldA!.lost).resolves.toBe('not renewed within the lease');
  }, 60_000);

  test('a graceful release hands the lease over at once', async () => {
    const a = await contender('instance-a');
    const b = await contender('instance-b');
    const heldA = await a.lease.tryAcquire();
    expect(await b.lease.tryAcquire()).toBeNull();
    await heldA!.release();
    expect(await a.lease.holder()).toBeNull();
    expect(await b.lease.tryAcquire()).not.toBeNull();
    expect(await a.lease.holder()).toMatchObject({ instanceId: 'instance-b' });
  });
});
