import type { JetStreamClient, JetStreamPublishOptions } from '@nats-io/jetstream';
import { IDEMPOTENCY_KEY_RULE, isIdempotencyKey, type MessageTrace } from '../domain/index.js';
import { assertCustomerId } from './customer-id.js';
import { mapPublishError, MessageTooLargeError } from './errors.js';
import { encodeBody, type QueueBody } from './message.js';
import { queueSubject } from './settings.js';
import { traceHeaders } from './trace-headers.js';

/** What a publish returns: the webhookId (stream sequence), and whether the key had been seen. */
export interface PublishResult {
  webhookId: number;
  duplicate: boolean;
}

export interface PublishItem {
  customerId: string;
  /** The body, or its stored bytes already encoded with encodeBody (a caller that checked their size). */
  body: QueueBody | Uint8Array;
  idempotencyKey?: string;
  /** A W3C trace context to store with it (as headers), so its delivery joins the trace. */
  trace?: MessageTrace;
}

/** Acked publishes kept in flight by publishMany (measured: ~1,000 in flight saturates one client). */
const PUBLISH_WINDOW = 1_000;

interface Prepared {
  subject: string;
  payload: Uint8Array;
  options: Partial<JetStreamPublishOptions> | undefined;
}

/** Encodes and validates one message; throws before anything is sent. */
function prepare(ns: string, maxMessageBytes: number, item: PublishItem): Prepared {
  assertCustomerId(item.customerId);
  // The interface layer refuses bad keys with a 400; the same check here guards the header itself.
  if (item.idempotencyKey !== undefined && !isIdempotencyKey(item.idempotencyKey)) {
    throw new TypeError(IDEMPOTENCY_KEY_RULE);
  }
  const payload = item.body instanceof Uint8Array ? item.body : encodeBody(item.body);
  if (payload.length > maxMessageBytes) {
    throw new MessageTooLargeError(
      `message is ${payload.length} bytes, the queue takes at most ${maxMessageBytes}`,
    );
  }
  return {
    subject: queueSubject(ns, item.customerId),
    payload,
    options: publishOptions(item),
  };
}

/** The deduplication id and the trace headers; undefined (no allocation) for a plain message. */
function publishOptions(item: PublishItem): Partial<JetStreamPublishOptions> | undefined {
  const msgID = item.idempotencyKey === undefined ? undefined : `${item.customerId}:${item.idempotencyKey}`;
  if (item.trace === undefined) {
    return msgID === undefined ? undefined : { msgID };
  }
  const headers = traceHeaders(item.trace);
  return msgID === undefined ? { headers } : { msgID, headers };
}

async function send(js: JetStreamClient, prepared: Prepared): Promise<PublishResult> {
  try {
    const ack = await js.publish(prepared.subject, prepared.payload, prepared.options);
    return { webhookId: ack.seq, duplicate: ack.duplicate };
  } catch (err) {
    throw mapPublishError(err);
  }
}

/**
 * Publishes many messages with up to PUBLISH_WINDOW acks outstanding; results in input order. Every
 * item is validated before the first is sent. On a failure no further item is sent and the first error
 * is thrown once the publishes in flight have settled (some items may be stored: retry with the same
 * idempotency keys to learn their ids).
 */
export async function publishAll(
  js: JetStreamClient,
  ns: string,
  maxMessageBytes: number,
  items: readonly PublishItem[],
): Promise<PublishResult[]> {
  const prepared = items.map((item) => prepare(ns, maxMessageBytes, item));
  const results = new Array<PublishResult>(prepared.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < prepared.length) {
      const index = next++;
      try {
        results[index] = await send(js, prepared[index] as Prepared);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(PUBLISH_WINDOW, prepared.length) }, worker));
  if (failure !== undefined) {
    throw failure.error;
  }
  return results;
}
