import pg from 'pg';

/** One row appended to the log, and which instance's connection inserted it, when (DB clock, epoch ms). */
export interface EventWrite {
  position: number;
  customerId: string;
  /** The inserting session's application_name: each chaos instance runs with PGAPPNAME set to its id. */
  writer: string;
  insertedAt: number;
}

/**
 * Test instrumentation on the world's database (never the product's schema): a trigger that notes,
 * for each row inserted into `events`, the inserting session's application_name. The event store's
 * pool sets none, so a process's PGAPPNAME names it; that tells which instance committed what.
 */
export async function traceEventWriters(databaseUrl: string): Promise<void> {
  await withClient(databaseUrl, async (client) => {
    await client.query(
      `CREATE TABLE IF NOT EXISTS "chaos_event_writers" ("position" bigint PRIMARY KEY,
         "customer_id" text NOT NULL, "writer" text NOT NULL, "inserted_at" bigint NOT NULL)`,
    );
    await client.query(
      `CREATE OR REPLACE FUNCTION "chaos_note_writer"() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         INSERT INTO "chaos_event_writers" VALUES (NEW."position", NEW."customer_id",
           current_setting('application_name'), (extract(epoch FROM clock_timestamp()) * 1000)::bigint);
         RETURN NULL;
       END $$`,
    );
    await client.query('DROP TRIGGER IF EXISTS "chaos_note_writer" ON "events"');
    await client.query(
      'CREATE TRIGGER "chaos_note_writer" AFTER INSERT ON "events" FOR EACH ROW EXECUTE FUNCTION "chaos_note_writer"()',
    );
  });
}

/** Every committed row's writer, in log order. */
export async function eventWrites(databaseUrl: string): Promise<EventWrite[]> {
  return withClient(databaseUrl, async (client) => {
    const { rows } = await client.query<{
      position: string;
      customer_id: string;
      writer: string;
      inserted_at: string;
    }>('SELECT * FROM "chaos_event_writers" ORDER BY "position"');
    return rows.map((row) => ({
      position: Number(row.position),
      customerId: row.customer_id,
      writer: row.writer,
      insertedAt: Number(row.inserted_at),
    }));
  });
}

/**
 * Sessions of `writer` that sit in an open transaction, and how many sessions wait on a lock: a
 * frozen process that stopped mid-append keeps its locks (evidence for the report).
 */
export async function openTransactions(
  databaseUrl: string,
  writer: string,
): Promise<{ idleInTransaction: number; waitingOnLocks: number }> {
  return withClient(databaseUrl, async (client) => {
    const { rows } = await client.query<{ idle: string; waiting: string }>(
      `SELECT count(*) FILTER (WHERE "application_name" = $1 AND "state" = 'idle in transaction') AS "idle",
              count(*) FILTER (WHERE "wait_event_type" = 'Lock') AS "waiting"
       FROM pg_stat_activity WHERE "datname" = current_database()`,
      [writer],
    );
    return { idleInTransaction: Number(rows[0]?.idle ?? 0), waitingOnLocks: Number(rows[0]?.waiting ?? 0) };
  });
}

async function withClient<T>(databaseUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: databaseUrl, application_name: 'chaos-test' });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** What the database showed of each session, one line each (evidence while an instance is frozen). */
export async function sessions(databaseUrl: string): Promise<string[]> {
  return withClient(databaseUrl, async (client) => {
    const { rows } = await client.query<{ line: string }>(
      `SELECT concat_ws(' ', "application_name", "state", "wait_event_type", "wait_event",
         left(regexp_replace("query", '\\s+', ' ', 'g'), 60)) AS "line"
       FROM pg_stat_activity WHERE "datname" = current_database() AND "pid" <> pg_backend_pid()
         AND ("state" <> 'idle' OR "wait_event_type" = 'Lock') ORDER BY 1`,
    );
    return rows.map((row) => row.line);
  });
}

/**
 * Watches every instance's heartbeat row (written at the start of each ownership turn, every
 * lease/3) and keeps the longest gap per instance: a gap near the lease means it lapsed.
 */
export function watchHeartbeats(
  databaseUrl: string,
  namespace: string,
): { stop(): Promise<Map<string, number>> } {
  const last = new Map<string, number>();
  const longest = new Map<string, number>();
  let running = true;
  const loop = (async () => {
    let client: pg.Client | null = null;
    while (running) {
      try {
        if (client === null) {
          client = new pg.Client({ connectionString: databaseUrl, application_name: 'chaos-test' });
          client.on('error', () => undefined);
          await client.connect();
        }
        const { rows } = await client.query<{ instance_id: string; renewed_at: string }>(
          'SELECT "instance_id", "renewed_at" FROM "cluster_instances" WHERE "namespace" = $1',
          [namespace],
        );
        for (const row of rows) {
          const at = Number(row.renewed_at);
          const before = last.get(row.instance_id);
          if (before !== undefined && at > before) {
            longest.set(row.instance_id, Math.max(longest.get(row.instance_id) ?? 0, at - before));
          }
          last.set(row.instance_id, at);
        }
      } catch {
        // PostgreSQL stopped by the scenario: a new connection once it is back, and the gap shows
        await client?.end().catch(() => undefined);
        client = null;
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    await client?.end().catch(() => undefined);
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return longest;
    },
  };
}
