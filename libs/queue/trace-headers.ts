import { headers as natsHeaders, Match, type MsgHdrs } from '@nats-io/transport-node';
import { traceFromHeaders, type MessageTrace } from '../domain/index.js';

/**
 * A message's W3C trace context travels as the `traceparent` and `tracestate` headers of its queue
 * message, as a producer on the fast path writes them. Names match in any case: a Go client
 * canonicalises them (`Traceparent`).
 */
export function traceOfHeaders(headers: MsgHdrs | undefined): MessageTrace | undefined {
  if (headers === undefined) {
    return undefined;
  }
  const traceparent = headers.get('traceparent', Match.IgnoreCase);
  return traceparent === ''
    ? undefined
    : traceFromHeaders(traceparent, headers.get('tracestate', Match.IgnoreCase) || undefined);
}

/** The headers that store a trace context with a published message. */
export function traceHeaders(trace: MessageTrace): MsgHdrs {
  const headers = natsHeaders();
  headers.set('traceparent', trace.traceparent);
  if (trace.tracestate !== undefined) {
    headers.set('tracestate', trace.tracestate);
  }
  return headers;
}
