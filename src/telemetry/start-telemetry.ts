import type { Logger } from 'pino';
import { diagToLog } from './diag-logger.js';
import type { OtelTracing } from './otel-tracing.js';

/** Tracing while the service runs, and how to flush and stop it. */
export interface Telemetry {
  readonly tracing: OtelTracing;
  /** Exports the spans still buffered and stops the exporter. */
  shutdown(): Promise<void>;
}

/**
 * Starts the OpenTelemetry trace SDK: spans batched (OTEL_BSP_*) to an OTLP/HTTP JSON exporter
 * (OTEL_EXPORTER_OTLP_*), the sampler of OTEL_TRACES_SAMPLER, the resource `service.name=hookpost`
 * unless OTEL_SERVICE_NAME or OTEL_RESOURCE_ATTRIBUTES say otherwise. Loaded only when an OTLP
 * endpoint is set (AppConfig.otlpTracing): without one none of these modules is imported. Nothing is
 * registered globally but the SDK's diagnostics, which go to the log; Hookpost's spans come from
 * this provider's tracer.
 */
export async function startTelemetry(serviceVersion: string, logger: Logger): Promise<Telemetry> {
  const [
    api,
    { BasicTracerProvider, BatchSpanProcessor },
    { OTLPTraceExporter },
    resources,
    semconv,
    tracing,
  ] = await Promise.all([
    import('@opentelemetry/api'),
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/semantic-conventions'),
    import('./otel-tracing.js'),
  ]);
  // Before the exporter reads its OTEL_* settings, so a bad one is in the log too.
  api.diag.setLogger(diagToLog(logger), api.DiagLogLevel.WARN);
  const resource = resources
    .defaultResource()
    .merge(
      resources.resourceFromAttributes({
        [semconv.ATTR_SERVICE_NAME]: 'hookpost',
        [semconv.ATTR_SERVICE_VERSION]: serviceVersion,
      }),
    )
    // The environment's attributes win over these defaults.
    .merge(resources.detectResources({ detectors: [resources.envDetector] }));
  const provider = new BasicTracerProvider({
    resource,
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())],
  });
  return {
    tracing: new tracing.OtelTracing(provider.getTracer('hookpost', serviceVersion)),
    shutdown: () => provider.shutdown(),
  };
}
