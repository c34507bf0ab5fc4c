// The service's spans (ServerSpans in src/telemetry.ts, RecordedSpan and inClientSpan in src/spans.ts)
// against the OpenTelemetry SDK's tracer: the same request, with the same headers and sampler, traced
// both ways and serialised by the SDK's own OTLP serializer must give the same export, field for
// field (timestamps aside: the two are made at different instants), so a collector cannot tell them
// apart; and the SDK's batch span processor must export a RecordedSpan as it exports its own.
import assert from "node:assert/strict";
import type { IncomingHttpHeaders } from "node:http";
import { context, createTraceState, propagation, ROOT_CONTEXT, SamplingDecision, SpanKind, SpanStatusCode, trace, TraceFlags, type Attributes, type Span } from "@opentelemetry/api";
import { JsonTraceSerializer } from "@opentelemetry/otlp-transformer";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BatchSpanProcessor, TracerProvider, type IdGenerator, type ReadableSpan, type Sampler, type SpanProcessor } from "@opentelemetry/sdk-trace";
import type { TraceSampling } from "../src/config.js";
import { inClientSpan, newSpanId, RecordedSpan } from "../src/spans.js";
import { createSampler, serverSpans } from "../src/telemetry.js";
import { KeepingExporter, withGlobalTraceContext } from "./support/spans.js";

const CALLER_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER_SPAN = "00f067aa0ba902b7";
const NAME = "GET /v1/orders/:id";
const resource = resourceFromAttributes({ "service.name": "orders-service", "service.version": "0", "deployment.environment.name": "test" });
const serverAttributes: Attributes = { "http.request.method": "GET", "http.route": "/v1/orders/:id", "url.path": "/v1/orders/1", "url.scheme": "http" };
const clientAttributes: Attributes = { "db.system.name": "redis", "db.operation.name": "GET" };

/** A span processor that keeps every span it is given at its end (sampled or only recorded). */
function collecting(into: ReadableSpan[]): SpanProcessor {
  return { onStart: () => undefined, onEnd: (span) => void into.push(span), forceFlush: async () => undefined, shutdown: async () => undefined };
}

/** Ids handed out in order: the SDK's spans get the ids the service's spans drew. */
class GivenIds implements IdGenerator {
  constructor(
    private readonly traceId: string,
    private readonly spanIds: string[],
  ) {}
  generateTraceId = () => this.traceId;
  generateSpanId = () => this.spanIds.shift() ?? "ffffffffffffffff";
}

/** The export request as JSON, its timestamps (span start and end, event time) replaced. */
function exported(spans: ReadableSpan[]): unknown {
  const json = new TextDecoder().decode(JsonTraceSerializer.serializeRequest(spans));
  return JSON.parse(json.replace(/"(start|end|time)(TimeUnixNano|UnixNano)":"\d+"/g, '"$1$2":"T"'));
}

/** One error for both sides, so its stack (in the exception event) is the same. */
const REFUSED = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:6379"), { code: "ECONNREFUSED" });
const failure = () => REFUSED;

/** A request as the service traces it: ServerSpans decides and starts, the cache's client span runs in its context (inClientSpan), the response ends it. */
async function throughService(sampling: TraceSampling, headers: IncomingHttpHeaders, failed: boolean, sampler: Sampler = createSampler(sampling)): Promise<ReadableSpan[]> {
  const ended: ReadableSpan[] = [];
  const started = serverSpans(sampling, sampler, { processor: collecting(ended), resource }, { name: "orders-service/http" }).start(NAME, headers);
  if (started === undefined) return ended;
  started.span.setAttributes(serverAttributes);
  const work = failed ? () => Promise.reject(failure()) : async () => "cached";
  await context.with(started.context, () => inClientSpan({ name: "orders-service/redis" }, () => ({ name: "GET", attributes: clientAttributes }), work)).catch(() => undefined);
  if (failed) started.span.recordException(failure());
  started.span.setAttribute("http.response.status_code", failed ? 503 : 200);
  if (failed) started.span.setStatus({ code: SpanStatusCode.ERROR });
  started.span.end();
  return ended;
}

