import { setTimeout as sleep } from 'node:timers/promises';
import { allDelivered, checkOrder, customerOf, startHarness, type Harness } from './harness.js';

describe('kill -9 in the middle of a run', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ HOOKPOST_BACKOFF_BASE_MS: '20' });
  });
  afterAll(() => h?.close());

  test('nothing lost, order kept, duplicates only of what was in flight', async () => {
    const customers = ['crash-a', 'crash-b'];
    // Slow answers keep requests in flight, so the kill lands mid-delivery.
    h.receiver.respondWith(() => ({ status: 200, delayMs: 5 }));
    for (const customerId of customers) {
      await h.configure(customerId);
    }
    const accepted = new Map<string, number[]>(customers.map((c) => [c, []]));
    for (let i = 0; i < 300; i += 1) {
      for (const customerId of customers) {
        accepted.get(customerId)!.push((await h.publish(customerId, 'CHECK_COMPLETED', { i })).webhookId);
      }
    }
    await h.receiver.waitFor((all) => all.length >= 100, 20_000);
    await h.service.kill9();
    const seenAtKill = h.receiver.requests.length;

    // Published while Hookpost is down, through the JetStream fast path.
    for (let i = 300; i < 400; i += 1) {
      for (const customerId of customers) {
        accepted.get(customerId)!.push(await h.publishFast(customerId, 'CHECK_COMPLETED', { i }));
      }
    }
    await sleep(200);
    expect(h.receiver.requests.length).toBe(seenAtKill);
    await h.service.restart();

    const ours = () => h.receiver.requests.filter((r) => customers.includes(customerOf(r)));
    await h.receiver.waitFor((all) => allDelivered(all, accepted, () => true), 60_000);
    const { duplicates, delivered } = checkOrder(ours(), accepted, () => true);
    for (const customerId of customers) {
      expect(delivered.get(customerId)).toEqual(accepted.get(customerId));
    }
    // At most the request each customer had in flight at the kill is sent again.
    expect(duplicates).toBeLessThanOrEqual(customers.length);
  }, 120_000);
});

describe('SIGTERM during a delivery', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h?.close());

  test('the attempt in flight is finished and recorded before the process exits: no repeat after restart', async () => {
    const customerId = 'graceful';
    h.receiver.respondWith(() => ({ status: 200, delayMs: 1_000 }));
    await h.configure(customerId);
    const { webhookId } = await h.publish(customerId, 'CHECK_COMPLETED', {});
    await h.receiver.waitForRequests(1, 10_000);
    await h.service.restart(); // SIGTERM while the receiver is still answering, then start again

    await sleep(500);
    const requests = h.receiver.requests.filter((r) => customerOf(r) === customerId);
    expect(requests).toHaveLength(1);
    const status = await h.service.api('GET', `/v1/customers/${customerId}/webhook/status`);
    expect(status.body).toMatchObject({ queue: 'empty', attempts: 0 });
    expect(JSON.parse(requests[0]!.body).id).toBe(webhookId);
  }, 60_000);
});
