import { setTimeout as sleep } from 'node:timers/promises';
import { createTestDatabase, type TestDatabase } from '../../test/support/postgres.js';
import { openDataSource } from './data-source.js';
import { testKey } from './store-spec-support.js';

/**
 * A process frozen inside an append (SIGSTOP, a stalled VM) keeps its TCP connection, so
 * PostgreSQL would keep its transaction and the locks it holds (the lease rows' key-share locks
 * among them) for as long as the freeze lasts; no other instance could take its partitions. The
 * log's sessions carry idle_in_transaction_session_timeout, so PostgreSQL ends such a session.
 */
describe("the log's PostgreSQL sessions end a transaction left idle", () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase();
  });

  afterAll(async () => {
    await database?.drop();
  });

  test('a transaction idle past the timeout is ended by the server, its locks with it', async () => {
    const dataSource = await openDataSource({
      databaseUrl: database.url,
      encryptionKey: testKey,
      idleInTransactionTimeoutMs: 300,
    });
    const frozen = dataSource.createQueryRunner();
    const other = dataSource.createQueryRunner();
    try {
      await frozen.startTransaction();
      await frozen.query('SELECT "key" FROM "event_log_meta" FOR UPDATE');
      await frozen.query(`INSERT INTO "event_log_meta" ("key", "value") VALUES ('frozen', 'x')`);
      await sleep(1_000); // the process is "frozen": no statement for longer than the timeout
      // The server ended the session: TypeORM has released the runner whose connection it lost.
      await expect(frozen.query('SELECT 1')).rejects.toThrow();
      // Nothing it wrote stays, and its row lock is gone: another session takes it at once.
      await other.startTransaction();
      await other.query('SET LOCAL lock_timeout = 200');
      await other.query('SELECT "key" FROM "event_log_meta" FOR UPDATE');
      const rows = await other.query(`SELECT "key" FROM "event_log_meta" WHERE "key" = 'frozen'`);
      expect(rows).toEqual([]);
      await other.commitTransaction();
    } finally {
      await frozen.release().catch(() => undefined);
      await other.release().catch(() => undefined);
      await dataSource.destroy();
    }
  });

  test('a transaction that keeps working is not ended', async () => {
    const dataSource = await openDataSource({
      databaseUrl: database.url,
      encryptionKey: testKey,
      idleInTransactionTimeoutMs: 300,
    });
    const runner = dataSource.createQueryRunner();
    try {
      await runner.startTransaction();
      for (let i = 0; i < 10; i++) {
        await runner.query('SELECT 1');
        await sleep(100); // each pause shorter than the timeout, the whole longer
      }
      await runner.commitTransaction();
    } finally {
      await runner.release();
      await dataSource.destroy();
    }
  });
});
