import { customerOf, idsOf, startHarness, waitForStatus, type Harness } from './harness.js';

describe('retry schedule and failure kinds', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({
      HOOKPOST_BACKOFF_BASE_MS: '100',
      HOOKPOST_BACKOFF_ATTEMPTS: '3',
      HOOKPOST_BACKOFF_DAILY_MS: '1000',
      HOOKPOST_TIMEOUT_SINGLE_MS: '300',
    });
  });
  afterAll(() => h?.close());

  const requestsOf = (customerId: string) => h.receiver.requests.filter((r) => customerOf(r) === customerId);

  test('gaps between attempts follow 100, 200, 400 ms, then the daily delay', async () => {
    const customerId = 'backoff';
    h.receiver.respondWith((request) =>
      customerOf(request) === customerId && requestsOf(customerId).length <= 5
        ? { status: 500 }
        : { status: 200 },
    );
    await h.configure(customerId);
    const { webhookId } = await h.publish(customerId, 'CHECK_COMPLETED', { n: 1 });
    await h.receiver.waitFor(() => requestsOf(customerId).length >= 6, 15_000);

    const attempts = requestsOf(customerId);
    expect(attempts.every((r) => idsOf(r)[0] === webhookId)).toBe(true);
    const gaps = attempts.slice(1).map((r, i) => r.receivedAt - attempts[i]!.receivedAt);
    const expected = [100, 200, 400, 1000, 1000];
    gaps.forEach((gap, i) => {
      expect(gap).toBeGreaterThanOrEqual(expected[i]! - 5);
      expect(gap).toBeLessThan(expected[i]! + 250);
    });
    await waitForStatus(h, customerId, (s) => s.queue === 'empty' && s.attempts === 0);
  }, 30_000);

  test('a receiver slower than the deadline and one that resets the connection count as failures', async () => {
    const customerId = 'flaky';
    h.receiver.respondWith((request) => {
      if (customerOf(request) !== customerId) {
        return { status: 200 };
      }
      const n = requestsOf(customerId).length;
      return n === 1 ? { status: 200, delayMs: 1_000 } : n === 2 ? { reset: true } : { status: 200 };
    });
    await h.configure(customerId);
    await h.publish(customerId, 'CHECK_COMPLETED', { n: 1 });
    await h.receiver.waitFor(() => requestsOf(customerId).length >= 2, 10_000);
    const afterTimeout = await h.service.api('GET', `/v1/customers/${customerId}/webhook/status`);
    await h.receiver.waitFor(() => requestsOf(customerId).length >= 3, 10_000);
    await waitForStatus(h, customerId, (s) => s.queue === 'empty');

    const audit = await h.service.api('GET', `/v1/customers/${customerId}/webhook/status`);
    expect(audit.body.queue).toBe('empty');
    expect(requestsOf(customerId)).toHaveLength(3);
    expect(afterTimeout.body.recentFailures[0]?.error ?? '').toMatch(/timeout|reset/i);
  }, 30_000);
});
