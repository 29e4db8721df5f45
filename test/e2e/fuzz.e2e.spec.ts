import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { headers as natsHeaders } from '@nats-io/transport-node';
import fc from 'fast-check';
import pg from 'pg';
import { anyBytes, anyString, canonical, dataText, jsonText } from '../fuzz/json-text.js';
import { FUZZ_RUNS, InputCount, runs } from '../fuzz/fuzz-settings.js';
import { findSecret, SecretScanner } from '../fuzz/secret-forms.js';
import type { ReceiverResponse, RecordedRequest } from '../support/receiver.js';
import { customerOf, startHarness, type Harness } from './harness.js';

/**
 * Fuzzing every entry point against one running service (FUZZ_RUNS sets the length; `npm test` runs
 * a short one, `npm run test:fuzz` a long one). Invariants: never a 5xx; accepted data arrives
 * exactly as sent; a refused input changes no event, row or stream message; no secret in any form
 * in any reply, row, log line or feed message; one message never blocks a queue.
 */
const TIMEOUT = 120_000 + FUZZ_RUNS * 60;
const FAILURE_CODES = new Set(['INTERNAL', 'NATS_UNAVAILABLE', 'DATABASE_UNAVAILABLE', 'QUEUE_FULL']);
const PER_ENTRY = 4;
/**
 * Customers the raw JetStream messages are spread over: each input and its sentinel go to one of
 * them, so a message that blocks a queue still shows (its sentinel is never delivered), and a long
 * run's thousands of messages drain in parallel instead of one at a time through four queues.
 */
const RAW_CUSTOMERS = 64;

/** What the receiver got for each webhookId, per customer (a live index, built as requests arrive). */
class Deliveries {
  private seen = 0;
  readonly byId = new Map<string, Map<number, { event: string; data: string }>>();

  update(requests: readonly RecordedRequest[]): void {
    for (; this.seen < requests.length; this.seen++) {
      const request = requests[this.seen]!;
      if (request.status !== 200) {
        continue;
      }
      const parsed = JSON.parse(request.body) as unknown;
      const messages = (Array.isArray(parsed) ? parsed : [parsed]) as Array<{
        id: number;
        event: string;
        data: unknown;
      }>;
      const mine = this.byId.get(customerOf(request)) ?? new Map();
      messages.forEach((m) => mine.set(m.id, { event: m.event, data: JSON.stringify(m.data) }));
      this.byId.set(customerOf(request), mine);
    }
  }

  has(customerId: string, id: number): boolean {
    return this.byId.get(customerId)?.has(id) ?? false;
  }
}

