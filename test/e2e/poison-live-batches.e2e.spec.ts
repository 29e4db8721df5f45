import { jetstream } from '@nats-io/jetstream';
import { customerOf, startHarness, type Harness } from './harness.js';

/**
 * Found by the fuzz harness (test/e2e/fuzz.e2e.spec.ts): with batching on, unreadable messages
 * published between good ones while the customer is live held its queue (waiting, no failure, no
 * next attempt): each partial batch cut short by an unreadable message waited out the batch interval,
 * though waiting could not let it grow (libs/domain/decide.ts now sends it at once).
 */
describe('poison messages among live batches', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness();
  }, 60_000);
  afterAll(() => h?.close());

  test('a sentinel behind each unreadable message is delivered (batching on, live)', async () => {
    const customerId = 'live-batches';
    await h.configure(customerId, { batching: true });
    const js = jetstream(h.client);
    const subject = `${h.service.namespace}.queue.${customerId}`;
    const sentinels: number[] = [];
    for (let n = 0; n < 30; n++) {
      await js.publish(subject, new Uint8Array([0x7b, 0x7d, 0xff, 0xc0])); // not UTF-8: unreadable
      sentinels.push((await js.publish(subject, '{"event":"SENTINEL","data":{}}')).seq);
    }
    const delivered = (id: number) =>
      h.receiver.requests.some(
        (r) => customerOf(r) === customerId && r.status === 200 && r.body.includes(`"id":${id},`),
      );
    await h.receiver.waitFor(() => sentinels.every(delivered), 20_000);
  }, 40_000);
});
