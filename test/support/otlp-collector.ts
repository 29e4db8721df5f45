import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { until } from './until.js';

/** One exported span, decoded from OTLP/HTTP JSON; attribute values as plain JS values. */
export interface ExportedSpan {
  name: string;
  kind: number;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  attributes: Record<string, unknown>;
  links: Array<{ traceId: string; spanId: string }>;
  status: { code?: number };
  resource: Record<string, unknown>;
}

/** A real OTLP/HTTP endpoint (`POST /v1/traces`, JSON) that keeps every span it is sent. */
export interface OtlpCollector {
  /** The base URL, for OTEL_EXPORTER_OTLP_ENDPOINT. */
  url: string;
  spans: ExportedSpan[];
  /** Every request body as received (decompressed): to check that nothing secret was exported. */
  rawBodies: string[];
  waitForSpans(
    what: string,
    predicate: (spans: ExportedSpan[]) => boolean,
    timeoutMs?: number,
  ): Promise<void>;
  close(): Promise<void>;
}

interface OtlpValue {
  stringValue?: string;
  intValue?: number | string;
  doubleValue?: number;
  boolValue?: boolean;
  arrayValue?: { values?: OtlpValue[] };
}
type OtlpAttributes = Array<{ key: string; value: OtlpValue }> | undefined;

function valueOf(value: OtlpValue): unknown {
  if (value.arrayValue !== undefined) {
    return (value.arrayValue.values ?? []).map(valueOf);
  }
  if (value.intValue !== undefined) {
    return Number(value.intValue);
  }
  return value.stringValue ?? value.doubleValue ?? value.boolValue;
}

function attributesOf(attributes: OtlpAttributes): Record<string, unknown> {
  return Object.fromEntries((attributes ?? []).map(({ key, value }) => [key, valueOf(value)]));
}

/** Decodes an ExportTraceServiceRequest in OTLP's JSON encoding (ids as hex strings). */
function decode(body: string): ExportedSpan[] {
  const request = JSON.parse(body) as {
    resourceSpans?: Array<{
      resource?: { attributes?: OtlpAttributes };
      scopeSpans?: Array<{ spans?: Array<Record<string, any>> }>;
    }>;
  };
  return (request.resourceSpans ?? []).flatMap((resourceSpans) =>
    (resourceSpans.scopeSpans ?? []).flatMap((scope) =>
      (scope.spans ?? []).map((span) => ({
        name: span.name as string,
        kind: span.kind as number,
        traceId: span.traceId as string,
        spanId: span.spanId as string,
        parentSpanId: (span.parentSpanId as string | undefined) ?? '',
        attributes: attributesOf(span.attributes as OtlpAttributes),
        links: ((span.links as Array<{ traceId: string; spanId: string }> | undefined) ?? []).map(
          ({ traceId, spanId }) => ({ traceId, spanId }),
        ),
        status: (span.status as { code?: number } | undefined) ?? {},
        resource: attributesOf(resourceSpans.resource?.attributes),
      })),
    ),
  );
}

/** Starts the collector on 127.0.0.1 and an OS-chosen port. */
export async function startOtlpCollector(): Promise<OtlpCollector> {
  const spans: ExportedSpan[] = [];
  const rawBodies: string[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces') {
        res.writeHead(404).end();
        return;
      }
      const bytes = Buffer.concat(chunks);
      const body = (req.headers['content-encoding'] === 'gzip' ? gunzipSync(bytes) : bytes).toString('utf8');
      rawBodies.push(body);
      try {
        spans.push(...decode(body));
      } catch {
        res.writeHead(400).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    rawBodies,
    waitForSpans: (what, predicate, timeoutMs = 10_000) => until(() => predicate(spans), what, timeoutMs),
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}