/** The same request through the SDK's tracer, with the same sampler, and the ids the service drew. */
function throughSdk(sampling: TraceSampling, headers: IncomingHttpHeaders, failed: boolean, ids: GivenIds, sampler: Sampler = createSampler(sampling)): ReadableSpan[] {
  const ended: ReadableSpan[] = [];
  const provider = new TracerProvider({ resource, sampler, idGenerator: ids, spanProcessors: [collecting(ended)] });
  const parent = propagation.extract(ROOT_CONTEXT, headers);
  const server: Span = provider.getTracer("orders-service/http").startSpan(NAME, { kind: SpanKind.SERVER }, parent);
  if (!server.isRecording()) return ended;
  server.setAttributes(serverAttributes);
  const client = provider.getTracer("orders-service/redis").startSpan("GET", { kind: SpanKind.CLIENT }, trace.setSpan(parent, server));
  client.setAttributes(clientAttributes);
  if (failed) {
    client.setStatus({ code: SpanStatusCode.ERROR, message: failure().message });
    client.setAttribute("error.type", "ECONNREFUSED");
  }
  client.end();
  if (failed) server.recordException(failure());
  server.setAttribute("http.response.status_code", failed ? 503 : 200);
  if (failed) server.setStatus({ code: SpanStatusCode.ERROR });
  server.end();
  return ended;
}

describe("the service's spans against the SDK's tracer", () => {
  withGlobalTraceContext();

  const sampled = `00-${CALLER_TRACE}-${CALLER_SPAN}-01`;
  const unsampled = `00-${CALLER_TRACE}-${CALLER_SPAN}-00`;
  const cases: Array<{ what: string; sampling: TraceSampling; headers: IncomingHttpHeaders; recorded: boolean; failed?: boolean }> = [
    { what: "a root request, parent-based ratio 1", sampling: { sampler: "parentbased_traceidratio", ratio: 1 }, headers: {}, recorded: true },
    { what: "a root request, traceidratio 1", sampling: { sampler: "traceidratio", ratio: 1 }, headers: {}, recorded: true },
    { what: "a root request, always_on", sampling: { sampler: "always_on", ratio: 1 }, headers: {}, recorded: true },
    { what: "a root request, parentbased_always_on, with baggage", sampling: { sampler: "parentbased_always_on", ratio: 1 }, headers: { baggage: "tenant=acme" }, recorded: true },
    { what: "a root request whose cache call fails (error status, error.type, exception event)", sampling: { sampler: "parentbased_traceidratio", ratio: 1 }, headers: {}, recorded: true, failed: true },
    { what: "a caller's sampled traceparent with tracestate, parent-based ratio 0", sampling: { sampler: "parentbased_traceidratio", ratio: 0 }, headers: { traceparent: sampled, tracestate: "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7" }, recorded: true },
    { what: "a caller's unsampled traceparent, traceidratio 1 (not parent-based: decided again)", sampling: { sampler: "traceidratio", ratio: 1 }, headers: { traceparent: unsampled }, recorded: true },
    { what: "an invalid traceparent (a new root), parent-based ratio 1", sampling: { sampler: "parentbased_traceidratio", ratio: 1 }, headers: { traceparent: `00-${"0".repeat(32)}-${CALLER_SPAN}-01` }, recorded: true },
    { what: "a caller's unsampled traceparent, parentbased_always_on (follows the caller: nothing)", sampling: { sampler: "parentbased_always_on", ratio: 1 }, headers: { traceparent: unsampled }, recorded: false },
    { what: "a root request, always_off", sampling: { sampler: "always_off", ratio: 0 }, headers: {}, recorded: false },
    { what: "a root request, parent-based ratio 0", sampling: { sampler: "parentbased_traceidratio", ratio: 0 }, headers: {}, recorded: false },
  ];
  for (const { what, sampling, headers, recorded, failed = false } of cases) {
    it(`exports ${what} exactly as the SDK's tracer does`, async () => {
      const ours = await throughService(sampling, headers, failed);
      assert.equal(ours.length, recorded ? 2 : 0, "spans made");
      const [client, server] = ours;
      const ids = new GivenIds(server?.spanContext().traceId ?? CALLER_TRACE, [server, client].flatMap((span) => (span === undefined ? [] : [span.spanContext().spanId])));
      const sdk = throughSdk(sampling, headers, failed, ids);
      assert.equal(sdk.length, ours.length, "the SDK made another number of spans");
      assert.deepEqual(exported(ours), exported(sdk));
      if (server === undefined || client === undefined) return;
      assert.equal(server.kind, SpanKind.SERVER);
      assert.equal(client.kind, SpanKind.CLIENT);
      assert.equal(client.parentSpanContext?.spanId, server.spanContext().spanId);
      if (headers.traceparent === sampled) {
        assert.equal(server.spanContext().traceId, CALLER_TRACE);
        assert.equal(server.parentSpanContext?.spanId, CALLER_SPAN);
        assert.equal(server.spanContext().traceState?.get("congo"), "t61rcWkgMzE");
      }
      for (const span of ours) {
        assert.ok(span.ended && span.duration[0] >= 0 && span.duration[1] >= 0);
        // Wall-clock time, as the SDK's: within a second of the SDK span made just after.
        assert.ok(Math.abs(span.startTime[0] - (sdk[0] as ReadableSpan).startTime[0]) <= 1);
      }
    });
  }

  it("exports what a sampler that only records (RECORD: not sampled) and adds attributes and trace state decides, as the SDK does", async () => {
    // No OTEL_TRACES_SAMPLER value gives RECORD; a custom sampler can, and ServerSpans takes any.
    const recordOnly: Sampler = { shouldSample: () => ({ decision: SamplingDecision.RECORD, attributes: { "sampler.rule": "debug" }, traceState: createTraceState("vendor=rec") }), toString: () => "RecordOnly" };
    for (const headers of [{}, { traceparent: sampled }] as IncomingHttpHeaders[]) {
      const sampling: TraceSampling = { sampler: "always_on", ratio: 1 };
      const ours = await throughService(sampling, headers, false, recordOnly);
      assert.equal(ours.length, 2);
      const [client, server] = ours as [ReadableSpan, ReadableSpan];
      assert.equal(server.spanContext().traceFlags, TraceFlags.NONE);
      assert.equal(server.attributes["sampler.rule"], "debug");
      const sdk = throughSdk(sampling, headers, false, new GivenIds(server.spanContext().traceId, [server.spanContext().spanId, client.spanContext().spanId]), recordOnly);
      // The server spans only: the SDK asks the sampler again for each child (this one adds its
      // attribute there too); a RecordedSpan's child takes its parent's decision, which is what the
      // six OTEL_TRACES_SAMPLER samplers decide for a child (the cases above compare the children).
      const servers = (spans: ReadableSpan[]) => spans.filter((span) => span.kind === SpanKind.SERVER);
      assert.deepEqual(exported(servers(ours)), exported(servers(sdk)));
      assert.equal(client.spanContext().traceFlags, TraceFlags.NONE);
    }
  });

  it("runs the handler in a context that carries the caller's baggage", () => {
    const started = serverSpans({ sampler: "always_on", ratio: 1 }, createSampler({ sampler: "always_on", ratio: 1 }), { processor: collecting([]), resource }, { name: "orders-service/http" }).start(NAME, { baggage: "tenant=acme" });
    assert.ok(started !== undefined);
    assert.equal(propagation.getBaggage(started.context)?.getEntry("tenant")?.value, "acme");
    assert.equal(trace.getSpan(started.context), started.span);
  });
});

