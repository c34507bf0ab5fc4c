// src/otlp-json.ts: the export request written as text must be, byte for byte, what the SDK's own
// JsonTraceSerializer makes of the same spans. The spans are the service's (RecordedSpans from
// ServerSpans and inClientSpan, as requests make them), the SDK's (events, links, trace state, a
// remote parent, every attribute value type), odd ones (values only a RecordedSpan lets through,
// odd times), mixed across resources and scopes in one batch, and generated ones.
import assert from "node:assert/strict";
import { context, createTraceState, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, TraceFlags, type Attributes, type HrTime, type Span, type TraceState } from "@opentelemetry/api";
import { JsonTraceSerializer } from "@opentelemetry/otlp-transformer";
import { resourceFromAttributes, type Resource } from "@opentelemetry/resources";
import { AlwaysOnSampler, TracerProvider, type ReadableSpan, type SpanProcessor } from "@opentelemetry/sdk-trace";
import { seeded } from "../bench/stats.js";
import { otlpTraceJson } from "../src/otlp-json.js";
import { inClientSpan, RecordedSpan } from "../src/spans.js";
import { serverSpans } from "../src/telemetry.js";
import { withGlobalTraceContext } from "./support/spans.js";

/** The SDK's serialisation, as text. */
const bytes = (spans: ReadableSpan[]) => new TextDecoder().decode(JsonTraceSerializer.serializeRequest(spans));
/** This module's, encoded as the exporter encodes it (TextEncoder, src/span-export.ts), as text. */
const written = (spans: ReadableSpan[]) => new TextDecoder().decode(new TextEncoder().encode(otlpTraceJson(spans)));

/** Equal texts; else a failure showing where they part (batches run to kilobytes). */
function sameText(actual: string, expected: string, what: string): void {
  if (actual === expected) return;
  let at = 0;
  while (actual[at] === expected[at]) at += 1;
  assert.fail(`${what}: the texts differ from character ${at}:\n  written: …${actual.slice(Math.max(0, at - 80), at + 80)}\n  the SDK: …${expected.slice(Math.max(0, at - 80), at + 80)}`);
}

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

