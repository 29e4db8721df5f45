import type { LinkClaims, LinkVerdict } from '../links/link-token.js';

/** Who is opening a customer page, decided before anything about the customer is read. */
export type PageAccess =
  | { kind: 'link'; claims: LinkClaims }
  /** No link: the page loads with the operator's admin token (the API checks it). */
  | { kind: 'operator' }
  | { kind: 'refused'; status: 401 | 403; title: string; message: string };

/**
 * A page with `?token=` shows only the customer the link was signed for: an expired, forged or
 * malformed link is a 401, a link for another customer a 403 (and says nothing about either).
 */
export function customerPageAccess(customerId: string, verdict: LinkVerdict | null): PageAccess {
  if (verdict === null) {
    return { kind: 'operator' };
  }
  if (!verdict.ok) {
    return verdict.refusal === 'expired'
      ? {
          kind: 'refused',
          status: 401,
          title: 'This link has expired',
          message: 'Status links last a limited time. Ask for a new link to see the webhook status.',
        }
      : {
          kind: 'refused',
          status: 401,
          title: 'This link is not valid',
          message:
            'The link may have been cut short or changed. Ask for a new link to see the webhook status.',
        };
  }
  if (verdict.claims.customerId !== customerId) {
    return {
      kind: 'refused',
      status: 403,
      title: 'This link is for another page',
      message: 'A status link opens only the page it was made for.',
    };
  }
  return { kind: 'link', claims: verdict.claims };
}
