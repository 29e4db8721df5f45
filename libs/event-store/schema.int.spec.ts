import { createTestDatabase } from '../../test/support/postgres.js';
import { openDataSource } from './data-source.js';
import { configured } from '../domain/spec-support.js';
import { backends, projectionAfter, testKey } from './store-spec-support.js';

describe('the migrated schema', () => {
  test('PostgreSQL: the entities describe exactly what the migration created', async () => {
    const database = await createTestDatabase();
    const dataSource = await openDataSource({ databaseUrl: database.url, encryptionKey: testKey });
    try {
      const pending = await dataSource.driver.createSchemaBuilder().log();
      expect(pending.upQueries.map((query) => query.query)).toEqual([]);
    } finally {
      await dataSource.destroy();
      await database.drop();
    }
  });

  test('SQLite: the only difference is the INTEGER key that AUTOINCREMENT requires', async () => {
    const dataSource = await openDataSource({ encryptionKey: testKey });
    try {
      // TypeORM would rebuild `events` with "bigint PRIMARY KEY AUTOINCREMENT", which SQLite refuses:
      // that is why the schema comes from a migration and never from synchronize.
      const pending = await dataSource.driver.createSchemaBuilder().log();
      const touched = pending.upQueries.map((query) => /"(temporary_)?events"/.test(String(query.query)));
      expect(touched.every(Boolean)).toBe(true);
    } finally {
      await dataSource.destroy();
    }
  });
});

describe.each(backends)('the archive migration on an existing %s database', (_name, createBackend) => {
  test('adds its tables and keeps the events written before it', async () => {
    const backend = await createBackend();
    try {
      let store = await backend.open();
      await store.append('acme', 0, [configured()], projectionAfter([configured()], 0));
      await store.close();
      // Back to the schema before the migration, as a database made by the previous release.
      await backend.query('DROP TABLE "archive_progress"');
      await backend.query('DROP TABLE "archive_checkpoints"');
      await backend.query('DELETE FROM "event_store_migrations" WHERE "name" = ?', [
        'AddArchiveCheckpoints1764800000000',
      ]);
      store = await backend.open();
      expect(await store.archiveProgress()).toEqual({ throughPosition: 0, events: 0, lastAt: 0 });
      expect(await store.archiveCheckpoints()).toEqual(new Map());
      expect(await store.countEvents()).toBe(1);
      await store.close();
    } finally {
      await backend.dispose();
    }
  });
});
