import { createTestDatabase } from '../../test/support/postgres.js';
import { openDataSource } from './data-source.js';
import { testKey } from './store-spec-support.js';

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
