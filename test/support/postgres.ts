import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** A throwaway PostgreSQL database for one test file. */
export interface TestDatabase {
  /** Connection URL for the new database (the admin URL with its database name swapped). */
  url: string;
  name: string;
  /** Terminates its connections and drops it; safe to call twice. */
  drop(): Promise<void>;
}

const DEFAULT_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

/** The server to create test databases on: env HOOKPOST_TEST_PG_URL, else local trust-auth postgres. */
export function adminUrl(): string {
  const fromEnv = process.env.HOOKPOST_TEST_PG_URL;
  return fromEnv !== undefined && fromEnv !== '' ? fromEnv : DEFAULT_ADMIN_URL;
}

async function withAdmin<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Creates a fresh, uniquely named database so test files can run in parallel without sharing state. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const admin = adminUrl();
  const name = `hookpost_test_${Date.now()}_${randomBytes(4).toString('hex')}`;
  // The name is ours and matches [a-z0-9_]+, so quoting it as an identifier is safe.
  await withAdmin(admin, (client) => client.query(`CREATE DATABASE "${name}"`));
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    async drop() {
      await withAdmin(admin, async (client) => {
        const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
        if (exists.rowCount === 0) {
          return;
        }
        // Refuse new connections first so a reconnecting pool cannot sneak in between terminate and drop.
        await client.query(`ALTER DATABASE "${name}" ALLOW_CONNECTIONS false`);
        await client.query(
          'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
          [name],
        );
        await client.query(`DROP DATABASE IF EXISTS "${name}"`);
      });
    },
  };
}
