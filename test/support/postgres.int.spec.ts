import pg from 'pg';
import { adminUrl, createTestDatabase, type TestDatabase } from './postgres.js';

const databases: TestDatabase[] = [];

afterAll(async () => {
  await Promise.all(databases.map((db) => db.drop()));
});

async function databaseExists(name: string): Promise<boolean> {
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  try {
    const result = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    return result.rowCount === 1;
  } finally {
    await admin.end();
  }
}

test('creates a usable database and drops it', async () => {
  const db = await createTestDatabase();
  databases.push(db);
  expect(db.name).toMatch(/^hookpost_test_\d+_[0-9a-f]{8}$/);
  expect(new URL(db.url).pathname).toBe(`/${db.name}`);

  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  const current = await client.query<{ db: string }>('SELECT current_database() AS db');
  expect(current.rows[0]?.db).toBe(db.name);
  await client.query('CREATE TABLE probe (id int PRIMARY KEY)');
  await client.query('INSERT INTO probe VALUES (1)');
  expect((await client.query('SELECT id FROM probe')).rows).toEqual([{ id: 1 }]);
  await client.end();

  await db.drop();
  expect(await databaseExists(db.name)).toBe(false);
  await db.drop();
});

test('drop() terminates connections still open to the database', async () => {
  const db = await createTestDatabase();
  databases.push(db);
  const leftover = new pg.Client({ connectionString: db.url });
  const terminated = new Promise<Error>((resolve) => leftover.on('error', resolve));
  await leftover.connect();

  await db.drop();
  expect(await databaseExists(db.name)).toBe(false);
  expect((await terminated).message).toMatch(/terminat/i);
  await leftover.end().catch(() => undefined);
});

test('two databases get different names', async () => {
  const [a, b] = await Promise.all([createTestDatabase(), createTestDatabase()]);
  databases.push(a, b);
  expect(a.name).not.toBe(b.name);
  expect(await databaseExists(a.name)).toBe(true);
  expect(await databaseExists(b.name)).toBe(true);
});
