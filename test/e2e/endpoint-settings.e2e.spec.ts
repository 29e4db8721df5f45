import { Webhook } from 'standardwebhooks';
import { customerOf, idsOf, SECRET, startHarness, waitForStatus, type Harness } from './harness.js';

describe('endpoint settings, idempotency and signatures', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ HOOKPOST_BACKOFF_BASE_MS: '50' });
  });
  afterAll(() => h?.close());

  const requestsOf = (customerId: string) => h.receiver.requests.filter((r) => customerOf(r) === customerId);

  test('disabled: nothing sent, messages kept and counted; enabled: all delivered in order', async () => {
    const customerId = 'paused';
    await h.configure(customerId, { enabled: false });
    const ids: number[] = [];
    for (let i = 0; i < 10; i += 1) {
      ids.push((await h.publish(customerId, 'CHECK_COMPLETED', { i })).webhookId);
    }
    const stalled = await waitForStatus(h, customerId, (s) => s.pending === 10);
    expect(stalled).toMatchObject({ queue: 'stalled', enabled: false, pending: 10 });
    // Sentinel: a message of an enabled customer, published after, arrives; the disabled one sent nothing.
    await h.configure('paused-sentinel');
    await h.publish('paused-sentinel', 'CHECK_COMPLETED', {});
    await h.receiver.waitFor(() => requestsOf('paused-sentinel').length >= 1, 10_000);
    expect(requestsOf(customerId)).toHaveLength(0);

    await h.configure(customerId, { enabled: true });
    await h.receiver.waitFor(() => requestsOf(customerId).length >= 10, 10_000);
    expect(requestsOf(customerId).flatMap(idsOf)).toEqual(ids);
    await waitForStatus(h, customerId, (s) => s.queue === 'empty' && s.pending === 0);
  });

  test('unsubscribed event types are skipped without blocking', async () => {
    const customerId = 'picky';
    await h.configure(customerId, { events: ['CHECK_COMPLETED'] });
    const wanted = (await h.publish(customerId, 'CHECK_COMPLETED', { n: 1 })).webhookId;
    await h.publish(customerId, 'PROFILE_UPDATED', { n: 2 });
    const last = (await h.publish(customerId, 'CHECK_COMPLETED', { n: 3 })).webhookId;
    await h.receiver.waitFor(() => requestsOf(customerId).length >= 2, 10_000);
    await waitForStatus(h, customerId, (s) => s.queue === 'empty');
    expect(requestsOf(customerId).flatMap(idsOf)).toEqual([wanted, last]);
  });

  test('the same idempotency key returns the same webhookId and is delivered once', async () => {
    const customerId = 'idem';
    await h.configure(customerId);
    const first = await h.publish(customerId, 'CHECK_COMPLETED', { n: 1 }, 'check-1-completed');
    const again = await h.publish(customerId, 'CHECK_COMPLETED', { n: 1 }, 'check-1-completed');
    expect(again.webhookId).toBe(first.webhookId);
    // Sentinel: one more message of the same queue comes right after the first, and nothing between.
    const sentinel = await h.publish(customerId, 'CHECK_COMPLETED', { n: 2 }, 'check-2-completed');
    await h.receiver.waitFor(() => requestsOf(customerId).length >= 2, 10_000);
    expect(requestsOf(customerId).flatMap(idsOf)).toEqual([first.webhookId, sentinel.webhookId]);
  });

  test('headers and body follow the contract and the signature verifies (Standard Webhooks)', async () => {
    const customerId = 'signed';
    await h.configure(customerId);
    const { webhookId } = await h.publish(customerId, 'CHECK_COMPLETED', { checkId: 'chk_1' });
    await h.receiver.waitFor(() => requestsOf(customerId).length >= 1, 10_000);
    const [request] = requestsOf(customerId);
    expect(request).toBeDefined();
    expect(request!.headers['content-type']).toBe('application/json');
    expect(request!.headers['user-agent']).toMatch(/^Hookpost\//);
    expect(request!.headers.authorization).toBe(`Bearer ${SECRET}`);
    expect(request!.headers['webhook-id']).toBe(String(webhookId));
    const body = JSON.parse(request!.body);
    expect(body).toEqual({
      id: webhookId,
      event: 'CHECK_COMPLETED',
      secret: SECRET,
      timestamp: expect.any(Number),
      data: { checkId: 'chk_1' },
    });
    const verifier = new Webhook(Buffer.from(SECRET).toString('base64'));
    expect(() => verifier.verify(request!.body, request!.headers as Record<string, string>)).not.toThrow();
    const forged = new Webhook(Buffer.from('another-secret').toString('base64'));
    expect(() => forged.verify(request!.body, request!.headers as Record<string, string>)).toThrow();
  });

  test('authorizationHeader false: signature only, no Bearer header', async () => {
    const customerId = 'salesforce';
    await h.configure(customerId, { authorizationHeader: false });
    await h.publish(customerId, 'CHECK_COMPLETED', {});
    await h.receiver.waitFor(() => requestsOf(customerId).length >= 1, 10_000);
    expect(requestsOf(customerId)[0]!.headers.authorization).toBeUndefined();
    expect(requestsOf(customerId)[0]!.headers['webhook-signature']).toMatch(/^v1,/);
  });

  test('the secret never appears in the logs or in API replies', async () => {
    const config = await h.service.api('GET', '/v1/customers/signed/webhook');
    expect(JSON.stringify(config.body)).not.toContain(SECRET);
    expect(config.body.secretLast4).toBe(SECRET.slice(-4));
    expect(h.service.logs().length).toBeGreaterThan(0);
    expect(h.service.logs()).not.toContain(SECRET);
  });
});
