import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';

/** A lock this process holds; `lost` resolves with the reason if the connection that holds it fails. */
export interface HeldLock {
  readonly lost: Promise<string>;
  release(): Promise<void>;
}

/**
 * Which process delivers with the SQLite log: one per data dir and namespace. A second process
 * started on the same files (by mistake, or as a warm standby) finds the lock taken and waits, so two
 * processes never send the same customer's messages at once (the version check only fences the log,
 * not the HTTP requests already sent). With PostgreSQL the relay lease (libs/ownership) has this shape.
 */
export interface DeliveryLock {
  /** Takes the lock if it is free; null when another process holds it. Throws if the database is unreachable. */
  tryAcquire(): Promise<HeldLock | null>;
}

/** Advisory lock class of `hookpost archive`: "arch"; one key per database. */
const ARCHIVE_LOCK_CLASS = 0x61726368;
/** How often the lock's connection is checked, so a dead one is noticed (and released) promptly. */
const HEARTBEAT_MS = 2_000;

/**
 * A session-level PostgreSQL advisory lock on a connection of its own. The server drops it the moment
 * that connection closes, so a process killed with -9 hands over at once; a heartbeat notices a
 * connection that died silently. A paused process keeps it, though: fine for a CLI run, not for the
 * service's relay (which has a lease).
 */
export class PostgresAdvisoryLock implements DeliveryLock {
  constructor(
    private readonly databaseUrl: string,
    private readonly lockClass: number,
    private readonly key: string,
    private readonly applicationName: string,
  ) {}

  async tryAcquire(): Promise<HeldLock | null> {
    const client = new pg.Client({
      connectionString: this.databaseUrl,
      connectionTimeoutMillis: 5_000,
      query_timeout: 5_000,
      keepAlive: true,
      application_name: this.applicationName,
    });
    let lose: (reason: string) => void = () => undefined;
    const lost = new Promise<string>((resolve) => (lose = resolve));
    client.on('error', (error) => lose(`lock connection failed: ${error.message}`));
    client.on('end', () => lose('lock connection closed'));
    try {
      await client.connect();
      const { rows } = await client.query<{ held: boolean }>(
        'SELECT pg_try_advisory_lock($1, hashtext($2)) AS held',
        [this.lockClass, this.key],
      );
      if (rows[0]?.held !== true) {
        await client.end();
        return null;
      }
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    const heartbeat = setInterval(() => {
      client.query('SELECT 1').catch((error: unknown) => {
        lose(`lock connection failed: ${String(error)}`);
        // Close it, so the server frees the lock even if it still thinks the session is alive.
        void client.end().catch(() => undefined);
      });
    }, HEARTBEAT_MS);
    heartbeat.unref();
    return {
      lost,
      async release() {
        clearInterval(heartbeat);
        await client.end().catch(() => undefined);
      },
    };
  }
}

/**
 * For the embedded SQLite log (one machine): an exclusive transaction held open on a lock file of
 * its own. The OS drops the file lock when the process exits, however it exits.
 */
export class SqliteFileLock implements DeliveryLock {
  constructor(private readonly path: string) {}

  tryAcquire(): Promise<HeldLock | null> {
    const db = new Database(this.path, { timeout: 0 });
    try {
      db.exec('BEGIN EXCLUSIVE');
    } catch (error) {
      db.close();
      if ((error as { code?: string }).code === 'SQLITE_BUSY') {
        return Promise.resolve(null);
      }
      throw error;
    }
    return Promise.resolve({
      lost: new Promise<string>(() => undefined), // a local file lock is not lost while the process lives
      release: () => {
        db.close();
        return Promise.resolve();
      },
    });
  }
}

/** The SQLite log's delivery lock: a file next to the log. */
export function sqliteDeliveryLock(config: { dataDir: string; namespace: string }): DeliveryLock {
  return new SqliteFileLock(join(config.dataDir, `delivery-${config.namespace}.lock`));
}

/** One `hookpost archive` run at a time per database: an advisory lock, or a lock file beside the SQLite log. */
export function archiveLockFor(config: { databaseUrl: string | null; dataDir: string }): DeliveryLock {
  return config.databaseUrl === null
    ? new SqliteFileLock(join(config.dataDir, 'archive.lock'))
    : new PostgresAdvisoryLock(config.databaseUrl, ARCHIVE_LOCK_CLASS, 'events', 'hookpost-archive-lock');
}
