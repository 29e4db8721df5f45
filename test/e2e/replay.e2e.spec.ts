import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { customerOf, startHarness, waitForStatus, type Harness } from './harness.js';
import { runCli } from '../support/run-cli.js';

const KEY = randomBytes(32).toString('hex');

describe('hookpost replay on a log written by the service', () => {
  let h: Harness;
  let cliDir: string;
  let failedAt: number;
  const replay = (...args: string[]) =>
    runCli(['replay', ...args], {
      DATABASE_URL: h.db.url,
      HOOKPOST_ENCRYPTION_KEY: KEY,
      HOOKPOST_DATA_DIR: cliDir,
      HOOKPOST_BACKOFF_BASE_MS: '200', // as the service: --as-of derives the next attempt from it
    });

  async function sql<T = any>(text: string, params: unknown[] = []): Promise<T[]> {
    const client = new pg.Client({ connectionString: h.db.url });
    await client.connect();
    try {
      return (await client.query(text, params)).rows as T[];
    } finally {
      await client.end();
    }
  }

  beforeAll(async () => {
    cliDir = mkdtempSync(join(tmpdir(), 'hookpost-replay-cli-'));
    h = await startHarness({
      HOOKPOST_ENCRYPTION_KEY: KEY,
      HOOKPOST_BACKOFF_BASE_MS: '200',
      HOOKPOST_BATCH_INTERVAL_MS: '0',
    });
    // acme's first two requests fail; globex batches and always succeeds.
    let acmeRequests = 0;
    h.receiver.respondWith((request) =>
      customerOf(request) === 'acme' && ++acmeRequests <= 2
        ? { status: 500, body: 'down' }
        : { status: 200, body: '{}' },
    );
    await h.configure('acme');
    await h.configure('globex', { batching: true });
    for (let n = 1; n <= 3; n += 1) {
      await h.publish('acme', 'CHECK_COMPLETED', { n });
      await h.publish('globex', 'CHECK_STARTED', { n });
    }
    await waitForStatus(h, 'acme', (status) => status.queue === 'empty' && status.lastProcessedAt !== null);
    await waitForStatus(h, 'globex', (status) => status.queue === 'empty' && status.lastProcessedAt !== null);
    await h.service.stop(); // replay reads the log with nothing writing to it
    const [first] = await sql<{ recorded_at: string }>(
      `SELECT recorded_at FROM events WHERE customer_id = 'acme' AND type = 'DeliveryFailed' ORDER BY version LIMIT 1`,
    );
    failedAt = Number(first?.recorded_at);
  });

  afterAll(async () => {
    await h?.close();
    rmSync(cliDir, { recursive: true, force: true });
  });

  test('verify passes, names a corrupted customer with exit 1, and passes again after rebuild', async () => {
    const clean = await replay('--verify');
    expect(clean).toMatchObject({ code: 0 });
    expect(clean.stdout).toContain('every stored projection agrees with the log');
    expect(clean.stdout).toMatch(
      /replay verify: \d+ events, 2 customers, 0 differences, 0 invalid events, .* events\/s/,
    );

    const [row] = await sql<{ state: string }>(
      `SELECT state FROM customer_status WHERE customer_id = 'acme'`,
    );
    const state = JSON.parse(row!.state);
    await sql(`UPDATE customer_status SET state = $1 WHERE customer_id = 'acme'`, [
      JSON.stringify({ ...state, cursor: state.cursor - 1 }),
    ]);

    const corrupted = await replay('--verify');
    expect(corrupted.code).toBe(1);
    expect(corrupted.stdout).toContain('customer acme: stored projection differs from the log');
    expect(corrupted.stdout).toContain(`state.cursor: stored ${state.cursor - 1}, log ${state.cursor}`);
    expect(corrupted.stdout).not.toContain('customer globex');
    expect(await replay('--verify', '--customer', 'globex')).toMatchObject({ code: 0 });
    const unknown = await replay('--verify', '--customer', 'nobody');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('hookpost: customer nobody has no events and no projection\n');

    const rebuilt = await replay('--rebuild');
    expect(rebuilt.code).toBe(0);
    expect(rebuilt.stdout).toMatch(/1 difference, 1 rewritten/);
    expect(await replay('--verify')).toMatchObject({ code: 0 });
  });

  test('--as-of shows acme before, at and after its first failure', async () => {
    const asOf = async (at: number) => {
      const run = await replay('--as-of', new Date(at).toISOString(), '--customer', 'acme', '--json');
      expect(run.code).toBe(0);
      return JSON.parse(run.stdout).customers[0];
    };
    expect(await asOf(failedAt - 1)).toMatchObject({ attempts: 0, cursor: 0, recentFailures: [] });
    const failing = await asOf(failedAt);
    expect(failing).toMatchObject({ attempts: 1, cursor: 0, nextAttemptAt: failedAt + 200 });
    expect(failing.recentFailures).toEqual([
      expect.objectContaining({ statusCode: 500, event: 'CHECK_COMPLETED' }),
    ]);
    expect(await asOf(Date.now())).toMatchObject({ attempts: 0, delivered: 3, recentFailures: [] });

    const text = await replay('--as-of', new Date(failedAt).toISOString());
    expect(text.stdout).toContain(`status as of ${new Date(failedAt).toISOString()}`);
    expect(text.stdout).toMatch(
      /customer acme \(version \d+, webhook enabled\)\n.*\n {2}failing: head \d+, attempt 1/,
    );
  });
});
