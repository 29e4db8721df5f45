import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../../test/support/postgres.js';
import { OwnConnectionPing, PING_APPLICATION_NAME } from './own-connection-ping.js';

describe('the health ping on its own PostgreSQL connection', () => {
  let db: TestDatabase;
  let ping: OwnConnectionPing;
  let admin: pg.Client;

  beforeAll(async () => {
    db = await createTestDatabase();
    admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
  });

  afterAll(async () => {
    await ping?.close();
    await admin?.end();
    await db?.drop();
  });

  const pingBackends = async () =>
    (
      await admin.query<{ pid: number }>(
        'SELECT pid FROM pg_stat_activity WHERE datname = $1 AND application_name = $2',
        [db.name, PING_APPLICATION_NAME],
      )
    ).rows.map((row) => row.pid);

  test('pings reuse one connection, and one the server dropped is replaced at a later ping', async () => {
    ping = new OwnConnectionPing(db.url);
    await ping.ping();
    await ping.ping();
    const [first, ...others] = await pingBackends();
    expect(others).toEqual([]);

    await admin.query('SELECT pg_terminate_backend($1)', [first]);
    // The ping on the dropped connection may fail; within a few the next connection answers.
    let answered = false;
    for (let i = 0; i < 5 && !answered; i++) {
      answered = await ping.ping().then(
        () => true,
        () => false,
      );
    }
    expect(answered).toBe(true);
    const now = await pingBackends();
    expect(now).toHaveLength(1);
    expect(now[0]).not.toBe(first);

    await ping.close();
    expect(await pingBackends()).toEqual([]);
  });
});
