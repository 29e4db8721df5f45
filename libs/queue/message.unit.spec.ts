import { decodeMessage, encodeBody, type RawQueueMessage } from './message.js';

const raw = (data: string | Uint8Array, subject = 'hp.queue.acme'): RawQueueMessage => ({
  seq: 42,
  subject,
  data: typeof data === 'string' ? new TextEncoder().encode(data) : data,
  timestampNanos: 1_764_000_000_123_456_789n,
});

describe('decodeMessage', () => {
  test('a well-formed body becomes a message with the stream timestamp in ms', () => {
    const body = encodeBody({ event: 'CHECK_COMPLETED', data: { checkId: 'c1' } });
    expect(decodeMessage(raw(body), 'hp.queue.')).toEqual({
      kind: 'message',
      id: 42,
      customerId: 'acme',
      acceptedAt: 1_764_000_000_123,
      event: 'CHECK_COMPLETED',
      data: { checkId: 'c1' },
      bytes: body.length,
    });
  });

  test.each([
    ['not json', 'body is not valid JSON'],
    ['[1,2]', 'body is not a JSON object'],
    ['null', 'body is not a JSON object'],
    ['{"data":{}}', 'event is missing or not 1-100 characters of [A-Z0-9_.]'],
    ['{"event":"lower_case","data":{}}', 'event is missing or not 1-100 characters of [A-Z0-9_.]'],
    ['{"event":"X"}', 'data is missing or not a JSON object'],
    ['{"event":"X","data":[1]}', 'data is missing or not a JSON object'],
  ])('%s is unreadable: %s', (body, reason) => {
    expect(decodeMessage(raw(body), 'hp.queue.')).toEqual({
      kind: 'unreadable',
      id: 42,
      customerId: 'acme',
      acceptedAt: 1_764_000_000_123,
      reason,
      bytes: body.length,
    });
  });

  test('invalid UTF-8 is unreadable, not a replacement-character string', () => {
    const decoded = decodeMessage(raw(new Uint8Array([0x7b, 0xff, 0x7d])), 'hp.queue.');
    expect(decoded).toMatchObject({ kind: 'unreadable', reason: 'body is not valid UTF-8', bytes: 3 });
  });

  test('a body over the 256 KiB of a message is unreadable even when it is valid JSON', () => {
    const limit = 256 * 1024;
    const body = (bytes: number) => encodeBody({ event: 'X', data: { pad: 'x'.repeat(bytes - 31) } });
    expect(body(limit).length).toBe(limit);
    expect(decodeMessage(raw(body(limit)), 'hp.queue.')).toMatchObject({ kind: 'message' });
    expect(decodeMessage(raw(body(limit + 1)), 'hp.queue.')).toMatchObject({
      kind: 'unreadable',
      reason: `body is ${limit + 1} bytes, over the ${limit}-byte limit of a message`,
    });
  });

  test.each([
    ['objects', (inner: string) => `{"a":${inner}}`],
    ['arrays', (inner: string) => `[${inner}]`],
    ['mixed', (inner: string) => `{"k":[${inner}]}`],
  ])(
    'data nested %s 10,000 deep parses but could not be written back: unreadable, with why',
    (_name, wrap) => {
      let data = '1';
      for (let depth = 0; depth < 10_000; depth += 1) {
        data = wrap(data);
      }
      const body = `{"event":"CHECK_COMPLETED","data":{"deep":${data}}}`;
      expect(body.length).toBeLessThan(256 * 1024);
      expect(decodeMessage(raw(body), 'hp.queue.')).toMatchObject({
        kind: 'unreadable',
        reason: 'body cannot be delivered exactly: the JSON is nested more than 65 levels deep',
      });
    },
  );

  test.each([
    [
      'data one level deeper than the API takes',
      `{"event":"E","data":${'{"a":'.repeat(65)}1${'}'.repeat(65)}}`,
      /nested more than 65 levels/,
    ],
    [
      'a number past the doubles (would go out as null)',
      '{"event":"E","data":{"n":1e400}}',
      /the number 1e400 cannot be carried exactly/,
    ],
    [
      'an integer a double rounds',
      '{"event":"E","data":{"n":9007199254740993}}',
      /cannot be carried exactly/,
    ],
  ])('%s is unreadable on the fast path, as the API refuses it', (_name, body, reason) => {
    expect(decodeMessage(raw(body), 'hp.queue.')).toMatchObject({
      kind: 'unreadable',
      reason: expect.stringMatching(reason),
    });
  });

  test('the body written is the plain JSON of the contract', () => {
    const text = new TextDecoder().decode(encodeBody({ event: 'A', data: { n: 1 } }));
    expect(JSON.parse(text)).toEqual({ event: 'A', data: { n: 1 } });
  });
});
