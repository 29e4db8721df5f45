import { linkAllows } from './link-scope.js';
import type { LinkClaims } from './link-token.js';

const readOnly: LinkClaims = { customerId: 'acme', actions: false, expiresAt: 0 };
const withActions: LinkClaims = { ...readOnly, actions: true };

describe('what a status link may call', () => {
  test('its own customer: the status with any link; Retry and Refresh only with actions', () => {
    expect(linkAllows(readOnly, 'read', 'acme')).toBe(true);
    expect(linkAllows(readOnly, 'act', 'acme')).toBe(false);
    expect(linkAllows(withActions, 'read', 'acme')).toBe(true);
    expect(linkAllows(withActions, 'act', 'acme')).toBe(true);
  });

  test('another customer: nothing, whatever the link allows', () => {
    for (const claims of [readOnly, withActions]) {
      expect(linkAllows(claims, 'read', 'globex')).toBe(false);
      expect(linkAllows(claims, 'act', 'globex')).toBe(false);
      // Customer ids are case-sensitive: ACME is someone else.
      expect(linkAllows(claims, 'read', 'ACME')).toBe(false);
    }
  });

  test('routes not marked for links (admin-only) or without a customer: nothing', () => {
    expect(linkAllows(withActions, undefined, 'acme')).toBe(false);
    expect(linkAllows(withActions, 'read', undefined)).toBe(false);
  });
});
