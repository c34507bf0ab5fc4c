// OpenTelemetry tracing: the provider, sampler, batch span processor, exporter and context manager.
// Spans are made by the service itself (server spans here and in src/http-tracing.ts, client spans
// for PostgreSQL and Redis in src/spans.ts), only for sampled requests; no module is patched.
import type { IncomingHttpHeaders } from "node:http";
import { context, createNoopMeter, isSpanContextValid, propagation, ROOT_CONTEXT, SamplingDecision, SpanKind, trace, TraceFlags, type Attributes, type Context, type Counter, type SpanContext, type Meter, type MeterProvider } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator, type InstrumentationScope } from "@opentelemetry/core";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  TracerProvider,
  type Sampler,
  type SamplingResult,
  type SpanExporter,
} from "@opentelemetry/sdk-trace";
import type { TraceSampling } from "./config.js";
import { WorkerSpanExporter } from "./span-export.js";
import { HTTP_TRACER_NAME, newSpanId, randomWord, RecordedSpan, traceIdOf, type SpanSink } from "./spans.js";
import { ATTR_DEPLOYMENT_ENVIRONMENT_NAME, ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from "@opentelemetry/semantic-conventions";

/**
 * TraceIdRatioBasedSampler's decision on the trace id whose four 8-hex-digit words are w0..w3,
 * without making the id: the sampler keeps a valid (non-zero) id when the XOR of its four words is
 * below floor(ratio × (2^32 − 1)) (2^32 at ratio 1). test/telemetry.test.ts checks this against the
 * SDK's sampler, so a change in the SDK's rule fails there.
 */
export function ratioKeeps(ratio: number): (w0: number, w1: number, w2: number, w3: number) => boolean {
  const normalized = Number.isNaN(ratio) ? 0 : Math.min(1, Math.max(0, ratio));
  const upperBound = normalized === 1 ? 2 ** 32 : Math.floor(normalized * 4294967295);
  return (w0, w1, w2, w3) => (w0 | w1 | w2 | w3) !== 0 && (w0 ^ w1 ^ w2 ^ w3) >>> 0 < upperBound;
}

/** A new random, valid (non-zero) trace id. */
function newTraceId(): string {
  const [w0, w1, w2, w3] = [randomWord(), randomWord(), randomWord(), randomWord()];
  return traceIdOf(w0, w1, w2, (w0 | w1 | w2 | w3) === 0 ? 1 : w3);
}

/**
 * Server spans for requests (src/http-tracing.ts), decided by the provider's sampler before anything
 * is made. An unsampled request without a traceparent costs four random numbers; with one, the
 * propagator and a sampler call. A sampled one gets a RecordedSpan (src/spans.ts), which ends into
 * the provider's batch span processor.
 */
export interface ServerSpans {
  /**
   * The recording server span named `name` for a request with these headers (under the caller's
   * span when they carry a traceparent), and the context its handler runs in (the span, and any
   * baggage); undefined when the sampler does not record it.
   */
  start(name: string, headers: IncomingHttpHeaders): { span: RecordedSpan; context: Context } | undefined;
}

/** A root request's context: its baggage, extracted for the handler (a request without baggage has nothing to extract). */
function rootContext(headers: IncomingHttpHeaders): Context {
  return headers.baggage === undefined ? ROOT_CONTEXT : propagation.extract(ROOT_CONTEXT, headers);
}

/**
 * The ServerSpans of a provider made with this sampling's sampler. Requests without a traceparent:
 * for the ratio samplers (traceidratio, and parentbased_traceidratio whose root is the ratio
 * sampler) the decision is taken on four random words and the trace id is only written out for a
 * trace that is kept; for the others, by the sampler on a new trace id. Requests with one: by the
 * sampler, under the extracted context (a parent-based sampler follows the caller's flag).
 */
export function serverSpans(sampling: TraceSampling, sampler: Sampler, sink: SpanSink, scope: InstrumentationScope): ServerSpans {
  const keeps = sampling.sampler === "traceidratio" || sampling.sampler === "parentbased_traceidratio" ? ratioKeeps(sampling.ratio) : undefined;
  /** The span for this sampler's decision (undefined: NOT_RECORD), with its flags, trace state and attributes, as the SDK's tracer makes them. */
  const spanFor = (name: string, traceId: string, result: SamplingResult, parent: Context, caller: SpanContext | undefined) => {
    if (result.decision === SamplingDecision.NOT_RECORD) return undefined;
    const traceFlags = result.decision === SamplingDecision.RECORD_AND_SAMPLED ? TraceFlags.SAMPLED : TraceFlags.NONE;
    const traceState = result.traceState ?? caller?.traceState;
    const span = new RecordedSpan(sink, scope, name, SpanKind.SERVER, { traceId, spanId: newSpanId(), traceFlags, traceState }, caller, { ...result.attributes });
    return { span, context: trace.setSpan(parent, span) };
  };
  return {
    start(name, headers) {
      if (headers.traceparent === undefined) {
        if (keeps !== undefined) {
          const w0 = randomWord();
          const w1 = randomWord();
          const w2 = randomWord();
          const w3 = randomWord();
          if (!keeps(w0, w1, w2, w3)) return undefined;
          // The ratio sampler's result for a kept trace: RECORD_AND_SAMPLED, no trace state, no attributes.
          return spanFor(name, traceIdOf(w0, w1, w2, w3), { decision: SamplingDecision.RECORD_AND_SAMPLED }, rootContext(headers), undefined);
        }
        const traceId = newTraceId();
        const parent = rootContext(headers);
        return spanFor(name, traceId, sampler.shouldSample(parent, traceId, name, SpanKind.SERVER, {}, []), parent, undefined);
      }
      const parent = propagation.extract(ROOT_CONTEXT, headers);
      const caller = trace.getSpanContext(parent);
      const valid = caller !== undefined && isSpanContextValid(caller);
      const traceId = valid ? caller.traceId : newTraceId();
      return spanFor(name, traceId, sampler.shouldSample(parent, traceId, name, SpanKind.SERVER, {}, []), parent, valid ? caller : undefined);
    },
  };
}


export interface Telemetry {
  readonly enabled: boolean;
  /** For the server spans (src/http-tracing.ts); undefined when tracing is off. */
  readonly serverSpans: ServerSpans | undefined;
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
  if (options.otlpEndpoint === undefined) return { enabled: false, serverSpans: undefined, droppedSpans: () => dropped, shutdown: async () => undefined };

  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }));
  const sampler = createSampler(options.sampling);
  const resource = resourceFromAttributes({
    [ATTR_SERVICE_NAME]: options.serviceName,
    [ATTR_SERVICE_VERSION]: options.serviceVersion,
    [ATTR_DEPLOYMENT_ENVIRONMENT_NAME]: options.environment,
  });
  const processor = new BatchSpanProcessor({
    // Exported from a worker thread (src/span-export.ts says why).
    exporter: options.exporter ?? new WorkerSpanExporter(`${options.otlpEndpoint.replace(/\/+$/, "")}/v1/traces`),
    selfObsMeterProvider: dropCountingMeterProvider(dropped),
  });
  // The provider owns the processor (its shutdown flushes it) and serves any other tracer (trace.getTracer).
  const provider = new TracerProvider({ resource, sampler, spanProcessors: [processor] });
  trace.setGlobalTracerProvider(provider);
  return { enabled: true, serverSpans: serverSpans(options.sampling, sampler, { processor, resource }, { name: HTTP_TRACER_NAME }), droppedSpans: () => dropped, shutdown: () => provider.shutdown() };
}
