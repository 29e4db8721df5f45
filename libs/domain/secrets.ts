import type { SecretRotated } from './events.js';

/**
 * An endpoint's secrets in plain text, as the store opens them for the sender. They never enter an
 * event or the projection: those carry only the last four characters.
 */

/** The secret a rotation replaced: it still signs, after the current one, until `expiresAt`. */
export interface RetiringSecret {
  readonly secret: string;
  /** Epoch ms. */
  readonly expiresAt: number;
}

/** The current secret and, after a rotation, the one it replaced (null without one). */
export interface EndpointSecrets {
  readonly current: string;
  readonly previous: RetiringSecret | null;
}

/** Shortest secret whose last four characters may be shown: four of 16 leave 12 unknown. */
export const SECRET_HINT_MIN_LENGTH = 16;

/**
 * The hint shown for a secret (`secretLast4`): its last four characters, or "" for a secret shorter
 * than {@link SECRET_HINT_MIN_LENGTH}, where four characters would give away too much of it (half of
 * an 8-character secret).
 */
export function secretLast4(secret: string): string {
  return secret.length >= SECRET_HINT_MIN_LENGTH ? secret.slice(-4) : '';
}

/** Longest overlap of a rotation: 30 days, in seconds. */
export const MAX_ROTATION_OVERLAP_SECONDS = 2_592_000;

/** The overlap when a rotation names none: 24 hours, in seconds. */
export const DEFAULT_ROTATION_OVERLAP_SECONDS = 86_400;

/**
 * The secrets that sign a request sent at `now`, in `webhook-signature` order: the current one,
 * then the previous one while its overlap lasts. The first is also the one `Authorization` and the
 * body carry.
 */
export function signingSecrets(secrets: EndpointSecrets, now: number): string[] {
  const { current, previous } = secrets;
  return previous !== null && now < previous.expiresAt ? [current, previous.secret] : [current];
}

/**
 * Rotates to `secret` at `at`: `current` signs after it until `overlapMs` from then. Only the newest
 * two are kept: a rotation during an overlap drops the oldest.
 */
export function rotateTo(
  secret: string,
  current: string,
  at: number,
  overlapMs: number,
): { event: SecretRotated; secrets: EndpointSecrets } {
  const data = {
    secretLast4: secretLast4(secret),
    previousSecretLast4: secretLast4(current),
    previousSecretExpiresAt: at + overlapMs,
  };
  const previous = { secret: current, expiresAt: data.previousSecretExpiresAt };
  return { event: { type: 'SecretRotated', at, data }, secrets: { current: secret, previous } };
}
