import { redactSecrets } from './secret-forms.js';

const SECRET = 'whsec_Q"uo\\te/p+l ü&<x>';
const bytes = Buffer.from(SECRET, 'utf8');
const b64 = bytes.toString('base64');
const b64url = bytes.toString('base64url');

/** The forms a receiver may plausibly echo a secret in (the Authorization header or the body). */
const ECHOES: ReadonlyArray<[string, string]> = [
  ['raw', SECRET],
  ['JSON-escaped', JSON.stringify(SECRET).slice(1, -1)],
  ['JSON-escaped twice', JSON.stringify(JSON.stringify(SECRET).slice(1, -1)).slice(1, -1)],
  ['JSON with escaped slashes', JSON.stringify(SECRET).slice(1, -1).replace(/\//g, '\\/')],
  [
    'JSON, ASCII only (\\uXXXX, upper case)',
    [...SECRET]
      .map((c) =>
        c.charCodeAt(0) > 126
          ? `\\u${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`
          : JSON.stringify(c).slice(1, -1),
      )
      .join(''),
  ],
  ['URL-encoded', encodeURIComponent(SECRET)],
  [
    'URL-encoded, lower-case escapes',
    encodeURIComponent(SECRET).replace(/%[0-9A-F]{2}/g, (e) => e.toLowerCase()),
  ],
  ['form-encoded', new URLSearchParams({ s: SECRET }).toString().slice(2)],
  [
    'HTML-escaped',
    SECRET.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;'),
  ],
  ['hex', bytes.toString('hex')],
  ['HEX', bytes.toString('hex').toUpperCase()],
  ['base64', b64],
  ['base64 without padding', b64.replace(/=+$/, '')],
  ['base64url', b64url],
];

describe('redactSecrets', () => {
  test.each(ECHOES)('redacts the secret echoed %s, and leaves the rest of the text', (_form, echo) => {
    const text = `HTTP 500: {"error":"bad auth","got":"Bearer ${echo}","n":1}`;
    const redacted = redactSecrets(text, ['other-secret', SECRET]);
    expect(redacted).toBe('HTTP 500: {"error":"bad auth","got":"Bearer [redacted]","n":1}');
  });

  test.each([
    ['base64', (text: string) => Buffer.from(text).toString('base64')],
    ['base64url', (text: string) => Buffer.from(text).toString('base64url')],
  ])('redacts the secret inside a whole header encoded in %s, at every alignment', (_form, encode) => {
    for (const prefix of ['', 'B', 'Be', 'Bearer ']) {
      const whole = encode(`${prefix}${SECRET}`);
      const redacted = redactSecrets(`echo=${whole}`, [SECRET]);
      expect(redacted).toContain('[redacted]');
      // Left of the encoding: the prefix's characters, one shared at the start, up to 3 at the end.
      const left = redacted.replace('echo=', '').replace('[redacted]', '');
      expect(left.length).toBeLessThanOrEqual(Math.ceil((prefix.length * 4) / 3) + 1 + 3);
    }
  });

  test('redacts every secret of the endpoint (a rotation has two) and every occurrence', () => {
    expect(
      redactSecrets('HTTP 400: {"secret":"abcd","again":"abcd","old":"wxyz"}', ['abcd', 'wxyz', '']),
    ).toBe('HTTP 400: {"secret":"[redacted]","again":"[redacted]","old":"[redacted]"}');
  });

  test('also redacts a secret cut off at the end of a truncated text, in any form', () => {
    expect(redactSecrets('{"secret":"s3cr', ['s3cret'], true)).toBe('{"secret":"[redacted]');
    expect(redactSecrets('{"secret":"s\u00e9\uFFFD', ['s\u00e9\u00e9cret'], true)).toBe(
      '{"secret":"[redacted]',
    );
    expect(redactSecrets('{"secret":"s3cr', ['s3cret'], false)).toBe('{"secret":"s3cr');
    for (const [, echo] of ECHOES) {
      for (let cut = 6; cut < echo.length; cut += 1) {
        expect(redactSecrets(`got: ${echo.slice(0, cut)}`, [SECRET], true)).toBe('got: [redacted]');
      }
    }
  });
});
