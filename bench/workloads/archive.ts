/**
 * H9: `hookpost archive` over H7's log of 1,000,000 events (1,000 customers x 1,000 events), with
 * each customer's events later than the one before so that 90% of them fall before the cutoff:
 * the archive rate, the size of `events` (with its indexes) before and after, and H7's
 * `replay --verify` over what is left, starting from the checkpoints, with every archive file
 * checked too (so it folds all 1,000,000 events). The machine's load average is in each note:
 * the figures move with it on a shared machine.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createTestDatabase } from '../../test/support/postgres.js';
import { figure, type BenchContext, type Figure } from '../support/figures.js';
import { KEY, timedCli, writeLog } from './replay.js';

/** Longer than one customer's 1,000 events take (~610 s with its failures and retries). */
const CUSTOMER_SPACING_MS = 700_000;

/** `events` with its indexes and TOAST (after a plain VACUUM when asked: the size before). */
async function eventsBytes(databaseUrl: string, vacuum: boolean): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    if (vacuum) {
      await client.query('VACUUM "events"');
    }
    const { rows } = await client.query<{ size: string }>(`SELECT pg_total_relation_size('events') AS size`);
    return Number(rows[0]?.size);
  } finally {
    await client.end();
  }
}

/** The archive's own rate: the report's time less the compaction's (which H9 size measures). */
function withoutCompaction(report: {
  events: number;
  elapsedMs: number;
  phasesMs: Record<string, number>;
}): number {
  const ms = report.elapsedMs - (report.phasesMs.compact ?? 0);
  return ms > 0 ? Math.round((report.events / ms) * 1000) : 0;
}

export async function measureH9(ctx: BenchContext): Promise<Figure[]> {
  const customers = ctx.quick ? 200 : 1_000;
  const db = await createTestDatabase();
  const dataDir = await mkdtemp(join(tmpdir(), 'hookpost-bench-archive-'));
  const env = {
    DATABASE_URL: db.url,
    HOOKPOST_DATA_DIR: dataDir,
    HOOKPOST_ENCRYPTION_KEY: KEY,
    HOOKPOST_EVENTS_FEED: 'false', // no relay runs here: nothing to wait for
  };
  try {
    const total = await writeLog(db.url, customers, 1_000, CUSTOMER_SPACING_MS);
    const before = await eventsBytes(db.url, true);
    const firstAt = Date.now() - 86_400_000 - customers * CUSTOMER_SPACING_MS;
    const cutoff = firstAt + Math.round(customers * 0.9) * CUSTOMER_SPACING_MS;
    const load = () =>
      `load ${loadavg()
        .map((figure) => figure.toFixed(2))
        .join(' ')}`;
    const archiveLoad = load();
    const run = await timedCli(['archive', '--before', new Date(cutoff).toISOString(), '--json'], env);
    if (run.code !== 0) {
      throw new Error(`archive exited ${run.code}: ${run.stderr}`);
    }
    const report = JSON.parse(run.stdout) as {
      events: number;
      files: string[];
      elapsedMs: number;
      eventsPerSecond: number;
      phasesMs: Record<string, number>;
      compaction: { movedRows: number; reindexed: boolean } | null;
    };
    ctx.log(
      `H9: archived ${report.events} of ${total} events into ${report.files.length} files in ${(run.ms / 1000).toFixed(2)} s (${report.eventsPerSecond} events/s inside the command; ms per phase, overlapping: ${JSON.stringify(report.phasesMs)}; ${archiveLoad})`,
    );
    const after = await eventsBytes(db.url, false); // as the archive's own compaction left it
    const verifyLoad = load();
    const verify = await timedCli(['replay', '--verify', '--json'], env);
    if (verify.code !== 0) {
      throw new Error(
        `replay --verify exited ${verify.code}: ${verify.stderr}\n${verify.stdout.slice(0, 2_000)}`,
      );
    }
    const left = total - report.events;
    const verified = JSON.parse(verify.stdout) as { archive: { events: number } | null };
    const checked = left + (verified.archive?.events ?? 0);
    const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`;
    return [
      figure({
        name: 'H9',
        label: 'hookpost archive: events moved out of PostgreSQL per second (whole command)',
        unit: 'events/s',
        samples: [(report.events / run.ms) * 1000],
        goal: { op: '>=', value: 100_000 },
        note: `${report.events.toLocaleString('en')} of ${total.toLocaleString('en')} events into ${report.files.length} files; ${report.eventsPerSecond.toLocaleString('en')} events/s without Node's start-up, ${withoutCompaction(report).toLocaleString('en')} without it and the compaction; ${archiveLoad}`,
      }),
      figure({
        name: 'H9 size',
        label: '`events` size after archiving 90%, as a share of before (the archive compacts online)',
        unit: '%',
        samples: [(after / before) * 100],
        goal: { op: '<=', value: 15 },
        note: `before ${mb(before)}, after ${mb(after)}: ${report.compaction?.movedRows.toLocaleString('en') ?? 'no'} rows moved into the freed space, the empty end cut off${report.compaction?.reindexed ? ', the indexes rebuilt concurrently' : ''} (${((report.phasesMs.compact ?? 0) / 1000).toFixed(2)} s of the command; no lock that holds appends up)`,
      }),
      figure({
        name: 'H9 verify',
        label:
          'replay --verify from the checkpoints, every archive file checked too: events folded per second',
        unit: 'events/s',
        samples: [(checked / verify.ms) * 1000],
        note: `${left.toLocaleString('en')} events left in the database and ${(checked - left).toLocaleString('en')} in the archive files, in ${(verify.ms / 1000).toFixed(2)} s, whole command; ${verifyLoad}`,
      }),
    ];
  } finally {
    await db.drop().catch(() => undefined);
    await rm(dataDir, { recursive: true, force: true });
  }
}
