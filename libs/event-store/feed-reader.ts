import type { DataSource } from 'typeorm';
import type { Clock } from '../runtime/clock.js';
import type { WorkLock } from './serial-lock.js';
import type { FeedCursor, FeedEvent, FeedPage } from './store-types.js';

const COLUMNS = `"position", "customer_id" AS "customerId", "version", "type", "data",
  "recorded_at" AS "at", "schema_version" AS "schemaVersion", "txid"`;

/**
 * The oldest transaction id that may still add events to this database: the least of the ids the
 * statement's own snapshot lists as running (`pg_current_snapshot()` is the active snapshot, the
 * one the statement reads with), or its xmax when none is. Every transaction below it has committed,
 * and its rows are visible to the same statement, or rolled back.
 *
 * Transaction ids are server-wide, so a transaction open in another database on the same server
 * would hold this feed back too. A running id is left out only when pg_stat_activity shows it
 * belongs to a session of another database (a session writes to its own database only). An id it
 * cannot place (the session just ended, a subtransaction, a prepared transaction, a role that may
 * not see other sessions' transaction ids) stays in, which is always safe, only slower.
 */
const HORIZON = `(SELECT COALESCE(MIN(x::text::bigint), pg_snapshot_xmax(pg_current_snapshot())::text::bigint)
  FROM pg_snapshot_xip(pg_current_snapshot()) x
  WHERE NOT EXISTS (SELECT 1 FROM pg_stat_activity a
    WHERE a.backend_xid = x::xid AND a.datname IS NOT NULL AND a.datname <> current_database()))`;

/** How often settledPosition looks again, and for how long at most (default). */
const SETTLE_POLL_MS = 5;
const SETTLE_TIMEOUT_MS = 30_000;

/** Most events the backlog counts (a metric: it must stay cheap when the feed is far behind). */
export const BACKLOG_COUNT_LIMIT = 1_000_000;

type Row = Record<string, string | number | boolean | null>;

/**
 * The log as the outbound feed and the archive see it without a global commit lock.
 *
 * PostgreSQL hands out positions before commit, so a transaction that took position 101 can commit
 * after one that took 102. The feed therefore goes in (txid, position) order and reads only events
 * of transactions older than every one still open: that set never grows again, so a cursor in it
 * never passes an event that commits later. SQLite has one writer at a time, so positions commit in
 * order and everything here reads by position.
 */
export class FeedReader {
  constructor(
    private readonly dataSource: DataSource,
    private readonly postgres: boolean,
    private readonly lock: WorkLock,
    private readonly clock: Clock,
  ) {}

  /** Up to `limit` events after `after`, in feed order, none of a transaction an open one precedes. */
  async readFeed(after: FeedCursor, limit: number): Promise<FeedPage> {
    if (!this.postgres) {
      const rows = await this.query(
        `SELECT ${COLUMNS} FROM "events" WHERE "position" > ? ORDER BY "position" LIMIT ?`,
        [after.position, limit],
      );
      return { events: rows.map(toFeedEvent), held: false };
    }
    // One statement, so the horizon and the rows come from one snapshot. `newest` (the index's
    // last entry) says whether committed events wait behind an open transaction.
    const rows = await this.query(
      `SELECT h."horizon", (SELECT MAX("txid") FROM "events") AS "newest", p.*
       FROM (SELECT ${HORIZON} AS "horizon") h
       LEFT JOIN LATERAL (
         SELECT ${COLUMNS} FROM "events"
         WHERE ("txid", "position") > ($1, $2) AND "txid" < h."horizon"
         ORDER BY "txid", "position" LIMIT $3
       ) p ON true`,
      [after.txid, after.position, limit],
    );
    const first = rows[0];
    const held = first?.newest !== null && Number(first?.newest) >= Number(first?.horizon);
    return { events: rows.filter((row) => row.position !== null).map(toFeedEvent), held };
  }

