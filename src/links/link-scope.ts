import type { LinkClaims } from './link-token.js';

/** What a route lets a status link do: read the status, or act on it (Retry, Refresh). */
export type LinkAccess = 'read' | 'act';

/**
 * The scope rule: a link opens only routes marked for links, only for its own customer, and
 * the acting ones only when it was issued with actions. Every other route needs the admin token.
 */
export function linkAllows(
  claims: LinkClaims,
  access: LinkAccess | undefined,
  routeCustomerId: string | undefined,
): boolean {
  if (access === undefined || routeCustomerId !== claims.customerId) {
    return false;
  }
  return access === 'read' || claims.actions;
}
