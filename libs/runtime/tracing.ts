import type { CustomerQueueEvent, MessageTrace } from '../domain/index.js';

/** What the runtime tells the tracer about one delivery attempt (never a secret or a body). */
export interface AttemptInfo {
  readonly customerId: string;
  readonly firstId: number;
  readonly lastId: number;
  readonly count: number;
  readonly attempt: number;
  readonly batching: boolean;
}

/** A delivery attempt's span: its own trace context goes out with the request. */
export interface AttemptSpan {
  /** The `traceparent` (and `tracestate`) of this span, for the request's headers. */
  readonly trace: MessageTrace;
  /** Ends the span with the attempt's outcome. */
  end(outcome: { ok: boolean; statusCode: number | null; durationMs: number; error: string | null }): void;
}

/** An event append's span. */
export interface AppendSpan {
  end(outcome: { version: number } | { error: unknown }): void;
}

/**
 * Spans of delivery attempts and event appends (src/telemetry implements it with OpenTelemetry).
 * Absent when tracing is off: the runtime then only passes on the trace context a message came with.
 */
export interface TracingPort {
  /** Starts an attempt's span, child of the messages' trace context (the first one's; the others linked). */
  startAttempt(info: AttemptInfo, traces: readonly (MessageTrace | undefined)[]): AttemptSpan;
  /** Starts an append's span, child of the attempt whose outcome it records, if any. */
  startAppend(
    customerId: string,
    events: readonly CustomerQueueEvent[],
    parent: AttemptSpan | undefined,
  ): AppendSpan;
}
