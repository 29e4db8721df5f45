import { secretLast4, signingSecrets } from './secrets.js';
import { configured, secretRotated, T0 } from './spec-support.js';
import { fold } from './state.js';

describe('secret rotation', () => {
  test('given a rotation, then the new last four show and the previous one is kept with its expiry', () => {
    const state = fold([
      configured({ secretLast4: 'cret' }),
      secretRotated('cret', 'next', T0 + 60_000, T0 + 1),
    ]);
    expect(state.settings?.secretLast4).toBe('next');
    expect(state.previousSecret).toEqual({ last4: 'cret', expiresAt: T0 + 60_000 });
  });

  test('given a rotation during an overlap, then only the newest two remain', () => {
    const state = fold([
      configured({ secretLast4: 'aaaa' }),
      secretRotated('aaaa', 'bbbb', T0 + 60_000, T0 + 1),
      secretRotated('bbbb', 'cccc', T0 + 90_000, T0 + 2),
    ]);
    expect(state.settings?.secretLast4).toBe('cccc');
    expect(state.previousSecret).toEqual({ last4: 'bbbb', expiresAt: T0 + 90_000 });
  });

  test('given a rotation, when the endpoint is configured again (PUT), then the previous one is gone', () => {
    const state = fold([
      configured({ secretLast4: 'aaaa' }),
      secretRotated('aaaa', 'bbbb', T0 + 60_000, T0 + 1),
      configured({ secretLast4: 'dddd' }, T0 + 2),
    ]);
    expect(state.previousSecret).toBeNull();
  });

  test('the new secret signs first, the previous one second until it expires, then alone', () => {
    const secrets = { current: 'whsec_new', previous: { secret: 'whsec_old', expiresAt: T0 + 1_000 } };
    expect(signingSecrets(secrets, T0)).toEqual(['whsec_new', 'whsec_old']);
    expect(signingSecrets(secrets, T0 + 999)).toEqual(['whsec_new', 'whsec_old']);
    expect(signingSecrets(secrets, T0 + 1_000)).toEqual(['whsec_new']);
    expect(signingSecrets({ current: 'whsec_new', previous: null }, T0)).toEqual(['whsec_new']);
  });
});

describe('secretLast4', () => {
  test('given a secret of 16 characters or more, then its last four show', () => {
    expect(secretLast4('whsec_0123456789')).toBe('6789');
    expect(secretLast4('x'.repeat(255) + 'wxyz')).toBe('wxyz');
  });

  test('given a secret shorter than 16 characters, then nothing of it shows', () => {
    expect(secretLast4('12345678')).toBe('');
    expect(secretLast4('whsec_012345678')).toBe('');
  });
});
