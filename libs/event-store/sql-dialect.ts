import type { DataSource, EntityManager } from 'typeorm';

/** The few places where the hand-written write path differs between PostgreSQL and SQLite. */
export interface SqlDialect {
  /** `(p, p, ...), (p, p, ...)` for a multi-row INSERT, numbering from `offset` on PostgreSQL. */
  rows(rowCount: number, columnCount: number, offset?: number): string;
  /** `p, p, ...` for an IN list. */
  list(count: number, offset?: number): string;
  /** Appended to the version SELECT: locks the status rows on PostgreSQL (SQLite locks the whole file). */
  readonly lockRows: string;
  /**
   * Appended to the fence SELECT: a key-share lock on the lease rows on PostgreSQL, so a taker's
   * `FOR UPDATE` (which bumps the epoch) waits for, or skips, the appends in flight, while a
   * renewal's plain UPDATE of the expiry does not conflict with them.
   */
  readonly shareRows: string;
  /**
   * Run first in every append transaction on PostgreSQL: gives it its transaction id before it takes
   * any position, so every position handed out before a snapshot belongs to a transaction that
   * snapshot lists as running or finished (what {@link FeedReader.settledPosition} waits on). Not a
   * lock: appends of several processes commit side by side; the feed orders them by that id.
   * SQLite has one writer at a time: positions commit in order there.
   */
  readonly takeTransactionId: string | null;
  /** True when the error is a UNIQUE / PRIMARY KEY violation (another writer took the version). */
  isUniqueViolation(error: unknown): boolean;
  /** Runs `work` in a write transaction: commits when it resolves, rolls back when it throws. */
  writeTransaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T>;
}

/** Parameters per statement stay well under PostgreSQL's 65,535 and SQLite's 32,766. */
export const MAX_PARAMETERS = 10_000;

/** The dialect of an initialised data source. */
export function sqlDialect(dataSource: DataSource): SqlDialect {
  const postgres = dataSource.options.type === 'postgres';
  const placeholder = postgres ? (index: number) => `$${index}` : () => '?';
  const list = (count: number, offset = 0) =>
    Array.from({ length: count }, (_, index) => placeholder(offset + index + 1)).join(', ');
  return {
    rows: (rowCount, columnCount, offset = 0) =>
      Array.from({ length: rowCount }, (_, row) => `(${list(columnCount, offset + row * columnCount)})`).join(
        ', ',
      ),
    list,
    lockRows: postgres ? ' FOR UPDATE' : '',
    shareRows: postgres ? ' FOR KEY SHARE' : '',
    takeTransactionId: postgres ? 'SELECT pg_current_xact_id()' : null,
    isUniqueViolation: (error) => {
      const code = driverErrorCode(error);
      return (
        code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
      );
    },
    writeTransaction: postgres
      ? (work) => dataSource.transaction(work)
      : (work) => sqliteImmediateTransaction(dataSource, work),
  };
}

/**
 * TypeORM begins SQLite transactions DEFERRED: a second process that read before our commit then
 * fails its write with SQLITE_BUSY at once. IMMEDIATE takes the write lock first (waiting up to
 * busy_timeout), so the version SELECT sees every commit. Safe by hand because the caller holds
 * the SerialLock, so nothing else uses the single connection meanwhile.
 */
async function sqliteImmediateTransaction<T>(
  dataSource: DataSource,
  work: (manager: EntityManager) => Promise<T>,
): Promise<T> {
  await dataSource.query('BEGIN IMMEDIATE');
  try {
    const result = await work(dataSource.manager);
    await dataSource.query('COMMIT');
    return result;
  } catch (error) {
    // SQLite ends some failed transactions itself; then ROLLBACK fails and must not hide the cause.
    await dataSource.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/** Splits `items` so that each chunk binds at most MAX_PARAMETERS values. */
export function chunksFor<T>(items: readonly T[], parametersPerItem: number): T[][] {
  const size = Math.max(1, Math.floor(MAX_PARAMETERS / parametersPerItem));
  const chunks: T[][] = [];
  for (let start = 0; start < items.length; start += size) {
    chunks.push(items.slice(start, start + size));
  }
  return chunks;
}

// TypeORM wraps driver errors in QueryFailedError and keeps the original as `driverError`.
function driverErrorCode(error: unknown): unknown {
  if (typeof error !== 'object' || error === null) {
    return undefined;
  }
  const driverError = 'driverError' in error ? error.driverError : error;
  return typeof driverError === 'object' && driverError !== null && 'code' in driverError
    ? driverError.code
    : undefined;
}
