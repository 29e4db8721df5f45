import { Webhook } from 'standardwebhooks';
import { signPayload } from './signature.js';

/** The reference library takes a base64 key; ours is the secret's UTF-8 bytes. */
const reference = (secret: string): Webhook => new Webhook(Buffer.from(secret).toString('base64'));

describe('signPayload', () => {
  const body = '{"id":42,"event":"CHECK_COMPLETED","secret":"s3cr\u00e9t","timestamp":1764000000,"data":{}}';
  const now = Math.floor(Date.now() / 1000); // the reference verifier refuses timestamps 5 min off
  const headers = (signature: string): Record<string, string> => ({
    'webhook-id': '42',
    'webhook-timestamp': String(now),
    'webhook-signature': signature,
  });

  it('produces one v1 signature the reference implementation verifies', () => {
    const signature = signPayload(['s3cr\u00e9t'], '42', now, body);
    expect(signature).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(() => reference('s3cr\u00e9t').verify(body, headers(signature))).not.toThrow();
  });

  it('signs with every secret during a rotation, each verifiable on its own', () => {
    const signature = signPayload(['new-secret', 'old-secret'], '42', now, body);
    expect(signature.split(' ')).toHaveLength(2);
    expect(() => reference('new-secret').verify(body, headers(signature))).not.toThrow();
    expect(() => reference('old-secret').verify(body, headers(signature))).not.toThrow();
  });

  it('fails verification with another secret or a changed body', () => {
    const signature = signPayload(['right'], '42', now, body);
    expect(() => reference('wrong').verify(body, headers(signature))).toThrow();
    expect(() => reference('right').verify(`${body} `, headers(signature))).toThrow();
  });

  it('matches a known vector', () => {
    // HMAC-SHA256(key "secret", "1.1764000000.{}") computed independently with openssl.
    expect(signPayload(['secret'], '1', 1764000000, '{}')).toBe(KNOWN_VECTOR);
  });

  it('refuses an empty secret list', () => {
    expect(() => signPayload([], '1', 1, '{}')).toThrow(RangeError);
  });
});

const KNOWN_VECTOR = 'v1,qD873jYnExHGCHtI/HtqzrmMKZ2wpUEwhRV/zoGPDZs=';
