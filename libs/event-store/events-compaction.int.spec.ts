import pg from 'pg';
import { configured, succeeded, T0 } from '../domain/spec-support.js';
import type { EventStore } from './event-store.js';
import { postgresBackend, recordEach, sqliteBackend, type Backend } from './store-spec-support.js';

/** Events written straight into the table: enough pages (about 650) for the tail moves to matter. */
const EVENTS = 30_000;
/** The oldest nine tenths go, as an archive of 90 % deletes them. */
const DELETED = 27_000;

describe('compacting events on postgres', () => {
  let backend: Backend;
  let store: EventStore;
  let client: pg.Client;

  beforeEach(async () => {
    backend = await postgresBackend();
    store = await backend.open();
    const [{ url } = { url: '' }] = (await backend.query('SELECT current_database() AS url')) as Array<{
      url: string;
    }>;
    client = new pg.Client({ database: url, host: '127.0.0.1', user: 'postgres' });
    await client.connect();
    await client.query(
      `INSERT INTO "events" ("customer_id", "version", "type", "data", "recorded_at", "schema_version")
       SELECT 'bulk-' || (n % 100), n / 100 + 1, 'DeliverySucceeded', repeat('x', 200) || n, n, 1
       FROM generate_series(0, ${EVENTS - 1}) AS n`,
    );
    await client.query(`DELETE FROM "events" WHERE "position" <= ${DELETED}`);
  });

  afterEach(async () => {
    await client.end();
    await store.close();
    await backend.dispose();
  });

  /** Every row as it reads, in position order. */
  const rows = async () =>
    (
      await client.query<Record<string, string>>(
        `SELECT "position", "customer_id", "version", "type", "data", "recorded_at", "schema_version", "txid"
         FROM "events" ORDER BY "position"`,
      )
    ).rows;
  const totalBytes = async () =>
    Number((await client.query(`SELECT pg_total_relation_size('events') AS n`)).rows[0].n);

  test('gives the deleted rows space back: the table and its indexes shrink, every row left reads as before', async () => {
    const before = await rows();
    const bytes = await totalBytes();
    const report = await store.compactEvents('auto');
    expect(report).not.toBeNull();
    expect(report!.bytesBefore).toBe(bytes);
    // The deleted 90 % no longer takes room: what is left is about a tenth, indexes included.
    expect(report!.bytesAfter).toBeLessThan(bytes * 0.25);
    expect(await totalBytes()).toBe(report!.bytesAfter);
    expect(report!.movedRows).toBeGreaterThan(0);
    expect(report!.reindexed).toBe(true);
    expect(await rows()).toEqual(before); // positions, txids, bodies: nothing changed
  });

  test('appends go on while it runs, and every one of them stays', async () => {
    let compacting = true;
    let appended = 0;
    const appending = (async () => {
      await recordEach(store, 'live', [configured({}, T0)]);
      appended = 1;
      while (compacting) {
        await recordEach(store, 'live', [succeeded(appended, appended, T0 + appended)]);
        appended += 1;
      }
    })();
    const compaction = store.compactEvents('always');
    const report = await compaction.finally(() => (compacting = false));
    await appending;
    expect(report!.movedRows).toBeGreaterThan(0);
    // Appends were not held up for the whole compaction: several went in while it ran.
    expect(appended).toBeGreaterThan(5);
    const live = await client.query<{ version: number }>(
      `SELECT "version" FROM "events" WHERE "customer_id" = 'live' ORDER BY "version"`,
    );
    expect(live.rows.map((row) => row.version)).toEqual(Array.from({ length: appended }, (_, i) => i + 1));
    expect(Number((await client.query('SELECT COUNT(*) AS n FROM "events"')).rows[0].n)).toBe(
      EVENTS - DELETED + appended,
    );
  });

  test('drops the invalid index a killed rebuild left behind', async () => {
    // A concurrent build that fails leaves its index invalid, as a killed REINDEX CONCURRENTLY does.
    await expect(
      client.query('CREATE UNIQUE INDEX CONCURRENTLY "events_pkey_ccnew" ON "events" ("type")'),
    ).rejects.toThrow();
    const invalid = `SELECT COUNT(*) AS n FROM pg_index WHERE indrelid = 'events'::regclass AND NOT indisvalid`;
    expect(Number((await client.query(invalid)).rows[0].n)).toBe(1);
    await store.compactEvents('auto');
    expect(Number((await client.query(invalid)).rows[0].n)).toBe(0);
  });
});

test('on sqlite there is nothing to compact online: null', async () => {
  const backend = await sqliteBackend();
  const store = await backend.open();
  try {
    expect(await store.compactEvents('always')).toBeNull();
  } finally {
    await store.close();
    await backend.dispose();
  }
});
