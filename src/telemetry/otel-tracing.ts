import {
  createTraceState,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Context,
  type Link,
  type Span,
  type SpanContext,
  type Tracer,
} from '@opentelemetry/api';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
} from '@opentelemetry/semantic-conventions';
import {
  formatTraceparent,
  parseTraceparent,
  type CustomerQueueEvent,
  type MessageTrace,
} from '../../libs/domain/index.js';
import type { AppendSpan, AttemptInfo, AttemptSpan, TracingPort } from '../../libs/runtime/index.js';

/** Attribute names of Hookpost's own (no secret, body or header value is ever one of them). */
const ATTR = {
  customerId: 'hookpost.customer_id',
  webhookId: 'hookpost.webhook_id',
  lastWebhookId: 'hookpost.last_webhook_id',
  webhookIds: 'hookpost.webhook_ids',
  messageCount: 'hookpost.message_count',
  attempt: 'hookpost.attempt',
  batching: 'hookpost.batching',
  durationMs: 'hookpost.duration_ms',
  outcome: 'hookpost.outcome',
  via: 'hookpost.via',
  eventTypes: 'hookpost.event_types',
  eventCount: 'hookpost.event_count',
  streamVersion: 'hookpost.stream_version',
} as const;

/** A publish's span: the trace context to store with its messages, and how to end it. */
export interface PublishSpan {
  readonly trace: MessageTrace;
  end(outcome: { webhookIds: readonly number[] } | { error: unknown }): void;
}

function spanContextOf(message: MessageTrace, isRemote = true): SpanContext | undefined {
  const fields = parseTraceparent(message.traceparent);
  if (fields === null) {
    return undefined;
  }
  return {
    traceId: fields.traceId,
    spanId: fields.spanId,
    traceFlags: fields.flags,
    isRemote,
    ...(message.tracestate === undefined ? {} : { traceState: createTraceState(message.tracestate) }),
  };
}

function traceOf(span: Span): MessageTrace {
  const { traceId, spanId, traceFlags, traceState } = span.spanContext();
  const traceparent = formatTraceparent({ traceId, spanId, flags: traceFlags });
  const tracestate = traceState?.serialize();
  return tracestate ? { traceparent, tracestate } : { traceparent };
}

function parentContext(message: MessageTrace | undefined, isRemote = true): Context {
  const parent = message === undefined ? undefined : spanContextOf(message, isRemote);
  return parent === undefined ? ROOT_CONTEXT : trace.setSpanContext(ROOT_CONTEXT, parent);
}

/** The status code, a timeout or no response: never the failure text (it may quote the response). */
function errorType(statusCode: number | null, error: string | null): string {
  if (statusCode !== null) {
    return String(statusCode);
  }
  return error?.startsWith('timeout') === true ? 'timeout' : 'no response';
}

/** Only the kind of failure: an error's text may quote what a receiver answered (a body). */
function failed(span: Span, error: unknown): void {
  span.setAttribute(ATTR_ERROR_TYPE, error instanceof Error ? error.name : 'Error');
  span.setStatus({ code: SpanStatusCode.ERROR });
}

/**
 * Hookpost's spans through the OpenTelemetry API: the publish, each delivery attempt and each event
 * append. Parents are passed explicitly (a message's stored trace context, the attempt an append
 * records), so no context manager is needed and no global state is touched.
 */
export class OtelTracing implements TracingPort {
  constructor(private readonly tracer: Tracer) {}

  /** A publish request's span, child of the trace context it came with; its messages store this span's. */
  startPublish(via: string, parent: MessageTrace | undefined, customerIds: readonly string[]): PublishSpan {
    const customers = [...new Set(customerIds)];
    const span = this.tracer.startSpan(
      'hookpost publish',
      {
        kind: SpanKind.PRODUCER,
        attributes: {
          [ATTR.via]: via,
          [ATTR.messageCount]: customerIds.length,
          ...(customers.length === 1 ? { [ATTR.customerId]: customers[0] } : {}),
        },
      },
      parentContext(parent),
    );
    return {
      trace: traceOf(span),
      end: (outcome) => {
        if ('error' in outcome) {
          failed(span, outcome.error);
        } else {
          span.setAttribute(ATTR.webhookIds, [...outcome.webhookIds]);
        }
        span.end();
      },
    };
  }

  startAttempt(info: AttemptInfo, traces: readonly (MessageTrace | undefined)[]): AttemptSpan {
    // The first message with a trace context is the parent; the others' distinct contexts are links.
    const parent = traces.find((message) => message !== undefined);
    const seen = new Set(parent === undefined ? [] : [parent.traceparent]);
    const links: Link[] = [];
    for (const message of traces) {
      if (message === undefined || seen.has(message.traceparent)) {
        continue;
      }
      seen.add(message.traceparent);
      const context = spanContextOf(message);
      if (context !== undefined) {
        links.push({ context });
      }
    }
    const span = this.tracer.startSpan(
      'hookpost deliver',
      {
        kind: SpanKind.CLIENT,
        links,
        attributes: {
          [ATTR.customerId]: info.customerId,
          [ATTR.webhookId]: info.firstId,
          [ATTR.lastWebhookId]: info.lastId,
          [ATTR.messageCount]: info.count,
          [ATTR.attempt]: info.attempt,
          [ATTR.batching]: info.batching,
          [ATTR_HTTP_REQUEST_METHOD]: 'POST',
        },
      },
      parentContext(parent),
    );
    return {
      trace: traceOf(span),
      end: ({ ok, statusCode, durationMs, error }) => {
        span.setAttribute(ATTR.durationMs, durationMs);
        span.setAttribute(ATTR.outcome, ok ? 'succeeded' : 'failed');
        if (statusCode !== null) {
          span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, statusCode);
        }
        if (!ok) {
          span.setAttribute(ATTR_ERROR_TYPE, errorType(statusCode, error));
          span.setStatus({ code: SpanStatusCode.ERROR });
        }
        span.end();
      },
    };
  }

  startAppend(
    customerId: string,
    events: readonly CustomerQueueEvent[],
    parent: AttemptSpan | undefined,
  ): AppendSpan {
    const span = this.tracer.startSpan(
      'hookpost event append',
      {
        kind: SpanKind.INTERNAL,
        attributes: {
          [ATTR.customerId]: customerId,
          [ATTR.eventTypes]: events.map((event) => event.type),
          [ATTR.eventCount]: events.length,
        },
      },
      // The attempt's own context, from this process: not remote.
      parentContext(parent?.trace, false),
    );
    return {
      end: (outcome) => {
        if ('error' in outcome) {
          failed(span, outcome.error);
        } else {
          span.setAttribute(ATTR.streamVersion, outcome.version);
        }
        span.end();
      },
    };
  }
}
