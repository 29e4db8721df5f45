import { describeDeliveryError, shorten } from './delivery-error.js';
import { ForbiddenAddressError } from './ssrf-guard.js';

const withCode = (message: string, code: string, extra: Record<string, unknown> = {}): Error =>
  Object.assign(new Error(message), { code }, extra);

describe('describeDeliveryError', () => {
  it.each([
    [withCode('read ECONNRESET', 'ECONNRESET'), 'connection reset'],
    [withCode('other side closed', 'UND_ERR_SOCKET'), 'connection closed by receiver'],
    [withCode('connect ECONNREFUSED 1.2.3.4:80', 'ECONNREFUSED'), 'connection refused'],
    [withCode('Headers Timeout Error', 'UND_ERR_HEADERS_TIMEOUT'), 'timeout after 5000 ms'],
    [
      withCode('getaddrinfo ENOTFOUND x.invalid', 'ENOTFOUND', { hostname: 'x.invalid' }),
      'DNS lookup failed for x.invalid (ENOTFOUND)',
    ],
    [
      withCode('self-signed certificate', 'DEPTH_ZERO_SELF_SIGNED_CERT'),
      'TLS error: self-signed certificate',
    ],
    [new ForbiddenAddressError('10.0.0.1'), 'forbidden address 10.0.0.1'],
    [new Error('fetch failed', { cause: new ForbiddenAddressError('::1') }), 'forbidden address ::1'],
    [new Error('wrapped', { cause: withCode('read ECONNRESET', 'ECONNRESET') }), 'connection reset'],
    [new Error('something odd'), 'something odd'],
    ['a string', 'a string'],
  ])('describes %p as %j', (err, text) => {
    expect(describeDeliveryError(err, 5000)).toBe(text);
  });
});

describe('shorten', () => {
  it('keeps short texts and cuts long ones to the limit', () => {
    expect(shorten('abc', 3)).toBe('abc');
    expect(shorten('abcdef', 4)).toBe('abc…');
  });
});
