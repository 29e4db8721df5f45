import type { DataSource } from 'typeorm';

/** What compacting `events` did. */
export interface CompactionReport {
  /** `events` with its indexes and TOAST, before and after (pg_total_relation_size). */
  readonly bytesBefore: number;
  readonly bytesAfter: number;
  /** Rows moved from the end of the table into the space the deleted rows left. */
  readonly movedRows: number;
  /** Whether the indexes were rebuilt (REINDEX CONCURRENTLY). */
  readonly reindexed: boolean;
}

/**
 * When the indexes are rebuilt: 'auto' when they take more room than the table (in a log that keeps
 * its rows they take about half as much; after most rows went they keep their size, which only a
 * rebuild gives back), 'always' on every run.
 */
export type ReindexMode = 'auto' | 'always';

/**
 * Pages emptied per round: a plain VACUUM gives a free tail back to the disk only when it is at
 * least 1,000 pages or a 16th of the table long.
 */
const ROUND_PAGES = 1_000;
/** Rows moved per transaction: each is short, and holds only those old rows. */
const MOVE_ROWS = 5_000;

/**
 * With few dead rows VACUUM skips the index pass by default and leaves their line pointers, so a
 * page that held moved rows does not count as empty and the tail is not cut off (seen with the last
 * round's 39 pages); INDEX_CLEANUP ON makes it clean them.
 */
const VACUUM = 'VACUUM (INDEX_CLEANUP ON) "events"';

type Query = <T = unknown>(sql: string, parameters?: unknown[]) => Promise<T>;

/**
 * Gives the space of deleted events back to the disk on PostgreSQL without holding appends up (the
 * archive's last step). A plain VACUUM only marks it free: the deleted rows were the oldest, at the
 * start of the file, so it does not shrink. VACUUM FULL would, under an ACCESS EXCLUSIVE lock that
 * stops every append until it ends. Instead the rows at the end of the table are moved into the free
 * space at its start, a chunk at a time: each row deleted and inserted again, whole and unchanged
 * (position, txid and all), in one transaction, so every reader sees it exactly once. An insert goes
 * where the free space map points, unlike an UPDATE, which may stay on its page. A plain VACUUM then
 * truncates the empty tail; its brief lock gives way to any append that waits for it. The indexes,
 * shrunk only by a rebuild, are rebuilt with REINDEX CONCURRENTLY, which lets appends go on.
 */
export async function compactEvents(dataSource: DataSource, mode: ReindexMode): Promise<CompactionReport> {
  const query: Query = (sql, parameters) => dataSource.query(sql, parameters);
  const bytesBefore = await totalBytes(query);
  await query(VACUUM); // the deleted rows' space goes into the free space map
  let movedRows = 0;
  for (;;) {
    const pages = await heapPages(query);
    // A 16th of the table also counts as a tail worth truncating; a table under 16 pages stays.
    const tail = Math.min(ROUND_PAGES, Math.floor(pages / 16));
    if (tail === 0) {
      break;
    }
    const from = pages - tail;
    const round = await moveTail(query, from);
    movedRows += round.moved;
    await query(VACUUM);
    // Done when nothing is left to move, or a moved row found no room before the tail.
    if (round.moved === 0 || round.full || (await heapPages(query)) >= pages) {
      break;
    }
  }
  await dropLeftoverRebuilds(query);
  const reindexed = mode === 'always' || (await indexesOutgrewTable(query));
  if (reindexed) {
    await query('REINDEX TABLE CONCURRENTLY "events"');
  }
  return { bytesBefore, bytesAfter: await totalBytes(query), movedRows, reindexed };
}

/** Moves the rows in pages `from` and after; `full` when one of them landed there again. */
async function moveTail(query: Query, from: number): Promise<{ moved: number; full: boolean }> {
  let moved = 0;
  for (;;) {
    const rows = await query<Array<{ id: string }>>(
      `SELECT ctid::text AS "id" FROM "events" WHERE ctid >= $1::tid LIMIT ${MOVE_ROWS}`,
      [`(${from},0)`],
    );
    if (rows.length === 0) {
      return { moved, full: false };
    }
    const landed = await query<Array<{ page: number }>>(
      `WITH "gone" AS (DELETE FROM "events" WHERE ctid = ANY($1::tid[]) RETURNING *)
       INSERT INTO "events" SELECT * FROM "gone" RETURNING (ctid::text::point)[0]::int AS "page"`,
      [rows.map((row) => row.id)],
    );
    moved += landed.length;
    if (landed.some((row) => row.page >= from)) {
      return { moved, full: true };
    }
  }
}

/**
 * Indexes a killed REINDEX CONCURRENTLY left behind, invalid (`<name>_ccnew`, `<name>_ccold`):
 * still written on every append, never read. The archive lock keeps any other rebuild from running.
 */
async function dropLeftoverRebuilds(query: Query): Promise<void> {
  const leftovers = await query<Array<{ name: string }>>(
    `SELECT c.relname AS "name" FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
     WHERE i.indrelid = '"events"'::regclass AND NOT i.indisvalid AND c.relname ~ '_cc(new|old)[0-9]*$'`,
  );
  for (const { name } of leftovers) {
    await query(`DROP INDEX CONCURRENTLY IF EXISTS "${name.replaceAll('"', '""')}"`);
  }
}

async function heapPages(query: Query): Promise<number> {
  const [row] = await query<Array<{ pages: string }>>(
    `SELECT pg_relation_size('"events"') / current_setting('block_size')::int AS "pages"`,
  );
  return Number(row?.pages ?? 0);
}

async function indexesOutgrewTable(query: Query): Promise<boolean> {
  const [row] = await query<Array<{ outgrew: boolean }>>(
    `SELECT pg_indexes_size('"events"') > pg_relation_size('"events"') AS "outgrew"`,
  );
  return row?.outgrew ?? false;
}

async function totalBytes(query: Query): Promise<number> {
  const [row] = await query<Array<{ bytes: string }>>(`SELECT pg_total_relation_size('"events"') AS "bytes"`);
  return Number(row?.bytes ?? 0);
}
