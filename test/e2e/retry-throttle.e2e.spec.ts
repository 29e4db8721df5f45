import { RETRY_BURST, RETRY_REFILL_MS } from '../../src/core/retry-throttle.js';
import { customerOf, startHarness, waitForStatus, type Harness } from './harness.js';

/** A reply to a Retry: its status, its error code and Retry-After, when refused. */
interface RetryReply {
  via: string;
  status: number;
  code?: string;
  retryAfter?: string | null;
  retryAfterSeconds?: number;
}

describe('Retry is coalesced and throttled per customer', () => {
  let h: Harness;
  const customerId = 'hammered';

  beforeAll(async () => {
    // A long backoff: after the first failure, only Retries bring another attempt.
    h = await startHarness({ HOOKPOST_BACKOFF_BASE_MS: '600000' });
    h.receiver.respondWith(() => ({ status: 500, body: 'down' }));
  }, 60_000);

  afterAll(async () => {
    await h?.close();
  });

  const viaLink = (token: string) => async (): Promise<RetryReply> => {
    const response = await fetch(`${h.service.url}/v1/customers/${customerId}/webhook/retry`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    const body = (await response.json()) as {
      error?: { code: string; details?: { retryAfterSeconds: number } };
    };
    return {
      via: 'link',
      status: response.status,
      code: body.error?.code,
      retryAfter: response.headers.get('retry-after'),
      retryAfterSeconds: body.error?.details?.retryAfterSeconds,
    };
  };
  const viaAdmin = async (): Promise<RetryReply> => {
    const reply = await h.service.api('POST', `/v1/customers/${customerId}/webhook/retry`);
    return { via: 'admin', status: reply.status, code: reply.body?.error?.code };
  };
  const viaNats = async (): Promise<RetryReply> => {
    const reply = await h.client.request(`${h.service.namespace}.retry`, JSON.stringify({ customerId }), {
      timeout: 5_000,
    });
    const body = reply.json<{ error?: { code: string; details?: { retryAfterSeconds: number } } }>();
    return {
      via: 'nats',
      status: body.error === undefined ? 200 : 429,
      code: body.error?.code,
      retryAfterSeconds: body.error?.details?.retryAfterSeconds,
    };
  };

  test('300 Retries through an actions link in a burst: a bounded number of events and requests, the rest 429', async () => {
    await h.configure(customerId);
    await h.publish(customerId, 'CHECK_COMPLETED', { n: 1 });
    await waitForStatus(h, customerId, (s) => s.attempts === 1);
    const link = await h.service.api('POST', `/v1/customers/${customerId}/status-links`, { actions: true });
    expect(link.status).toBe(201);

    const started = Date.now();
    const replies: RetryReply[] = [];
    const calls = [
      ...Array.from({ length: 300 }, () => viaLink(link.body.token as string)),
      ...Array.from({ length: 20 }, () => viaAdmin),
      ...Array.from({ length: 20 }, () => viaNats),
    ];
    for (let i = 0; i < calls.length; i += 10) {
      replies.push(...(await Promise.all(calls.slice(i, i + 10).map((call) => call()))));
    }
    const elapsed = Date.now() - started;

    // Settled: no Retry waits for its attempt (nextAttemptAt is the backoff's again).
    const settled = await waitForStatus(h, customerId, (s) => s.nextAttemptAt > Date.now() + 60_000);
    const audit = await h.service.api('GET', `/v1/customers/${customerId}/audit?limit=1000`);
    const types = (audit.body.events as Array<{ type: string }>).map((e) => e.type);
    const retries = types.filter((type) => type === 'RetryRequested').length;
    const failures = types.filter((type) => type === 'DeliveryFailed').length;
    const allowance = RETRY_BURST + Math.ceil(elapsed / RETRY_REFILL_MS);
    expect(retries).toBeGreaterThanOrEqual(1);
    expect(retries).toBeLessThanOrEqual(allowance);
    // One attempt per recorded Retry, plus the first: every other Retry sent no request.
    expect(failures).toBe(retries + 1);
    expect(settled.attempts).toBe(retries + 1);
    expect(h.receiver.requests.filter((r) => customerOf(r) === customerId)).toHaveLength(retries + 1);

    // Every reply is an accepted Retry (most of them coalesced with one whose attempt had not
    // ended) or a clear 429, on every entry point: they share the customer's allowance.
    const refused = replies.filter((reply) => reply.status === 429);
    expect(
      replies.filter((reply) => reply.status !== 429 && reply.status !== 202 && reply.status !== 200),
    ).toEqual([]);
    expect(new Set(refused.map((reply) => reply.via))).toEqual(new Set(['link', 'admin', 'nats']));
    for (const reply of refused) {
      expect(reply.code).toBe('RATE_LIMITED');
    }
    for (const reply of refused.filter((r) => r.via !== 'admin')) {
      expect(reply.retryAfterSeconds).toBeGreaterThanOrEqual(1);
      expect(reply.retryAfterSeconds).toBeLessThanOrEqual(RETRY_REFILL_MS / 1000);
    }
    for (const reply of refused.filter((r) => r.via === 'link')) {
      expect(reply.retryAfter).toBe(String(reply.retryAfterSeconds));
    }
  }, 120_000);

  test('a Retry on a queue whose head has not failed records nothing', async () => {
    const quiet = 'quiet';
    h.receiver.respondWith((request) =>
      customerOf(request) === quiet ? { status: 200, body: '{}' } : { status: 500, body: 'down' },
    );
    await h.configure(quiet);
    const { webhookId } = await h.publish(quiet, 'CHECK_COMPLETED', { n: 1 });
    await waitForStatus(h, quiet, (s) => s.queue === 'empty');
    for (let i = 0; i < RETRY_BURST + 3; i++) {
      expect((await h.service.api('POST', `/v1/customers/${quiet}/webhook/retry`)).status).toBe(202);
    }
    const audit = await h.service.api('GET', `/v1/customers/${quiet}/audit`);
    expect((audit.body.events as Array<{ type: string }>).map((e) => e.type)).toEqual([
      'WebhookConfigured',
      'DeliverySucceeded',
    ]);
    expect(webhookId).toEqual(expect.any(Number));
  }, 60_000);
});