describe('fuzzing every entry point', () => {
  let h: Harness;
  let db: pg.Client;
  const count = new InputCount();
  const secrets = new Set<string>();
  const deliveries = new Deliveries();
  const started = Date.now();
  /** Per echo customer: how the receiver answers it. */
  const plans = new Map<string, ReceiverResponse>();
  /** What each raw JetStream input was, by sequence, to name the one that blocked a queue. */
  const rawInputs = new Map<number, string>();

  beforeAll(async () => {
    h = await startHarness({ HOOKPOST_BACKOFF_BASE_MS: '1000' });
    db = new pg.Client({ connectionString: h.db.url });
    await db.connect();
    h.receiver.respondWith((request) => {
      const plan = plans.get(customerOf(request));
      return plan ?? { status: 200, body: '{}' };
    });
    for (const prefix of ['fz-rest', 'fz-publish', 'fz-batch']) {
      for (let i = 0; i < PER_ENTRY; i++) {
        await h.configure(`${prefix}-${i}`, { batching: i % 2 === 1 });
      }
    }
    // Raw messages go to customers without batching (poison among live batches has its own test,
    // poison-live-batches.e2e.spec.ts).
    for (let i = 0; i < RAW_CUSTOMERS; i++) {
      await h.configure(`fz-raw-${i}`);
    }
    // Refusals are judged against a customer that never delivers (nothing moves behind the checks).
    await h.configure('fz-known', { enabled: false });
  }, 120_000);

  afterAll(async () => {
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    process.stdout.write(`\nfuzz: ${count.total()} generated inputs in ${seconds} s (${count.summary()})\n`);
    await db?.end();
    await h?.close();
  });

  /** A REST call with a raw body; the status and the reply text. */
  async function rest(
    method: string,
    path: string,
    body?: string | Uint8Array,
    headers: Record<string, string> = {},
  ) {
    const response = await fetch(`${h.service.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${h.service.adminToken}`,
        'content-type': 'application/json',
        ...headers,
      },
      ...(body === undefined || method === 'GET' ? {} : { body }),
    });
    return { status: response.status, text: await response.text() };
  }

  /** A NATS request; a reply with a failure code counts as a 5xx. */
  async function request(pattern: string, body: string | Uint8Array, headers?: Record<string, string>) {
    const h2 = natsHeaders();
    Object.entries(headers ?? {}).forEach(([name, value]) => h2.set(name, value));
    const reply = await h.client.request(`${h.service.namespace}.${pattern}`, body, {
      timeout: 10_000,
      headers: h2,
    });
    const text = reply.string();
    const parsed = JSON.parse(text) as { error?: { code: string } } | null;
    const code = parsed?.error?.code;
    return { status: code === undefined ? 200 : FAILURE_CODES.has(code) ? 500 : 400, text, body: parsed };
  }

  /** What a refused input must leave as it was: the log, the projection rows, the queue stream. */
  async function footprint() {
    const { rows } = await db.query<{ p: string; c: string; last: string | null }>(
      `SELECT (SELECT COALESCE(MAX("position"), 0) FROM "events") AS p, (SELECT COUNT(*) FROM "customer_status") AS c,
        (SELECT "customer_id" || ' ' || "type" FROM "events" ORDER BY "position" DESC LIMIT 1) AS last`,
    );
    const jsm = await jetstreamManager(h.client);
    const stream = await jsm.streams.info(`${h.service.namespace.toUpperCase()}_QUEUE`);
    return `events@${rows[0]!.p} (last: ${rows[0]!.last}) rows=${rows[0]!.c} queue@${stream.state.last_seq}`;
  }

  /** Waits until every expected (customer, id) was delivered. */
  async function waitDelivered(expected: ReadonlyArray<{ customerId: string; id: number }>) {
    // Filters only what was still missing at the last check: the predicate runs on every request.
    let remaining = [...expected];
    const missing = () =>
      (remaining = remaining.filter(({ customerId, id }) => !deliveries.has(customerId, id)));
    try {
      await h.receiver.waitFor(
        (all) => {
          deliveries.update(all);
          return missing().length === 0;
        },
        60_000 + expected.length * 20,
      );
    } catch {
      const first = missing()[0]!;
      const stuck = [...rawInputs].filter(([seq]) => seq < first.id && seq > first.id - 3);
      process.stdout.write(`fuzz: inputs before ${first.id}: ${JSON.stringify(stuck)}\n`);
      const status = await rest('GET', `/v1/customers/${first.customerId}/webhook/status`);
      throw new Error(
        `${missing().length} not delivered, first ${JSON.stringify(first)}; status ${status.text}`,
      );
    }
  }

  type Publish = (customerId: string, data: string) => Promise<{ status: number; text: string; id?: number }>;
  const ENTRY_POINTS: Array<[string, string, Publish]> = [
    [
      'REST POST messages',
      'fz-rest',
      async (customerId, data) => {
        const reply = await rest(
          'POST',
          `/v1/customers/${customerId}/messages`,
          `{"event":"FUZZ","data":${data}}`,
        );
        return {
          ...reply,
          id: reply.status === 202 ? (JSON.parse(reply.text) as { webhookId: number }).webhookId : undefined,
        };
      },
    ],
    [
      '<ns>.publish',
      'fz-publish',
      async (customerId, data) => {
        const reply = await request(
          'publish',
          `{"customerId":"${customerId}","event":"FUZZ","data":${data}}`,
        );
        return {
          ...reply,
          status: reply.status === 200 ? 202 : reply.status,
          id: (reply.body as { webhookId?: number }).webhookId,
        };
      },
    ],
    [
      '<ns>.publish.batch',
      'fz-batch',
      async (customerId, data) => {
        const message = `{"customerId":"${customerId}","event":"FUZZ","data":${data}}`;
        const reply = await request('publish.batch', `{"messages":[${message}]}`);
        const ids = (reply.body as { webhookIds?: number[] }).webhookIds;
        return { ...reply, status: reply.status === 200 ? 202 : reply.status, id: ids?.[0] };
      },
    ],
  ];

  test.each(ENTRY_POINTS)(
    '%s: accepted data arrives exactly as sent, anything else is a clear 4xx',
    async (name, prefix, publish) => {
      const expected: Array<{ customerId: string; id: number; data: string; sent: string }> = [];
      await fc.assert(
        fc.asyncProperty(fc.nat(PER_ENTRY - 1), dataText, async (index, data) => {
          const customerId = `${prefix}-${index}`;
          count.add(name);
          const reply = await publish(customerId, data);
          expect(reply.status).toBeLessThan(500);
          if (reply.status === 202) {
            expected.push({ customerId, id: reply.id!, data: canonical(data), sent: data });
          } else {
            // Only a payload that cannot be carried exactly (depth, numbers, size) may be refused.
            expect(reply.text).toMatch(/UNSUPPORTED_JSON|MESSAGE_TOO_LARGE/);
          }
        }),
        runs(),
      );
      await waitDelivered(expected);
      for (const { customerId, id, data, sent } of expected) {
        expect({ sent, delivered: deliveries.byId.get(customerId)!.get(id)!.data }).toEqual({
          sent,
          delivered: data,
        });
      }
    },
    TIMEOUT,
  );

  test(
    'raw JetStream messages of any bytes and headers never block a queue, valid ones arrive exactly',
    async () => {
      const js = jetstream(h.client);
      const expected: Array<{ customerId: string; id: number; data?: string }> = [];
      const header = fc.tuple(
        fc.oneof(
          fc.constantFrom('Nats-Msg-Id', 'Hookpost-Position', 'Content-Type'),
          fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,12}$/),
        ),
        fc.stringMatching(/^[\x21-\x7e]{1,40}$/),
      );
      const body = fc.oneof(
        anyBytes,
        dataText.map((data) => new TextEncoder().encode(`{"event":"FUZZ","data":${data}}`)),
      );
      await fc.assert(
        fc.asyncProperty(
          fc.nat(RAW_CUSTOMERS - 1),
          body,
          fc.array(header, { maxLength: 3 }),
          async (index, bytes, pairs) => {
            const customerId = `fz-raw-${index}`;
            const subject = `${h.service.namespace}.queue.${customerId}`;
            const hdrs = natsHeaders();
            pairs.forEach(([name, value]) => hdrs.set(name, value));
            count.add('raw JetStream');
            const ack = await js.publish(subject, bytes, { headers: hdrs }).catch(() => null);
            if (ack !== null) {
              rawInputs.set(
                ack.seq,
                `${Buffer.from(bytes).toString('utf8').slice(0, 300)} headers ${JSON.stringify(pairs)}`,
              );
            }
            if (ack !== null && !ack.duplicate) {
              let data: string | undefined;
              try {
                const parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as {
                  data?: unknown;
                };
                data = JSON.stringify(parsed.data);
              } catch {
                data = undefined;
              }
              expected.push({ customerId, id: -ack.seq, data }); // negative: may be skipped
            }
            const sentinel = await js.publish(subject, '{"event":"SENTINEL","data":{"after":true}}');
            expected.push({ customerId, id: sentinel.seq });
          },
        ),
        runs(),
      );
      await waitDelivered(expected.filter(({ id }) => id > 0));
      for (const { customerId, id, data } of expected.filter((e) => e.id < 0)) {
        const delivered = deliveries.byId.get(customerId)?.get(-id);
        if (delivered !== undefined) {
          expect({ id: -id, delivered: delivered.data }).toEqual({ id: -id, delivered: data });
        }
      }
    },
    TIMEOUT,
  );

  /** Requests of any shape to every REST route and NATS pattern. */
  const segment = fc.oneof(
    fc.constantFrom('fz-known', 'nobody', '0', '1e20', '9007199254740993', '-1', '%2e%2e', 'a.b', '%00'),
    // Every byte percent-encoded (encodeURIComponent refuses lone surrogates).
    anyString.map((value) =>
      [...Buffer.from(value)]
        .map((byte) => `%${byte.toString(16).padStart(2, '0')}`)
        .join('')
        .slice(0, 90),
    ),
  );
  const envelope = fc.oneof(
    jsonText.value,
    fc
      .tuple(dataText, fc.oneof(anyString, fc.constant(undefined)))
      .map(
        ([data, key]) =>
          `{"customerId":"fz-known","event":"FUZZ","data":${data}${key === undefined ? '' : `,"idempotencyKey":${JSON.stringify(key)}`}}`,
      ),
    fc.tuple(anyString, anyString).map(([url, secret]) => JSON.stringify({ url, secret, enabled: false })),
    fc
      .stringMatching(/^[\x21-\x7e]{0,300}$/)
      .map((secret) => JSON.stringify({ url: 'http://127.0.0.1:9/x', secret, enabled: false })),
    jsonText.value.map(
      (value) => `{"customerId":${value},"limit":${value},"after":${value},"queue":${value}}`,
    ),
  );
  const restRequest = fc.record({
    method: fc.constantFrom('GET', 'PUT', 'POST', 'DELETE', 'PATCH'),
    path: fc.oneof(
      fc
        .tuple(
          segment,
          fc.constantFrom(
            '/webhook',
            '/webhook/status',
            '/webhook/retry',
            '/webhook/refresh',
            '/webhook/purge',
            '/messages',
            '/status-links',
            '/webhook/secret/rotate',
          ),
        )
        .map(([id, route]) => `/v1/customers/${id}${route}`),
      fc
        .tuple(segment, segment, segment)
        .map(([id, a, b]) => `/v1/customers/${id}/audit?after=${a}&limit=${b}`),
      fc.tuple(segment, segment).map(([id, w]) => `/v1/customers/${id}/webhooks/${w}`),
      fc.tuple(segment, segment).map(([q, a]) => `/v1/status?queue=${q}&after=${a}&limit=${a}`),
      fc.constantFrom('/v1/status/summary', '/health', '/metrics', '/ui', '/docs-json'),
    ),
    body: fc.oneof(envelope, anyBytes),
    headers: fc.dictionary(
      fc.oneof(
        fc.constantFrom('content-type', 'x-request-id', 'accept', 'content-encoding'),
        fc.stringMatching(/^x-[a-z0-9-]{1,12}$/),
      ),
      fc.oneof(
        fc.constantFrom('application/json; charset=latin1', 'text/plain', 'application/json', 'gzip'),
        fc.stringMatching(/^[\x21-\x7e]{1,40}$/),
      ),
      { maxKeys: 3 },
    ),
  });
  const natsRequest = fc.record({
    pattern: fc.constantFrom('publish', 'publish.batch', 'status', 'status.list', 'retry', 'refresh'),
    body: fc.oneof(
      envelope,
      envelope.map((one) => `{"messages":[${one},${one}]}`),
      anyBytes,
    ),
    headers: fc.dictionary(
      fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,12}$/),
      fc.stringMatching(/^[\x21-\x7e]{1,40}$/),
      { maxKeys: 3 },
    ),
  });

  test(
    'requests of any shape: never a 5xx, a refusal changes nothing, no secret sent comes back',
    async () => {
      // Judged on a quiet service: wait until the earlier properties' deliveries have settled.
      let before = await footprint();
      for (let stable = 0; stable < 5;) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        const now = await footprint();
        stable = now === before ? stable + 1 : 0;
        before = now;
      }
      const check = async (reply: { status: number; text: string }, sent: string) => {
        expect(reply.status).toBeLessThan(500);
        const secret = /"secret":("(?:[^"\\]|\\.){8,}")/.exec(sent)?.[1];
        if (secret !== undefined) {
          const value = JSON.parse(secret) as string;
          expect(findSecret(reply.text, [value])).toBeNull();
        }
        const after = await footprint();
        if (reply.status >= 400) {
          expect({ sent, after }).toEqual({ sent, after: before });
        }
        before = after;
      };
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            restRequest.map((r) => ({ rest: r })),
            natsRequest.map((r) => ({ nats: r })),
          ),
          async (input) => {
            if ('rest' in input) {
              const { method, path, body, headers } = input.rest;
              count.add('REST any request');
              const reply = await rest(method, path, body, headers).catch((error: unknown) => ({
                status: 0,
                text: String(error),
              }));
              // fetch itself refuses some header combinations; that input never reached the service.
              if (reply.status !== 0) {
                await check(reply, typeof body === 'string' ? body : '');
              }
            } else {
              const { pattern, body, headers } = input.nats;
              count.add('NATS any request');
              await check(await request(pattern, body, headers), typeof body === 'string' ? body : '');
            }
          },
        ),
        runs(3),
      );
    },
    TIMEOUT,
  );

  test(
    'receiver responses of any kind, echoing the secret in any form: no secret anywhere, the queue moves on',
    async () => {
      let n = 0;
      const secret = fc
        .tuple(fc.stringMatching(/^[A-Za-z0-9]{12}$/), fc.stringMatching(/^[\x21-\x7e]{0,20}$/))
        .map(([a, b]) => `whsec_${a}${b}`);
      const echo = fc.constantFrom('raw', 'json', 'base64', 'base64url', 'hex', 'url', 'header');
      const response = fc.record({
        status: fc.constantFrom(200, 201, 204, 301, 302, 400, 401, 403, 404, 408, 429, 500, 502, 503),
        echo,
        wrap: fc.constantFrom('json', 'text', 'html'),
        header: fc.stringMatching(/^[a-z][a-z-]{0,10}$/),
      });
      await fc.assert(
        fc.asyncProperty(secret, response, async (value, plan) => {
          const customerId = `fz-echo-${n++}`;
          count.add('receiver response');
          const configured = await rest(
            'PUT',
            `/v1/customers/${customerId}/webhook`,
            JSON.stringify({ url: `${h.receiver.url}/${customerId}`, secret: value }),
          );
          if (configured.status !== 200) {
            expect(configured.status).toBe(400); // e.g. a secret that appears in the url
            return;
          }
          secrets.add(value);
          plans.set(customerId, answer(value, plan));
          const first = await rest(
            'POST',
            `/v1/customers/${customerId}/messages`,
            '{"event":"FUZZ","data":{"n":1}}',
          );
          await h.receiver.waitFor((all) => all.some((r) => customerOf(r) === customerId), 15_000);
          const sentinel = await rest(
            'POST',
            `/v1/customers/${customerId}/messages`,
            '{"event":"SENTINEL","data":{}}',
          );
          const id = (JSON.parse(first.text) as { webhookId: number }).webhookId;
          for (const path of [
            `/v1/customers/${customerId}/webhook/status`,
            `/v1/customers/${customerId}/audit`,
            `/v1/customers/${customerId}/webhooks/${id}`,
            `/v1/customers/${customerId}/webhook`,
          ]) {
            const reply = await rest('GET', path);
            expect({ path, found: findSecret(reply.text, [value]) }).toEqual({ path, found: null });
          }
          // Once the receiver answers 200, the head and the sentinel behind it go out.
          plans.delete(customerId);
          await rest('POST', `/v1/customers/${customerId}/webhook/retry`);
          await waitDelivered([
            { customerId, id: (JSON.parse(sentinel.text) as { webhookId: number }).webhookId },
          ]);
        }),
        runs(0.1),
      );
      const list = await rest('GET', '/v1/status?limit=1000');
      expect(findSecret(list.text, secrets)).toBeNull();
    },
    TIMEOUT,
  );

  test('no secret in any form in the rows, the service log or the feed', async () => {
    const scanner = new SecretScanner(secrets);
    const { rows } = await db.query<{ text: string }>(
      `SELECT "data" AS text FROM "events" WHERE "customer_id" LIKE 'fz-echo-%' UNION ALL SELECT "state" FROM "customer_status"`,
    );
    for (const { text } of rows) {
      expect(scanner.find(text)).toBeNull();
    }
    expect(scanner.find(h.service.logs())).toBeNull();
    const jsm = await jetstreamManager(h.client);
    const stream = `${h.service.namespace.toUpperCase()}_EVENTS`;
    const consumer = await jetstream(h.client).consumers.get(stream, {
      filter_subjects: [`${h.service.namespace}.events.fz-echo-*.>`],
    });
    const info = await jsm.streams.info(stream, {
      subjects_filter: `${h.service.namespace}.events.fz-echo-*.>`,
    });
    const total = Object.values(info.state.subjects ?? {}).reduce((sum, n) => sum + n, 0);
    for (let read = 0; read < total;) {
      const batch = await consumer.fetch({ max_messages: 500, expires: 2_000 });
      for await (const message of batch) {
        read++;
        expect(scanner.find(message.string())).toBeNull();
      }
    }
  });
});

