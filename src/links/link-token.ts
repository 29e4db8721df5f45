import { createHmac, timingSafeEqual } from 'node:crypto';
import { isCustomerId } from '../../libs/domain/index.js';

/** What a status link grants: one customer's status page, plus Retry and Refresh when `actions`. */
export interface LinkClaims {
  readonly customerId: string;
  readonly actions: boolean;
  /** Unix seconds; from then on the link is refused. */
  readonly expiresAt: number;
}

/** Why a token was refused: said to the caller, since none of it helps forge one. */
export type LinkRefusal = 'malformed' | 'bad-signature' | 'expired';

/** The outcome of checking a link token. */
export type LinkVerdict = { ok: true; claims: LinkClaims } | { ok: false; refusal: LinkRefusal };

// payload.signature, both base64url; the signature is an HMAC-SHA256 (43 characters).
const TOKEN_PATTERN = /^([A-Za-z0-9_-]{1,512})\.([A-Za-z0-9_-]{43})$/;

/** `base64url(JSON {c, a, exp}) + '.' + base64url(HMAC-SHA256(key, first part))`. */
export function signLink(key: Buffer, claims: LinkClaims): string {
  const payload = Buffer.from(
    JSON.stringify({ c: claims.customerId, a: claims.actions, exp: claims.expiresAt }),
  ).toString('base64url');
  return `${payload}.${mac(key, payload)}`;
}

/** True when `token` has a link token's shape (the admin token may be any string, a link never has a second '.'). */
export function looksLikeLink(token: string): boolean {
  return TOKEN_PATTERN.test(token);
}

/**
 * Checks the signature first (in constant time, before the payload is even parsed), then the
 * claims, then the expiry against `nowMs`.
 */
export function verifyLink(key: Buffer, token: string, nowMs: number): LinkVerdict {
  const match = TOKEN_PATTERN.exec(token);
  const payload = match?.[1];
  const signature = match?.[2];
  if (payload === undefined || signature === undefined) {
    return { ok: false, refusal: 'malformed' };
  }
  if (!timingSafeEqual(Buffer.from(signature), Buffer.from(mac(key, payload)))) {
    return { ok: false, refusal: 'bad-signature' };
  }
  const claims = parseClaims(payload);
  if (claims === null) {
    return { ok: false, refusal: 'malformed' };
  }
  return claims.expiresAt * 1000 <= nowMs ? { ok: false, refusal: 'expired' } : { ok: true, claims };
}

function mac(key: Buffer, payload: string): string {
  return createHmac('sha256', key).update(payload).digest('base64url');
}

function parseClaims(payload: string): LinkClaims | null {
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  if (typeof raw !== 'object' || raw === null) {
    return null;
  }
  const { c, a, exp } = raw as { c?: unknown; a?: unknown; exp?: unknown };
  if (typeof c !== 'string' || !isCustomerId(c) || typeof a !== 'boolean' || !Number.isSafeInteger(exp)) {
    return null;
  }
  return { customerId: c, actions: a, expiresAt: exp as number };
}
