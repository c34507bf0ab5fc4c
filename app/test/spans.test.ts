// RecordedSpan (src/spans.ts) against the OpenTelemetry SDK's own span: the same span made both
// ways and serialised by the SDK's OTLP serializer must be the same export, field for field
// (timestamps aside), so a collector cannot tell them apart; and the batch span processor must
// export a RecordedSpan as it exports the SDK's.
import assert from "node:assert/strict";
import { context, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, TraceFlags, type Attributes, type Span, type SpanContext } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { JsonTraceSerializer } from "@opentelemetry/otlp-transformer";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BatchSpanProcessor, TracerProvider, type IdGenerator, type ReadableSpan } from "@opentelemetry/sdk-trace";
import { newSpanId, RecordedSpan } from "../src/spans.js";
import { KeepingExporter } from "./support/spans.js";

const TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
const SPAN_ID = "00f067aa0ba902b7";
const CHILD_ID = "b7ad6b7169203331";
const CALLER: SpanContext = { traceId: TRACE_ID, spanId: "a3ce929d0e0e4736", traceFlags: TraceFlags.SAMPLED, isRemote: true };

/** Ids handed out in order, so the SDK's spans get the ids the RecordedSpans were given. */
class FixedIds implements IdGenerator {
  constructor(private readonly spanIds: string[]) {}
  generateTraceId = () => TRACE_ID;
  generateSpanId = () => this.spanIds.shift() ?? "ffffffffffffffff";
}

/** The export request as JSON, its timestamps replaced (the two spans are made at different instants). */
function exported(spans: ReadableSpan[]): unknown {
  const json = new TextDecoder().decode(JsonTraceSerializer.serializeRequest(spans));
  return JSON.parse(json.replace(/"(start|end)TimeUnixNano":"\d+"/g, '"$1TimeUnixNano":"T"'));
}

