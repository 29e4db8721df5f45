import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configured, succeeded } from '../../libs/domain/spec-support.js';
import type { CustomerQueueEvent } from '../../libs/domain/index.js';
import { EventStore } from '../../libs/event-store/index.js';
import { RelayLease } from '../../libs/ownership/index.js';
import { systemClock } from '../../libs/runtime/index.js';
import { recordEach } from '../../libs/event-store/store-spec-support.js';
import { ManualClock } from '../../test/support/manual-clock.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/postgres.js';
import { until } from '../../test/support/until.js';
import { loadConfig, type AppConfig } from '../config/app-config.js';
import { retentionSchedule } from './archive-schedule.js';
import { DeliveryOwner } from './delivery-owner.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const MINUTE = 60_000;
/** Every instance's clock starts here; the log's events are dated against it. */
const NOW = Date.UTC(2026, 10, 30, 12, 0, 0);

/**
 * One service instance as HookpostCore wires the retention setting: its own store and clock, the
 * schedule started and stopped with the relay, which runs only while it holds the relay lease (on
 * the real clock here: the schedule's ManualClock jumps a day at a time).
 */
function instance(config: AppConfig, name: string) {
  const clock = new ManualClock(NOW);
  const archived: number[] = [];
  const warnings: string[] = [];
  const logger = {
    info: (obj: object, msg?: string) => {
      if (msg === 'archived old events') {
        archived.push((obj as { events: number }).events);
      }
    },
    warn: (obj: object, msg?: string) => warnings.push(`${msg}: ${JSON.stringify(obj)}`),
    error: (obj: object, msg?: string) => warnings.push(`${msg}: ${JSON.stringify(obj)}`),
  };
  let store: EventStore | null = null;
  let lease: RelayLease | null = null;
  let owner: DeliveryOwner | null = null;
  return {
    name,
    clock,
    archived,
    warnings,
    get delivering() {
      return owner?.delivering ?? false;
    },
    async start() {
      store = await EventStore.open({ databaseUrl: config.databaseUrl!, encryptionKey: Buffer.alloc(32, 1) });
      const schedule = retentionSchedule(store, config, clock, logger)!;
      lease = await RelayLease.open({
        databaseUrl: config.databaseUrl!,
        namespace: config.namespace,
        instanceId: name,
        leaseMs: config.leaseMs,
        clock: systemClock,
        monotonic: () => performance.now(),
        logger,
      });
      owner = new DeliveryOwner(
        lease,
        { start: () => Promise.resolve(schedule.start()), pause: () => schedule.stop() },
        logger,
        20, // retry the lock quickly: the takeover below waits for it in real time
      );
      await owner.start();
    },
    async stop() {
      await owner?.stop();
      await owner?.release();
      await lease?.close();
      await store?.close();
      lease = null;
      owner = null;
      store = null;
    },
  };
}

describe('HOOKPOST_ARCHIVE_AFTER with two instances on one PostgreSQL database', () => {
  let db: TestDatabase;
  let dirs: string[];
  let config: AppConfig;
  let store: EventStore;

  beforeAll(async () => {
    db = await createTestDatabase();
    dirs = [
      await mkdtemp(join(tmpdir(), 'hookpost-retention-')),
      await mkdtemp(join(tmpdir(), 'hookpost-retention-')),
    ];
    config = loadConfig({
      DATABASE_URL: db.url,
      HOOKPOST_DATA_DIR: dirs[0],
      HOOKPOST_ARCHIVE_DIR: join(dirs[1]!, 'archive'),
      HOOKPOST_ARCHIVE_AFTER: '1d',
      HOOKPOST_EVENTS_FEED: 'false', // no relay in this world: no feed position to wait for
      HOOKPOST_NAMESPACE: 'retention',
    });
    store = await EventStore.open({ databaseUrl: db.url, encryptionKey: Buffer.alloc(32, 1) });
  });

  const started: Array<ReturnType<typeof instance>> = [];
  afterAll(async () => {
    await Promise.all(started.map((one) => one.stop())); // stop() is safe twice
    await store?.close();
    await db?.drop();
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  const record = (customerId: string, events: CustomerQueueEvent[]) => recordEach(store, customerId, events);

  const archivedEvents = async () => (await store.archiveProgress()).events;

  test('only the instance holding the relay lease archives: a minute after it starts, then daily; the other takes over', async () => {
    // 3 events older than a day, 2 from 12 hours ago, 1 from one hour before the second daily run.
    await record('acme', [configured({}, NOW - 3 * DAY), succeeded(1, 1, NOW - 3 * DAY + MINUTE)]);
    await record('globex', [configured({}, NOW - 2 * DAY)]);
    await record('acme', [succeeded(2, 2, NOW - 12 * HOUR), succeeded(3, 3, NOW - 12 * HOUR + MINUTE)]);
    await record('globex', [succeeded(1, 1, NOW + DAY - HOUR)]);

    const first = instance(config, 'first');
    const second = instance(config, 'second');
    started.push(first, second);
    await first.start();
    await second.start();
    expect([first.delivering, second.delivering]).toEqual([true, false]);
    // The standby has no schedule armed at all: nothing can run there, whatever its clock does.
    expect([first.clock.armed, second.clock.armed]).toEqual([1, 0]);

    first.clock.advance(MINUTE - 1);
    second.clock.advance(MINUTE - 1);
    expect(first.clock.armed).toBe(1); // not due yet
    expect(await archivedEvents()).toBe(0);

    first.clock.advance(1);
    second.clock.advance(1);
    await until(() => first.archived.length === 1, 'the first run to finish');
    expect(first.archived).toEqual([3]); // older than a day at NOW + 1 min
    expect(await archivedEvents()).toBe(3);

    first.clock.advance(DAY);
    second.clock.advance(DAY);
    await until(() => first.archived.length === 2, 'the daily run to finish');
    // At NOW + 1 day + 1 min: the two from 12 hours before NOW; the one from an hour before is kept.
    expect(first.archived).toEqual([3, 2]);
    expect(second.archived).toEqual([]);
    expect(second.clock.armed).toBe(0);

    // The first instance goes away: the second takes the lease and the schedule with it.
    await first.stop();
    await until(() => second.delivering, 'the second instance to take the relay lease');
    expect(second.clock.armed).toBe(1);
    second.clock.advance(MINUTE);
    await until(() => second.archived.length === 1, "the second instance's first run");
    expect(second.archived).toEqual([0]); // at NOW + 1 day + 2 min nothing else is a day old
    second.clock.advance(DAY);
    await until(() => second.archived.length === 2, "the second instance's daily run");
    expect(second.archived).toEqual([0, 1]); // the event from an hour before NOW + 1 day is now
    expect(await archivedEvents()).toBe(6);
    // No run failed (a second run beside the first would have met the archive lock).
    expect([...first.warnings, ...second.warnings].filter((line) => line.includes('archive'))).toEqual([]);
    expect(second.warnings).toEqual([expect.stringContaining('this one stands by')]);
    await second.stop();
  });
});
