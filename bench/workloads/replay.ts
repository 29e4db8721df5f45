/**
 * H7: `hookpost replay --verify` over a log of 1,000,000 events (1,000 customers x 1,000 events:
 * a WebhookConfigured, then deliveries with a failure and its retry every 50th). The log is
 * written straight into PostgreSQL (unnest inserts), the projection rows from the same fold that
 * replay runs, so verify must find no difference.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import {
  evolve,
  initialState,
  queueState,
  type CustomerQueueEvent,
  type CustomerQueueState,
} from '../../libs/domain/index.js';
import { createTestDatabase } from '../../test/support/postgres.js';
import { runCli } from '../../test/support/run-cli.js';
import { figure, type BenchContext, type Figure } from '../support/figures.js';
import { nowMs } from '../support/stats.js';
import { BENCH_SECRET, seedCustomers } from '../support/world.js';

export const KEY = Buffer.alloc(32, 7).toString('hex');
const INSERT_ROWS = 20_000;

/** Runs the built CLI and times it, start-up included. */
export async function timedCli(args: string[], env: Record<string, string>) {
  const started = nowMs();
  const run = await runCli(args, env, 600_000);
  return { ...run, ms: nowMs() - started };
}

/** The events after WebhookConfigured for one customer: deliveries, a failure and retry every 50th. */
function deliveries(count: number, firstAt: number): CustomerQueueEvent[] {
  const events: CustomerQueueEvent[] = [];
  let id = 1;
  let at = firstAt;
  while (events.length < count) {
    at += 10;
    if (events.length % 50 === 49 && events.length + 1 < count) {
      events.push({
        type: 'DeliveryFailed',
        at,
        data: {
          firstId: id,
          lastId: id,
          count: 1,
          attempt: 1,
          event: 'CHECK_COMPLETED',
          statusCode: 503,
          error: 'HTTP 503: unavailable',
          durationMs: 4,
        },
      });
      at += 30_000;
    }
    events.push({
      type: 'DeliverySucceeded',
      at,
      data: { firstId: id, lastId: id, count: 1, statusCode: 200, durationMs: 3 },
    });
    id++;
  }
  return events.slice(0, count);
}

/**
 * Writes `customers` x `perCustomer` events and matching projection rows. With `spacingMs`, each
 * customer starts that long after the one before, so time grows with position (H9 archives a prefix).
 */
export async function writeLog(
  databaseUrl: string,
  customers: number,
  perCustomer: number,
  spacingMs = 0,
): Promise<number> {
  const ids = Array.from({ length: customers }, (_, i) => `h7c${i}`);
  const configuredAt = Date.now() - 86_400_000 - customers * spacingMs;
  await seedCustomers(
    databaseUrl,
    KEY,
    ids.map((id) => ({ id, url: `http://127.0.0.1:9/${id}`, batching: false })),
    configuredAt,
  );
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const columns: [string[], number[], string[], string[], number[]] = [[], [], [], [], []];
    let written = customers;
    const flush = async () => {
      if (columns[0].length === 0) {
        return;
      }
      await client.query(
        `INSERT INTO "events" ("customer_id", "version", "type", "data", "recorded_at")
         SELECT * FROM unnest($1::text[], $2::int[], $3::text[], $4::text[], $5::bigint[])`,
        columns,
      );
      written += columns[0].length;
      columns.forEach((column) => (column.length = 0));
    };
    for (const [customerIndex, customerId] of ids.entries()) {
      const events = deliveries(perCustomer - 1, configuredAt + customerIndex * spacingMs);
      let state: CustomerQueueState = evolve(initialState(), {
        type: 'WebhookConfigured',
        at: configuredAt,
        data: {
          settings: {
            url: `http://127.0.0.1:9/${customerId}`,
            enabled: true,
            batching: false,
            events: null,
            authorizationHeader: true,
            acceptAny2xx: false,
            region: null,
            secretLast4: BENCH_SECRET.slice(-4),
          },
        },
      });
      events.forEach((event, index) => {
        columns[0].push(customerId);
        columns[1].push(index + 2);
        columns[2].push(event.type);
        columns[3].push(JSON.stringify(event.data));
        columns[4].push(event.at);
        state = evolve(state, event);
      });
      await client.query(
        `UPDATE "customer_status" SET "version" = $2, "state" = $3, "pending" = 0, "queue" = $4,
           "next_attempt_at" = NULL WHERE "customer_id" = $1`,
        [customerId, perCustomer, JSON.stringify(state), queueState(state, 0)],
      );
      if (columns[0].length >= INSERT_ROWS) {
        await flush();
      }
    }
    await flush();
    await client.query('ANALYZE "events"');
    return written;
  } finally {
    await client.end();
  }
}

export async function measureH7(ctx: BenchContext): Promise<Figure[]> {
  const label = 'hookpost replay --verify over the event log (PostgreSQL)';
  const help = await timedCli(['replay', '--help'], {});
  if (help.code !== 0 || !help.stdout.includes('--verify')) {
    return [
      figure({
        name: 'H7',
        label,
        unit: 'events/s',
        samples: [],
        goal: { op: '>=', value: 50_000 },
        notMeasured: '`hookpost replay --verify` does not exist in this build yet',
      }),
    ];
  }
  const perCustomer = 1_000;
  const customers = ctx.quick ? 200 : 1_000;
  const db = await createTestDatabase();
  const dataDir = await mkdtemp(join(tmpdir(), 'hookpost-bench-replay-'));
  const samples: number[] = [];
  let note: string;
  try {
    let started = nowMs();
    const total = await writeLog(db.url, customers, perCustomer);
    ctx.log(`H7: wrote ${total} events in ${((nowMs() - started) / 1000).toFixed(1)} s`);
    const env = {
      DATABASE_URL: db.url,
      HOOKPOST_DATA_DIR: dataDir,
      HOOKPOST_ENCRYPTION_KEY: KEY,
      HOOKPOST_ADMIN_TOKEN: 'bench',
    };
    const empty = await timedCli(['--version'], env); // Node's start-up, subtracted below
    for (let run = 0; run < Math.min(ctx.runs, 3); run++) {
      started = nowMs();
      const result = await timedCli(['replay', '--verify', '--json'], env);
      if (result.code !== 0) {
        throw new Error(
          `replay --verify exited ${result.code}: ${result.stderr}\n${result.stdout.slice(0, 2_000)}`,
        );
      }
      samples.push((total / result.ms) * 1000);
      ctx.log(
        `H7 run ${run + 1}: ${total} events in ${(result.ms / 1000).toFixed(2)} s: ${samples.at(-1)?.toFixed(0)} events/s`,
      );
    }
    note = `${total.toLocaleString('en')} events, ${customers} customers; whole command including Node start-up (${Math.round(empty.ms)} ms for --version)`;
  } finally {
    await db.drop().catch(() => undefined);
    await rm(dataDir, { recursive: true, force: true });
  }
  return [figure({ name: 'H7', label, unit: 'events/s', samples, goal: { op: '>=', value: 50_000 }, note })];
}
