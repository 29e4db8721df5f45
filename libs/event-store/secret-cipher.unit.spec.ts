import { randomBytes } from 'node:crypto';
import { SecretCipher } from './secret-cipher.js';

describe('SecretCipher', () => {
  const cipher = new SecretCipher(randomBytes(32));

  test('round trip, with a fresh IV each time', () => {
    const first = cipher.seal('acme', 'whsec_abcdefghijklmnop');
    const second = cipher.seal('acme', 'whsec_abcdefghijklmnop');
    expect(first.ciphertext).not.toEqual(second.ciphertext);
    expect(cipher.open('acme', first)).toBe('whsec_abcdefghijklmnop');
    expect(Buffer.from(first.ciphertext, 'base64')).toHaveLength(12 + 16 + 22);
  });

  test('a row moved to another customer does not open', () => {
    expect(() => cipher.open('other', cipher.seal('acme', 'secret-value'))).toThrow();
  });

  test('tampered bytes do not open', () => {
    const sealed = cipher.seal('acme', 'secret-value');
    const bytes = Buffer.from(sealed.ciphertext, 'base64');
    bytes[bytes.length - 1] = (bytes.at(-1) ?? 0) ^ 1;
    expect(() => cipher.open('acme', { ...sealed, ciphertext: bytes.toString('base64') })).toThrow();
  });

  test('another key is named in the error, and keys must be 32 bytes', () => {
    const other = new SecretCipher(randomBytes(32));
    expect(() => other.open('acme', cipher.seal('acme', 'secret-value'))).toThrow(cipher.keyId);
    expect(() => new SecretCipher(randomBytes(16))).toThrow(RangeError);
  });
});