describe("OTLP JSON export requests (src/otlp-json.ts)", () => {
  withGlobalTraceContext();

  it("are the SDK's bytes for the service's, the SDK's and odd spans in one mixed batch", async () => {
    const service = await serviceSpans();
    const sdk = sdkSpans();
    const odd = oddSpans();
    assert.equal(service.length, 6, "three requests, a server and a Redis span each");
    // Interleaved: grouping by resource and scope follows first appearance, and the same-named scopes of two different objects stay apart only where the SDK keeps them apart.
    const batch = [service[0], sdk[0], service[1], odd[0], sdk[1], service[2], odd[1], service[3], sdk[2], service[4], sdk[3], sdk[4], sdk[5], sdk[6], service[5]].filter((span): span is ReadableSpan => span !== undefined);
    assert.equal(batch.length, 15);
    const expected = bytes(batch);
    assert.equal(written(batch), expected);
    // What the batch holds is what this asserts on.
    for (const fragment of ['"message":"dependency unavailable"', '"name":"exception"', '"traceState":"vendor=a,other=b"', '"flags":769', '"bytesValue":"AAEC+v8="', '"kvlistValue"', '"schemaUrl":"https://example.com/schema"', '"doubleValue":null', '"traceState":"a=b"', '"key":"scope.attr"', '"timeUnixNano":"5"', '"key":"__proto__"']) {
      assert.ok(expected.includes(fragment), `the batch covers ${fragment}`);
    }
  });

  it("are the SDK's bytes one span at a time, and for an empty batch", async () => {
    for (const span of [...(await serviceSpans()), ...sdkSpans(), ...oddSpans()]) assert.equal(written([span]), bytes([span]), span.name);
    assert.equal(written([]), bytes([]));
  });

  it("are the SDK's bytes for 400 generated batches: every field, attribute value type and odd value, mixed resources and scopes", () => {
    const random = seeded(15);
    const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)] as T;
    const CHARS = ["a", "Z", "0", " ", "/", ":", '"', "\\", "\n", "\t", "\u0000", "\u001f", "\u007f", "é", "€", "\u2028", "\u{1F600}", "\ud800", "\udc00"];
    const text = (): string => Array.from({ length: Math.floor(random() * 12) }, () => pick(CHARS)).join("");
    const hex = (length: number) => Array.from({ length }, () => pick([..."0123456789abcdef"])).join("");
    const number = () => pick([0, -0, 1, -7, 42, 2 ** 31, 2 ** 53 + 2, 1e21, 0.5, -3.25, 1 / 3, 1e-7, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.MAX_VALUE, Math.floor(random() * 1e6)]);
    const value = (depth: number): unknown => {
      switch (Math.floor(random() * (depth > 1 ? 6 : 10))) {
        case 0: case 1: return text();
        case 2: return number();
        case 3: return random() < 0.5;
        case 4: return pick([null, undefined, 10n, () => 1, Symbol("s"), new Date(0)]);
        case 5: return new Uint8Array(Array.from({ length: Math.floor(random() * 5) }, () => Math.floor(random() * 256)));
        case 6: case 7: return Array.from({ length: Math.floor(random() * 4) }, () => value(depth + 1));
        default: return Object.fromEntries(Array.from({ length: Math.floor(random() * 4) }, () => [pick([text(), "1", "k"]), value(depth + 1)]));
      }
    };
    const attributes = (): Attributes => Object.fromEntries(Array.from({ length: Math.floor(random() * 6) }, () => [pick([text(), "http.route", "2", "db.system.name"]), value(0)])) as Attributes;
    const time = (): HrTime => (random() < 0.9 ? [Math.floor(random() * 2e9), Math.floor(random() * 1e9)] : pick([[0, 0], [0, 5], [1, 999_999_999], [1.5, 2.7], [-1, 5], [3, 1e9], [3, 1e9 + 1], [2 ** 53, 1]])) as HrTime;
    const maybe = <T>(make: () => T): T | undefined => (random() < 0.3 ? undefined : make());
    // Now and then, in place of a field's usual value: values JSON.stringify leaves out or writes its own way (toJSON gets the property's name).
    const ODD = [undefined, null, 7, "text", () => 1, Symbol("s"), { toJSON: () => undefined }, { toJSON: (key: string) => `key=${key}` }, Number.NaN, true];
    const odd = <T>(usual: T, values: readonly unknown[] = ODD): unknown => (random() < 0.9 ? usual : pick(values));
    // A scope's name, version and schema make its group's key as text: a symbol there throws in both (the next test).
    const oddText = <T>(usual: T): unknown => odd(usual, ODD.filter((value) => typeof value !== "symbol"));
    const traceState = () => maybe(() => { const serialized = text(); return { serialize: () => serialized }; }) as unknown as TraceState | undefined;
    const resources = Array.from({ length: 4 }, () => ({ attributes: attributes(), schemaUrl: odd(pick([undefined, "", "https://opentelemetry.io/schemas/1.30.0"])) }) as unknown as Resource);
    // Scopes: distinct objects, some with the same name, version and schema (the SDK groups those together under the first one's description).
    const scopes = Array.from({ length: 8 }, () => ({ name: oddText(pick(["orders-service/http", "orders-service/redis", text()])), version: oddText(pick([undefined, "", "1.0.0"])), schemaUrl: oddText(pick([undefined, "", "https://example.com/s"])), ...(random() < 0.5 ? { attributes: { ...attributes(), "scope.attr": "x" }, droppedAttributesCount: pick([undefined, 0, 3, Number.NaN, null]) } : {}) }));
    const span = (): ReadableSpan => {
      const context = { traceId: random() < 0.95 ? hex(32) : odd(text()), spanId: odd(hex(16)), traceFlags: pick([0, 1, 255, 512 + 1]), traceState: traceState() };
      const links = Array.from({ length: pick([0, 0, 1, 2]) }, () => ({ context: { traceId: odd(hex(32)), spanId: hex(16), traceFlags: pick([0, 1]), isRemote: pick([undefined, true, false, 1, "yes", 0]), traceState: traceState() }, attributes: maybe(attributes), droppedAttributesCount: odd(pick([undefined, 0, 2])) }));
      const events: unknown[] = Array.from({ length: pick([0, 0, 1, 3]) }, () => ({ name: odd(text()), attributes: maybe(attributes), time: time(), droppedAttributesCount: odd(pick([undefined, 0, 1])) }));
      if (events.length > 1 && random() < 0.3) delete events[0]; // a hole: null in the SDK's request
      return {
        spanContext: () => context,
        parentSpanContext: pick([undefined, { spanId: "" }, { spanId: odd(hex(16)), isRemote: pick([undefined, true, false, 1, "yes", 0]) }]),
        name: odd(text()),
        kind: pick([0, 1, 2, 3, 4, undefined, null]),
        startTime: time(),
        endTime: time(),
        // A message of no JSON type is left out, as JSON.stringify leaves it out.
        status: { code: odd(pick([0, 1, 2])), message: odd(maybe(text)) },
        attributes: attributes(),
        links,
        events,
        droppedAttributesCount: odd(pick([0, 1, undefined])),
        droppedEventsCount: pick([0, 2]),
        droppedLinksCount: pick([0, 3]),
        resource: pick(resources),
        instrumentationScope: pick(scopes),
        duration: [0, 0],
        ended: true,
      } as unknown as ReadableSpan;
    };
    let fragments = "";
    let refused = 0;
    for (let round = 0; round < 400; round += 1) {
      const batch = Array.from({ length: 1 + Math.floor(random() * 12) }, span);
      let expected: string;
      try {
        expected = bytes(batch);
      } catch (error) {
        // The SDK refuses it (a symbol in a scope's name, say): so must the writer.
        assert.throws(() => otlpTraceJson(batch), `generated batch ${round}: the SDK throws ${(error as Error).message}, the writer does not`);
        refused += 1;
        continue;
      }
      sameText(written(batch), expected, `generated batch ${round}`);
      fragments += expected;
    }
    assert.ok(refused < 40, `${refused} of 400 batches refused by both: the generator should make mostly batches the SDK accepts`);
    // What the batches held is what this asserts on.
    for (const fragment of ['"bytesValue":"', '"kvlistValue":{"values":[{', '"values":[{"arrayValue"', '"doubleValue":null', '"intValue":1e+21', '"value":{}', '"parentSpanId"', '"traceState"', '"flags":769', '"timeUnixNano":"0"', '\\ud800', '"schemaUrl":""', '"droppedAttributesCount":3', '"flags":257}', '"timeUnixNano":"4000000000"', '"key=name"', '"key=message"', '"events":[null,', '{"spanId":', '"status":{"message"', '"traceId":7']) {
      assert.ok(fragments.includes(fragment), `the generated batches cover ${fragment}`);
    }
  });

  it("refuse what the SDK's serializer refuses (a time that is not a number, a BigInt where JSON has no place for one, events that are not an array), by throwing", async () => {
    const spoilers = [
      (span: ReadableSpan) => { (span as { startTime: HrTime }).startTime = [Number.NaN, 0]; },
      (span: ReadableSpan) => { (span.status as { message?: unknown }).message = 10n; },
      (span: ReadableSpan) => { (span as { events: unknown }).events = new Set(); },
      (span: ReadableSpan) => { (span as { instrumentationScope: unknown }).instrumentationScope = { name: Symbol("scope") }; },
    ];
    for (const spoil of spoilers) {
      const [span] = (await serviceSpans()) as [ReadableSpan];
      spoil(span);
      assert.throws(() => bytes([span]));
      assert.throws(() => otlpTraceJson([span]));
    }
  });
});
