import { customerOf, startHarness, type Harness } from './harness.js';

/**
 * `data` shapes that were altered on the way in (keys named like Object's methods, `__proto__`,
 * nested arrays of objects), each sent as JSON text and compared with what the receiver got.
 */
const SHAPES: readonly string[] = [
  '{"constructor":"x","toString":"s","k":1}',
  '{"__proto__":{"polluted":true},"valueOf":0,"hasOwnProperty":"h","prototype":[1]}',
  '{"nested":[{"constructor":"c"},{"toString":{"__proto__":null}}],"deep":{"a":[[{"b":[{}]}]]}}',
  '{"unicode":"é 😀 \\u0000 \\ud800 \\u2028","":"empty key","ключ":["ß",-0.5,1e21,true,null]}',
];

/** Each entry point: how it publishes one customer's messages (in order). */
const ENTRY_POINTS: ReadonlyArray<
  [string, (h: Harness, customerId: string, texts: readonly string[]) => Promise<void>]
> = [
  [
    'REST POST /v1/customers/{id}/messages',
    async (h, customerId, texts) => {
      for (const text of texts) {
        const response = await fetch(`${h.service.url}/v1/customers/${customerId}/messages`, {
          method: 'POST',
          headers: { authorization: `Bearer ${h.service.adminToken}`, 'content-type': 'application/json' },
          body: `{"event":"CHECK_COMPLETED","data":${text}}`,
        });
        expect(response.status).toBe(202);
      }
    },
  ],
  [
    '<ns>.publish',
    async (h, customerId, texts) => {
      for (const text of texts) {
        const body = `{"customerId":"${customerId}","event":"CHECK_COMPLETED","data":${text}}`;
        const reply = (
          await h.client.request(`${h.service.namespace}.publish`, body, { timeout: 5_000 })
        ).json<any>();
        expect(reply).toEqual({ webhookId: expect.any(Number) });
      }
    },
  ],
  [
    '<ns>.publish.batch',
    async (h, customerId, texts) => {
      const messages = texts.map(
        (text) => `{"customerId":"${customerId}","event":"CHECK_COMPLETED","data":${text}}`,
      );
      const body = `{"messages":[${messages.join(',')}]}`;
      const reply = (
        await h.client.request(`${h.service.namespace}.publish.batch`, body, { timeout: 5_000 })
      ).json<any>();
      expect(reply).toEqual({ webhookIds: texts.map(() => expect.any(Number)) });
    },
  ],
  [
    'JetStream fast path',
    async (h, customerId, texts) => {
      for (const text of texts) {
        await h.publishFast(customerId, 'CHECK_COMPLETED', JSON.parse(text) as Record<string, unknown>);
      }
    },
  ],
];

describe('data is delivered exactly as sent, on every entry point', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness();
  }, 60_000);
  afterAll(() => h?.close());

  test.each(ENTRY_POINTS.map(([name], index) => [name, index] as const))(
    '%s',
    async (_name, index) => {
      const customerId = `fidelity-${index}`;
      await h.configure(customerId);
      await ENTRY_POINTS[index]![1](h, customerId, SHAPES);
      const mine = () => h.receiver.requests.filter((request) => customerOf(request) === customerId);
      await h.receiver.waitFor(() => mine().length >= SHAPES.length, 15_000);
      // The receiver's JSON.parse then JSON.stringify gives the sent text back only if nothing changed.
      const delivered = mine().map((request) =>
        JSON.stringify((JSON.parse(request.body) as { data: unknown }).data),
      );
      expect(delivered).toEqual(SHAPES.map((text) => JSON.stringify(JSON.parse(text))));
    },
    30_000,
  );
});
