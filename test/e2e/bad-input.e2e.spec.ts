import { jetstreamManager } from '@nats-io/jetstream';
import pg from 'pg';
import { startHarness, type Harness } from './harness.js';

/** One bad request and the error it must get. */
interface BadCase {
  name: string;
  send: (h: Harness) => Promise<{ status: number; body: any }>;
  status: number;
  code: string;
}

const big = (bytes: number) => ({ blob: 'x'.repeat(bytes) });

/** Sends a raw HTTP request with the admin token. */
async function raw(
  h: Harness,
  method: string,
  path: string,
  body?: string,
  contentType = 'application/json',
) {
  const response = await fetch(`${h.service.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${h.service.adminToken}`,
      ...(body === undefined ? {} : { 'content-type': contentType }),
    },
    ...(body === undefined ? {} : { body }),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

/** A NATS request with a raw body; the reply is plain JSON. Status is 200 unless the reply is an error. */
async function nats(h: Harness, pattern: string, body: string | Uint8Array | object) {
  const payload = typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body);
  const reply = (
    await h.client.request(`${h.service.namespace}.${pattern}`, payload, { timeout: 5_000 })
  ).json<any>();
  const statusOf: Record<string, number> = { NOT_FOUND: 404, MESSAGE_TOO_LARGE: 413 };
  return { status: reply?.error ? (statusOf[reply.error.code] ?? 400) : 200, body: reply };
}

const goodConfig = { url: 'https://hooks.example.com/acme', secret: 'long-enough-secret' };
const put = (id: string, body: unknown) => (h: Harness) =>
  raw(h, 'PUT', `/v1/customers/${id}/webhook`, JSON.stringify(body));
const post = (id: string, body: unknown) => (h: Harness) =>
  raw(h, 'POST', `/v1/customers/${id}/messages`, JSON.stringify(body));
const message = { event: 'CHECK_COMPLETED', data: { a: 1 } };
const natsMessage = { customerId: 'known', ...message };

const deepData = (levels: number) => JSON.parse(`${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`) as object;
const deepText = (levels: number) => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;
const emoji = (n: number) => '\u{1F600}'.repeat(n);

/** Secrets that cannot travel in an Authorization header (item: refused at PUT, not stalled at send). */
const headerUnsafeSecrets: Array<[string, string]> = [
  ['non-ASCII', 'whsec_caf\u00e9_latte'],
  ['an emoji', 'whsec_\u{1F511}_secret'],
  ['CR/LF', 'whsec_line\r\nX-Injected: 1'],
  ['a tab', 'whsec_tab\there_x'],
  ['NUL', 'whsec_nul\u0000here'],
  ['DEL', 'whsec_del\u007fhere'],
  ['a space', 'whsec with space'],
  ['a lone surrogate', 'whsec_\ud800_lonely'],
];

/** Idempotency keys that are not well-formed Unicode, or longer than 200 code points. */
const badKeys: Array<[string, string]> = [
  ['a lone high surrogate', 'col-\ud800-x'],
  ['a lone low surrogate', 'col-\udfff-x'],
  ['surrogates in the wrong order', 'col-\udc00\ud800-x'],
  ['201 emoji (code points)', emoji(201)],
];

