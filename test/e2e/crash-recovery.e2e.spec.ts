import {
  allDelivered,
  checkOrder,
  customerOf,
  startHarness,
  waitForStatus,
  type Harness,
} from './harness.js';

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
    expect(h.receiver.requests.length).toBe(seenAtKill); // the process is gone: nothing can come
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

    // Sentinel: one more message goes out after the restart; the first one is not sent again before it.
    h.receiver.respondWith(() => ({ status: 200 }));
    const sentinel = await h.publish(customerId, 'CHECK_COMPLETED', { sentinel: true });
    await h.receiver.waitFor((all) => all.filter((r) => customerOf(r) === customerId).length >= 2, 10_000);
    const requests = h.receiver.requests.filter((r) => customerOf(r) === customerId);
    expect(requests.map((r) => JSON.parse(r.body).id)).toEqual([webhookId, sentinel.webhookId]);
    const status = await waitForStatus(h, customerId, (s) => s.queue === 'empty');
    expect(status).toMatchObject({ queue: 'empty', attempts: 0 });
  }, 60_000);
});
