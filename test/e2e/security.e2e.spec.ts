import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startNatsServer, type NatsServerHandle } from '../support/nats-server.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { startReceiver, type Receiver } from '../support/receiver.js';
import { startService, type ServiceProcess } from '../support/service-process.js';
import { readFeedMessages, waitForFeed } from '../support/event-feed.js';
import { customerOf, startHarness, waitForStatus, type Harness } from './harness.js';

// The service resolves names with the system resolver. To make a name change its answer between
// configuration and delivery (DNS rebinding), the service runs in a private mount namespace whose
// /etc/hosts is a file this test rewrites (needs root, as here; skipped where unshare is refused).
const canUnshare = spawnSync('unshare', ['-m', 'true']).status === 0;

const PUBLIC = '93.184.216.34';

function hostsFile(entries: Record<string, string[]>): string {
  const lines = Object.entries(entries).flatMap(([name, addresses]) =>
    addresses.map((address) => `${address} ${name}`),
  );
  return `127.0.0.1 localhost\n${lines.join('\n')}\n`;
}

(canUnshare ? describe : describe.skip)('SSRF guard (HOOKPOST_ALLOW_PRIVATE_TARGETS=false)', () => {
  let nats: NatsServerHandle;
  let db: TestDatabase;
  let receiver: Receiver;
  let service: ServiceProcess;
  let dir: string;
  let hosts: string;
  const names = {
    'rebind.test': [PUBLIC],
    'private.test': ['10.0.0.7'],
    'mixed.test': [PUBLIC, '192.168.1.9'],
    'mapped.test': ['::ffff:127.0.0.1'],
    'metadata.test': ['169.254.169.254'],
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hookpost-hosts-'));
    hosts = join(dir, 'hosts');
    await writeFile(hosts, hostsFile(names));
    [nats, db, receiver] = await Promise.all([startNatsServer(), createTestDatabase(), startReceiver()]);
    service = await startService(
      {
        NATS_URL: nats.url,
        DATABASE_URL: db.url,
        HOOKPOST_ALLOW_PRIVATE_TARGETS: 'false',
        HOOKPOST_BACKOFF_BASE_MS: '50',
      },
      {
        wrap: (command, args) => [
          'unshare',
          ['-m', 'sh', '-c', 'mount --bind "$0" /etc/hosts && exec "$@"', hosts, command, ...args],
        ],
      },
    );
  });
  afterAll(async () => {
    await service?.stop();
    await receiver?.close();
    await db?.drop();
    await nats?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const configure = (customerId: string, url: string) =>
    service.api('PUT', `/v1/customers/${customerId}/webhook`, { url, secret: 'whsec_ssrf_secret' });

  test.each([
    ['loopback', 'http://127.0.0.1:8080/hook'],
    ['loopback, elsewhere in 127/8', 'http://127.10.0.1/hook'],
    ['10/8', 'http://10.1.2.3/hook'],
    ['172.16/12', 'http://172.16.0.1/hook'],
    ['172.16/12, top', 'http://172.31.255.254/hook'],
    ['192.168/16', 'http://192.168.0.10/hook'],
    ['169.254/16 (cloud metadata)', 'http://169.254.169.254/latest/meta-data'],
    ['100.64/10 (CGNAT)', 'http://100.64.0.1/hook'],
    ['0/8', 'http://0.0.0.0:3000/hook'],
    ['::1', 'http://[::1]:8080/hook'],
    ['fc00::/7', 'http://[fd00::1]/hook'],
    ['fe80::/10', 'http://[fe80::1]/hook'],
    ['IPv4-mapped IPv6 loopback', 'http://[::ffff:127.0.0.1]/hook'],
    ['IPv4-mapped IPv6 private, hex form', 'http://[::ffff:a00:1]/hook'],
    ['localhost (resolves to loopback)', 'http://localhost:8080/hook'],
    ['a name resolving to 10/8', 'http://private.test/hook'],
    ['a name resolving to a public and a private address', 'http://mixed.test/hook'],
    ['a name resolving to an IPv4-mapped loopback', 'http://mapped.test/hook'],
    ['a name resolving to the metadata address', 'http://metadata.test/hook'],
  ])('refuses %s when the endpoint is configured', async (_what, url) => {
    const response = await configure('ssrf-refused', url);
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('PRIVATE_TARGET');
  });

  test('accepts a public address', async () => {
    expect((await configure('ssrf-public', `http://${PUBLIC}/hook`)).status).toBe(200);
    expect((await configure('ssrf-public-name', 'http://rebind.test/hook')).status).toBe(200);
  });

  test('a name that changes its answer after configuration is refused at connect time', async () => {
    const customerId = 'ssrf-rebind';
    expect((await configure(customerId, `http://rebind.test:${receiver.port}/${customerId}`)).status).toBe(
      200,
    );
    // Rebinding: from now on the name points at the receiver on loopback.
    await writeFile(hosts, hostsFile({ ...names, 'rebind.test': ['127.0.0.1'] }));
    const published = await service.api('POST', `/v1/customers/${customerId}/messages`, {
      event: 'CHECK_COMPLETED',
      data: {},
    });
    expect(published.status).toBe(202);
    const status = await waitForStatusOf(service, customerId, (s) => s.recentFailures.length > 0);
    expect(status.recentFailures[0].error).toMatch(/forbidden address 127\.0\.0\.1/);

    await writeFile(hosts, hostsFile({ ...names, 'rebind.test': ['::ffff:127.0.0.1'] }));
    const again = await waitForStatusOf(service, customerId, (s) =>
      s.recentFailures.some((f: { error: string }) => f.error.includes('::ffff:127.0.0.1')),
    );
    expect(again.queue).not.toBe('empty');
    expect(receiver.requests).toHaveLength(0);
  });
});

/** Polls a service's status view of a customer until `done` holds. */
async function waitForStatusOf(service: ServiceProcess, customerId: string, done: (s: any) => boolean) {
  const started = Date.now();
  for (;;) {
    const { body } = await service.api('GET', `/v1/customers/${customerId}/webhook/status`);
    if (done(body)) {
      return body;
    }
    if (Date.now() - started > 15_000) {
      throw new Error(`status of ${customerId} never matched: ${JSON.stringify(body)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Everything a secret could leak into: the database rows, the log, metrics, the REST and NATS
 * replies about the customer, and the outbound feed.
 */
async function surfacesOf(
  h: Harness,
  customerId: string,
  webhookId: number,
  status: unknown,
): Promise<Record<string, string>> {
  const client = new pg.Client({ connectionString: h.db.url });
  await client.connect();
  const rows: unknown[] = [];
  for (const table of ['customer_secrets', 'events', 'customer_status']) {
    rows.push(...(await client.query(`SELECT * FROM ${table}`)).rows);
  }
  await client.end();
  const statusReply = await h.client.request(`${h.service.namespace}.status`, JSON.stringify({ customerId }));
  await waitForFeed(h.client, h.service.namespace, h.db.url);
  return {
    'database rows': JSON.stringify(rows),
    logs: h.service.logs(),
    metrics: await (await fetch(`${h.service.url}/metrics`)).text(),
    'status reply': JSON.stringify(status),
    'NATS status reply': statusReply.string(),
    audit: JSON.stringify((await h.service.api('GET', `/v1/customers/${customerId}/audit`)).body),
    history: JSON.stringify(
      (await h.service.api('GET', `/v1/customers/${customerId}/webhooks/${webhookId}`)).body,
    ),
    config: JSON.stringify((await h.service.api('GET', `/v1/customers/${customerId}/webhook`)).body),
    'all statuses': JSON.stringify((await h.service.api('GET', '/v1/status')).body),
    feed: JSON.stringify(await readFeedMessages(h.client, h.service.namespace)),
  };
}

/** Each surface that contains one of `forms`, with the forms found. */
function leaksIn(surfaces: Record<string, string>, forms: readonly string[]) {
  return Object.entries(surfaces).flatMap(([surface, text]) => {
    const found = forms.filter((form) => text.includes(form));
    return found.length === 0 ? [] : [{ surface, found }];
  });
}

describe('secrets are encrypted at rest and never shown', () => {
  let h: Harness;
  const SECRET = 'whsec_7f3a9c1e5b2d8f4a6c0e9b1d3f5a7c9e';

  beforeAll(async () => {
    h = await startHarness({ HOOKPOST_BACKOFF_BASE_MS: '20', LOG_LEVEL: 'debug' });
  });
  afterAll(() => h?.close());

  test('not in the database rows, logs, metrics, events or API and NATS replies', async () => {
    const customerId = 'secretive';
    let first = true;
    // The receiver echoes what it got in a failure body, as careless endpoints do.
    h.receiver.respondWith((request) => {
      if (customerOf(request) === customerId && first) {
        first = false;
        return { status: 500, body: `bad auth: ${String(request.headers.authorization)} in ${request.body}` };
      }
      return { status: 200 };
    });
    await h.configure(customerId, { secret: SECRET });
    const { webhookId } = await h.publish(customerId, 'CHECK_COMPLETED', { n: 1 });
    await h.receiver.waitFor((all) => all.filter((r) => customerOf(r) === customerId).length >= 2, 10_000);
    const status = await waitForStatus(h, customerId, (s) => s.queue === 'empty');
    expect(h.receiver.requests.find((r) => customerOf(r) === customerId)!.body).toContain(SECRET);

    const surfaces = await surfacesOf(h, customerId, webhookId, status);
    expect(surfaces['database rows']!.length).toBeGreaterThan(100);
    const encodings = [SECRET, Buffer.from(SECRET).toString('base64'), Buffer.from(SECRET).toString('hex')];
    expect(leaksIn(surfaces, encodings)).toEqual([]);
    // The failure was recorded, with the echoed secret blanked out.
    const history = JSON.parse(surfaces.history!);
    expect(JSON.stringify(history)).toMatch(/bad auth/);
  });
});

describe('a secret echoed back in an encoded form', () => {
  let h: Harness;
  // Characters that each encoding writes differently: a quote, a backslash, a slash, +, &, %, <, >.
  const SECRET = 'whsec_Q"uo\\te/p+l&n%e<x>9c1e5b2d8f4a';
  const hexOf = (text: string) => Buffer.from(text).toString('hex');
  /** How careless receivers echo what they got. */
  const FORMS: ReadonlyArray<[string, (text: string) => string]> = [
    ['raw', (text) => text],
    ['JSON-escaped', (text) => JSON.stringify(text).slice(1, -1)],
    ['base64', (text) => Buffer.from(text).toString('base64')],
    ['base64url', (text) => Buffer.from(text).toString('base64url')],
    ['hex', hexOf],
    ['HEX', (text) => hexOf(text).toUpperCase()],
    ['URL-encoded', encodeURIComponent],
    [
      'URL-encoded, lower case',
      (text) => encodeURIComponent(text).replace(/%[0-9A-F]{2}/g, (e) => e.toLowerCase()),
    ],
  ];

  beforeAll(async () => {
    h = await startHarness({ HOOKPOST_BACKOFF_BASE_MS: '20', LOG_LEVEL: 'debug' });
  });
  afterAll(() => h?.close());

  test('each form of the Authorization header and of the body secret is redacted everywhere', async () => {
    const customerId = 'echo-encoded';
    let attempt = 0;
    // One failure per form: a JSON 500 body with the header and the body's secret in that form
    // (raw: a plain-text body, so JSON does not escape it on the way).
    h.receiver.respondWith((request) => {
      if (customerOf(request) !== customerId) {
        return { status: 200 };
      }
      const form = FORMS[attempt];
      attempt += 1;
      if (form === undefined) {
        return { status: 200 };
      }
      const [name, encode] = form;
      const header = String(request.headers.authorization);
      const bodySecret = String((JSON.parse(request.body) as { secret: string }).secret);
      if (name === 'raw') {
        return { status: 500, body: `bad auth: ${header} secret ${bodySecret}` };
      }
      const body = JSON.stringify({
        error: 'bad auth',
        form: name,
        header: encode(header),
        secret: encode(bodySecret),
      });
      // JSON.stringify escapes a JSON-escaped echo again: write that one as the receiver would.
      return {
        status: 500,
        body:
          name === 'JSON-escaped'
            ? `{"error":"bad auth","header":"${encode(header)}","secret":"${encode(bodySecret)}"}`
            : body,
        headers: { 'content-type': 'application/json' },
      };
    });
    await h.configure(customerId, { secret: SECRET });
    const { webhookId } = await h.publish(customerId, 'CHECK_COMPLETED', { n: 1 });
    await h.receiver.waitFor(
      (all) => all.filter((r) => customerOf(r) === customerId).length > FORMS.length,
      20_000,
    );
    const status = await waitForStatus(h, customerId, (s) => s.queue === 'empty');

    const surfaces = await surfacesOf(h, customerId, webhookId, status);
    const echoed = FORMS.flatMap(([, encode]) => [encode(SECRET), encode(`Bearer ${SECRET}`)]);
    expect(leaksIn(surfaces, echoed)).toEqual([]);
    // Every failure was recorded, with its form's echo blanked out.
    const failures = JSON.parse(surfaces.audit!).events.filter(
      (e: { type: string }) => e.type === 'DeliveryFailed',
    );
    expect(failures).toHaveLength(FORMS.length);
    for (const failure of failures) {
      expect(failure.data.error).toMatch(/^HTTP 500: .*bad auth.*\[redacted\]/);
    }
  }, 60_000);
});

describe('bounded reads of receiver responses', () => {
  let h: Harness;
  let server: Server;
  let base: string;
  let endlessRequests = 0;

  beforeAll(async () => {
    h = await startHarness({ HOOKPOST_BACKOFF_BASE_MS: '20' });
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        if (req.url === '/huge') {
          res.writeHead(500, { 'content-type': 'text/plain' }).end('E'.repeat(5 * 1024 * 1024));
        } else {
          endlessRequests += 1;
          res.writeHead(200, { 'content-type': 'text/plain' });
          const timer = setInterval(() => res.write('x'.repeat(16 * 1024)), 5);
          res.on('close', () => clearInterval(timer));
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    await h?.close();
  });

  async function configure(customerId: string, url: string): Promise<void> {
    const response = await h.service.api('PUT', `/v1/customers/${customerId}/webhook`, {
      url,
      secret: 'whsec_bounded_reads_secret',
    });
    expect(response.status).toBe(200);
  }

  test('a 5 MB error body is cut to 4 KiB in the failure record', async () => {
    const customerId = 'huge-answer';
    await configure(customerId, `${base}/huge`);
    await h.publish(customerId, 'CHECK_COMPLETED', {});
    const status = await waitForStatus(h, customerId, (s) => s.recentFailures.length > 0);
    const error = status.recentFailures[0].error as string;
    expect(error).toMatch(/^HTTP 500: E+/);
    expect(error.length).toBeLessThanOrEqual(4_200);
  });

  test('a 200 whose body never ends counts as delivered and does not hold the queue', async () => {
    const customerId = 'endless-answer';
    await configure(customerId, `${base}/endless`);
    await h.publish(customerId, 'CHECK_COMPLETED', { n: 1 });
    await h.publish(customerId, 'CHECK_COMPLETED', { n: 2 });
    const status = await waitForStatus(h, customerId, (s) => s.queue === 'empty' && s.pending === 0);
    expect(status.recentFailures).toEqual([]);
    expect(endlessRequests).toBe(2);
  });
});
