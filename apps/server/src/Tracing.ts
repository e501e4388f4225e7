/**
 * Traces over OTLP/HTTP (`--otlp-endpoint URL`, or `OTEL_EXPORTER_OTLP_ENDPOINT`): Effect's tracer backed by the
 * OpenTelemetry SDK (`@effect/opentelemetry`), spans batched and sent by the SDK's OTLP/HTTP exporter to
 * `<endpoint>/v1/traces`. What is traced (docs/architecture.md#traces): the HTTP request (a client's `traceparent`
 * is its parent), the generation (GenAI semantic-convention attributes), each backend attempt of a router, the
 * store writes. Off, none of it runs: the modules load only when it is on, and the hot path checks one flag.
 * @since 0.2.0
 */
import type { OtelTracer as Otel } from "@effect/opentelemetry/OtelTracer"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"

/** @category models */
export interface TracingOptions {
  /** The collector's base URL (`http://127.0.0.1:4318`), or its full traces URL (`…/v1/traces`). */
  readonly endpoint: string
  readonly serviceName?: string | undefined
  readonly serviceVersion?: string | undefined
}

/** The URL spans are posted to: the base endpoint's `/v1/traces`, as the OTLP exporter environment defines it. @category utils */
export const tracesUrl = (endpoint: string): string => {
  const trimmed = endpoint.replace(/\/+$/, "")
  return trimmed.endsWith("/v1/traces") ? trimmed : `${trimmed}/v1/traces`
}

/**
 * Effect's tracer, exporting to the collector; closing the layer flushes the spans still batched.
 * @category layers
 */
export const layer = (options: TracingOptions): Layer.Layer<Otel> =>
  Layer.unwrap(
    Effect.promise(async () => {
      const [
        OtelTracer,
        { BasicTracerProvider, BatchSpanProcessor },
        { OTLPTraceExporter },
        { resourceFromAttributes }
      ] = await Promise.all([
        import("@effect/opentelemetry/OtelTracer"),
        import("@opentelemetry/sdk-trace-base"),
        import("@opentelemetry/exporter-trace-otlp-http"),
        import("@opentelemetry/resources")
      ])
      const provider = Layer.effect(
        OtelTracer.OtelTracerProvider,
        Effect.acquireRelease(
          Effect.sync(
            () =>
              new BasicTracerProvider({
                resource: resourceFromAttributes({
                  "service.name": options.serviceName ?? "parlance",
                  ...(options.serviceVersion !== undefined ? { "service.version": options.serviceVersion } : {})
                }),
                spanProcessors: [
                  new BatchSpanProcessor(new OTLPTraceExporter({ url: tracesUrl(options.endpoint) }), {
                    scheduledDelayMillis: 500
                  })
                ]
              })
          ),
          (tracer) => Effect.promise(() => tracer.shutdown().catch(() => undefined))
        )
      )
      return OtelTracer.layer.pipe(Layer.provide(provider))
    })
  )
