// The service's spans: server spans (src/http-tracing.ts) and client spans for PostgreSQL queries
// and Redis commands, made where the service already times them (createQuery, the cache), only
// for sampled requests.
//
// Why not @opentelemetry/instrumentation-pg and -ioredis: they patch the drivers and build a span
// with its attributes for every query and command, sampled or not; measured with `npm run bench`
// that was most of the instrumented service's extra CPU on reads.
//
// Why RecordedSpan instead of the SDK's Tracer and Span: with the sampler deciding first
// (src/telemetry.ts), the SDK's span code (tracer lookup, a second sampler call, self-metrics,
// attribute checks twice, span limits, per-attribute validation) was still about half of a sampled
// cached read's CPU: `npm run bench:profile` at ratio 1, +100 µs over ratio 0 with the SDK's spans,
// +53 with these. A RecordedSpan is a plain record of what the SDK's span would hold, made from
// attributes the service itself writes (fixed names, string and number values); the SDK's own
// pieces still do the rest: the sampler decides, the batch span processor queues and exports, the
// OTLP exporter serialises, the resource describes the service.
// test/spans.test.ts compares their export with that of the SDK's tracer for the same requests.
import { SpanKind, SpanStatusCode, trace, type Attributes, type AttributeValue, type Exception, type HrTime, type Link, type Span, type SpanContext, type SpanStatus, type TimeInput } from "@opentelemetry/api";
import { addHrTimes, hrTime, hrTimeDuration, isTimeInputHrTime, millisToHrTime, type InstrumentationScope } from "@opentelemetry/core";
import type { Resource } from "@opentelemetry/resources";
import type { ReadableSpan, SpanProcessor, TimedEvent } from "@opentelemetry/sdk-trace";

export const HTTP_TRACER_NAME = "orders-service/http";
export const POSTGRES_TRACER_NAME = "orders-service/postgresql";
export const REDIS_TRACER_NAME = "orders-service/redis";

/** A client span's name and attributes; `describe` is only called for a span that is made. */
export interface ClientSpan {
  readonly name: string;
  readonly attributes: Attributes;
}

/** A random unsigned 32-bit word, as the SDK's RandomIdGenerator draws them. */
export const randomWord = (): number => (Math.random() * 2 ** 32) >>> 0;
/**
 * Ids are written as RandomIdGenerator writes them: big-endian words, lowercase hex. Through one
 * buffer and one native conversion, which makes a flat string: each word's toString(16) and
 * padStart, joined, cost ~1.9 µs a trace id (heap-number radix conversions) and left a string of
 * pieces to be flattened at each later use; this costs ~0.5.
 */
const ID_BYTES = Buffer.alloc(16);

/** The trace id made of four 32-bit words. */
export function traceIdOf(w0: number, w1: number, w2: number, w3: number): string {
  ID_BYTES.writeUInt32BE(w0 >>> 0, 0);
  ID_BYTES.writeUInt32BE(w1 >>> 0, 4);
  ID_BYTES.writeUInt32BE(w2 >>> 0, 8);
  ID_BYTES.writeUInt32BE(w3 >>> 0, 12);
  return ID_BYTES.toString("hex", 0, 16);
}

/** A random, valid (non-zero) span id: 16 lowercase hex digits, as the SDK's RandomIdGenerator makes them. */
export function newSpanId(): string {
  const high = randomWord();
  const low = randomWord();
  ID_BYTES.writeUInt32BE(high, 0);
  ID_BYTES.writeUInt32BE(high === 0 && low === 0 ? 1 : low, 4);
  return ID_BYTES.toString("hex", 0, 8);
}

