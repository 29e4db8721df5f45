/** A customerId is one NATS subject token: 1-64 characters of [A-Za-z0-9_-] (CONTRACT.md). */
export const CUSTOMER_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** An event type: 1-100 characters of [A-Z0-9_.] (CONTRACT.md). */
export const EVENT_TYPE_PATTERN = /^[A-Z0-9_.]{1,100}$/;

/** An idempotency key: 1-200 characters, none a control character (it travels in a NATS header). */
// eslint-disable-next-line no-control-regex -- control characters are exactly what it refuses
export const IDEMPOTENCY_KEY_PATTERN = /^[^\u0000-\u001f\u007f]{1,200}$/u;

/** Largest message accepted, body and envelope together (CONTRACT.md). */
export const MAX_MESSAGE_BYTES = 256 * 1024;

/** True when `value` can be used as a customerId (and so as a subject token). */
export function isCustomerId(value: unknown): value is string {
  return typeof value === 'string' && CUSTOMER_ID_PATTERN.test(value);
}

/** True when `value` is a well-formed event type. */
export function isEventType(value: unknown): value is string {
  return typeof value === 'string' && EVENT_TYPE_PATTERN.test(value);
}
