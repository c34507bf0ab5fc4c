// Ended spans as an OTLP/HTTP JSON export request, written as text in one pass: the same bytes as
// the SDK's JsonTraceSerializer (test/otlp-json.test.ts compares them on the service's spans, on
// SDK spans with events, links, trace state and remote parents, on every attribute value type and
// on generated batches), without the request object it builds first.
//
// Why: the SDK's serializer builds an object per span, attribute, event and link, converts each
// timestamp through BigInt, then JSON.stringify walks the tree and TextEncoder copies the result.
// Where this runs instead (the main thread, the worker only sending the bytes) and what that
// measured: src/span-export.ts.
//
// The mapping, as @opentelemetry/otlp-transformer 0.301's createExportTraceServiceRequest with
// its JSON encoder: spans grouped by resource object, then by scope name@version:schemaUrl (the
// group's first scope describes it); ids as hex text; times as decimal nanoseconds text; kind + 1;
// flags with the has-is-remote bits; attribute values typed (string, int, double, bool, bytes as
// base64, arrays and objects nested); properties left out where JSON.stringify leaves them out
// (undefined, functions, symbols, a toJSON that gives undefined). One difference is left: an
// attribute value nested deeper than the SDK's recursion reaches (~1,200 levels on the bench
// machine, where it throws RangeError) is written here, up to ~4,000.
import type { Attributes, HrTime, Link, SpanContext } from "@opentelemetry/api";
import type { InstrumentationScope } from "@opentelemetry/core";
import type { Resource } from "@opentelemetry/resources";
import type { ReadableSpan, TimedEvent } from "@opentelemetry/sdk-trace";
import { jsonString } from "./json.js";

/** OTLP span flags: the context has an is-remote bit (256), and it is set (512). */
const HAS_IS_REMOTE = 256;
const IS_REMOTE = 512;

/** The export request for `spans`, as text (encode as UTF-8 to send). Throws where the SDK's serializer throws (a time that is not a number, a BigInt outside an attribute value, events that are not an array). */
export function otlpTraceJson(spans: readonly ReadableSpan[]): string {
  // Grouped as the SDK groups them: by resource object, then by scope key, in order of first appearance.
  const byResource = new Map<Resource, Map<string, ReadableSpan[]>>();
  for (const span of spans) {
    let scopes = byResource.get(span.resource);
    if (scopes === undefined) {
      scopes = new Map();
      byResource.set(span.resource, scopes);
    }
    const scope = span.instrumentationScope;
    const key = `${scope.name}@${scope.version || ""}:${scope.schemaUrl || ""}`;
    const group = scopes.get(key);
    if (group === undefined) scopes.set(key, [span]);
    else group.push(span);
  }
  let out = '{"resourceSpans":[';
  let firstResource = true;
  for (const [resource, scopes] of byResource) {
    out += firstResource ? '{"resource":' : ',{"resource":';
    firstResource = false;
    const schemaUrl = resource.schemaUrl;
    // The SDK's createResource keeps a schema URL only when it is set and not empty, and the resource's entry repeats it.
    const resourceSchema = property("schemaUrl", schemaUrl && schemaUrl !== "" ? schemaUrl : undefined);
    out += `{"attributes":${attributesJson(resource.attributes)},"droppedAttributesCount":0${resourceSchema}},"scopeSpans":[`;
    let firstScope = true;
    for (const group of scopes.values()) {
      const scope = (group[0] as ReadableSpan).instrumentationScope;
      out += `${firstScope ? "" : ","}{"scope":${scopeJson(scope)},"spans":[`;
      firstScope = false;
      for (let i = 0; i < group.length; i += 1) {
        if (i > 0) out += ",";
        out += spanJson(group[i] as ReadableSpan);
      }
      out += `]${property("schemaUrl", scope.schemaUrl)}}`;
    }
    out += `]${resourceSchema}}`;
  }
  return `${out}]}`;
}

