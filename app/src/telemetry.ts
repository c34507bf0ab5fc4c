// OpenTelemetry tracing: the provider, sampler, exporter and context manager. Spans are made by the
// service itself (src/http-tracing.ts for requests, src/spans.ts for PostgreSQL and Redis), only for
// sampled requests; no module is patched.
import { context, createNoopMeter, propagation, trace, type Attributes, type Counter, type Meter, type MeterProvider } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  TracerProvider,
  type Sampler,
} from "@opentelemetry/sdk-trace";
import type { TraceSampling } from "./config.js";
import { ATTR_DEPLOYMENT_ENVIRONMENT_NAME, ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from "@opentelemetry/semantic-conventions";

export interface Telemetry {
  readonly enabled: boolean;
  /** Spans lost before export, by reason (queue_full, or the export error's name). */
  droppedSpans(): ReadonlyMap<string, number>;
  /** Flushes buffered spans; call last during shutdown. */
  shutdown(): Promise<void>;
}

export interface TelemetryOptions {
  readonly serviceName: string;
  readonly serviceVersion: string;
  readonly environment: string;
  /** OTLP/HTTP base URL, e.g. http://jaeger.observability.svc:4318. undefined: tracing off, nothing registered. */
  readonly otlpEndpoint: string | undefined;
  readonly sampling: TraceSampling;
}

/** The sampler OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG name, as the OpenTelemetry SDK specification defines them. */
export function createSampler({ sampler, ratio }: TraceSampling): Sampler {
  switch (sampler) {
    case "always_on":
      return new AlwaysOnSampler();
    case "always_off":
      return new AlwaysOffSampler();
    case "traceidratio":
      return new TraceIdRatioBasedSampler(ratio);
    case "parentbased_always_on":
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case "parentbased_always_off":
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case "parentbased_traceidratio":
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) });
  }
}

/**
 * The batch processor reports its losses through the OpenTelemetry metrics API
 * (otel.sdk.processor.span.processed with error.type); this meter provider keeps only those
 * counts, for the service's Prometheus metrics, without running an OpenTelemetry metrics SDK.
 */
export function dropCountingMeterProvider(dropped: Map<string, number>): MeterProvider {
  const noop = createNoopMeter();
  const processed: Counter = {
    add(value: number, attributes?: Attributes) {
      const reason = attributes?.["error.type"];
      if (typeof reason === "string") dropped.set(reason, (dropped.get(reason) ?? 0) + value);
    },
  };
  const meter: Meter = Object.assign(Object.create(noop) as Meter, {
    createCounter: (name: string) => (name === "otel.sdk.processor.span.processed" ? processed : noop.createCounter(name)),
  });
  return { getMeter: () => meter };
}


export function startTelemetry(options: TelemetryOptions): Telemetry {
  // Off cleanly: with no provider registered the OpenTelemetry API is a no-op, costs nothing and
  // never tries to connect anywhere.
  const dropped = new Map<string, number>();
  if (options.otlpEndpoint === undefined) return { enabled: false, droppedSpans: () => dropped, shutdown: async () => undefined };

  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }));
  const provider = new TracerProvider({
    resource: resourceFromAttributes({
      [ATTR_SERVICE_NAME]: options.serviceName,
      [ATTR_SERVICE_VERSION]: options.serviceVersion,
      [ATTR_DEPLOYMENT_ENVIRONMENT_NAME]: options.environment,
    }),
    sampler: createSampler(options.sampling),
    spanProcessors: [
      new BatchSpanProcessor({
        exporter: new OTLPTraceExporter({ url: `${options.otlpEndpoint.replace(/\/+$/, "")}/v1/traces` }),
        selfObsMeterProvider: dropCountingMeterProvider(dropped),
      }),
    ],
  });
  trace.setGlobalTracerProvider(provider);
  return { enabled: true, droppedSpans: () => dropped, shutdown: () => provider.shutdown() };
}
