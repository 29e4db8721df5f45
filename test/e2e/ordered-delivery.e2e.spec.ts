import type { RecordedRequest } from '../support/receiver.js';
import {
  allDelivered,
  checkOrder,
  customerOf,
  idsOf,
  startHarness,
  waitForStatus,
  type Harness,
} from './harness.js';

/** A deterministic "about 30%" failure pattern, so a failing run can be replayed. */
function seededFailures(rate: number, seed = 42) {
  let state = seed;
  const outcome = new Map<number, boolean>();
  const fails = (request: RecordedRequest) => {
    if (!outcome.has(request.seq)) {
      state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
      outcome.set(request.seq, state / 2 ** 31 < rate);
    }
    return outcome.get(request.seq)!;
  };
  return fails;
}

describe('ordered delivery end to end', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ HOOKPOST_BACKOFF_BASE_MS: '10', HOOKPOST_BATCH_INTERVAL_MS: '0' });
  });
  afterAll(() => h?.close());

  test('3 customers x 1,000 messages with ~30% failures: all delivered, in order, head-of-line blocked', async () => {
    const customers = ['ord-a', 'ord-b', 'ord-c'];
    const fails = seededFailures(0.3);
    h.receiver.respondWith((request) =>
      fails(request) ? { status: 500, body: 'try later' } : { status: 200 },
    );
    for (const customerId of customers) {
      await h.configure(customerId);
    }
    const accepted = new Map<string, number[]>(customers.map((c) => [c, []]));
    for (let i = 0; i < 1_000; i += 1) {
      const replies = await Promise.all(customers.map((c) => h.publish(c, 'CHECK_COMPLETED', { i })));
      replies.forEach((reply, index) => accepted.get(customers[index]!)!.push(reply.webhookId));
    }
    const ours = (all: readonly RecordedRequest[]) => all.filter((r) => customers.includes(customerOf(r)));
    await h.receiver.waitFor((all) => allDelivered(all, accepted, (r) => !fails(r)), 150_000);

    const requests = ours(h.receiver.requests);
    const { duplicates, delivered } = checkOrder(requests, accepted, (r) => !fails(r));
    expect(duplicates).toBe(0);
    for (const customerId of customers) {
      expect(delivered.get(customerId)).toEqual(accepted.get(customerId));
      const firstSuccesses = requests
        .filter((r) => customerOf(r) === customerId && !fails(r))
        .map((r) => idsOf(r)[0]!);
      expect(firstSuccesses).toEqual([...firstSuccesses].sort((a, b) => a - b));
      expect(new Set(firstSuccesses).size).toBe(firstSuccesses.length);
    }
    expect(requests.filter(fails).length).toBeGreaterThan(600);
    // The receiver has the last message before its outcome is committed: wait for the record.
    const status = await waitForStatus(h, 'ord-a', (body) => body.pending === 0);
    expect(status).toMatchObject({ queue: 'empty', pending: 0, attempts: 0, recentFailures: [] });
  }, 180_000);

  test('batching: arrays of at most 100, consecutive and oldest first; a failed batch is retried whole', async () => {
    const customerId = 'batchy';
    let firstBatchFailed = false;
    h.receiver.respondWith((request) => {
      if (customerOf(request) === customerId && !firstBatchFailed) {
        firstBatchFailed = true;
        return { status: 503 };
      }
      return { status: 200 };
    });
    // Queue 250 while paused, then enable: the batches are full from the start.
    await h.configure(customerId, { batching: true, enabled: false });
    const ids: number[] = [];
    for (let i = 0; i < 250; i += 1) {
      ids.push((await h.publish(customerId, 'CHECK_COMPLETED', { i })).webhookId);
    }
    await h.configure(customerId, { batching: true, enabled: true });
    const mine = () => h.receiver.requests.filter((r) => customerOf(r) === customerId);
    await h.receiver.waitFor(() => mine().length >= 4, 20_000);

    const batches = mine().map(idsOf);
    expect(batches.map((batch) => batch.length)).toEqual([100, 100, 100, 50]);
    expect(batches[0]).toEqual(ids.slice(0, 100));
    expect(batches[1]).toEqual(ids.slice(0, 100)); // retried whole
    expect(batches.slice(1).flat()).toEqual(ids);
    const first = mine()[0]!;
    expect(first.headers['webhook-id']).toBe(`${ids[0]}-${ids[99]}`);
    expect(JSON.parse(first.body)[0]).toMatchObject({ id: ids[0], event: 'CHECK_COMPLETED', data: { i: 0 } });
  }, 60_000);
});
