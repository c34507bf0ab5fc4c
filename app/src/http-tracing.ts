// Server spans from Fastify's own hooks instead of @opentelemetry/instrumentation-http.
//
// Why: measured with `npm run bench` (2 cores), the generic HTTP instrumentation cost about
// 100 µs of CPU per request even when the request was not sampled (it patches http.Server's emit,
// binds every request and response emitter to a context and computes every semantic-convention
// attribute before the sampler decides), which alone put cached reads under 0.85x the baseline.
// Here the sampler decides first (ServerSpans, src/telemetry.ts): an unsampled request without a
// caller's trace (no traceparent header) costs four random numbers and gets no span and no context
// at all; one with a traceparent goes through the propagator and the sampler, so parent-based
// sampling follows the caller's decision. A sampled request gets the span the conventions
// describe: named "<method> <route template>", with http.route and the response status.
import { context, SpanStatusCode, type Context, type SpanContext } from "@opentelemetry/api";
import type { FastifyInstance, FastifyRequest, RouteOptions } from "fastify";
import type { RecordedSpan } from "./spans.js";
import type { ServerSpans } from "./telemetry.js";

interface Traced {
  otelSpan?: RecordedSpan;
  otelContext?: Context;
}

/** trace_id/span_id of the request's server span when it is sampled (hooks run outside its context, so the logger's mixin cannot see it). */
export function traceLogFields(request: FastifyRequest): { trace_id?: string; span_id?: string } {
  const span = (request as FastifyRequest & Traced).otelSpan;
  if (span === undefined || !span.isRecording()) return {};
  const { traceId, spanId } = span.spanContext();
  return { trace_id: traceId, span_id: spanId };
}

/**
 * Server spans for a Fastify instance: `wrapHandlers` (before any route is added) runs each
 * handler in its request's span context; the service's own onRequest/onResponse hooks call
 * `start` and `end`, so tracing adds no hook of its own to the request path.
 */
export class HttpTracing {
  /** Route templates traced, and each one's span name per method ("GET /v1/orders/:id"), decided once per route. */
  private readonly spanNames = new Map<string, Map<string, string>>();

  /** @param spans the service's tracing (startTelemetry); without it no request is traced. */
  constructor(
    private readonly untracedPrefixes: readonly string[],
    private readonly spans?: ServerSpans,
  ) {}

  wrapHandlers(app: FastifyInstance): void {
    // Declared on Fastify's Request class, so every request is built with both properties (unset):
    // a sampled request then has the same hidden class as an unsampled one, and code that reads
    // requests (Fastify's and ours) stays monomorphic at any sampling ratio.
    app.decorateRequest("otelSpan", undefined);
    app.decorateRequest("otelContext", undefined);
    app.addHook("onRoute", (route: RouteOptions) => {
      if (this.untracedPrefixes.some((prefix) => route.url.startsWith(prefix))) return;
      if (!this.spanNames.has(route.url)) this.spanNames.set(route.url, new Map());
      const handler = route.handler;
      // The handler runs inside the server span's context, so pg and ioredis spans become its children.
      route.handler = function tracedHandler(this: FastifyInstance, request, reply) {
        const ctx = (request as FastifyRequest & Traced).otelContext;
        return ctx === undefined ? handler.call(this, request, reply) : context.with(ctx, handler, this, request, reply);
      };
    });
  }

  /** Starts the request's server span; `route` is its template (undefined for an unmatched request, which is not traced). */
  start(request: FastifyRequest, route: string | undefined): void {
    if (this.spans === undefined) return;
    const names = route === undefined ? undefined : this.spanNames.get(route);
    if (names === undefined) return;
    let name = names.get(request.method);
    if (name === undefined) {
      name = `${request.method} ${route}`;
      names.set(request.method, name);
    }
    const started = this.spans.start(name, request.headers);
    if (started === undefined) return; // not sampled: nothing below it is traced either
    const url = request.url;
    const query = url.indexOf("?");
    started.span.setAttributes({ "http.request.method": request.method, "http.route": route as string, "url.path": query === -1 ? url : url.slice(0, query), "url.scheme": request.protocol });
    const traced = request as FastifyRequest & Traced;
    traced.otelSpan = started.span;
    traced.otelContext = started.context;
  }

  /** Ends the request's span; returns its ids when it was sampled (for the access log). */
  end(request: FastifyRequest, statusCode: number): SpanContext | undefined {
    const span = (request as FastifyRequest & Traced).otelSpan;
    if (span === undefined || !span.isRecording()) return undefined;
    span.setAttribute("http.response.status_code", statusCode);
    if (statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
    return span.spanContext();
  }
}
