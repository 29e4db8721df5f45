import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, writeFileSync } from 'node:fs';
import pg from 'pg';
import { ManualClock } from '../../test/support/manual-clock.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/postgres.js';
import { configured, T0 } from '../domain/spec-support.js';
import { StaleEpochError, type Fence } from '../domain/index.js';
import { EventStore } from '../event-store/index.js';
import { projectionAfter } from '../event-store/store-spec-support.js';
import { LeaseTable } from './lease-table.js';
import { localProcess, markerOf, removeMarker, type LocalProcess } from './local-process.js';
import { PartitionCountError } from './ownership.errors.js';
import { PartitionOwnership, type Handover } from './ownership.js';

const LEASE_MS = 10_000;
const PARTITIONS = 64;
const key = randomBytes(32);
const silent = { info: () => undefined, warn: () => undefined };

/** What one instance's host was told, and a switch to hold its graceful releases open. */
class Recorder implements Handover {
  readonly events: string[] = [];
  hold: Promise<void> | null = null;

  acquired(partitions: readonly number[]): void {
    this.events.push(`acquired ${partitions.length}`);
  }

  async release(partitions: readonly number[]): Promise<void> {
    this.events.push(`releasing ${partitions.length}`);
    await this.hold;
    this.events.push(`released ${partitions.length}`);
  }

  lost(partitions: readonly number[]): void {
    this.events.push(`lost ${partitions.length}`);
  }
}

