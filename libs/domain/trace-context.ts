/**
 * W3C Trace Context (traceparent, tracestate) as Hookpost carries it with a message: from the
 * publish to the delivery request. A malformed header is ignored, never an error: tracing must not
 * refuse or hold back a message (docs/contract.md, "Trace context").
 */

/** A message's trace context: a valid `traceparent` and, when one came with it, its `tracestate`. */
export interface MessageTrace {
  readonly traceparent: string;
  readonly tracestate?: string;
}

/** The fields of a valid traceparent (version 00 layout). */
export interface TraceparentFields {
  readonly traceId: string;
  readonly spanId: string;
  /** The trace flags byte (bit 0: sampled). */
  readonly flags: number;
}

// version-traceid-parentid-flags, lower-case hex; a later version may append fields after a '-'.
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-[\x21-\x7e]*)?$/;
const ALL_ZERO = /^0+$/;
/** W3C: a tracestate of up to 512 characters must be propagated; list members are printable ASCII. */
const TRACESTATE = /^[\x20-\x7e]{1,512}$/;

/** The fields of a traceparent, or null when it is not a valid one (W3C Trace Context, level 1). */
export function parseTraceparent(header: string): TraceparentFields | null {
  const match = TRACEPARENT.exec(header.trim());
  if (match === null) {
    return null;
  }
  const [, version, traceId, spanId, flags, rest] = match as unknown as [
    string,
    string,
    string,
    string,
    string,
    string?,
  ];
  // ff is forbidden; version 00 has exactly four fields; an all-zero id is invalid.
  if (version === 'ff' || (version === '00' && rest !== undefined)) {
    return null;
  }
  if (ALL_ZERO.test(traceId) || ALL_ZERO.test(spanId)) {
    return null;
  }
  return { traceId, spanId, flags: Number.parseInt(flags, 16) };
}

/** The traceparent of these fields, written as version 00. */
export function formatTraceparent(fields: TraceparentFields): string {
  return `00-${fields.traceId}-${fields.spanId}-${(fields.flags & 0xff).toString(16).padStart(2, '0')}`;
}

/**
 * The trace context to keep from a publish's headers, or undefined: without a valid traceparent
 * nothing is kept (a tracestate alone means nothing); a tracestate that is not printable ASCII of
 * at most 512 characters is dropped and the traceparent kept. A later version's traceparent is kept
 * as its version 00 fields.
 */
export function traceFromHeaders(
  traceparent: string | undefined,
  tracestate: string | undefined,
): MessageTrace | undefined {
  if (traceparent === undefined || traceparent === '') {
    return undefined;
  }
  const fields = parseTraceparent(traceparent);
  if (fields === null) {
    return undefined;
  }
  const state = tracestate?.trim();
  const normal = formatTraceparent(fields);
  return state !== undefined && TRACESTATE.test(state)
    ? { traceparent: normal, tracestate: state }
    : { traceparent: normal };
}

/**
 * The trace context a request carries when no span is made: the first message's that has one,
 * unchanged (Hookpost is then not a participant of the trace, only a carrier).
 */
export function carriedTrace(
  messages: readonly { readonly trace?: MessageTrace }[],
): MessageTrace | undefined {
  for (const message of messages) {
    if (message.trace !== undefined) {
      return message.trace;
    }
  }
  return undefined;
}
