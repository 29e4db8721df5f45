import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { partitionOf } from '../../libs/ownership/index.js';
import { idsOf } from './invariants.js';
import { LoadGenerator } from './load.js';
import { startWorld, type World } from './world.js';

const LEASE_MS = 3_000;

/**
 * The backend of `writer` sitting in an open transaction (between two statements) while holding an
 * advisory lock, the commit-order lock an append takes first; or null.
 */
async function idleInTransaction(
  db: pg.Client,
  writer: string,
): Promise<{ pid: number; xactStart: string } | null> {
  const { rows } = await db.query<{ pid: number; xact_start: string }>(
    `SELECT a."pid", a."xact_start"::text FROM pg_stat_activity a
     JOIN pg_locks l ON l."pid" = a."pid" AND l."locktype" = 'advisory' AND l."granted"
     WHERE a."application_name" = $1 AND a."state" = 'idle in transaction' LIMIT 1`,
    [writer],
  );
  const row = rows[0];
  return row === undefined ? null : { pid: row.pid, xactStart: row.xact_start };
}

/**
 * KNOWN BUG, this test fails on main (see docs/reliability.md, "A frozen instance holds up the
 * cluster"): every append transaction on PostgreSQL first takes one advisory lock for the whole
 * database (the commit-order lock, libs/event-store/sql-dialect.ts) and holds it to its commit. An
 * instance frozen mid-append (SIGSTOP, a long GC pause, a suspended VM: its TCP connection stays
 * open, so PostgreSQL never ends the session) keeps that lock, and every other instance's appends
 * wait behind it: none records an outcome, so none sends a customer's next request, until the frozen
 * one wakes. The contract says the others go on (and take the frozen one's customers within
 * 2 × HOOKPOST_LEASE_MS). Expected to pass once the commit-order lock is gone (or a frozen session is
 * cut off, e.g. by idle_in_transaction_session_timeout).
 */
describe('KNOWN BUG: an instance frozen in the middle of an append', () => {
  let world: World;
  let db: pg.Client;
  beforeAll(async () => {
    world = await startWorld({ customers: 12, instances: 2, watch: { leaseMs: LEASE_MS, holdMs: 0 } });
    db = new pg.Client({ connectionString: world.databaseUrl, application_name: 'chaos-test' });
    await db.connect();
  }, 120_000);
  afterAll(async () => {
    await db?.end();
    await world?.close();
  });

  test('the other instance keeps recording outcomes and sending requests (fails today: it waits for the frozen one)', async () => {
    const [live, frozen] = world.services as [(typeof world.services)[0], (typeof world.services)[0]];
    const load = new LoadGenerator({
      client: world.client,
      namespace: world.namespace,
      customers: world.customers,
      rate: 80,
    });
    load.start();
    try {
      // Freeze i2 between two statements of an append (its session idle in a transaction), checked after the stop.
      let caught = false;
      // Appends are short (a group transaction of a few statements): look for one for up to a minute.
      const lookUntil = Date.now() + 60_000;
      while (!caught && Date.now() < lookUntil) {
        const open = await idleInTransaction(db, 'i2');
        if (open === null) {
          continue;
        }
        frozen.pause();
        const still = await idleInTransaction(db, 'i2');
        caught = still?.pid === open.pid && still.xactStart === open.xactStart;
        if (!caught) {
          frozen.resume();
        }
      }
      expect(caught).toBe(true); // the precondition: i2 frozen inside an append, holding the lock
      const view = (await live.api('GET', '/v1/cluster')).body as {
        partitions: number;
        instances: Array<{ instanceId: string; partitions: number[] }>;
      };
      const own = new Set(view.instances.find((i) => i.instanceId === 'i1')?.partitions ?? []);
      // Without batching: the second message goes in a request of its own, after the first one's outcome.
      const customerId = world.customers.find(
        (c) => !world.batching.has(c) && own.has(partitionOf(c, view.partitions)),
      )!;
      const js = (await import('@nats-io/jetstream')).jetstream(world.client);
      const publish = async (n: number) =>
        (
          await js.publish(
            `${world.namespace}.queue.${customerId}`,
            JSON.stringify({ event: 'SENTINEL', data: { n } }),
          )
        ).seq;
      const first = await publish(1);
      const second = await publish(2); // sent only once the first one's outcome is recorded
      await world.receiver.receiver.waitFor(
        (all) => all.some((r) => idsOf(r).includes(first)) && all.some((r) => idsOf(r).includes(second)),
        2 * LEASE_MS,
      );
    } finally {
      frozen.resume();
      await load.stop();
    }
  }, 120_000);
});