/** The receiver's answer: the plan's status with the secret echoed in the chosen form and wrapping. */
function answer(
  secret: string,
  plan: { status: number; echo: string; wrap: string; header: string },
): ReceiverResponse {
  const bytes = Buffer.from(`Bearer ${secret}`);
  const forms: Record<string, string> = {
    raw: `Bearer ${secret}`,
    json: JSON.stringify({ authorization: `Bearer ${secret}` }),
    base64: bytes.toString('base64'),
    base64url: bytes.toString('base64url'),
    hex: bytes.toString('hex'),
    url: encodeURIComponent(`Bearer ${secret}`),
    header: 'see the header',
  };
  const echoed = forms[plan.echo]!;
  const body =
    plan.wrap === 'json'
      ? JSON.stringify({ error: 'unauthorized', received: echoed })
      : plan.wrap === 'html'
        ? `<html><body><pre>${echoed}</pre></body></html>`
        : `denied: ${echoed}`;
  return {
    status: plan.status,
    body: plan.status === 204 ? '' : body,
    headers: {
      [`x-${plan.header}`]: encodeURIComponent(secret),
      'content-type': plan.wrap === 'json' ? 'application/json' : 'text/plain',
      ...(plan.status >= 300 && plan.status < 400
        ? { location: `http://127.0.0.1:9/?s=${encodeURIComponent(secret)}` }
        : {}),
    },
  };
}
