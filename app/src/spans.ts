// Client spans for PostgreSQL queries and Redis commands, made where the service already times them
// (createQuery, the cache), only when the request's server span is sampled.
//
// Why not @opentelemetry/instrumentation-pg and -ioredis: they patch the drivers and build a span
// with its attributes for every query and command, sampled or not; measured with `npm run bench`
// that was most of the instrumented service's extra CPU on reads. Here an unsampled request costs
// one getActiveSpan() per query, and no attribute object.
import { SpanKind, SpanStatusCode, trace, type Attributes } from "@opentelemetry/api";

export const POSTGRES_TRACER_NAME = "orders-service/postgresql";
export const REDIS_TRACER_NAME = "orders-service/redis";

/** A client span's name and attributes; `describe` is only called for a span that is made. */
export interface ClientSpan {
  readonly name: string;
  readonly attributes: Attributes;
}

/** Runs `work` inside a child span of the active span when that one is recording; otherwise just runs it. */
export async function inClientSpan<T>(tracerName: string, describe: () => ClientSpan, work: () => Promise<T>): Promise<T> {
  const parent = trace.getActiveSpan();
  if (parent === undefined || !parent.isRecording()) return work();
  const { name, attributes } = describe();
  const span = trace.getTracer(tracerName).startSpan(name, { kind: SpanKind.CLIENT, attributes });
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