describe('partition leases in PostgreSQL (ManualClock)', () => {
  let db: TestDatabase;
  let store: EventStore;
  let clock: ManualClock;
  let namespace: string;
  const opened: PartitionOwnership[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    store = await EventStore.open({ databaseUrl: db.url, encryptionKey: key }); // runs the migrations
  });
  afterAll(async () => {
    await store.close();
    await db.drop();
  });
  beforeEach(() => {
    clock = new ManualClock(T0);
    namespace = `ns${randomBytes(3).toString('hex')}`;
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((o) => o.stop().catch(() => undefined)));
  });

  async function instance(
    instanceId: string,
    handover = new Recorder(),
    partitions = PARTITIONS,
    process?: LocalProcess | null,
    monotonic = () => clock.now(),
  ) {
    const ownership = await PartitionOwnership.open({
      ...(process === undefined ? {} : { process }),
      databaseUrl: db.url,
      namespace,
      instanceId,
      partitions,
      leaseMs: LEASE_MS,
      clock,
      monotonic,
      handover,
      logger: silent,
    });
    opened.push(ownership);
    return { ownership, handover };
  }

  /** A customer id in the given partition. */
  function customerIn(ownership: PartitionOwnership, partition: number): string {
    for (let i = 0; ; i += 1) {
      if (ownership.partitionOf(`cus_${i}`) === partition) {
        return `cus_${i}`;
      }
    }
  }

  test('the first instance records the partition count; another count is refused naming HOOKPOST_PARTITIONS', async () => {
    await instance('a');
    await expect(instance('b', new Recorder(), 128)).rejects.toThrow(PartitionCountError);
    await expect(instance('b', new Recorder(), 128)).rejects.toThrow(
      /^HOOKPOST_PARTITIONS is 128.*started with 64/,
    );
  });

  test('a lone instance takes every partition; a second one gets half after a graceful handover', async () => {
    const a = await instance('a');
    await a.ownership.tick();
    expect(a.ownership.owned()).toHaveLength(PARTITIONS);
    expect(a.handover.events).toEqual([`acquired ${PARTITIONS}`]);

    const b = await instance('b');
    let open: () => void = () => undefined;
    a.handover.hold = new Promise((resolve) => (open = resolve));
    await b.ownership.tick(); // b is live now, but every partition is a's
    expect(b.ownership.owned()).toEqual([]);
    clock.advance(LEASE_MS / 3);
    await a.ownership.tick(); // a sees b and starts giving up its excess
    const given = customerIn(a.ownership, PARTITIONS - 1);
    expect(a.ownership.mayStart(given)).toBe(false); // no new requests while handing over
    expect(a.ownership.fence(given)).not.toBeNull(); // ...but what is in flight still records
    await b.ownership.tick();
    expect(b.ownership.owned()).toEqual([]); // not released yet: the taker waits

    open();
    await a.ownership.settled();
    await b.ownership.tick();
    expect(a.ownership.owned()).toHaveLength(PARTITIONS / 2);
    expect(b.ownership.owned()).toHaveLength(PARTITIONS / 2);
    expect(a.handover.events).toEqual([`acquired ${PARTITIONS}`, 'releasing 32', 'released 32']);
    expect(b.handover.events).toEqual(['acquired 32']);
    expect(b.ownership.mayStart(given)).toBe(true);
    const view = await b.ownership.view();
    expect(view.instances.map((i) => [i.instanceId, i.partitions.length])).toEqual([
      ['a', 32],
      ['b', 32],
    ]);
    expect([...view.instances.flatMap((i) => i.partitions)].sort((x, y) => x - y)).toEqual(
      Array.from({ length: PARTITIONS }, (_, i) => i),
    );
  });

  test('three instances share ⌊P/N⌋ or ⌈P/N⌉; one leaving (SIGTERM) hands its share to the others', async () => {
    const all = [await instance('a'), await instance('b'), await instance('c')];
    for (let turn = 0; turn < 4; turn += 1) {
      for (const one of all) {
        await one.ownership.tick();
        await one.ownership.settled();
      }
      clock.advance(LEASE_MS / 3);
    }
    expect(all.map((one) => one.ownership.owned().length)).toEqual([22, 21, 21]);

    await all[2]!.ownership.stop();
    expect(all[2]!.handover.events.at(-1)).toBe('released 21');
    for (let turn = 0; turn < 3; turn += 1) {
      for (const one of all.slice(0, 2)) {
        await one.ownership.tick();
        await one.ownership.settled();
      }
      clock.advance(LEASE_MS / 3);
    }
    expect(all.slice(0, 2).map((one) => one.ownership.owned().length)).toEqual([32, 32]);
  });

  test('an instance that stops renewing stops itself before the lease ends, and the other takes over within 2 × lease', async () => {
    const a = await instance('a');
    await a.ownership.tick();
    const customer = customerIn(a.ownership, 5);
    const b = await instance('b');
    await b.ownership.tick();
    expect(b.ownership.owned()).toEqual([]);
    // a is paused from here on: it never ticks again.
    clock.advance(LEASE_MS * 0.8 - 1);
    expect(a.ownership.mayStart(customer)).toBe(true);
    clock.advance(1);
    expect(a.ownership.mayStart(customer)).toBe(false); // its own clock with the safety margin
    await b.ownership.tick();
    expect(b.ownership.owned()).toEqual([]); // the lease has not run out for the others yet
    clock.advance(LEASE_MS * 0.2);
    await b.ownership.tick();
    expect(b.ownership.owned()).toHaveLength(PARTITIONS);
    expect(clock.now() - T0).toBeLessThanOrEqual(2 * LEASE_MS);

    // a wakes up: its first turn finds its lease lapsed, lets its steps in flight end (their appends
    // are fenced), and does not take anything back from b.
    await a.ownership.tick();
    expect(a.handover.events.slice(-2)).toEqual([`releasing ${PARTITIONS}`, `released ${PARTITIONS}`]);
    expect(a.ownership.fence(customer)).toBeNull();
    expect(b.ownership.owned()).toHaveLength(PARTITIONS);
  });

  test('a renewal that comes back after the validity ended is a lapse: the leases are taken again at a new epoch', async () => {
    // This instance's own clock reads the turn's start just before the validity ends, and every
    // later reading (the renewal came back) just after it.
    let readings: number[] = [];
    const a = await instance(
      'a',
      new Recorder(),
      PARTITIONS,
      undefined,
      () => readings.shift() ?? clock.now(),
    );
    await a.ownership.tick();
    const customer = customerIn(a.ownership, 9);
    const before = a.ownership.fence(customer) as Fence;
    const end = T0 + LEASE_MS * 0.8;
    readings = [end - 1, end + 1];
    clock.advance(LEASE_MS / 3);
    await a.ownership.tick();
    expect(a.handover.events).toEqual([
      `acquired ${PARTITIONS}`,
      `releasing ${PARTITIONS}`,
      `released ${PARTITIONS}`,
      `acquired ${PARTITIONS}`,
    ]);
    expect(a.ownership.fence(customer)?.epoch).toBe(before.epoch + 1);
    expect(a.ownership.mayStart(customer)).toBe(true);
  });

  test('fencing: an append under an epoch the partition has moved on from is refused, nothing written', async () => {
    const a = await instance('a');
    await a.ownership.tick();
    const customer = customerIn(a.ownership, 7);
    const other = customerIn(a.ownership, 8);
    const stale = a.ownership.fence(customer) as Fence;
    const events = [configured()];
    await store.append(customer, 0, events, projectionAfter(events, 0), { fence: stale });

    const b = await instance('b');
    clock.advance(LEASE_MS + 1); // a paused past its lease
    await b.ownership.tick();
    const fresh = b.ownership.fence(customer) as Fence;
    expect(fresh.epoch).toBe(stale.epoch + 1);

    const next = [configured({ url: 'https://stale.example/hook' })];
    const refused = store.append(customer, 1, next, projectionAfter(next, 0), { fence: stale });
    // In the same group, an append under a valid fence commits.
    const accepted = store.append(other, 0, events, projectionAfter(events, 0), {
      fence: b.ownership.fence(other) as Fence,
    });
    await expect(refused).rejects.toBeInstanceOf(StaleEpochError);
    await expect(accepted).resolves.toMatchObject({ version: 1 });
    expect((await store.load(customer))?.version).toBe(1);
    await expect(
      store.append(customer, 1, next, projectionAfter(next, 0), { fence: fresh }),
    ).resolves.toMatchObject({
      version: 2,
    });
  });

  describe('an instance on this host whose process is gone', () => {
    const here = localProcess() as LocalProcess;
    const children: ChildProcess[] = [];
    const lives: string[] = [];
    afterEach(() => {
      children.splice(0).forEach((child) => child.kill('SIGKILL'));
      lives.splice(0).forEach(removeMarker);
    });

    /**
     * A real process standing in for another instance's (the instance object itself lives here),
     * and its life on this host, with the marker it would leave unless `marked` is false.
     */
    async function aProcess(marked = true): Promise<{ child: ChildProcess; life: LocalProcess }> {
      const child = spawn('sleep', ['600'], { stdio: 'ignore' });
      children.push(child);
      await once(child, 'spawn');
      const life = { host: here.host, pid: child.pid!, life: randomUUID() };
      lives.push(life.life);
      if (marked) {
        writeFileSync(markerOf(life.life), `${life.pid}\n`);
      }
      return { child, life };
    }

    async function kill9(child: ChildProcess): Promise<void> {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }

    /** An instance 'a' that took every partition, then died with its process (kill -9). */
    async function diedHoldingAll(marked = true): Promise<void> {
      const { child, life } = await aProcess(marked);
      const a = await instance('a', new Recorder(), PARTITIONS, life);
      await a.ownership.tick();
      await kill9(child);
    }

    test('has its leases freed at the next turn of another, not after the lease', async () => {
      const { child, life } = await aProcess();
      const a = await instance('a', new Recorder(), PARTITIONS, life);
      await a.ownership.tick();
      expect(a.ownership.owned()).toHaveLength(PARTITIONS);
      const stale = a.ownership.fence(customerIn(a.ownership, 3)) as Fence;

      await kill9(child); // a's object never ticks again, as if it had died with the process
      const b = await instance('b');
      await b.ownership.tick(); // the clock has not moved: no lease has run out
      expect(b.ownership.owned()).toHaveLength(PARTITIONS);
      expect(b.ownership.fence(customerIn(b.ownership, 3))?.epoch).toBe(stale.epoch + 1);
      expect((await b.ownership.view()).instances.map((i) => i.instanceId)).toEqual(['b']);
      expect(existsSync(markerOf(life.life))).toBe(false);
    });

    test('is not judged dead while its process lives (paused, say): its leases are waited out', async () => {
      const { child, life } = await aProcess();
      child.kill('SIGSTOP');
      const a = await instance('a', new Recorder(), PARTITIONS, life);
      await a.ownership.tick();
      const b = await instance('b');
      await b.ownership.tick();
      expect(b.ownership.owned()).toEqual([]);
      clock.advance(LEASE_MS);
      await b.ownership.tick();
      expect(b.ownership.owned()).toHaveLength(PARTITIONS);
    });

    test('is not taken for a new life under the same instance id that has written its heartbeat', async () => {
      const { child, life } = await aProcess();
      const a1 = await instance('a', new Recorder(), PARTITIONS, life);
      await a1.ownership.tick();
      await kill9(child);
      // The process starts again under the same id (HOOKPOST_INSTANCE_ID) and retakes its leases...
      const a2 = await instance('a');
      await a2.ownership.tick();
      expect(a2.ownership.owned()).toHaveLength(PARTITIONS);
      // ...while another instance still acts on what it read of the first life.
      const table = new LeaseTable(db.url, namespace, 'b', here);
      try {
        await expect(table.forget({ instanceId: 'a', pid: life.pid, life: life.life })).resolves.toBeNull();
      } finally {
        await table.close();
      }
      clock.advance(LEASE_MS / 3);
      await a2.ownership.tick();
      expect(a2.ownership.owned()).toHaveLength(PARTITIONS);
      expect(a2.handover.events).toEqual([`acquired ${PARTITIONS}`]);
    });

    test('whose life left no marker here (another machine with the same boot id, a clone) is waited out', async () => {
      await diedHoldingAll(false);
      const b = await instance('b');
      await b.ownership.tick();
      expect(b.ownership.owned()).toEqual([]);
    });

    test('whose row an older release heartbeats (the life stays, renewed_at moves on) is waited out', async () => {
      await diedHoldingAll();
      // An older release started under the same id writes only the times it knows of.
      const old = new pg.Client({ connectionString: db.url });
      await old.connect();
      try {
        await old.query(
          `UPDATE "cluster_instances" SET "renewed_at" = "renewed_at" + 1, "expires_at" = "expires_at" + 1
           WHERE "namespace" = $1 AND "instance_id" = 'a'`,
          [namespace],
        );
      } finally {
        await old.end();
      }
      const b = await instance('b');
      await b.ownership.tick();
      expect(b.ownership.owned()).toEqual([]);
    });

    test('where the kernel does not say which host this is, nothing is freed early', async () => {
      await diedHoldingAll();
      const b = await instance('b', new Recorder(), PARTITIONS, null);
      await b.ownership.tick();
      expect(b.ownership.owned()).toEqual([]);
    });
  });
});