function scopeJson(scope: InstrumentationScope & { attributes?: Attributes; droppedAttributesCount?: number }): string {
  let body = property("name", scope.name) + property("version", scope.version);
  if (scope.attributes && Object.keys(scope.attributes).length > 0) {
    body += `,"attributes":${attributesJson(scope.attributes)}${property("droppedAttributesCount", scope.droppedAttributesCount ?? 0)}`;
  }
  return objectJson(body);
}

function spanJson(span: ReadableSpan): string {
  const context = span.spanContext();
  const parent = span.parentSpanContext;
  const status = span.status;
  const traceId = context.traceId;
  // The first property written without a comma when it is there (always, for a span the SDK or the service made).
  let out = typeof traceId === "string" ? `{"traceId":${jsonString(traceId)}` : `{${property("traceId", traceId).slice(1)}`;
  const rest =
    `${property("spanId", context.spanId)}${parent?.spanId ? property("parentSpanId", parent.spanId) : ""}${property("traceState", context.traceState?.serialize())}` +
    `${property("name", span.name)}${property("kind", span.kind == null ? 0 : span.kind + 1)}` +
    `,"startTimeUnixNano":${nanosJson(span.startTime)},"endTimeUnixNano":${nanosJson(span.endTime)},"attributes":${attributesJson(span.attributes)}` +
    `${property("droppedAttributesCount", span.droppedAttributesCount)},"events":`;
  out += (out === "{" ? rest.slice(1) : rest) + listJson(span.events, eventJson);
  const statusJson = typeof status.code === "number" ? `{"code":${numberJson(status.code)}${property("message", status.message)}}` : objectJson(property("code", status.code) + property("message", status.message));
  out += `${property("droppedEventsCount", span.droppedEventsCount)},"status":${statusJson},"links":${listJson(span.links, linkJson)}`;
  return `${out}${property("droppedLinksCount", span.droppedLinksCount)},"flags":${flagsJson(context, parent?.isRemote)}}`;
}

function eventJson(event: TimedEvent): string {
  return `{"attributes":${event.attributes ? attributesJson(event.attributes) : "[]"}${property("name", event.name)},"timeUnixNano":${nanosJson(event.time)}${property("droppedAttributesCount", event.droppedAttributesCount || 0)}}`;
}

function linkJson(link: Link): string {
  const context = link.context;
  return (
    `{"attributes":${link.attributes ? attributesJson(link.attributes) : "[]"}${property("spanId", context.spanId)}${property("traceId", context.traceId)}` +
    `${property("traceState", context.traceState?.serialize())}${property("droppedAttributesCount", link.droppedAttributesCount || 0)},"flags":${flagsJson(context, context.isRemote)}}`
  );
}

/** The trace flags' low byte with the has-is-remote bit, and the is-remote bit when the context is remote. */
function flagsJson(context: SpanContext, isRemote: boolean | undefined): string {
  return numberJson((context.traceFlags & 255) | HAS_IS_REMOTE | (isRemote ? IS_REMOTE : 0));
}

/**
 * `{"key":<key>,"value":` for an attribute key, remembered: a service's spans carry the same few
 * keys over and over, and checking each again is a sixth of the writing. Up to KEYS_REMEMBERED keys
 * (then later ones are written each time), so code that makes keys without bound cannot grow it.
 */
const keyPrefixes = new Map<string, string>();
const KEYS_REMEMBERED = 1024;
function keyPrefix(key: string): string {
  let prefix = keyPrefixes.get(key);
  if (prefix === undefined) {
    prefix = `{"key":${jsonString(key)},"value":`;
    if (keyPrefixes.size < KEYS_REMEMBERED) keyPrefixes.set(key, prefix);
  }
  return prefix;
}

function attributesJson(attributes: Attributes): string {
  let out = "[";
  let first = true;
  for (const key of Object.keys(attributes)) {
    out += `${first ? "" : ","}${keyPrefix(key)}${anyValueJson(attributes[key])}}`;
    first = false;
  }
  return `${out}]`;
}