  /** The event at `position` with its transaction id; null when there is none. */
  async eventAt(position: number): Promise<FeedEvent | null> {
    const rows = await this.query(
      `SELECT ${COLUMNS} FROM "events" WHERE "position" = ${this.postgres ? '$1' : '?'}`,
      [position],
    );
    const row = rows[0];
    return row === undefined ? null : toFeedEvent(row);
  }

  /**
   * A position at or below which no event can commit any more: the last one committed now, once
   * every transaction running now has ended. Sound because each append takes its transaction id
   * before any position (dialect.takeTransactionId): every position up to that last one was taken
   * before this snapshot, by a transaction it lists as running or that had ended. Waits as long as
   * the oldest of them stays open (normally milliseconds), and throws after `timeoutMs`.
   */
  async settledPosition(timeoutMs = SETTLE_TIMEOUT_MS): Promise<number> {
    if (!this.postgres) {
      const [row] = await this.query('SELECT MAX("position") AS "last" FROM "events"');
      return Number(row?.last ?? 0);
    }
    const [row] = await this.query(
      `SELECT MAX("position") AS "last", pg_snapshot_xmax(pg_current_snapshot())::text::bigint AS "xmax" FROM "events"`,
    );
    const deadline = this.clock.now() + timeoutMs;
    for (;;) {
      const [now] = await this.query(`SELECT ${HORIZON} >= $1 AS "ended"`, [row?.xmax]);
      if (now?.ended === true) {
        return Number(row?.last ?? 0);
      }
      if (this.clock.now() >= deadline) {
        throw new Error(
          `a database transaction has been open for more than ${timeoutMs} ms (pg_stat_activity names it): events it may still commit cannot be passed`,
        );
      }
      await new Promise<void>((resolve) => this.clock.setTimer(resolve, SETTLE_POLL_MS));
    }
  }

  /**
   * The longest prefix of the log, in position order, that a feed at `cursor` has wholly sent:
   * every event at or below the result has committed and is at or before the cursor.
   */
  async sentThrough(cursor: FeedCursor): Promise<number> {
    const settled = await this.settledPosition();
    const [row] = this.postgres
      ? await this.query(
          'SELECT MIN("position") AS "first" FROM "events" WHERE ("txid", "position") > ($1, $2) AND "position" <= $3',
          [cursor.txid, cursor.position, settled],
        )
      : await this.query(
          'SELECT MIN("position") AS "first" FROM "events" WHERE "position" > ? AND "position" <= ?',
          [cursor.position, settled],
        );
    const first = row?.first;
    return first === null || first === undefined ? settled : Number(first) - 1;
  }

  /** Events committed after `cursor` (counted up to BACKLOG_COUNT_LIMIT). */
  async backlog(cursor: FeedCursor): Promise<number> {
    const [row] = this.postgres
      ? await this.query(
          `SELECT COUNT(*) AS "count" FROM (SELECT 1 FROM "events" WHERE ("txid", "position") > ($1, $2) LIMIT ${BACKLOG_COUNT_LIMIT}) t`,
          [cursor.txid, cursor.position],
        )
      : await this.query(
          `SELECT COUNT(*) AS "count" FROM (SELECT 1 FROM "events" WHERE "position" > ? LIMIT ${BACKLOG_COUNT_LIMIT}) t`,
          [cursor.position],
        );
    return Number(row?.count ?? 0);
  }

  private query(sql: string, params: unknown[] = []): Promise<Row[]> {
    return this.lock.run(() => this.dataSource.query<Row[]>(sql, params));
  }
}

// pg returns BIGINT as a string; positions, times and transaction ids stay below 2^53.
function toFeedEvent(row: Row): FeedEvent {
  return {
    position: Number(row.position),
    customerId: String(row.customerId),
    version: Number(row.version),
    type: String(row.type),
    data: String(row.data),
    at: Number(row.at),
    schemaVersion: Number(row.schemaVersion),
    txid: Number(row.txid),
  };
}
