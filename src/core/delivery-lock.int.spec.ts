import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTestDatabase, type TestDatabase } from '../../test/support/postgres.js';
import { startPrivatePostgres, type PrivatePostgres } from '../../test/support/private-postgres.js';
import {
  archiveLockFor,
  PostgresAdvisoryLock,
  SqliteFileLock,
  type DeliveryLock,
  type HeldLock,
} from './delivery-lock.js';

/** An advisory lock class of these tests only ("test"). */
const TEST_LOCK_CLASS = 0x74657374;
const postgresLock = (databaseUrl: string, key: string) =>
  new PostgresAdvisoryLock(databaseUrl, TEST_LOCK_CLASS, key, 'hookpost-test-lock');

let db: TestDatabase;
let dir: string;
const held: HeldLock[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  dir = await mkdtemp(join(tmpdir(), 'hookpost-lock-'));
});

afterAll(async () => {
  await Promise.all(held.map((lock) => lock.release()));
  await db?.drop();
  await rm(dir, { recursive: true, force: true });
});

async function take(lock: DeliveryLock): Promise<HeldLock | null> {
  const result = await lock.tryAcquire();
  if (result !== null) {
    held.push(result);
  }
  return result;
}

/** Tries until the lock is taken (a killed holder's lock is freed when its connection closes). */
async function takeWithin(lock: DeliveryLock, ms: number): Promise<HeldLock | null> {
  const deadline = Date.now() + ms;
  for (;;) {
    const result = await take(lock);
    if (result !== null || Date.now() > deadline) {
      return result;
    }
    await sleep(100);
  }
}

/** A child process that takes the lock with `script` (it prints "held"), to be killed with -9. */
async function holderProcess(script: string) {
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
    cwd: process.cwd(),
  });
  const [chunk] = (await once(child.stdout, 'data')) as [Buffer];
  expect(chunk.toString()).toContain('held');
  return {
    async kill9() {
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    },
  };
}

describe('PostgreSQL advisory lock', () => {
  test('one holder per database and key; release hands it over', async () => {
    const a = postgresLock(db.url, 'ns-one');
    const b = postgresLock(db.url, 'ns-one');
    const first = await take(a);
    expect(first).not.toBeNull();
    expect(await take(b)).toBeNull();
    expect(await take(postgresLock(db.url, 'ns-two'))).not.toBeNull();
    await first!.release();
    expect(await take(b)).not.toBeNull();
  });

  test('the archive lock is one per database and apart from other advisory locks', async () => {
    const archive = archiveLockFor({ databaseUrl: db.url, dataDir: '.' });
    const first = await take(archive);
    expect(first).not.toBeNull();
    expect(await take(archiveLockFor({ databaseUrl: db.url, dataDir: '.' }))).toBeNull();
    expect(await take(postgresLock(db.url, 'ns-beside-archive'))).not.toBeNull();
    await first!.release();
    expect(await take(archive)).not.toBeNull();
  });

  test('a holder killed with -9 frees the lock at once', async () => {
    const holder = await holderProcess(`
      import pg from 'pg';
      const client = new pg.Client({ connectionString: ${JSON.stringify(db.url)} });
      await client.connect();
      await client.query("SELECT pg_try_advisory_lock(${TEST_LOCK_CLASS}, hashtext('ns-killed'))");
      process.stdout.write('held');
      setInterval(() => undefined, 1000);`);
    const lock = postgresLock(db.url, 'ns-killed');
    expect(await take(lock)).toBeNull();
    await holder.kill9();
    expect(await takeWithin(lock, 5_000)).not.toBeNull();
  });

  describe('when the server stops', () => {
    let server: PrivatePostgres;

    beforeAll(async () => {
      server = await startPrivatePostgres();
    });
    afterAll(() => server?.destroy());

    test('the holder is told the lock is lost, and can take it again after the restart', async () => {
      const lock = postgresLock(server.url, 'ns');
      const first = await take(lock);
      expect(first).not.toBeNull();
      await server.stop('fast');
      await expect(first!.lost).resolves.toMatch(/lock connection/);
      await expect(lock.tryAcquire()).rejects.toThrow();
      await server.start();
      expect(await takeWithin(lock, 5_000)).not.toBeNull();
    }, 60_000);
  });
});

describe('SQLite lock file', () => {
  test('one holder per file; release hands it over', async () => {
    const path = join(dir, 'one.lock');
    const first = await take(new SqliteFileLock(path));
    expect(first).not.toBeNull();
    expect(await take(new SqliteFileLock(path))).toBeNull();
    await first!.release();
    expect(await take(new SqliteFileLock(path))).not.toBeNull();
  });

  test('a holder killed with -9 frees the lock', async () => {
    const path = join(dir, 'killed.lock');
    const holder = await holderProcess(`
      import Database from 'better-sqlite3';
      const db = new Database(${JSON.stringify(path)});
      db.exec('BEGIN EXCLUSIVE');
      process.stdout.write('held');
      setInterval(() => undefined, 1000);`);
    expect(await take(new SqliteFileLock(path))).toBeNull();
    await holder.kill9();
    expect(await take(new SqliteFileLock(path))).not.toBeNull();
  });
});
