import type { MessageTrace } from '../domain/index.js';
import type { OutgoingMessage } from './payload.js';

/** One delivery attempt: the messages (one, or a batch oldest first) and the endpoint's settings. */
export interface DeliveryRequest {
  url: string;
  /** The endpoint's secrets, current first; more than one during a rotation (all sign, the first is sent). */
  secrets: readonly string[];
  messages: readonly OutgoingMessage[];
  batching: boolean;
  /** Send `Authorization: Bearer <secret>` (false for receivers such as Salesforce that reject it). */
  authorizationHeader: boolean;
  /** Count any 2xx as success instead of exactly 200. */
  acceptAny2xx: boolean;
  /** Hard deadline for the whole exchange (connect, headers and body), milliseconds. */
  timeoutMs: number;
  /** Egress region (source addresses from `HOOKPOST_REGIONS`); absent or null = default route. */
  region?: string | null;
  /** Current time, epoch milliseconds, for `webhook-timestamp`. */
  now: number;
  /** Sent as the `traceparent` and `tracestate` headers: the attempt's span, or the message's own. */
  trace?: MessageTrace | undefined;
}

/** The outcome of one attempt; failures are values, never exceptions. `error` never holds a secret. */
export interface DeliveryResult {
  ok: boolean;
  /** The HTTP status when a response arrived, else null. */
  statusCode: number | null;
  /** Short human-readable reason for a failure ('HTTP 500: ...', 'timeout after 10000 ms'), null on success. */
  error: string | null;
  durationMs: number;
  /**
   * Set when no request was made because this message cannot be encoded (UnencodableMessageError):
   * retrying cannot help, so the caller skips it as unreadable, with the reason.
   */
  unencodable?: { webhookId: number; reason: string };
}
