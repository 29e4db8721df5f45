import { JetStreamApiError } from '@nats-io/jetstream';

/** The queue stream reached its max_bytes / max_msgs (or the account's storage limit) and refused a message. */
export class QueueFullError extends Error {
  override readonly name = 'QueueFullError';
  constructor(message: string, options?: ErrorOptions) {
    super(`queue is full: ${message}`, options);
  }
}

/** A message larger than the stream's max_msg_size. */
export class MessageTooLargeError extends Error {
  override readonly name = 'MessageTooLargeError';
}

/** The queue cannot be opened with these settings on this server or this existing stream. */
export class QueueSettingsError extends Error {
  override readonly name: string = 'QueueSettingsError';
}

// JetStream API error codes (nats-server errors.json) that mean "no room" or "too big".
const STORE_FAILED = 10077;
const INSUFFICIENT_RESOURCES = 10023; // account or server storage limit
const MESSAGE_EXCEEDS_MAXIMUM = 10054;
/**
 * A full stream with discard new answers STORE_FAILED, whose description is then the store's own
 * error (ErrMaxMsgs, ErrMaxBytes in the server). The server has no finer code for them, and the
 * same code carries real store failures (a disk error), which are not "full".
 */
const STREAM_LIMITS = new Set(['maximum messages exceeded', 'maximum bytes exceeded']);

/** Turns a publish failure into QueueFullError / MessageTooLargeError where it is one; else returns it as is. */
export function mapPublishError(err: unknown): unknown {
  if (!(err instanceof JetStreamApiError)) {
    return err;
  }
  const full =
    err.code === INSUFFICIENT_RESOURCES ||
    (err.code === STORE_FAILED && STREAM_LIMITS.has(err.apiError().description));
  if (full) {
    return new QueueFullError(err.message, { cause: err });
  }
  if (err.code === MESSAGE_EXCEEDS_MAXIMUM) {
    return new MessageTooLargeError(err.message, { cause: err });
  }
  return err;
}
