// OpenTelemetry tracing: the provider, sampler, exporter and context manager. Spans are made by the
// service itself (src/http-tracing.ts for requests, src/spans.ts for PostgreSQL and Redis), only for
// sampled requests; no module is patched.
import { context, createNoopMeter, propagation, ROOT_CONTEXT, SamplingDecision, SpanKind, trace, type Attributes, type Counter, type Meter, type MeterProvider } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  RandomIdGenerator,
  TraceIdRatioBasedSampler,
  TracerProvider,
  type IdGenerator,
  type Sampler,
  type SpanExporter,
} from "@opentelemetry/sdk-trace";
import type { TraceSampling } from "./config.js";
import { ATTR_DEPLOYMENT_ENVIRONMENT_NAME, ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from "@opentelemetry/semantic-conventions";

/**
 * The sampling decision for a request that arrives without a caller's trace (no traceparent),
 * taken before the SDK is involved, with the provider's own sampler and a trace id from its own
 * id generator. An unsampled request then costs a trace id and one sampler call instead of the
 * SDK's startSpan (span and trace ids, sampler, self-metrics, a non-recording span) plus the
 * propagator's context. A sampled one is handed to the SDK with that same trace id (`presetTraceId`),
 * so the SDK's sampler, which only reads the trace id for a root span, decides the same way and
 * the span records under the id that was decided on.
 */
export interface RootSampling {
  /** A new trace id, as the provider's id generator makes them. */
  newTraceId(): string;
  /** Whether a root span with this trace id and name would record (RECORD or RECORD_AND_SAMPLED). */
  records(traceId: string, spanName: string): boolean;
  /** The trace id the SDK's next root span takes (once); undefined cancels a preset the SDK did not take. */
  presetTraceId(traceId: string | undefined): void;
}

/** RandomIdGenerator, except that the next trace id can be set in advance (RootSampling.presetTraceId). */
export class PresettableIdGenerator implements IdGenerator {
  private readonly random = new RandomIdGenerator();
  private preset: string | undefined;

  generateTraceId(): string {
    const preset = this.preset;
    if (preset === undefined) return this.random.generateTraceId();
    this.preset = undefined;
    return preset;
  }

  generateSpanId(): string {
    return this.random.generateSpanId();
  }

  presetTraceId(traceId: string | undefined): void {
    this.preset = traceId;
  }
}

/** The RootSampling of a provider made with this sampler and id generator. */
export function rootSampling(sampler: Sampler, ids: PresettableIdGenerator): RootSampling {
  return {
    newTraceId: () => ids.generateTraceId(),
    records: (traceId, spanName) => sampler.shouldSample(ROOT_CONTEXT, traceId, spanName, SpanKind.SERVER, {}, []).decision !== SamplingDecision.NOT_RECORD,
    presetTraceId: (traceId) => ids.presetTraceId(traceId),
  };
}

/** Tracing off: no request records (the API is a no-op), so none needs a trace id either. */
const NEVER_RECORDS: RootSampling = { newTraceId: () => "", records: () => false, presetTraceId: () => undefined };

export interface Telemetry {
  readonly enabled: boolean;
  /** For the server spans (src/http-tracing.ts): the decision for requests without a traceparent. */
  readonly rootSampling: RootSampling;
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
  /** Where spans go. @default - OTLP/HTTP to otlpEndpoint (tests pass an in-memory exporter) */
  readonly exporter?: SpanExporter;
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
  if (options.otlpEndpoint === undefined) return { enabled: false, rootSampling: NEVER_RECORDS, droppedSpans: () => dropped, shutdown: async () => undefined };

  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }));
  const sampler = createSampler(options.sampling);
  const ids = new PresettableIdGenerator();
  const provider = new TracerProvider({
    resource: resourceFromAttributes({
      [ATTR_SERVICE_NAME]: options.serviceName,
      [ATTR_SERVICE_VERSION]: options.serviceVersion,
      [ATTR_DEPLOYMENT_ENVIRONMENT_NAME]: options.environment,
    }),
    sampler,
    idGenerator: ids,
    spanProcessors: [
      new BatchSpanProcessor({
        exporter: options.exporter ?? new OTLPTraceExporter({ url: `${options.otlpEndpoint.replace(/\/+$/, "")}/v1/traces` }),
        selfObsMeterProvider: dropCountingMeterProvider(dropped),
      }),
    ],
  });
  trace.setGlobalTracerProvider(provider);
  return { enabled: true, rootSampling: rootSampling(sampler, ids), droppedSpans: () => dropped, shutdown: () => provider.shutdown() };
}
