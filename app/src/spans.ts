// Client spans for PostgreSQL queries and Redis commands, made where the service already times them
// (createQuery, the cache), only when the request's server span is sampled.
//
// Why not @opentelemetry/instrumentation-pg and -ioredis: they patch the drivers and build a span
// with its attributes for every query and command, sampled or not; measured with `npm run bench`
// that was most of the instrumented service's extra CPU on reads. Here an unsampled request costs
// one getActiveSpan() per query, and no attribute object.
import { SpanKind, SpanStatusCode, trace, type Attributes, type Tracer } from "@opentelemetry/api";

export const POSTGRES_TRACER_NAME = "orders-service/postgresql";
export const REDIS_TRACER_NAME = "orders-service/redis";

/** A client span's name and attributes; `describe` is only called for a span that is made. */
export interface ClientSpan {
  readonly name: string;
  readonly attributes: Attributes;
}

/**
 * The tracer client spans are made with, resolved once (per cache or query runner) instead of
 * looked up by name on every span (the provider builds a key string for each lookup).
 */
export function clientTracer(name: string): Tracer {
  return trace.getTracer(name);
}

/** Runs `work` inside a child span of the active span when that one is recording; otherwise just runs it. */
export async function inClientSpan<T>(tracer: Tracer, describe: () => ClientSpan, work: () => Promise<T>): Promise<T> {
  const parent = trace.getActiveSpan();
  if (parent === undefined || !parent.isRecording()) return work();
  const { name, attributes } = describe();
  // Attributes set on the started span are checked once; given to startSpan, twice (before and after sampling).
  const span = tracer.startSpan(name, { kind: SpanKind.CLIENT });
  span.setAttributes(attributes);
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
