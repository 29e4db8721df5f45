import { createHmac } from 'node:crypto';

/**
 * Signs a delivery per Standard Webhooks: `v1,<base64 HMAC-SHA256 of "<id>.<ts>.<body>">` per secret,
 * space separated, so a receiver can verify with either secret during a rotation.
 */
export function signPayload(
  secrets: readonly string[],
  webhookId: string,
  timestampSeconds: number,
  body: string,
): string {
  if (secrets.length === 0) {
    throw new RangeError('signPayload needs at least one secret');
  }
  const signed = `${webhookId}.${timestampSeconds}.${body}`;
  return secrets
    .map(
      (secret) => `v1,${createHmac('sha256', Buffer.from(secret, 'utf8')).update(signed).digest('base64')}`,
    )
    .join(' ');
}
