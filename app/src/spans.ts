// The service's spans: server spans (src/http-tracing.ts) and client spans for PostgreSQL queries
// and Redis commands, made where the service already times them (createQuery, the cache), only
// for sampled requests.
//
// Why not @opentelemetry/instrumentation-pg and -ioredis: they patch the drivers and build a span
// with its attributes for every query and command, sampled or not; measured with `npm run bench`
// that was most of the instrumented service's extra CPU on reads.
//
// Why RecordedSpan instead of the SDK's Tracer and Span: with the sampler deciding first
// (src/telemetry.ts), a sampled request still cost about 240 µs of CPU at a 10% ratio (the SDK's
// span code runs cold, once every ten requests: tracer lookup, sampler, self-metrics, attribute
// checks, span limits, per-attribute validation), which put cached reads at 0.86 of the same build
// without tracing (BENCH_BASELINE_ENV, 30 paired rounds). A RecordedSpan is a plain record of what
// the SDK's span would hold, made from attributes the service itself writes (fixed names, string
// and number values); the SDK's own pieces still do the rest: the sampler decides, the batch span
// processor queues and exports, the OTLP exporter serialises, the resource describes the service.
// test/tracing.test.ts compares what is exported with what the SDK's tracer records.
import { SpanKind, SpanStatusCode, trace, TraceFlags, type Attributes, type AttributeValue, type Exception, type HrTime, type Link, type Span, type SpanContext, type SpanStatus, type TimeInput, type Tracer } from "@opentelemetry/api";
import { hrTime, hrTimeDuration, timeInputToHrTime, type InstrumentationScope } from "@opentelemetry/core";
import type { Resource } from "@opentelemetry/resources";
import type { ReadableSpan, SpanProcessor, TimedEvent } from "@opentelemetry/sdk-trace";

export const POSTGRES_TRACER_NAME = "orders-service/postgresql";
export const REDIS_TRACER_NAME = "orders-service/redis";

/** A client span's name and attributes; `describe` is only called for a span that is made. */
export interface ClientSpan {
  readonly name: string;
  readonly attributes: Attributes;
}

const randomWord = (): number => (Math.random() * 2 ** 32) >>> 0;
const hexWord = (word: number): string => word.toString(16).padStart(8, "0");

/** A random, valid (non-zero) span id: 16 lowercase hex digits, as the SDK's RandomIdGenerator makes them. */
export function newSpanId(): string {
  const high = randomWord();
  const low = randomWord();
  return hexWord(high) + hexWord(high === 0 && low === 0 ? 1 : low);
}

/** Where RecordedSpans go when they end, and what they are exported with. */
export interface SpanSink {
  readonly processor: SpanProcessor;
  readonly resource: Resource;
}

/**
 * A recording span: the API's Span (for the context, the logger's trace ids, child spans) and the
 * SDK's ReadableSpan (for the batch span processor and the exporter). Ended once; later calls are
 * ignored, as the SDK's are.
 */
export class RecordedSpan implements Span, ReadableSpan {
  readonly startTime: HrTime = hrTime();
  endTime: HrTime = [0, 0];
  duration: HrTime = [0, 0];
  ended = false;
  status: SpanStatus = { code: SpanStatusCode.UNSET };
  readonly links: Link[] = [];
  readonly events: TimedEvent[] = [];
  readonly droppedAttributesCount = 0;
  readonly droppedEventsCount = 0;
  readonly droppedLinksCount = 0;
  private readonly context: SpanContext;

  constructor(
    private readonly sink: SpanSink,
    readonly instrumentationScope: InstrumentationScope,
    public name: string,
    readonly kind: SpanKind,
    context: SpanContext,
    readonly parentSpanContext: SpanContext | undefined,
    readonly attributes: Attributes,
  ) {
    this.context = context;
  }

  get resource(): Resource {
    return this.sink.resource;
  }

  /** A child span of this one (same trace and flags), e.g. a query made while this request is served. */
  child(scope: InstrumentationScope, name: string, kind: SpanKind, attributes: Attributes): RecordedSpan {
    const { traceId, traceFlags, traceState } = this.context;
    return new RecordedSpan(this.sink, scope, name, kind, { traceId, spanId: newSpanId(), traceFlags, traceState }, this.context, attributes);
  }

