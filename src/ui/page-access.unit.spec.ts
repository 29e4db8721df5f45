import { customerPageAccess } from './page-access.js';
import { rootFrom } from './page-headers.js';

const claims = { customerId: 'acme', actions: false, expiresAt: 0 };

describe('who may open a customer page', () => {
  test('no link: the operator shell (its API calls need the admin token)', () => {
    expect(customerPageAccess('acme', null)).toEqual({ kind: 'operator' });
  });

  test("a valid link for this customer: the page, with the link's rights", () => {
    expect(customerPageAccess('acme', { ok: true, claims })).toEqual({ kind: 'link', claims });
  });

  test('a link for another customer: 403, whatever else it allows', () => {
    const access = customerPageAccess('globex', { ok: true, claims: { ...claims, actions: true } });
    expect(access).toMatchObject({ kind: 'refused', status: 403 });
  });

  test('expired, forged or malformed links: 401, and an expired one says so', () => {
    expect(customerPageAccess('acme', { ok: false, refusal: 'expired' })).toMatchObject({
      status: 401,
      title: 'This link has expired',
    });
    for (const refusal of ['bad-signature', 'malformed'] as const) {
      expect(customerPageAccess('acme', { ok: false, refusal })).toMatchObject({
        status: 401,
        title: 'This link is not valid',
      });
    }
  });

  test('the service root relative to a page, so the pages work under a path prefix', () => {
    expect(rootFrom('/ui')).toBe('./');
    expect(rootFrom('/ui/')).toBe('../');
    expect(rootFrom('/ui/customers/acme')).toBe('../../');
  });
});
