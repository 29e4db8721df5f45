/** A customerId is one NATS subject token: 1-64 characters of [A-Za-z0-9_-] (docs/contract.md). */
export const CUSTOMER_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** An event type: 1-100 characters of [A-Z0-9_.] (docs/contract.md). */
export const EVENT_TYPE_PATTERN = /^[A-Z0-9_.]{1,100}$/;

/**
 * An idempotency key: 1-200 Unicode code points of well-formed text, none a control character (it
 * travels in a NATS header). A lone surrogate is refused: UTF-8 cannot hold one, so two keys that
 * differ only there would become the same header and merge two messages.
 */
// eslint-disable-next-line no-control-regex -- control characters are exactly what it refuses
export const IDEMPOTENCY_KEY_PATTERN = /^[^\u0000-\u001f\u007f\ud800-\udfff]{1,200}$/u;

/** What IDEMPOTENCY_KEY_PATTERN allows, in words, for the 400 every entry point answers. */
export const IDEMPOTENCY_KEY_RULE =
  'idempotencyKey must be 1-200 characters (Unicode code points) of well-formed text without control characters';

/**
 * A webhook secret: 8-256 visible ASCII characters (! to ~). It travels in the Authorization header,
 * which cannot carry other characters, and keys the signature as UTF-8 bytes.
 */
export const WEBHOOK_SECRET_PATTERN = /^[\x21-\x7e]{8,256}$/;

/** What WEBHOOK_SECRET_PATTERN allows, in words. */
export const WEBHOOK_SECRET_RULE =
  'secret must be 8-256 visible ASCII characters (! to ~): no spaces, tabs, line breaks, control or non-ASCII characters';

/** Largest message accepted, body and envelope together (docs/contract.md). */
export const MAX_MESSAGE_BYTES = 256 * 1024;

/** True when `value` can be used as a customerId (and so as a subject token). */
export function isCustomerId(value: unknown): value is string {
  return typeof value === 'string' && CUSTOMER_ID_PATTERN.test(value);
}

/** True when `value` is a well-formed event type. */
export function isEventType(value: unknown): value is string {
  return typeof value === 'string' && EVENT_TYPE_PATTERN.test(value);
}

/**
 * A deployment's namespace (HOOKPOST_NAMESPACE): the first token of its subjects and the root of its
 * stream names. Lower case only, so the upper-cased stream names of two namespaces never collide.
 */
export const NAMESPACE_PATTERN = /^[a-z][a-z0-9_-]{0,31}$/;

/** True when `value` can be used as a namespace. */
export function isNamespace(value: string): boolean {
  return NAMESPACE_PATTERN.test(value);
}

/** The streams of a namespace: every customer's queue, and the outbound event feed. */
export type StreamKind = 'QUEUE' | 'EVENTS';

/**
 * The one derivation of a stream's name: `hookpost` gives `HOOKPOST_QUEUE` and `HOOKPOST_EVENTS`,
 * `my-ns` gives `MY-NS_QUEUE` and `MY-NS_EVENTS`. The `-` is kept (stream names allow it): turning it
 * into `_` would give `my-ns` and `my_ns` the same streams.
 */
export function streamNameFor(namespace: string, kind: StreamKind): string {
  return `${namespace.toUpperCase()}_${kind}`;
}

/** True when `value` is a well-formed idempotency key (IDEMPOTENCY_KEY_PATTERN). */
export function isIdempotencyKey(value: unknown): value is string {
  return typeof value === 'string' && IDEMPOTENCY_KEY_PATTERN.test(value);
}
