import type { DataSource } from 'typeorm';
import type { Clock } from '../runtime/clock.js';
import { parseStoredState } from './entities/customer-status.entity.js';
import type { WorkLock } from './serial-lock.js';
import { chunksFor, type SqlDialect } from './sql-dialect.js';
import type { ArchiveCheckpoint, ArchiveChunk, ArchiveProgress } from './store-types.js';

const PROGRESS_NAME = 'events';

interface CheckpointRow {
  customer_id: string;
  version: number | string;
  position: number | string;
  state: string;
  chain: string;
  at: number | string;
}

/**
 * The database's side of the archive: per-customer checkpoints, how far the log was archived, and
 * the one transaction that deletes archived events and moves the checkpoints forward.
 */
export class ArchiveState {
  constructor(
    private readonly dataSource: DataSource,
    private readonly dialect: SqlDialect,
    private readonly lock: WorkLock,
    private readonly clock: Clock,
  ) {}

  async progress(): Promise<ArchiveProgress> {
    const rows = await this.lock.run(() =>
      this.dataSource.query<Array<Record<string, number | string>>>(
        `SELECT "through_position", "events", "last_at" FROM "archive_progress" WHERE "name" = ${this.dialect.list(1)}`,
        [PROGRESS_NAME],
      ),
    );
    const row = rows[0];
    return row === undefined
      ? { throughPosition: 0, events: 0, lastAt: 0 }
      : {
          throughPosition: Number(row.through_position),
          events: Number(row.events),
          lastAt: Number(row.last_at),
        };
  }

  /** Every checkpoint (or one customer's), keyed by customerId. */
  async checkpoints(customerId?: string): Promise<Map<string, ArchiveCheckpoint>> {
    const where = customerId === undefined ? '' : ` WHERE "customer_id" = ${this.dialect.list(1)}`;
    const rows = await this.lock.run(() =>
      this.dataSource.query<CheckpointRow[]>(
        `SELECT "customer_id", "version", "position", "state", "chain", "at" FROM "archive_checkpoints"${where}`,
        customerId === undefined ? [] : [customerId],
      ),
    );
    return new Map(
      rows.map((row) => [
        row.customer_id,
        {
          customerId: row.customer_id,
          version: Number(row.version),
          position: Number(row.position),
          state: parseStoredState(row.state),
          chain: row.chain,
          at: Number(row.at),
        },
      ]),
    );
  }

  /** The first position after `afterPosition` recorded at or after `at`; null when there is none. */
  async firstPositionFrom(at: number, afterPosition: number): Promise<number | null> {
    const rows = await this.lock.run(() =>
      this.dataSource.query<Array<{ first: number | string | null }>>(
        `SELECT MIN("position") AS "first" FROM "events" WHERE "recorded_at" >= ${this.dialect.list(1)} AND "position" > ${this.dialect.list(1, 1)}`,
        [at, afterPosition],
      ),
    );
    const first = rows[0]?.first;
    return first === null || first === undefined ? null : Number(first);
  }

  /**
   * The archive lines (libs/archive/archive-line.ts: `[position,customerId,version,type,schemaVersion,at,data]`)
   * of up to `limit` events in (afterPosition, throughPosition], joined by newlines, as ONE value
   * built by PostgreSQL; null on SQLite (the archiver encodes rows itself there). Read as rows,
   * pg's parsing of 7 columns a row and the encoding after it were a third of H9's CPU; one text
   * value is a single copy. `to_json` escapes a string exactly as JSON.stringify does, so the
   * lines are the same bytes either way; a line never holds a newline (JSON escapes it).
   */
  async lines(afterPosition: number, throughPosition: number, limit: number): Promise<string | null> {
    if (this.dataSource.options.type !== 'postgres') {
      return null;
    }
    const rows = await this.lock.run(() =>
      this.dataSource.query<Array<{ text: string | null }>>(
        `SELECT string_agg("line", E'\\n' ORDER BY "position") AS "text" FROM (
           SELECT "position", '[' || "position" || ',' || to_json("customer_id") || ',' || "version" || ','
             || to_json("type") || ',' || "schema_version" || ',' || "recorded_at" || ',' || to_json("data") || ']' AS "line"
           FROM "events" WHERE "position" > $1 AND "position" <= $2 ORDER BY "position" LIMIT $3
         ) AS "page"`,
        [afterPosition, throughPosition, limit],
      ),
    );
    return rows[0]?.text ?? '';
  }

  /** Events stored in the database (a metric: what archiving keeps bounded). */
  async countEvents(): Promise<number> {
    const rows = await this.lock.run(() =>
      this.dataSource.query<Array<{ count: number | string }>>('SELECT COUNT(*) AS "count" FROM "events"'),
    );
    return Number(rows[0]?.count ?? 0);
  }

  /**
   * Deletes the chunk's events and writes its checkpoints and the progress in ONE transaction, so
   * the database never holds a customer's checkpoint without the deletion or the reverse. No
   * commit-order lock: nothing is inserted into `events`, and the rows deleted are older than any
   * an append touches.
   */
  async commit(chunk: ArchiveChunk): Promise<void> {
    const now = this.clock.now();
    await this.lock.run(() =>
      this.dialect.writeTransaction(async (manager) => {
        await manager.query(
          `DELETE FROM "events" WHERE "position" > ${this.dialect.list(1)} AND "position" <= ${this.dialect.list(1, 1)}`,
          [chunk.afterPosition, chunk.throughPosition],
        );
        for (const part of chunksFor(chunk.checkpoints, 6)) {
          await manager.query(
            `INSERT INTO "archive_checkpoints" ("customer_id", "version", "position", "state", "chain", "at")
             VALUES ${this.dialect.rows(part.length, 6)} ON CONFLICT ("customer_id") DO UPDATE SET
             "version" = excluded."version", "position" = excluded."position", "state" = excluded."state",
             "chain" = excluded."chain", "at" = excluded."at"`,
            part.flatMap((c) => [
              c.customerId,
              c.version,
              c.position,
              JSON.stringify(c.state),
              c.chain,
              c.at,
            ]),
          );
        }
        await manager.query(
          `INSERT INTO "archive_progress" ("name", "through_position", "events", "last_at", "updated_at")
           VALUES (${this.dialect.list(5)}) ON CONFLICT ("name") DO UPDATE SET
           "through_position" = excluded."through_position",
           "events" = "archive_progress"."events" + excluded."events",
           "last_at" = CASE WHEN excluded."last_at" > "archive_progress"."last_at" THEN excluded."last_at" ELSE "archive_progress"."last_at" END,
           "updated_at" = excluded."updated_at"`,
          [PROGRESS_NAME, chunk.throughPosition, chunk.events, chunk.lastAt, now],
        );
      }),
    );
  }
}