/**
 * Where RecordedSpans go when they end (the provider's one span processor, the batch processor:
 * the SDK's span self-metrics, otel.sdk.span.*, do not count them), and what they are exported with.
 */
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
  // As the SDK's span: the start is wall-clock time (Date.now()); later times are the start plus the
  // monotonic clock's progress, so a long-running process's spans do not drift from its callers'.
  private readonly startedAt = performance.now();
  private readonly startMs = Date.now();
  /** Wall clock minus the monotonic clock, at the start (the SDK's _performanceOffset). */
  private readonly offsetMs = this.startMs - (this.startedAt + performance.timeOrigin);
  readonly startTime: HrTime = millisToHrTime(this.startMs);
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

  /**
   * A child span of this one (same trace, flags and trace state), e.g. a query made while this
   * request is served. The sampler is not asked again: for each of the six OTEL_TRACES_SAMPLER
   * samplers its decision for a child of a recording span is the parent's (test/spans.test.ts).
   */
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
    this.events.push({ name, attributes: isTime ? {} : ((attributesOrTime as Attributes | undefined) ?? {}), time: this.timeOf(at), droppedAttributesCount: 0 });
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
    if (this.ended || status.code === SpanStatusCode.UNSET || this.status.code === SpanStatusCode.OK) return this; // OK is final, as in the SDK
    this.status = status.code === SpanStatusCode.ERROR && typeof status.message === "string" ? { code: status.code, message: status.message } : { code: status.code };
    return this;
  }

  updateName(name: string): this {
    if (!this.ended) this.name = name;
    return this;
  }

  /** The SDK's rule: exception.type from the code, else the name; message and stack when present; nothing recorded without a type or message. */
  recordException(exception: Exception, time?: TimeInput): void {
    const attributes: Attributes = {};
    if (typeof exception === "string") attributes["exception.message"] = exception;
    else if (exception) {
      if (exception.code) attributes["exception.type"] = exception.code.toString();
      else if (exception.name) attributes["exception.type"] = exception.name;
      if (exception.message) attributes["exception.message"] = exception.message;
      if (exception.stack) attributes["exception.stacktrace"] = exception.stack;
    }
    if (attributes["exception.type"] !== undefined || attributes["exception.message"] !== undefined) this.addEvent("exception", attributes, time);
  }

  end(endTime?: TimeInput): void {
    if (this.ended) return;
    this.ended = true;
    this.endTime = this.timeOf(endTime);
    this.duration = hrTimeDuration(this.startTime, this.endTime);
    if (this.duration[0] < 0) {
      // An end given before the start: a zero duration, as the SDK does.
      this.endTime = [...this.startTime];
      this.duration = [0, 0];
    }
    this.sink.processor.onEnd(this);
  }

  /** A time given to addEvent or end, as the SDK's span reads it; none: now, by the monotonic clock since the start. */
  private timeOf(time: TimeInput | undefined): HrTime {
    if (typeof time === "number") return time <= performance.now() ? hrTime(time + this.offsetMs) : millisToHrTime(time);
    if (time instanceof Date) return millisToHrTime(time.getTime());
    if (time !== undefined && isTimeInputHrTime(time)) return time;
    return addHrTimes(this.startTime, millisToHrTime(performance.now() - this.startedAt));
  }

  isRecording(): boolean {
    return !this.ended;
  }
}

/**
 * Runs `work` inside a child span of the active span when that one is recording; otherwise just
 * runs it. `scope` is the client spans' instrumentation scope (one object per cache or query runner).
 */
export async function inClientSpan<T>(scope: InstrumentationScope, describe: () => ClientSpan, work: () => Promise<T>): Promise<T> {
  const parent = trace.getActiveSpan();
  if (parent === undefined || !parent.isRecording()) return work();
  const { name, attributes } = describe();
  // The service's own server spans are RecordedSpans; another recording parent (a span some other
  // code started through the SDK) gets an SDK span.
  let span: Span;
  if (parent instanceof RecordedSpan) {
    span = parent.child(scope, name, SpanKind.CLIENT, { ...attributes });
  } else {
    span = trace.getTracer(scope.name).startSpan(name, { kind: SpanKind.CLIENT }); // the provider registered now
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
