import { buildBody, UnencodableMessageError, webhookIdHeader, type OutgoingMessage } from './payload.js';

const message = (id: number, acceptedAt: number, data: Record<string, unknown> = {}): OutgoingMessage => ({
  id,
  event: 'CHECK_COMPLETED',
  acceptedAt,
  data,
});

describe('buildBody', () => {
  it('sends one object when batching is off, timestamp in whole seconds (floored)', () => {
    const body = buildBody([message(42, 1764000000999, { check: { id: 'c1' } })], 'shh', false);
    expect(body).toBe(
      '{"id":42,"event":"CHECK_COMPLETED","secret":"shh","timestamp":1764000000,"data":{"check":{"id":"c1"}}}',
    );
  });

  it('sends a JSON array oldest first when batching is on, even for one message', () => {
    const body = buildBody([message(7, 1000), message(8, 2500)], 'k', true);
    expect(body).toBe(
      '[{"id":7,"event":"CHECK_COMPLETED","secret":"k","timestamp":1,"data":{}},' +
        '{"id":8,"event":"CHECK_COMPLETED","secret":"k","timestamp":2,"data":{}}]',
    );
    expect(JSON.parse(buildBody([message(7, 1000)], 'k', true))).toEqual([
      { id: 7, event: 'CHECK_COMPLETED', secret: 'k', timestamp: 1, data: {} },
    ]);
  });

  it('names the message that cannot be encoded (nested too deep), alone or in a batch', () => {
    let deep: unknown = 1;
    for (let depth = 0; depth < 20_000; depth += 1) {
      deep = { a: deep };
    }
    const bad = message(9, 0, { deep });
    for (const [messages, batching] of [
      [[bad], false],
      [[message(8, 0), bad, message(10, 0)], true],
    ] as const) {
      let thrown: unknown;
      try {
        buildBody(messages, 'k', batching);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(UnencodableMessageError);
      expect(thrown).toMatchObject({
        webhookId: 9,
        reason: expect.stringMatching(/cannot be encoded as JSON/),
      });
    }
  });

  it('refuses an empty list and several messages without batching', () => {
    expect(() => buildBody([], 'k', true)).toThrow(RangeError);
    expect(() => buildBody([message(1, 0), message(2, 0)], 'k', false)).toThrow(RangeError);
  });
});

describe('webhookIdHeader', () => {
  it('is the id for one message and first-last for a batch', () => {
    expect(webhookIdHeader([message(42, 0)], false)).toBe('42');
    expect(webhookIdHeader([message(42, 0)], true)).toBe('42-42');
    expect(webhookIdHeader([message(42, 0), message(43, 0), message(50, 0)], true)).toBe('42-50');
    expect(() => webhookIdHeader([], true)).toThrow(RangeError);
  });
});