describe("RecordedSpan", () => {
  const make = (ended: ReadableSpan[]) => new RecordedSpan({ resource, processor: collecting(ended) }, { name: "x" }, "op", SpanKind.INTERNAL, { traceId: CALLER_TRACE, spanId: newSpanId(), traceFlags: TraceFlags.SAMPLED }, undefined, {});

  it("behaves as the SDK's span once ended, and keeps an OK status final", () => {
    const ended: ReadableSpan[] = [];
    const span = make(ended);
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

  it("keeps time as the SDK's span does: a wall-clock start, an end from the monotonic clock, never a negative duration", async () => {
    const before = Date.now();
    const span = make([]);
    await new Promise((resolve) => setTimeout(resolve, 20));
    span.end();
    const startMs = span.startTime[0] * 1000 + span.startTime[1] / 1e6;
    assert.ok(startMs >= before - 1 && startMs <= Date.now(), `start ${startMs}, now ${Date.now()}`);
    const durationMs = span.duration[0] * 1000 + span.duration[1] / 1e6;
    assert.ok(durationMs >= 19 && durationMs < 1000, `duration ${durationMs} ms`);
    const early = make([]);
    early.end(new Date(Date.now() - 60_000));
    assert.deepEqual(early.duration, [0, 0]);
    assert.deepEqual(early.endTime, early.startTime);
  });

  it("records exceptions by the SDK's rule (the code, else the name, as the type; nothing without a type or message)", () => {
    const span = make([]);
    span.recordException(Object.assign(new Error("refused"), { code: "ECONNREFUSED" }));
    span.recordException("plain text");
    span.recordException({} as Error);
    assert.deepEqual(span.events.map((event) => [event.name, event.attributes?.["exception.type"], event.attributes?.["exception.message"]]), [["exception", "ECONNREFUSED", "refused"], ["exception", undefined, "plain text"]]);
  });

  it("is exported by the SDK's batch span processor", async () => {
    const exporter = new KeepingExporter();
    const processor = new BatchSpanProcessor({ exporter });
    const span = new RecordedSpan({ resource, processor }, { name: "orders-service/http" }, NAME, SpanKind.SERVER, { traceId: CALLER_TRACE, spanId: newSpanId(), traceFlags: TraceFlags.SAMPLED }, undefined, {});
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
