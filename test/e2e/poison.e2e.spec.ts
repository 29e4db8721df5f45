import { jetstream } from '@nats-io/jetstream';
import { customerOf, idsOf, startHarness, waitForStatus, type Harness } from './harness.js';

/** Bodies a producer on the JetStream fast path can store that are not messages, and why each is skipped. */
const POISON: ReadonlyArray<[string, Uint8Array, RegExp]> = [
  ['not JSON', text('{"event": "CHECK_COMPLETED", "data": {'), /body is not valid JSON/],
  ['empty', text(''), /body is not valid JSON/],
  ['not UTF-8', new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), /body is not valid UTF-8/],
  ['not an object', text('[1,2,3]'), /body is not a JSON object/],
  ['event missing', text('{"data":{"n":1}}'), /event is missing/],
  ['event not a type', text('{"event":"check completed","data":{}}'), /event is missing or not 1-100/],
  ['data missing', text('{"event":"CHECK_COMPLETED"}'), /data is missing/],
  ['data not an object', text('{"event":"CHECK_COMPLETED","data":"yes"}'), /data is missing/],
  [
    'nested 10,000 deep (parses, cannot be written back into a request)',
    text(`{"event":"CHECK_COMPLETED","data":${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}}`),
    /the JSON is nested more than 65 levels deep/,
  ],
  [
    'arrays nested 10,000 deep',
    text(`{"event":"CHECK_COMPLETED","data":{"a":${'['.repeat(10_000)}${']'.repeat(10_000)}}}`),
    /the JSON is nested more than 65 levels deep/,
  ],
  [
    'oversized (260 KiB: the stream takes it, the contract does not)',
    text(JSON.stringify({ event: 'CHECK_COMPLETED', data: { pad: 'x'.repeat(260 * 1024) } })),
    /over the 262144-byte limit/,
  ],
];

function text(value: string): Uint8Array {
  return new TextEncoder().encode(value);
}

describe('poison messages in the stream', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ HOOKPOST_BATCH_INTERVAL_MS: '0' });
  });
  afterAll(() => h?.close());

  const requestsOf = (customerId: string) => h.receiver.requests.filter((r) => customerOf(r) === customerId);

  /** Stores `body` as is in the customer's queue (the fast path, no validation); returns its webhookId. */
  async function publishRaw(customerId: string, body: Uint8Array): Promise<number> {
    const ack = await jetstream(h.client).publish(`${h.service.namespace}.queue.${customerId}`, body);
    return ack.seq;
  }

  test.each([
    ['live, batching off', false, true],
    ['queued while disabled, batching on', true, false],
  ])(
    '%s: each is skipped with its reason and the messages around them are delivered in order',
    async (_name, batching, enabled) => {
      const customerId = batching ? 'poison-batch' : 'poison-single';
      await h.configure(customerId, { batching, enabled });
      const good = [await h.publishFast(customerId, 'CHECK_COMPLETED', { n: 0 })];
      const poison = new Map<number, RegExp>();
      for (const [, body, reason] of POISON) {
        poison.set(await publishRaw(customerId, body), reason);
        // Batching: a few good ones between poisons, so batches form and must stop at each poison.
        for (let i = 0; i < (batching ? 3 : 1); i += 1) {
          good.push(await h.publishFast(customerId, 'CHECK_COMPLETED', { n: good.length }));
        }
      }
      if (!enabled) {
        await h.configure(customerId, { batching, enabled: true });
      }

      await h.receiver.waitFor(() => requestsOf(customerId).flatMap(idsOf).length >= good.length, 20_000);
      expect(requestsOf(customerId).flatMap(idsOf)).toEqual(good);
      if (batching) {
        expect(requestsOf(customerId).some((request) => idsOf(request).length > 1)).toBe(true);
      }
      await waitForStatus(h, customerId, (s) => s.queue === 'empty' && s.pending === 0);

      const audit = await h.service.api('GET', `/v1/customers/${customerId}/audit?limit=1000`);
      const skipped = (audit.body.events as Array<{ type: string; data: any }>).filter(
        (event) => event.type === 'MessagesSkipped',
      );
      expect(skipped.every((event) => event.data.reason === 'unreadable')).toBe(true);
      expect(skipped.flatMap((event) => event.data.ids as number[])).toEqual([...poison.keys()]);
      const details = skipped.map((event) => String(event.data.detail)).join('; ');
      for (const [id, reason] of poison) {
        expect(details).toMatch(new RegExp(`(^|; )${id}: [^;]*${reason.source}`));
      }
    },
    60_000,
  );

  test('a body over the stream limit is refused at publish time and never queued', async () => {
    const customerId = 'poison-huge';
    await h.configure(customerId);
    const huge = text(JSON.stringify({ event: 'CHECK_COMPLETED', data: { pad: 'x'.repeat(300 * 1024) } }));
    await expect(publishRaw(customerId, huge)).rejects.toThrow(/maximum/i);
    const after = await h.publishFast(customerId, 'CHECK_COMPLETED', {});
    await h.receiver.waitFor(() => requestsOf(customerId).length >= 1, 10_000);
    expect(requestsOf(customerId).flatMap(idsOf)).toEqual([after]);
  });

  test('a subject that is not a customer id does not disturb anyone', async () => {
    await publishRaw('not~a~customer', text('{"event":"CHECK_COMPLETED","data":{}}'));
    const customerId = 'poison-neighbour';
    await h.configure(customerId);
    const id = await h.publishFast(customerId, 'CHECK_COMPLETED', {});
    await h.receiver.waitFor(() => requestsOf(customerId).length >= 1, 10_000);
    expect(requestsOf(customerId).flatMap(idsOf)).toEqual([id]);
    expect((await h.service.api('GET', '/health')).status).toBe(200);
    const logs = h.service.logs();
    expect(logs).toContain('queue messages on a subject that is not a customerId are ignored');
    expect(logs).not.toMatch(/"customerId":"not~a~customer"[^\n]*step failed/);
  });
});