describe("RecordedSpan (the service's spans) against the SDK's span", () => {
  const resource = resourceFromAttributes({ "service.name": "orders-service", "service.version": "0", "deployment.environment.name": "test" });
  const serverAttributes: Attributes = { "http.request.method": "GET", "http.route": "/v1/orders/:id", "url.path": "/v1/orders/1", "url.scheme": "http" };
  const clientAttributes: Attributes = { "db.system.name": "redis", "db.operation.name": "GET" };

  /** What the service does with a request's two spans once its dependency answered (or failed). */
  function finish(server: Span, client: Span, failed: boolean): void {
    if (failed) {
      client.setStatus({ code: SpanStatusCode.ERROR, message: "connect ECONNREFUSED" });
      client.setAttribute("error.type", "ECONNREFUSED");
    }
    client.end();
    server.setAttribute("http.response.status_code", failed ? 503 : 200);
    if (failed) server.setStatus({ code: SpanStatusCode.ERROR });
    server.end();
  }

  /** A server span and its client child, as the service makes them, through the SDK's tracer. */
  function throughSdk(parent: SpanContext | undefined, failed: boolean): ReadableSpan[] {
    const exporter = new KeepingExporter();
    const provider = new TracerProvider({ resource, idGenerator: new FixedIds([SPAN_ID, CHILD_ID]), spanProcessors: [{ onStart: () => undefined, onEnd: (span) => exporter.spans.push(span), forceFlush: async () => undefined, shutdown: async () => undefined }] });
    const parentContext = parent === undefined ? ROOT_CONTEXT : trace.setSpanContext(ROOT_CONTEXT, parent);
    const server = provider.getTracer("orders-service/http").startSpan("GET /v1/orders/:id", { kind: SpanKind.SERVER }, parentContext);
    server.setAttributes(serverAttributes);
    const client = provider.getTracer("orders-service/redis").startSpan("GET", { kind: SpanKind.CLIENT }, trace.setSpan(parentContext, server));
    client.setAttributes(clientAttributes);
    finish(server, client, failed);
    return exporter.spans;
  }

  /** The same two spans as RecordedSpans. */
  function recorded(parent: SpanContext | undefined, failed: boolean): ReadableSpan[] {
    const ended: ReadableSpan[] = [];
    const sink = { resource, processor: { onStart: () => undefined, onEnd: (span: ReadableSpan) => ended.push(span), forceFlush: async () => undefined, shutdown: async () => undefined } };
    const server = new RecordedSpan(sink, { name: "orders-service/http" }, "GET /v1/orders/:id", SpanKind.SERVER, { traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: TraceFlags.SAMPLED }, parent, {});
    server.setAttributes(serverAttributes);
    const client = server.child({ name: "orders-service/redis" }, "GET", SpanKind.CLIENT, { ...clientAttributes });
    // The child's id is random; the SDK's spans were given CHILD_ID.
    (client.spanContext() as { spanId: string }).spanId = CHILD_ID;
    finish(server, client, failed);
    return ended;
  }

  for (const [what, parent, failed] of [
    ["a root request", undefined, false],
    ["a request under a caller's remote span", CALLER, false],
    ["a request whose dependency failed", undefined, true],
  ] as const) {
    it(`exports ${what} exactly as the SDK's spans are exported`, () => {
      const ours = recorded(parent, failed);
      const sdk = throughSdk(parent, failed);
      assert.equal(ours.length, 2);
      assert.deepEqual(exported(ours), exported(sdk));
      for (const span of ours) {
        assert.ok(span.ended && span.duration[0] >= 0 && span.duration[1] >= 0);
        assert.ok(span.endTime[0] * 1e9 + span.endTime[1] >= span.startTime[0] * 1e9 + span.startTime[1]);
        // The clock is the SDK's: wall time since the epoch, like the SDK span's.
        assert.ok(Math.abs(span.startTime[0] - (sdk[0] as ReadableSpan).startTime[0]) <= 1);
      }
    });
  }

  it("behaves as the SDK's span once ended, and keeps an OK status final", () => {
    const ended: ReadableSpan[] = [];
    const sink = { resource, processor: { onStart: () => undefined, onEnd: (span: ReadableSpan) => ended.push(span), forceFlush: async () => undefined, shutdown: async () => undefined } };
    const span = new RecordedSpan(sink, { name: "x" }, "op", SpanKind.INTERNAL, { traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: TraceFlags.SAMPLED }, undefined, {});
    span.setStatus({ code: SpanStatusCode.OK });
    span.setStatus({ code: SpanStatusCode.ERROR, message: "late" });
    assert.deepEqual(span.status, { code: SpanStatusCode.OK });
    assert.equal(span.isRecording(), true);
    span.end();
    span.end();
    span.setAttribute("after", 1);
    span.updateName("renamed");
    assert.equal(ended.length, 1, "ended twice");
    assert.equal(span.isRecording(), false);
    assert.equal(span.name, "op");
    assert.deepEqual(span.attributes, {});
  });

  it("is exported by the SDK's batch span processor, and is the active span inside its context", async () => {
    const exporter = new KeepingExporter();
    const processor = new BatchSpanProcessor({ exporter });
    const span = new RecordedSpan({ resource, processor }, { name: "orders-service/http" }, "GET /v1/orders/:id", SpanKind.SERVER, { traceId: TRACE_ID, spanId: newSpanId(), traceFlags: TraceFlags.SAMPLED }, undefined, {});
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    try {
      assert.equal(context.with(trace.setSpan(ROOT_CONTEXT, span), () => trace.getActiveSpan()), span);
    } finally {
      context.disable();
    }
    span.end();
    await processor.forceFlush();
    assert.deepEqual(exporter.spans, [span]);
    await processor.shutdown();
  });

  it("makes span ids as the SDK does: 16 lowercase hex digits, never all zero, and different each time", () => {
    const ids = Array.from({ length: 1000 }, () => newSpanId());
    for (const id of ids) assert.match(id, /^(?!0{16})[0-9a-f]{16}$/);
    assert.equal(new Set(ids).size, ids.length);
  });
});
