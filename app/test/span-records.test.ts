// src/span-records.ts: spans written as flat records on the main thread, structured-cloned (as
// postMessage clones them) and rebuilt in the worker must serialise, through the SDK's own
// JsonTraceSerializer, to the same bytes as the original spans. The spans are the service's
// (RecordedSpans from ServerSpans and inClientSpan, as requests make them) and the SDK's (events,
// links, trace state, a remote parent, every attribute value type), mixed across resources and
// scopes in one batch.
import assert from "node:assert/strict";
import { context, createTraceState, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, TraceFlags, type Span } from "@opentelemetry/api";
import { JsonTraceSerializer } from "@opentelemetry/otlp-transformer";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { AlwaysOnSampler, TracerProvider, type ReadableSpan, type SpanProcessor } from "@opentelemetry/sdk-trace";
import { readSpanBatch, writeSpanBatch } from "../src/span-records.js";
import { inClientSpan, RecordedSpan } from "../src/spans.js";
import { serverSpans } from "../src/telemetry.js";
import { withGlobalTraceContext } from "./support/spans.js";

const bytes = (spans: ReadableSpan[]) => new TextDecoder().decode(JsonTraceSerializer.serializeRequest(spans));
/** What the worker serialises: the batch written here, cloned as postMessage clones it, rebuilt there. */
const throughWorker = (spans: ReadableSpan[]) => bytes(readSpanBatch(structuredClone(writeSpanBatch(spans))));

function collecting(into: ReadableSpan[]): SpanProcessor {
  return { onStart: () => undefined, onEnd: (span) => void into.push(span), forceFlush: async () => undefined, shutdown: async () => undefined };
}

const resource = resourceFromAttributes({ "service.name": "orders-service", "service.version": "1.2.3", "deployment.environment.name": "test" });
const otherResource = resourceFromAttributes({ "service.name": 'other "quoted" \u2028 service', "host.cores": 2, "x.ratio": 0.5, "x.on": true, "x.list": ["a", "b"] }, { schemaUrl: "https://opentelemetry.io/schemas/1.30.0" });

