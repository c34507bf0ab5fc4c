// Server spans from Fastify's own hooks instead of @opentelemetry/instrumentation-http.
//
// Why: measured with `npm run bench` (2 cores), the generic HTTP instrumentation cost about
// 100 µs of CPU per request even when the request was not sampled (it patches http.Server's emit,
// binds every request and response emitter to a context and computes every semantic-convention
// attribute before the sampler decides), which alone put cached reads under 0.85x the baseline.
// Here the sampler decides first: an unsampled request costs one context extraction and a
// non-recording span. A sampled one gets the span the
// conventions describe: named "<method> <route template>", with http.route and the response status.
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context, type Span } from "@opentelemetry/api";
import type { FastifyInstance, FastifyRequest, RouteOptions } from "fastify";

export const HTTP_TRACER_NAME = "orders-service/http";

interface Traced {
  otelSpan?: Span;
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
  private readonly tracer = trace.getTracer(HTTP_TRACER_NAME);

  constructor(private readonly untracedPrefixes: readonly string[]) {}

  wrapHandlers(app: FastifyInstance): void {
    app.addHook("onRoute", (route: RouteOptions) => {
      if (this.untracedPrefixes.some((prefix) => route.url.startsWith(prefix))) return;
      const handler = route.handler;
      // The handler runs inside the server span's context, so pg and ioredis spans become its children.
      route.handler = function tracedHandler(this: FastifyInstance, request, reply) {
        const ctx = (request as FastifyRequest & Traced).otelContext;
        return ctx === undefined ? handler.call(this, request, reply) : context.with(ctx, handler, this, request, reply);
      };
    });
  }

  start(request: FastifyRequest): void {
    const route = request.routeOptions.url;
    if (route === undefined || this.untracedPrefixes.some((prefix) => route.startsWith(prefix))) return;
    const parent = propagation.extract(ROOT_CONTEXT, request.headers);
    const span = this.tracer.startSpan(
      `${request.method} ${route}`,
      {
        kind: SpanKind.SERVER,
        attributes: { "http.request.method": request.method, "http.route": route, "url.path": request.url.split("?")[0], "url.scheme": request.protocol },
      },
      parent,
    );
    const traced = request as FastifyRequest & Traced;
    traced.otelSpan = span;
    // Only a sampled request runs its handler in the span's context: nothing below an unsampled one
    // is traced, and the service calls no other service to propagate the decision to.
    if (span.isRecording()) traced.otelContext = trace.setSpan(parent, span);
  }

  end(request: FastifyRequest, statusCode: number): void {
    const span = (request as FastifyRequest & Traced).otelSpan;
    if (span === undefined) return;
    if (span.isRecording()) {
      span.setAttribute("http.response.status_code", statusCode);
      if (statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    }
    span.end();
  }
}
