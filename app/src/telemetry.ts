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
 * taken before the SDK is involved. An unsampled request then costs four random numbers instead
 * of the SDK's startSpan (span and trace ids, sampler, self-metrics, a non-recording span) plus
 * the propagator's context. A sampled one is handed to the SDK with the trace id decided on
 * (`presetTraceId`), so the SDK's sampler, which only reads the trace id for a root span, decides
 * the same way and the span records under that id.
 */
export interface RootSampling {
  /** The trace id a root span with this name gets when it records (RECORD or RECORD_AND_SAMPLED); undefined when it would not record. */
  decide(spanName: string): string | undefined;
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

/** A random unsigned 32-bit word, as RandomIdGenerator draws them. */
const randomWord = (): number => (Math.random() * 2 ** 32) >>> 0;
const hexWord = (word: number): string => word.toString(16).padStart(8, "0");

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

/** The trace id made of four 32-bit words (big-endian, lowercase hex, as RandomIdGenerator writes them). */
export function traceIdOf(w0: number, w1: number, w2: number, w3: number): string {
  return hexWord(w0) + hexWord(w1) + hexWord(w2) + hexWord(w3);
}

/**
 * The RootSampling of a provider made with this sampling's sampler and id generator. For the ratio
 * samplers (traceidratio and parentbased_traceidratio, whose root is the ratio sampler) the
 * decision is taken on four random words and the id is only written out for a trace that is kept;
 * for the others, on an id from the generator, by the sampler itself.
 */
export function rootSampling(sampling: TraceSampling, sampler: Sampler, ids: PresettableIdGenerator): RootSampling {
  const presetTraceId = (traceId: string | undefined) => ids.presetTraceId(traceId);
  if (sampling.sampler === "traceidratio" || sampling.sampler === "parentbased_traceidratio") {
    const keeps = ratioKeeps(sampling.ratio);
    return {
      decide() {
        const w0 = randomWord();
        const w1 = randomWord();
        const w2 = randomWord();
        const w3 = randomWord();
        return keeps(w0, w1, w2, w3) ? traceIdOf(w0, w1, w2, w3) : undefined;
      },
      presetTraceId,
    };
  }
  return {
    decide(spanName) {
      const traceId = ids.generateTraceId();
      return sampler.shouldSample(ROOT_CONTEXT, traceId, spanName, SpanKind.SERVER, {}, []).decision === SamplingDecision.NOT_RECORD ? undefined : traceId;
    },
    presetTraceId,
  };
}

/** Tracing off: no request records (the API is a no-op), so none needs a trace id either. */
const NEVER_RECORDS: RootSampling = { decide: () => undefined, presetTraceId: () => undefined };

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
  return { enabled: true, rootSampling: rootSampling(options.sampling, sampler, ids), droppedSpans: () => dropped, shutdown: () => provider.shutdown() };
}
