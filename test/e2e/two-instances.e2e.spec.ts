import { randomBytes } from 'node:crypto';
import { startService, type ServiceProcess } from '../support/service-process.js';
import { customerOf, idsOf, SECRET, startHarness, type Harness } from './harness.js';

/** Polls until `check` holds (10 s). */
async function until(what: string, check: () => boolean | Promise<boolean>): Promise<void> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > 10_000) {
      throw new Error(`waited 10 s for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('two Hookpost processes on the same NATS and database', () => {
  let h: Harness;
  let second: ServiceProcess;

  beforeAll(async () => {
    const shared = {
      HOOKPOST_NAMESPACE: `two${randomBytes(3).toString('hex')}`,
      HOOKPOST_ENCRYPTION_KEY: randomBytes(32).toString('hex'),
      HOOKPOST_BATCH_INTERVAL_MS: '0',
    };
    h = await startHarness(shared);
    second = await startService({ ...shared, NATS_URL: h.nats.url, DATABASE_URL: h.db.url });
  });
  afterAll(async () => {
    await second?.stop();
    await h?.close();
  });

  const requestsOf = (customerId: string) => h.receiver.requests.filter((r) => customerOf(r) === customerId);

  test('the second one stands by: it serves the API, and commands it takes reach the one delivering', async () => {
    expect(h.service.logs()).toContain('delivery lock held');
    expect(second.logs()).toContain('this one stands by');
    expect(second.logs()).not.toContain('delivery lock held');

    const customerId = 'two-paused';
    await h.configure(customerId, { enabled: false });
    const ids: number[] = [];
    for (let i = 0; i < 5; i += 1) {
      ids.push((await h.publish(customerId, 'CHECK_COMPLETED', { i })).webhookId);
    }
    const status = await second.api('GET', `/v1/customers/${customerId}/webhook/status`);
    expect(status.body).toMatchObject({ queue: 'stalled', enabled: false });

    // Enabled through the standby: the delivering process must notice, not wait until it reloads anyway.
    const enabled = await second.api('PUT', `/v1/customers/${customerId}/webhook`, {
      url: `${h.receiver.url}/${customerId}`,
      secret: SECRET,
    });
    expect(enabled.status).toBe(200);
    await h.receiver.waitFor(() => requestsOf(customerId).length >= 5, 5_000);
    expect(requestsOf(customerId).flatMap(idsOf)).toEqual(ids);
  });

  test('when the delivering process dies, the other takes over', async () => {
    const customerId = 'two-takeover';
    await h.configure(customerId);
    await h.service.kill9();
    await until('the standby to take over', () => second.logs().includes('delivery lock held'));
    const webhookId = await h.publishFast(customerId, 'CHECK_COMPLETED', {});
    await h.receiver.waitFor(() => requestsOf(customerId).length >= 1, 10_000);
    expect(requestsOf(customerId).flatMap(idsOf)).toEqual([webhookId]);
    await h.service.restart();
    await until(
      'the restarted one to stand by',
      () => h.service.logs().split('this one stands by').length > 1,
    );
  });
});
