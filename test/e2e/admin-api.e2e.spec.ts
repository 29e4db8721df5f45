import pg from 'pg';
import { customerOf, SECRET, startHarness, waitForStatus, type Harness } from './harness.js';

describe('admin API and NATS patterns: the contract', () => {
  let h: Harness;
  const nats = async (pattern: string, body: object) =>
    (
      await h.client.request(`${h.service.namespace}.${pattern}`, JSON.stringify(body), { timeout: 5_000 })
    ).json<any>();
  const requestsOf = (customerId: string) => h.receiver.requests.filter((r) => customerOf(r) === customerId);

  beforeAll(async () => {
    // A long backoff: only Retry can bring a failed head back quickly.
    h = await startHarness({ HOOKPOST_BACKOFF_BASE_MS: '600000' });
  });
  afterAll(() => h?.close());

  test('PUT and GET the webhook: the config comes back without the secret', async () => {
    const put = await h.service.api('PUT', '/v1/customers/contract/webhook', {
      url: `${h.receiver.url}/contract`,
      secret: SECRET,
      batching: true,
      events: ['CHECK_COMPLETED'],
      authorizationHeader: false,
      acceptAny2xx: true,
    });
    const expected = {
      customerId: 'contract',
      url: `${h.receiver.url}/contract`,
      enabled: true,
      batching: true,
      events: ['CHECK_COMPLETED'],
      authorizationHeader: false,
      acceptAny2xx: true,
      region: null,
      secretLast4: SECRET.slice(-4),
    };
    expect(put).toEqual({ status: 200, body: expected });
    expect(await h.service.api('GET', '/v1/customers/contract/webhook')).toEqual({
      status: 200,
      body: expected,
    });
  });

  test('a failing head: status shows it stalled; Refresh clears failures only; Retry attempts it now', async () => {
    const customerId = 'stuck';
    let healthy = false;
    h.receiver.respondWith((r) =>
      customerOf(r) === customerId && !healthy ? { status: 500, body: 'down' } : { status: 200 },
    );
    await h.configure(customerId);
    const posted = await h.service.api('POST', `/v1/customers/${customerId}/messages`, {
      event: 'CHECK_COMPLETED',
      data: { n: 1 },
    });
    expect(posted.status).toBe(202);
    const { webhookId } = posted.body;
    const stalled = await waitForStatus(h, customerId, (s) => s.attempts === 1);
    expect(stalled).toEqual({
      customerId,
      queue: 'stalled',
      pending: 1,
      enabled: true,
      lastProcessedAt: null,
      nextAttemptAt: expect.any(Number),
      attempts: 1,
      recentFailures: [
        {
          webhookId,
          lastWebhookId: webhookId,
          event: 'CHECK_COMPLETED',
          attempts: 1,
          statusCode: 500,
          error: 'HTTP 500: down',
          failedAt: expect.any(Number),
        },
      ],
      stepFailure: null,
    });
    expect(stalled.nextAttemptAt - stalled.recentFailures[0].failedAt).toBe(600_000);

    const refreshed = await h.service.api('POST', `/v1/customers/${customerId}/webhook/refresh`);
    expect(refreshed.status).toBe(200);
    expect(refreshed.body).toMatchObject({
      queue: 'stalled',
      pending: 1,
      attempts: 1,
      recentFailures: [],
      nextAttemptAt: stalled.nextAttemptAt,
    });

    healthy = true;
    const retried = await h.service.api('POST', `/v1/customers/${customerId}/webhook/retry`);
    expect(retried.status).toBe(202);
    await waitForStatus(h, customerId, (s) => s.queue === 'empty', 5_000);
    expect(requestsOf(customerId)).toHaveLength(2);

    const history = await h.service.api('GET', `/v1/customers/${customerId}/webhooks/${webhookId}`);
    expect(history.status).toBe(200);
    expect(history.body).toMatchObject({ customerId, webhookId, state: 'delivered' });
    expect(history.body.attempts.map((a: any) => [a.outcome, a.statusCode])).toEqual([
      ['failed', 500],
      ['succeeded', 200],
    ]);

    const audit = await h.service.api('GET', `/v1/customers/${customerId}/audit?limit=2`);
    expect(audit.body.events.map((e: any) => e.type)).toEqual(['WebhookConfigured', 'DeliveryFailed']);
    expect(audit.body.next).toBe(2);
    const rest = await h.service.api('GET', `/v1/customers/${customerId}/audit?after=2`);
    expect(rest.body.events.map((e: any) => [e.version, e.type])).toEqual([
      [3, 'FailuresCleared'],
      [4, 'RetryRequested'],
      [5, 'DeliverySucceeded'],
    ]);
    expect(rest.body.next).toBeNull();
    expect(JSON.stringify([audit.body, rest.body])).not.toContain(SECRET);
  });

  test('the audit trail serves an event written by an older Hookpost in the current shape', async () => {
    const customerId = 'old-log';
    await h.configure(customerId);
    // A v1 DeliveryFailed (before `event` was recorded), as an older Hookpost stored it.
    const v1 = {
      firstId: 7,
      lastId: 7,
      count: 1,
      attempt: 1,
      statusCode: 500,
      error: 'HTTP 500',
      durationMs: 3,
    };
    const client = new pg.Client({ connectionString: h.db.url });
    await client.connect();
    await client.query(
      `INSERT INTO "events" ("customer_id", "version", "type", "data", "recorded_at", "schema_version")
       VALUES ($1, 2, 'DeliveryFailed', $2, $3, 1)`,
      [customerId, JSON.stringify(v1), Date.now()],
    );
    await client.end();
    const audit = await h.service.api('GET', `/v1/customers/${customerId}/audit?after=1`);
    expect(audit.body.events).toEqual([
      { version: 2, type: 'DeliveryFailed', at: expect.any(Number), data: { ...v1, event: 'UNKNOWN' } },
    ]);
  });

  test('purge discards pending messages, records their ids, and later messages still go out', async () => {
    const customerId = 'purgeable';
    await h.configure(customerId, { enabled: false });
    const ids: number[] = [];
    for (let i = 0; i < 5; i += 1) {
      ids.push((await h.publish(customerId, 'CHECK_COMPLETED', { i })).webhookId);
    }
    await waitForStatus(h, customerId, (s) => s.pending === 5);
    const purged = await h.service.api('POST', `/v1/customers/${customerId}/webhook/purge`, {
      throughWebhookId: ids[2],
    });
    expect(purged.status).toBe(200);
    expect(purged.body).toMatchObject({ purged: 3, firstId: ids[0], lastId: ids[2], status: { pending: 2 } });
    const all = await h.service.api('POST', `/v1/customers/${customerId}/webhook/purge`);
    expect(all.body).toMatchObject({
      purged: 2,
      firstId: ids[3],
      lastId: ids[4],
      status: { queue: 'empty', pending: 0 },
    });
    const audit = await h.service.api('GET', `/v1/customers/${customerId}/audit`);
    expect(
      audit.body.events.filter((e: any) => e.type === 'QueuePurged').map((e: any) => e.data.ids),
    ).toEqual([ids.slice(0, 3), ids.slice(3)]);
    expect((await h.service.api('GET', `/v1/customers/${customerId}/webhooks/${ids[0]}`)).body.state).toBe(
      'purged',
    );

    await h.configure(customerId, { enabled: true });
    const after = (await h.publish(customerId, 'CHECK_COMPLETED', { i: 5 })).webhookId;
    await h.receiver.waitFor(() => requestsOf(customerId).length === 1, 10_000);
    expect(JSON.parse(requestsOf(customerId)[0]!.body).id).toBe(after);
  });

  test('GET /v1/status lists every customer, filters by queue state and pages', async () => {
    const all = await h.service.api('GET', '/v1/status');
    expect(all.status).toBe(200);
    expect(all.body.customers.map((c: any) => c.customerId)).toEqual(
      expect.arrayContaining(['contract', 'stuck', 'purgeable']),
    );
    const first = await h.service.api('GET', '/v1/status?limit=1');
    expect(first.body.customers).toHaveLength(1);
    const second = await h.service.api('GET', `/v1/status?limit=1&after=${first.body.next}`);
    expect(second.body.customers[0].customerId > first.body.next).toBe(true);
    const empty = await h.service.api('GET', '/v1/status?queue=empty');
    expect(empty.body.customers.every((c: any) => c.queue === 'empty')).toBe(true);
  });

  test('NATS status, retry and refresh answer plain requests with the REST shapes', async () => {
    const rest = await h.service.api('GET', '/v1/customers/stuck/webhook/status');
    expect(await nats('status', { customerId: 'stuck' })).toEqual(rest.body);
    expect(await nats('refresh', { customerId: 'stuck' })).toMatchObject({
      customerId: 'stuck',
      recentFailures: [],
    });
    expect(await nats('retry', { customerId: 'stuck' })).toMatchObject({
      customerId: 'stuck',
      queue: 'empty',
    });
    const batch = await nats('publish.batch', {
      messages: [
        { customerId: 'stuck', event: 'A', data: {} },
        { customerId: 'stuck', event: 'B', data: {} },
      ],
    });
    expect(batch.webhookIds).toHaveLength(2);
    expect(batch.webhookIds[1]).toBeGreaterThan(batch.webhookIds[0]);
    // An idempotencyKey of null is no key: accepted, and not deduplicated against another null.
    const nullKey = { customerId: 'stuck', event: 'C', data: {}, idempotencyKey: null };
    const first = await nats('publish', nullKey);
    const second = await nats('publish', nullKey);
    expect(second.webhookId).toBeGreaterThan(first.webhookId);
  });

  test('health and metrics are open; docs are served; metrics hold no secret and no customer label', async () => {
    const health = await fetch(`${h.service.url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({
      status: 'ok',
      info: { nats: { status: 'up' }, database: { status: 'up' } },
    });
    const metrics = await (await fetch(`${h.service.url}/metrics`)).text();
    for (const name of [
      'hookpost_deliveries_total',
      'hookpost_delivery_duration_seconds',
      'hookpost_messages_published_total',
      'hookpost_event_append_duration_seconds',
      'hookpost_http_request_duration_seconds',
      'hookpost_queue_depth',
      'hookpost_customers',
      'hookpost_actors',
      'hookpost_events_relayed_total',
      'hookpost_event_feed_lag',
    ]) {
      expect(metrics).toContain(name);
    }
    expect(metrics).toMatch(
      /hookpost_deliveries_total\{outcome="failure",mode="single",instance_id="[^"]+"\} [1-9]/,
    );
    expect(metrics).not.toContain(SECRET);
    expect(metrics).not.toContain('stuck');
    const docs = (await (await fetch(`${h.service.url}/docs-json`)).json()) as {
      paths: Record<string, unknown>;
    };
    expect(Object.keys(docs.paths)).toEqual(
      expect.arrayContaining([
        '/v1/customers/{customerId}/webhook',
        '/v1/customers/{customerId}/messages',
        '/v1/status',
      ]),
    );
  });
});
