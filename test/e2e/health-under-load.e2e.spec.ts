import { startHarness, type Harness } from './harness.js';

/**
 * `/health` pings the database on a connection of its own: a burst that queues thousands of
 * queries for the pool must not make it say the database is down.
 */
describe('/health during a burst of 5,000 requests against PostgreSQL', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness();
    for (let i = 0; i < 20; i++) {
      await h.configure(`busy-${i}`, { enabled: false });
    }
  }, 60_000);

  afterAll(async () => {
    await h?.close();
  });

  test('every health check answers 200 while the burst runs', async () => {
    // Requests that each query the database (statuses and status lists), all arriving at once:
    // over NATS nothing holds them back before they reach the service.
    const ns = h.service.namespace;
    const request = (i: number) =>
      i % 2 === 0
        ? h.client.request(`${ns}.status`, JSON.stringify({ customerId: `busy-${i % 20}` }), {
            timeout: 120_000,
          })
        : h.client.request(`${ns}.status.list`, JSON.stringify({ limit: 100 }), { timeout: 120_000 });
    let bursting = true;
    const burst = Promise.all(
      Array.from({ length: 5_000 }, (_, i) =>
        request(i).then(
          (reply) => reply.json<{ error?: { code: string } }>().error?.code ?? 'ok',
          (error: unknown) => String(error),
        ),
      ),
    ).finally(() => (bursting = false));
    const health: Array<{ status: number; body: string }> = [];
    while (bursting) {
      const response = await fetch(`${h.service.url}/health`);
      health.push({ status: response.status, body: await response.text() });
    }
    const replies = await burst;
    // The burst really loaded the database: every request was answered.
    expect(replies.filter((reply) => reply !== 'ok')).toEqual([]);
    expect(health.length).toBeGreaterThanOrEqual(3);
    expect(health.filter((check) => check.status !== 200)).toEqual([]);
  }, 180_000);
});