/** Requests as the service traces them: a root one, one under a caller's sampled trace with trace state and baggage, one whose cache read fails. */
async function serviceSpans(): Promise<ReadableSpan[]> {
  const ended: ReadableSpan[] = [];
  const spans = serverSpans({ sampler: "parentbased_always_on", ratio: 1 }, new AlwaysOnSampler(), { processor: collecting(ended), resource }, { name: "orders-service/http" });
  const requests = [
    { headers: {}, fail: false },
    { headers: { traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", tracestate: "vendor=a,other=b", baggage: "k=v" }, fail: false },
    { headers: {}, fail: true },
  ];
  const redis = { name: "orders-service/redis" }; // one scope object per cache, as createCache makes it
  for (const { headers, fail } of requests) {
    const started = spans.start("GET /v1/orders/:id", headers);
    assert.ok(started !== undefined);
    started.span.setAttributes({ "http.request.method": "GET", "http.route": "/v1/orders/:id", "url.path": '/v1/orders/ab"c\\d', "url.scheme": "http" });
    const work = fail ? () => Promise.reject(Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" })) : async () => "hit";
    await context.with(started.context, () => inClientSpan(redis, () => ({ name: "GET", attributes: { "db.system.name": "redis", "db.operation.name": "GET" } }), work)).catch(() => undefined);
    if (fail) {
      started.span.recordException(Object.assign(new Error("boom ✓"), { code: "E_BOOM" }));
      started.span.setStatus({ code: SpanStatusCode.ERROR, message: "dependency unavailable" });
    }
    started.span.setAttribute("http.response.status_code", fail ? 503 : 200);
    started.span.end();
  }
  return ended;
}

/** SDK spans with what the service's own never carry: events with and without attributes, links, a remote parent, OK status, versioned and schema'd scopes. */
function sdkSpans(): ReadableSpan[] {
  const ended: ReadableSpan[] = [];
  const provider = new TracerProvider({ resource: otherResource, spanProcessors: [collecting(ended)] });
  const remote = trace.setSpanContext(ROOT_CONTEXT, { traceId: "0af7651916cd43dd8448eb211c80319c", spanId: "b7ad6b7169203331", traceFlags: TraceFlags.SAMPLED, isRemote: true, traceState: createTraceState("rojo=00f067aa0ba902b7") });
  const tracer = provider.getTracer("lib", "2.0.0", { schemaUrl: "https://example.com/schema" });
  const span: Span = tracer.startSpan("consume \u{1F600}", { kind: SpanKind.CONSUMER, attributes: { "2": "integer-like keys first", int: 42, negative: -7, double: 3.25, big: 1e21, nan: Number.NaN, inf: Number.POSITIVE_INFINITY, yes: true, no: false, text: "tab\tnewline\n", ints: [1, 2, 3], doubles: [1.5, 2.5], bools: [true, false], strings: ["x", "y"], withNull: ["a", null, "b"] } }, remote);
  span.addEvent("plain");
  span.addEvent("with attributes", { "event.n": 1, "event.s": "s" });
  span.addLink({ context: { traceId: "11111111111111111111111111111111", spanId: "2222222222222222", traceFlags: TraceFlags.NONE }, attributes: { "link.kind": "follows" } });
  span.addLink({ context: { traceId: "33333333333333333333333333333333", spanId: "4444444444444444", traceFlags: TraceFlags.SAMPLED, isRemote: true, traceState: createTraceState("a=b") } });
  span.setStatus({ code: SpanStatusCode.OK });
  span.end();
  provider.getTracer("empty-version", "").startSpan("versioned empty").end();
  const unversioned = provider.getTracer("plain-lib");
  for (const kind of [SpanKind.INTERNAL, SpanKind.SERVER, SpanKind.CLIENT, SpanKind.PRODUCER]) unversioned.startSpan(`kind ${kind}`, { kind }).end();
  const child = tracer.startSpan("child", {}, trace.setSpan(ROOT_CONTEXT, span));
  child.setStatus({ code: SpanStatusCode.ERROR });
  child.end();
  return ended;
}

/** RecordedSpans carrying values the SDK's own spans would refuse (they validate attributes) but its serializer still types: bytes, objects, null, undefined, bigint, a Date; a parent without a span id; odd times. */
function oddSpans(): RecordedSpan[] {
  const sink = { processor: collecting([]), resource };
  const scope = { name: "odd", version: "1", attributes: { "scope.attr": "x" }, droppedAttributesCount: 2 } as never;
  const odd = new RecordedSpan(sink, scope, "odd", SpanKind.INTERNAL, { traceId: "5".repeat(32), spanId: "6".repeat(16), traceFlags: TraceFlags.NONE }, { traceId: "5".repeat(32), spanId: "", traceFlags: 0, isRemote: true }, {});
  // An own attribute named __proto__ (a spread of JSON.parse output makes such keys; assigning one to {} would set the prototype instead).
  Object.defineProperty(odd.attributes, "__proto__", { value: "an attribute like any other", enumerable: true, writable: true, configurable: true });
  Object.assign(odd.attributes, { bytes: new Uint8Array([0, 1, 2, 250, 255]), map: { a: 1, b: ["c", 2.5], c: { d: true } }, nothing: null, missing: undefined, huge: 10n, when: new Date(0), mixed: [1, "two", false, null, new Uint8Array([9])] });
  odd.end([1, 2]); // before its start: a zero duration, the end at its start
  const early = new RecordedSpan(sink, { name: "odd", version: "1" }, "early", SpanKind.CLIENT, { traceId: "7".repeat(32), spanId: "8".repeat(16), traceFlags: TraceFlags.SAMPLED }, undefined, { n: 1 });
  early.addEvent("at zero", [0, 5]);
  early.end();
  return [odd, early];
}

describe("span batches for the export worker (src/span-records.ts)", () => {
  withGlobalTraceContext();

  it("serialise in the worker to the SDK's bytes for the original spans: the service's, the SDK's and odd ones in one mixed batch", async () => {
    const service = await serviceSpans();
    const sdk = sdkSpans();
    const odd = oddSpans();
    assert.equal(service.length, 6, "three requests, a server and a Redis span each");
    // Interleaved: grouping by resource and scope follows first appearance, and the same-named scopes of two different objects stay apart only where the SDK keeps them apart.
    const batch = [service[0], sdk[0], service[1], odd[0], sdk[1], service[2], odd[1], service[3], sdk[2], service[4], sdk[3], sdk[4], sdk[5], sdk[6], service[5]].filter((span): span is ReadableSpan => span !== undefined);
    assert.equal(batch.length, 15);
    const expected = bytes(batch);
    assert.equal(throughWorker(batch), expected);
    // What the batch holds is what this asserts on.
    for (const fragment of ['"message":"dependency unavailable"', '"name":"exception"', '"traceState":"vendor=a,other=b"', '"flags":769', '"bytesValue":"AAEC+v8="', '"kvlistValue"', '"schemaUrl":"https://example.com/schema"', '"doubleValue":null', '"traceState":"a=b"', '"key":"scope.attr"', '"timeUnixNano":"5"', '"key":"__proto__"']) {
      assert.ok(expected.includes(fragment), `the batch covers ${fragment}`);
    }
  });

  it("serialise to the SDK's bytes one span at a time, and for an empty batch", async () => {
    for (const span of [...(await serviceSpans()), ...sdkSpans(), ...oddSpans()]) assert.equal(throughWorker([span]), bytes([span]), span.name);
    assert.equal(throughWorker([]), bytes([]));
  });

  it("are flat: the spans' fields are strings, numbers and attribute values, not span objects", async () => {
    const batch = writeSpanBatch(await serviceSpans());
    assert.equal(batch.resources.length, 1);
    assert.deepEqual(batch.scopes, [{ name: "orders-service/redis" }, { name: "orders-service/http" }]);
    for (const field of batch.fields) assert.ok(field === undefined || field === 0 || ["string", "number", "boolean"].includes(typeof field) || Array.isArray(field), `a field of type ${typeof field}`);
  });
});
