import { createHmac } from 'node:crypto';
import { deriveLinkSigningKey } from '../config/secrets.js';
import { looksLikeLink, signLink, verifyLink, type LinkClaims } from './link-token.js';

const key = deriveLinkSigningKey(Buffer.alloc(32, 7));
const NOW = 1_764_000_000_000;
const claims: LinkClaims = { customerId: 'acme', actions: true, expiresAt: NOW / 1000 + 3600 };

describe('status link tokens', () => {
  test('given a signed link, when verified before it expires, then its claims come back', () => {
    const token = signLink(key, claims);
    expect(looksLikeLink(token)).toBe(true);
    expect(verifyLink(key, token, NOW)).toEqual({ ok: true, claims });
  });

  test('given a link, when verified at or after its expiry, then it is refused as expired', () => {
    const token = signLink(key, claims);
    expect(verifyLink(key, token, claims.expiresAt * 1000 - 1).ok).toBe(true);
    expect(verifyLink(key, token, claims.expiresAt * 1000)).toEqual({ ok: false, refusal: 'expired' });
  });

  test('given a link signed with another key, when verified, then the signature is refused', () => {
    const other = deriveLinkSigningKey(Buffer.alloc(32, 8));
    expect(verifyLink(key, signLink(other, claims), NOW)).toEqual({ ok: false, refusal: 'bad-signature' });
  });

  test('given a link whose payload was changed to another customer, when verified, then it is refused', () => {
    const [, signature] = signLink(key, claims).split('.');
    const forged = Buffer.from(JSON.stringify({ c: 'globex', a: true, exp: claims.expiresAt })).toString(
      'base64url',
    );
    expect(verifyLink(key, `${forged}.${signature}`, NOW)).toEqual({ ok: false, refusal: 'bad-signature' });
  });

  test('given tokens of the wrong shape, when verified, then they are refused as malformed', () => {
    for (const token of ['', 'abc', 'a.b', `${'a'.repeat(10)}.${'b'.repeat(44)}`, 'x.y.z']) {
      expect(verifyLink(key, token, NOW)).toEqual({ ok: false, refusal: 'malformed' });
    }
  });

  test('given a correctly signed payload that is not a claim set, when verified, then it is malformed', () => {
    const signed = (value: unknown) => {
      const payload = Buffer.from(JSON.stringify(value)).toString('base64url');
      return `${payload}.${createHmac('sha256', key).update(payload).digest('base64url')}`;
    };
    for (const junk of [
      { c: 'bad id!', a: true, exp: 1 },
      { c: 'acme', a: 'yes', exp: 1 },
      { c: 'acme', a: true },
      [1],
    ]) {
      expect(verifyLink(key, signed(junk), NOW)).toEqual({ ok: false, refusal: 'malformed' });
    }
    expect(verifyLink(key, signed({ c: 'acme', a: false, exp: NOW / 1000 + 1 }), NOW).ok).toBe(true);
  });

  test('the derived key is stable, 32 bytes, and differs from the key it came from', () => {
    const source = Buffer.alloc(32, 7);
    expect(deriveLinkSigningKey(source)).toEqual(key);
    expect(key).toHaveLength(32);
    expect(key.equals(source)).toBe(false);
  });
});