/** An attribute value as OTLP's AnyValue; a value of no AnyValue type (undefined, null, a function, a BigInt) is {}. */
function anyValueJson(value: unknown): string {
  switch (typeof value) {
    case "string":
      return `{"stringValue":${jsonString(value)}}`;
    case "number":
      return Number.isInteger(value) ? `{"intValue":${numberJson(value)}}` : `{"doubleValue":${numberJson(value)}}`;
    case "boolean":
      return value ? '{"boolValue":true}' : '{"boolValue":false}';
    default:
      break;
  }
  if (value instanceof Uint8Array) return `{"bytesValue":${jsonString(Buffer.from(value).toString("base64"))}}`;
  if (Array.isArray(value)) {
    let out = '{"arrayValue":{"values":[';
    for (let i = 0; i < value.length; i += 1) out += (i > 0 ? "," : "") + anyValueJson(value[i]);
    return `${out}]}}`;
  }
  if (typeof value === "object" && value !== null) {
    let out = '{"kvlistValue":{"values":[';
    let first = true;
    for (const key of Object.keys(value)) {
      out += `${first ? "" : ","}${keyPrefix(key)}${anyValueJson((value as Record<string, unknown>)[key])}}`;
      first = false;
    }
    return `${out}]}}`;
  }
  return "{}";
}

/** A number as JSON.stringify writes it (NaN and the infinities as null). */
function numberJson(value: number): string {
  return Number.isFinite(value) ? `${value}` : "null";
}

/**
 * An HrTime as decimal nanoseconds, as the SDK's encoder writes it (BigInt(trunc(seconds)) * 1e9 +
 * BigInt(trunc(nanos))): from the two integers as text when they are what a clock makes, through
 * BigInt otherwise (which throws, as the SDK's does, for a time that is not a number).
 */
function nanosJson(time: HrTime): string {
  const seconds = time[0];
  const nanos = time[1];
  if (Number.isSafeInteger(seconds) && seconds > 0 && Number.isInteger(nanos) && nanos >= 0 && nanos < 1e9) {
    return `"${seconds}${`${nanos}`.padStart(9, "0")}"`;
  }
  return `"${BigInt(Math.trunc(seconds)) * 1_000_000_000n + BigInt(Math.trunc(nanos))}"`;
}

/**
 * `,"name":value` as JSON.stringify writes the property in the SDK's request object, or nothing where it
 * leaves it out (undefined, a function, a symbol, an object whose toJSON gives undefined); strings,
 * numbers and booleans without calling it, anything else through it with its own name (toJSON is
 * called with the key, as there).
 */
function property(name: string, value: unknown): string {
  switch (typeof value) {
    case "string":
      return `,"${name}":${jsonString(value)}`;
    case "number":
      return `,"${name}":${numberJson(value)}`;
    case "boolean":
      return value ? `,"${name}":true` : `,"${name}":false`;
    case "undefined":
    case "function":
    case "symbol":
      return "";
    default: {
      const text = JSON.stringify({ [name]: value }); // throws for a BigInt, as the SDK's does
      return text === "{}" ? "" : `,${text.slice(1, -1)}`;
    }
  }
}

/**
 * An array of events or links as the SDK maps and JSON writes it: a hole is null; something
 * without .map throws, as there.
 */
function listJson<T>(items: readonly T[], write: (item: T) => string): string {
  if (Array.isArray(items) && items.length === 0) return "[]";
  const written = items.map(write);
  let out = "[";
  for (let i = 0; i < written.length; i += 1) out += `${i > 0 ? "," : ""}${i in written ? written[i] : "null"}`;
  return `${out}]`;
}

/** An object of `property()` pieces. */
function objectJson(properties: string): string {
  return `{${properties.slice(1)}}`;
}