  spanContext(): SpanContext {
    return this.context;
  }

  setAttribute(key: string, value: AttributeValue): this {
    if (!this.ended && value !== undefined && value !== null) this.attributes[key] = value;
    return this;
  }

  setAttributes(attributes: Attributes): this {
    if (this.ended) return this;
    for (const key in attributes) {
      const value = attributes[key];
      if (value !== undefined && value !== null) this.attributes[key] = value;
    }
    return this;
  }

  addEvent(name: string, attributesOrTime?: Attributes | TimeInput, time?: TimeInput): this {
    if (this.ended) return this;
    const isTime = typeof attributesOrTime === "number" || Array.isArray(attributesOrTime) || attributesOrTime instanceof Date;
    const at = isTime ? (attributesOrTime as TimeInput) : time;
    this.events.push({ name, attributes: isTime ? {} : ((attributesOrTime as Attributes | undefined) ?? {}), time: at === undefined ? hrTime() : timeInputToHrTime(at), droppedAttributesCount: 0 });
    return this;
  }

  addLink(link: Link): this {
    if (!this.ended) this.links.push(link);
    return this;
  }

  addLinks(links: Link[]): this {
    for (const link of links) this.addLink(link);
    return this;
  }

  setStatus(status: SpanStatus): this {
    if (this.ended || this.status.code === SpanStatusCode.OK) return this; // OK is final, as in the SDK
    if (status.code !== SpanStatusCode.UNSET) this.status = status.code === SpanStatusCode.ERROR ? { code: status.code, message: status.message } : { code: status.code };
    return this;
  }

  updateName(name: string): this {
    if (!this.ended) this.name = name;
    return this;
  }

  recordException(exception: Exception, time?: TimeInput): void {
    const attributes: Attributes = typeof exception === "string" ? { "exception.message": exception } : { "exception.type": exception.name ?? "Error", "exception.message": exception.message ?? "", "exception.stacktrace": exception.stack ?? "" };
    this.addEvent("exception", attributes, time);
  }

  end(endTime?: TimeInput): void {
    if (this.ended) return;
    this.ended = true;
    this.endTime = endTime === undefined ? hrTime() : timeInputToHrTime(endTime);
    this.duration = hrTimeDuration(this.startTime, this.endTime);
    this.sink.processor.onEnd(this);
  }

  isRecording(): boolean {
    return !this.ended;
  }
}

/** Whether spans made under this context are exported (the W3C sampled flag). */
export function isSampled(context: SpanContext): boolean {
  return (context.traceFlags & TraceFlags.SAMPLED) !== 0;
}

/** A client span's maker for one tracer name: the scope RecordedSpans get, and the SDK tracer for a parent that is not one. */
export interface ClientTracer {
  readonly scope: InstrumentationScope;
  readonly tracer: Tracer;
}

/** Resolved once per cache or query runner (a tracer lookup builds a key string). */
export function clientTracer(name: string): ClientTracer {
  return { scope: { name }, tracer: trace.getTracer(name) };
}

/** Runs `work` inside a child span of the active span when that one is recording; otherwise just runs it. */
export async function inClientSpan<T>(client: ClientTracer, describe: () => ClientSpan, work: () => Promise<T>): Promise<T> {
  const parent = trace.getActiveSpan();
  if (parent === undefined || !parent.isRecording()) return work();
  const { name, attributes } = describe();
  // The service's own server spans are RecordedSpans; another recording parent (a span some other
  // code started through the SDK) gets an SDK span.
  let span: Span;
  if (parent instanceof RecordedSpan) {
    span = parent.child(client.scope, name, SpanKind.CLIENT, { ...attributes });
  } else {
    span = client.tracer.startSpan(name, { kind: SpanKind.CLIENT });
    span.setAttributes(attributes);
  }
  try {
    const result = await work();
    span.end();
    return result;
  } catch (error) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
    span.setAttribute("error.type", (error as { code?: string }).code ?? (error as Error).name);
    span.end();
    throw error;
  }
}