const cases: BadCase[] = [
  // REST: endpoint configuration
  {
    name: 'PUT without url',
    send: put('known', { secret: 'long-enough-secret' }),
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'PUT ftp url',
    send: put('known', { ...goodConfig, url: 'ftp://example.com/x' }),
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'PUT javascript: url',
    send: put('known', { ...goodConfig, url: 'javascript:alert(1)' }),
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'PUT url with credentials',
    send: put('known', { ...goodConfig, url: 'https://user:pass@example.com/' }),
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'PUT loopback url (private targets not allowed)',
    send: put('known', { ...goodConfig, url: 'http://127.0.0.1:9/x' }),
    status: 400,
    code: 'PRIVATE_TARGET',
  },
  {
    name: 'PUT 10/8 url',
    send: put('known', { ...goodConfig, url: 'http://10.1.2.3/x' }),
    status: 400,
    code: 'PRIVATE_TARGET',
  },
  {
    name: 'PUT localhost url',
    send: put('known', { ...goodConfig, url: 'http://localhost:9/x' }),
    status: 400,
    code: 'PRIVATE_TARGET',
  },
  {
    name: 'PUT IPv4-mapped IPv6 loopback',
    send: put('known', { ...goodConfig, url: 'http://[::ffff:127.0.0.1]/x' }),
    status: 400,
    code: 'PRIVATE_TARGET',
  },
  {
    name: 'PUT secret of 7 characters',
    send: put('known', { ...goodConfig, secret: 'short77' }),
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'PUT without secret',
    send: put('known', { url: goodConfig.url }),
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'PUT secret as a number',
    send: put('known', { ...goodConfig, secret: 123456789 }),
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'PUT enabled as a string',
    send: put('known', { ...goodConfig, enabled: 'yes' }),
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'PUT batching as a number',
    send: put('known', { ...goodConfig, batching: 1 }),
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'PUT events not an array',
    send: put('known', { ...goodConfig, events: 'CHECK_COMPLETED' }),
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'PUT events with a bad type',
    send: put('known', { ...goodConfig, events: ['check completed'] }),
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'PUT extra field',
    send: put('known', { ...goodConfig, colour: 'blue' }),
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'PUT unknown region',
    send: put('known', { ...goodConfig, region: 'mars' }),
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    name: 'PUT body is an array',
    send: (h) => raw(h, 'PUT', '/v1/customers/known/webhook', '[]'),
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'PUT malformed JSON',
    send: (h) => raw(h, 'PUT', '/v1/customers/known/webhook', '{"url": '),
    status: 400,
    code: 'MALFORMED_JSON',
  },
  {
    name: 'PUT wrong content type',
    send: (h) => raw(h, 'PUT', '/v1/customers/known/webhook', 'url=x', 'application/x-www-form-urlencoded'),
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
  },
  // REST: customer ids that are not one subject token
  { name: "customerId with '.'", send: put('a.b', goodConfig), status: 400, code: 'BAD_REQUEST' },
  { name: "customerId with '*'", send: put('a*', goodConfig), status: 400, code: 'BAD_REQUEST' },
  { name: "customerId with '>'", send: put('a%3E', goodConfig), status: 400, code: 'BAD_REQUEST' },
  { name: 'customerId with a space', send: put('a%20b', goodConfig), status: 400, code: 'BAD_REQUEST' },
  {
    name: 'customerId of 65 characters',
    send: put('c'.repeat(65), goodConfig),
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    name: "POST message for customerId with '.'",
    send: post('a.b', message),
    status: 400,
    code: 'BAD_REQUEST',
  },
  // REST: messages
  {
    name: 'POST message with a lowercase event',
    send: post('known', { ...message, event: 'check.completed' }),
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'POST message without event',
    send: post('known', { data: {} }),
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'POST message with data a string',
    send: post('known', { ...message, data: 'hello' }),
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'POST message with data an array',
    send: post('known', { ...message, data: [1, 2] }),
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'POST message with an empty idempotency key',
    send: post('known', { ...message, idempotencyKey: '' }),
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'POST message over 256 KiB',
    send: post('known', { event: 'E', data: big(270 * 1024) }),
    status: 413,
    code: 'MESSAGE_TOO_LARGE',
  },
  {
    name: 'POST body over the parser limit',
    send: post('known', { event: 'E', data: big(400 * 1024) }),
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
  },
  // REST: unknown things and bad parameters
  {
    name: 'GET status of an unknown customer',
    send: (h) => raw(h, 'GET', '/v1/customers/nobody/webhook/status'),
    status: 404,
    code: 'NOT_FOUND',
  },
  {
    name: 'GET config of an unknown customer',
    send: (h) => raw(h, 'GET', '/v1/customers/nobody/webhook'),
    status: 404,
    code: 'NOT_FOUND',
  },
  {
    name: 'retry an unknown customer',
    send: (h) => raw(h, 'POST', '/v1/customers/nobody/webhook/retry'),
    status: 404,
    code: 'NOT_FOUND',
  },
  {
    name: 'refresh an unknown customer',
    send: (h) => raw(h, 'POST', '/v1/customers/nobody/webhook/refresh'),
    status: 404,
    code: 'NOT_FOUND',
  },
  {
    name: 'purge an unknown customer',
    send: (h) => raw(h, 'POST', '/v1/customers/nobody/webhook/purge'),
    status: 404,
    code: 'NOT_FOUND',
  },
  {
    name: 'purge with a negative id',
    send: (h) => raw(h, 'POST', '/v1/customers/known/webhook/purge', '{"throughWebhookId":-1}'),
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'webhook id not a number',
    send: (h) => raw(h, 'GET', '/v1/customers/known/webhooks/abc'),
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    name: 'unknown webhook of a known customer',
    send: (h) => raw(h, 'GET', '/v1/customers/known/webhooks/999999'),
    status: 404,
    code: 'NOT_FOUND',
  },
  {
    name: 'audit with limit 0',
    send: (h) => raw(h, 'GET', '/v1/customers/known/audit?limit=0'),
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'audit with limit abc',
    send: (h) => raw(h, 'GET', '/v1/customers/known/audit?limit=abc'),
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'status list with an unknown queue state',
    send: (h) => raw(h, 'GET', '/v1/status?queue=broken'),
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  { name: 'unknown route', send: (h) => raw(h, 'GET', '/v1/nothing-here'), status: 404, code: 'NOT_FOUND' },
  // NATS request/reply
  {
    name: 'NATS publish: not JSON',
    send: (h) => nats(h, 'publish', 'not json'),
    status: 400,
    code: 'MALFORMED_JSON',
  },
  {
    name: 'NATS publish: an idempotency key with a control character',
    send: (h) => nats(h, 'publish', { ...natsMessage, idempotencyKey: 'key\nInjected: header' }),
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'POST message with an idempotency key holding a control character',
    send: post('known', { ...message, idempotencyKey: 'a\u0000b' }),
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'NATS publish: no customerId',
    send: (h) => nats(h, 'publish', message),
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: "NATS publish: customerId with '.'",
    send: (h) => nats(h, 'publish', { ...natsMessage, customerId: 'a.b' }),
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: "NATS publish: customerId with '*'",
    send: (h) => nats(h, 'publish', { ...natsMessage, customerId: 'a*' }),
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: "NATS publish: customerId with '>'",
    send: (h) => nats(h, 'publish', { ...natsMessage, customerId: '>' }),
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'NATS publish: customerId with a space',
    send: (h) => nats(h, 'publish', { ...natsMessage, customerId: 'a b' }),
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'NATS publish: extra field',
    send: (h) => nats(h, 'publish', { ...natsMessage, priority: 'high' }),
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'NATS publish: data a number',
    send: (h) => nats(h, 'publish', { ...natsMessage, data: 42 }),
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'NATS publish: over 256 KiB',
    send: (h) => nats(h, 'publish', { ...natsMessage, data: big(270 * 1024) }),
    status: 413,
    code: 'MESSAGE_TOO_LARGE',
  },
  {
    name: 'NATS publish.batch: empty',
    send: (h) => nats(h, 'publish.batch', { messages: [] }),
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'NATS publish.batch: 1,001 messages',
    send: (h) => nats(h, 'publish.batch', { messages: Array(1001).fill(natsMessage) }),
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'NATS publish.batch: one bad message among good ones',
    send: (h) =>
      nats(h, 'publish.batch', {
        messages: [natsMessage, { ...natsMessage, event: 'bad event' }, natsMessage],
      }),
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'NATS status: unknown customer',
    send: (h) => nats(h, 'status', { customerId: 'nobody' }),
    status: 404,
    code: 'NOT_FOUND',
  },
  {
    name: 'NATS retry: customerId a number',
    send: (h) => nats(h, 'retry', { customerId: 5 }),
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'NATS refresh: no customerId',
    send: (h) => nats(h, 'refresh', {}),
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  // Secrets that cannot travel in a header, on every path that sets one
  ...headerUnsafeSecrets.flatMap(([name, secret]): BadCase[] => [
    {
      name: `PUT secret with ${name}`,
      send: put('known', { ...goodConfig, secret }),
      status: 400,
      code: 'VALIDATION_FAILED',
    },
    {
      name: `rotate to a secret with ${name}`,
      send: (h) => raw(h, 'POST', '/v1/customers/known/webhook/secret/rotate', JSON.stringify({ secret })),
      status: 400,
      code: 'VALIDATION_FAILED',
    },
    {
      name: `NATS secret.rotate to a secret with ${name}`,
      send: (h) => nats(h, 'secret.rotate', { customerId: 'known', secret }),
      status: 400,
      code: 'VALIDATION_FAILED',
    },
  ]),
  // Malformed or over-long idempotency keys, on REST and NATS
  ...badKeys.flatMap(([name, idempotencyKey]): BadCase[] => [
    {
      name: `POST message with an idempotency key of ${name}`,
      send: post('known', { ...message, idempotencyKey }),
      status: 400,
      code: 'VALIDATION_FAILED',
    },
    {
      name: `NATS publish: an idempotency key of ${name}`,
      send: (h) => nats(h, 'publish', { ...natsMessage, idempotencyKey }),
      status: 400,
      code: 'VALIDATION_FAILED',
    },
    {
      name: `NATS publish.batch: an idempotency key of ${name}`,
      send: (h) => nats(h, 'publish.batch', { messages: [natsMessage, { ...natsMessage, idempotencyKey }] }),
      status: 400,
      code: 'VALIDATION_FAILED',
    },
  ]),
  // JSON deeper than a message may nest: refused before it is parsed or validated
  {
    name: 'POST message with data 10,000 levels deep',
    send: (h) => raw(h, 'POST', '/v1/customers/known/messages', `{"event":"E","data":${deepText(10_000)}}`),
    status: 400,
    code: 'UNSUPPORTED_JSON',
  },
  {
    name: 'POST message with data 65 levels deep (one past the limit)',
    send: post('known', { event: 'E', data: deepData(65) }),
    status: 400,
    code: 'UNSUPPORTED_JSON',
  },
  {
    name: 'PUT webhook with an extra field 10,000 arrays deep',
    send: (h) =>
      raw(
        h,
        'PUT',
        '/v1/customers/known/webhook',
        `{"url":"https://a.example/","secret":"long-enough-secret","x":${'['.repeat(10_000)}${']'.repeat(10_000)}}`,
      ),
    status: 400,
    code: 'UNSUPPORTED_JSON',
  },
  {
    name: 'NATS publish: data 10,000 levels deep',
    send: (h) => nats(h, 'publish', `{"customerId":"known","event":"E","data":${deepText(10_000)}}`),
    status: 400,
    code: 'UNSUPPORTED_JSON',
  },
  {
    name: 'NATS publish.batch: data 10,000 levels deep',
    send: (h) =>
      nats(
        h,
        'publish.batch',
        `{"messages":[{"customerId":"known","event":"E","data":${deepText(10_000)}}]}`,
      ),
    status: 400,
    code: 'UNSUPPORTED_JSON',
  },
  {
    name: 'NATS publish.batch: data 65 levels deep (the same limit as REST)',
    send: (h) => nats(h, 'publish.batch', { messages: [{ ...natsMessage, data: deepData(65) }] }),
    status: 400,
    code: 'UNSUPPORTED_JSON',
  },
  {
    name: 'NATS status: a body 10,000 levels deep',
    send: (h) => nats(h, 'status', `{"customerId":${deepText(10_000)}}`),
    status: 400,
    code: 'UNSUPPORTED_JSON',
  },
  // Numbers a double cannot carry: they would reach the receiver changed
  {
    name: 'POST message with the number 1e400 (would arrive as null)',
    send: (h) => raw(h, 'POST', '/v1/customers/known/messages', '{"event":"E","data":{"n":1e400}}'),
    status: 400,
    code: 'UNSUPPORTED_JSON',
  },
  {
    name: 'NATS publish: the number 9007199254740993 (would arrive rounded)',
    send: (h) => nats(h, 'publish', '{"customerId":"known","event":"E","data":{"n":9007199254740993}}'),
    status: 400,
    code: 'UNSUPPORTED_JSON',
  },
  {
    name: 'POST message body that is not UTF-8',
    send: async (h) => {
      const response = await fetch(`${h.service.url}/v1/customers/known/messages`, {
        method: 'POST',
        headers: { authorization: `Bearer ${h.service.adminToken}`, 'content-type': 'application/json' },
        body: Buffer.from([
          ...Buffer.from('{"event":"E","data":{"s":"'),
          0xed,
          0xa0,
          0x80,
          ...Buffer.from('"}}'),
        ]),
      });
      return { status: response.status, body: await response.json() };
    },
    status: 400,
    code: 'MALFORMED_JSON',
  },
  {
    name: 'NATS publish: a body that is not UTF-8',
    send: (h) =>
      nats(
        h,
        'publish',
        Buffer.from([
          ...Buffer.from('{"customerId":"known","event":"E","data":{"s":"'),
          0xff,
          ...Buffer.from('"}}'),
        ]),
      ),
    status: 400,
    code: 'MALFORMED_JSON',
  },
  // 500s where a 400 belongs
  {
    name: 'PUT a secret that also appears in the url',
    send: put('known', {
      url: 'https://hooks.example.com/x?key=long-enough-secret',
      secret: 'long-enough-secret',
    }),
    status: 400,
    code: 'SECRET_NOT_ALLOWED',
  },
  {
    name: 'PUT the secret acceptAny2xx (a name Hookpost records)',
    send: put('known', { ...goodConfig, secret: 'acceptAny2xx' }),
    status: 400,
    code: 'SECRET_NOT_ALLOWED',
  },
  {
    name: 'PUT a secret that is one of the event types',
    send: put('known', { ...goodConfig, secret: 'CHECK_COMPLETED', events: ['CHECK_COMPLETED'] }),
    status: 400,
    code: 'SECRET_NOT_ALLOWED',
  },
  ...['http://[::ffff:127.0.0.1%25lo]:38412/', 'http://[fe80::1%25eth0]/hook', 'https://[::1%251]/'].map(
    (url): BadCase => ({
      name: `PUT url with an IPv6 zone id ${url}`,
      send: put('known', { ...goodConfig, url }),
      status: 400,
      code: 'VALIDATION_FAILED',
    }),
  ),
  ...['9007199254740993', '2147483648', '1e3', '0x10', '-1', '1.5'].map((after): BadCase => ({
    name: `audit with after=${after}`,
    send: (h) => raw(h, 'GET', `/v1/customers/known/audit?after=${after}`),
    status: 400,
    code: 'VALIDATION_FAILED',
  })),
  ...['1e20', '9007199254740993', '99999999999999999999', '0', '0x1', '1.0'].map((id): BadCase => ({
    name: `webhooks/${id}`,
    send: (h) => raw(h, 'GET', `/v1/customers/known/webhooks/${id}`),
    status: 400,
    code: 'BAD_REQUEST',
  })),
  {
    name: 'purge through webhookId 1e20',
    send: (h) => raw(h, 'POST', '/v1/customers/known/webhook/purge', '{"throughWebhookId":1e20}'),
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'NATS status.list with limit 1e20',
    send: (h) => nats(h, 'status.list', '{"limit":1e20}'),
    status: 400,
    code: 'VALIDATION_FAILED',
  },
];

describe('bad input gets a clear error and changes nothing', () => {
  let h: Harness;
  let db: pg.Client;

  /** What a bad request must not change: the event log, the projection rows and the queue. */
  const footprint = async () => {
    const events = await db.query<{ n: string }>('SELECT COUNT(*) AS n FROM events');
    const rows = await db.query<{ n: string }>('SELECT COUNT(*) AS n FROM customer_status');
    const jsm = await jetstreamManager(h.client);
    const stream = await jsm.streams.info(`${h.service.namespace.toUpperCase()}_QUEUE`);
    return {
      events: Number(events.rows[0]!.n),
      rows: Number(rows.rows[0]!.n),
      queued: stream.state.messages,
    };
  };

  beforeAll(async () => {
    h = await startHarness({ HOOKPOST_ALLOW_PRIVATE_TARGETS: 'false' });
    db = new pg.Client({ connectionString: h.db.url });
    await db.connect();
    // Disabled, so the messages the idempotency-key test queues wait instead of failing at the
    // unreachable URL: a failure logged mid-table would change the footprint a case is checked by.
    const configured = await h.service.api('PUT', '/v1/customers/known/webhook', {
      ...goodConfig,
      enabled: false,
    });
    expect(configured.status).toBe(200);
  });
  afterAll(async () => {
    await db?.end();
    await h?.close();
  });

  test(`the table holds at least 40 cases (${cases.length})`, () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
  });

  test('a refused secret is told what is allowed: visible ASCII', async () => {
    const response = await put('known', { ...goodConfig, secret: 'whsec_line\r\nbreak' })(h);
    expect(response.body.error.message).toMatch(/visible ASCII/);
  });

  test('an idempotency key of 200 emoji is taken on REST and NATS alike, and one key is one message', async () => {
    const key = emoji(200);
    const viaRest = await post('known', { ...message, idempotencyKey: key })(h);
    expect(viaRest.status).toBe(202);
    const viaNats = await nats(h, 'publish', { ...natsMessage, idempotencyKey: key });
    expect(viaNats.body).toEqual({ webhookId: viaRest.body.webhookId });
    const viaBatch = await nats(h, 'publish.batch', { messages: [{ ...natsMessage, idempotencyKey: key }] });
    expect(viaBatch.body).toEqual({ webhookIds: [viaRest.body.webhookId] });
  });

  test.each(cases)('$name -> $status $code', async ({ send, status, code }) => {
    const before = await footprint();
    const response = await send(h);
    expect({ status: response.status, code: response.body?.error?.code }).toEqual({ status, code });
    expect(typeof response.body.error.message).toBe('string');
    expect(JSON.stringify(response.body)).not.toMatch(/at \w+ \(|QueryFailedError|SELECT |node_modules/);
    expect(await footprint()).toEqual(before);
  });

  test.each([
    ['GET', '/v1/customers/known/webhook/status'],
    ['PUT', '/v1/customers/known/webhook'],
    ['POST', '/v1/customers/known/messages'],
    ['POST', '/v1/customers/known/webhook/retry'],
    ['GET', '/v1/status'],
  ])('%s %s without the admin token or with a wrong one -> 401', async (method, path) => {
    const before = await footprint();
    for (const authorization of [undefined, 'Bearer wrong-token', `Basic ${h.service.adminToken}`]) {
      const response = await fetch(`${h.service.url}${path}`, {
        method,
        headers: { ...(authorization ? { authorization } : {}), 'content-type': 'application/json' },
        ...(method === 'GET' ? {} : { body: JSON.stringify(goodConfig) }),
      });
      expect(response.status).toBe(401);
      expect(((await response.json()) as any).error.code).toBe('UNAUTHORIZED');
    }
    expect(await footprint()).toEqual(before);
  });
});
