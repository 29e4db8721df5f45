import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { runCli } from '../support/run-cli.js';
import { until } from '../support/until.js';
import { customerOf, startHarness, waitForStatus, type Harness } from './harness.js';

const KEY = randomBytes(32).toString('hex');

describe('hookpost archive beside a delivering service (PostgreSQL, outbound feed on)', () => {
  let h: Harness;
  let archiveDir: string;
  let cliDir: string;
  const env = () => ({
    DATABASE_URL: h.db.url,
    HOOKPOST_ENCRYPTION_KEY: KEY,
    HOOKPOST_DATA_DIR: cliDir,
    HOOKPOST_ARCHIVE_DIR: archiveDir,
    HOOKPOST_NAMESPACE: h.service.namespace,
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

  const countEvents = async () =>
    Number((await sql<{ n: string }>('SELECT COUNT(*) AS n FROM events'))[0]?.n);

  beforeAll(async () => {
    archiveDir = mkdtempSync(join(tmpdir(), 'hookpost-archive-svc-'));
    cliDir = mkdtempSync(join(tmpdir(), 'hookpost-archive-cli-'));
    h = await startHarness({
      HOOKPOST_ENCRYPTION_KEY: KEY,
      HOOKPOST_BACKOFF_BASE_MS: '200',
      HOOKPOST_ARCHIVE_DIR: archiveDir,
    });
    let acmeRequests = 0;
    h.receiver.respondWith((request) =>
      customerOf(request) === 'acme' && ++acmeRequests === 1
        ? { status: 500, body: 'down' }
        : { status: 200, body: '{}' },
    );
    await h.configure('acme');
    for (let n = 1; n <= 3; n += 1) {
      await h.publish('acme', 'CHECK_COMPLETED', { n });
    }
    await waitForStatus(h, 'acme', (status) => status.queue === 'empty' && status.lastProcessedAt !== null);
  });

  afterAll(async () => {
    await h?.close();
    rmSync(archiveDir, { recursive: true, force: true });
    rmSync(cliDir, { recursive: true, force: true });
  });

  test('the audit routes answer the same after archiving, and name the file when it cannot be read', async () => {
    const audit = await h.service.api('GET', '/v1/customers/acme/audit');
    // Taken once the delivered message has left the queue stream (purged in the background), so the
    // reply compared after archiving differs only by what archiving changes.
    let webhook = await h.service.api('GET', '/v1/customers/acme/webhooks/1');
    await until(async () => {
      webhook = await h.service.api('GET', '/v1/customers/acme/webhooks/1');
      return webhook.body.message === null;
    }, 'the delivered message to leave the queue stream');
    expect(webhook.status).toBe(200);
    const last = await sql<{ p: string }>('SELECT MAX(position) AS p FROM events');
    // Archived only once the feed has published it (its checkpoint is written at most once a second).
    await until(async () => {
      const [row] = await sql<{ position: string }>('SELECT position FROM relay_checkpoints');
      return Number(row?.position ?? 0) >= Number(last[0]?.p);
    }, 'the relay checkpoint to reach the last event');
    const run = await runCli(['archive', '--before', new Date().toISOString(), '--json'], env());
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ events: Number(last[0]?.p) });
    expect(await sql('SELECT * FROM events')).toEqual([]);

    expect(await h.service.api('GET', '/v1/customers/acme/audit')).toEqual(audit);
    expect(await h.service.api('GET', '/v1/customers/acme/audit?after=2&limit=2')).toMatchObject({
      status: 200,
      body: { events: audit.body.events.slice(2, 4) },
    });
    expect(await h.service.api('GET', '/v1/customers/acme/webhooks/1')).toEqual(webhook);

    // Delivery goes on, and the new event joins the archived ones in the audit trail.
    await h.publish('acme', 'CHECK_COMPLETED', { n: 4 });
    let more = audit;
    await until(async () => {
      more = await h.service.api('GET', '/v1/customers/acme/audit');
      return more.body.events.length > audit.body.events.length;
    }, 'the fourth delivery in the audit trail');
    expect(more.body.events.slice(0, audit.body.events.length)).toEqual(audit.body.events);
    expect(more.body.events.at(-1)).toMatchObject({ type: 'DeliverySucceeded' });

    const name = JSON.parse(readFileSync(join(archiveDir, 'manifest.json'), 'utf8')).files[0].name as string;
    writeFileSync(join(archiveDir, name), 'changed');
    const broken = await h.service.api('GET', '/v1/customers/acme/audit');
    expect(broken.status).toBe(410);
    expect(broken.body.error).toMatchObject({ code: 'ARCHIVED', details: { file: name } });
    expect(broken.body.error.message).toContain(name);
  });

  test('a cutoff past what the feed has published is refused', async () => {
    const before = await countEvents(); // counted first: the delivery may be logged before publish returns
    await h.publish('acme', 'CHECK_COMPLETED', { n: 5 });
    await until(async () => (await countEvents()) > before, 'the fifth delivery in the log');
    await h.service.stop(); // or its relay writes its checkpoint again
    await sql('UPDATE relay_checkpoints SET position = 1');
    const stored = await countEvents();
    const refused = await runCli(['archive', '--before', new Date().toISOString()], env());
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      'archive refused: the cutoff is past what the outbound feed has published',
    );
    expect(await countEvents()).toBe(stored); // nothing changed
  });
});
