import { jetstream } from '@nats-io/jetstream';
import { customerOf, idsOf, startHarness, waitForStatus, type Harness } from './harness.js';

// nats-server 2.9.10 (this machine) evicts the OLDEST messages when `max_bytes` is reached with discard
// new (fixed in 2.10.5), so Hookpost refuses HOOKPOST_QUEUE_MAX_BYTES there: the cap tested here is
// HOOKPOST_QUEUE_MAX_MESSAGES (max_msgs), which 2.9 enforces exactly. On 2.10.5+ max_bytes behaves the same.
const CAP = 40;

describe('backpressure: a full queue stream', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ HOOKPOST_QUEUE_MAX_MESSAGES: String(CAP), HOOKPOST_BATCH_INTERVAL_MS: '0' });
  });
  afterAll(() => h?.close());

  const requestsOf = (customerId: string) => h.receiver.requests.filter((r) => customerOf(r) === customerId);

  test('refuses publishes with a clear error on every path and drops nothing already queued', async () => {
    const customerId = 'full';
    await h.configure(customerId, { enabled: false });
    const accepted: number[] = [];
    for (let i = 0; i < CAP; i += 1) {
      const reply = await h.publish(customerId, 'CHECK_COMPLETED', { i });
      expect(reply.webhookId).toEqual(expect.any(Number));
      accepted.push(reply.webhookId);
    }

    // NATS request/reply: an error reply, not a webhookId.
    expect(await h.publish(customerId, 'CHECK_COMPLETED', { i: 'over' })).toEqual({
      error: { code: 'QUEUE_FULL', message: expect.stringMatching(/full.*nothing was dropped/i) },
    });
    const batch = await h.client.request(
      `${h.service.namespace}.publish.batch`,
      JSON.stringify({ messages: [{ customerId, event: 'CHECK_COMPLETED', data: {} }] }),
      { timeout: 5_000 },
    );
    expect(batch.json()).toMatchObject({ error: { code: 'QUEUE_FULL' } });
    // HTTP: 503 with the same code.
    const http = await h.service.api('POST', `/v1/customers/${customerId}/messages`, {
      event: 'CHECK_COMPLETED',
      data: {},
    });
    expect(http.status).toBe(503);
    expect(http.body.error.code).toBe('QUEUE_FULL');
    // The JetStream fast path: the server's own error.
    await expect(
      jetstream(h.client).publish(`${h.service.namespace}.queue.${customerId}`, '{"event":"X","data":{}}'),
    ).rejects.toThrow(/maximum messages exceeded/i);

    // Nothing queued was dropped: all of it is delivered, in order, once the endpoint is enabled.
    expect(await waitForStatus(h, customerId, (s) => s.pending === CAP)).toMatchObject({ queue: 'stalled' });
    await h.configure(customerId, { enabled: true });
    await h.receiver.waitFor(() => requestsOf(customerId).length >= CAP, 20_000);
    expect(requestsOf(customerId).flatMap(idsOf)).toEqual(accepted);
    await waitForStatus(h, customerId, (s) => s.queue === 'empty' && s.pending === 0);

    // Delivered messages make room again without waiting for the customer to go idle.
    let reply: any = null;
    for (const started = Date.now(); Date.now() - started < 5_000;) {
      reply = await h.publish(customerId, 'CHECK_COMPLETED', { i: 'after' });
      if (reply.webhookId !== undefined) {
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(reply).toEqual({ webhookId: expect.any(Number) });
    await h.receiver.waitFor(() => requestsOf(customerId).length >= CAP + 1, 10_000);
    expect(idsOf(requestsOf(customerId).at(-1)!)).toEqual([reply.webhookId]);
  }, 60_000);
});
