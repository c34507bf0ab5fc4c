// Ended spans as flat records for the export worker (src/span-export.ts): the main thread copies
// out what the OTLP serializer reads, as a flat array of strings and numbers, and the worker
// rebuilds spans from it that the SDK's JsonTraceSerializer turns into the same bytes as the
// originals (test/span-records.test.ts compares them on the service's spans and on SDK spans with
// events, links, trace state, remote parents and every attribute value type).
//
// Why: serialising on the main thread (the SDK builds the export request as objects, a record per
// span and an object per attribute, then JSON.stringify walks them) was the largest piece of a
// sampled cached read's extra CPU in `npm run bench:profile -- cached` at ratio 1: ~16 µs for its
// two spans, plus the garbage. A flat array of primitives is what structured cloning copies
// fastest: written and cloned, ~1 µs a span in a loop on the bench machine, against ~4.5 for the
// SDK's serializer in the same loop; timed in the service under load, 3.8 µs a span (2.1 writing,
// 1.7 postMessage). The serializer itself now runs in the worker.
//
// Attribute values are copied as structured cloning copies them. For the attribute types (strings,
// numbers, booleans, arrays of them) and anything else the SDK's own spans let through, that is the
// value itself. A value outside them that only a RecordedSpan would carry (its setAttribute does
// not validate) may differ: an Error or a Map loses its other own properties. A batch with a value
// cloning refuses (a function, a symbol) is serialised on the main thread instead (src/span-export.ts).
import type { AttributeValue, Attributes, HrTime, Link, SpanContext, SpanKind, SpanStatus } from "@opentelemetry/api";
import type { InstrumentationScope } from "@opentelemetry/core";
import type { Resource } from "@opentelemetry/resources";
import type { ReadableSpan, TimedEvent } from "@opentelemetry/sdk-trace";

/** A resource as the worker needs it: what the serializer reads. */
export interface ResourceRecord {
  readonly attributes: Attributes;
  readonly schemaUrl: string | undefined;
}

/** One batch: its resources and scopes (each once, numbered in order of first appearance), then its spans' fields, flat. */
export interface SpanBatch {
  readonly resources: ResourceRecord[];
  readonly scopes: InstrumentationScope[];
  readonly fields: unknown[];
}

/** A link's span context with its trace state as text (a TraceState does not survive structured cloning). */
type LinkRecord = Omit<Link, "context"> & { context: Omit<SpanContext, "traceState"> & { traceState?: string } };

/** Fields a span has before its attributes' keys and values (the last of them, at offset 21, is the attribute count). */
const FIELDS = 22;

/**
 * The batch of these spans. Resources and scopes are numbered by object: the serializer groups
 * spans by their resource object and takes each group's scope from its first span, so the
 * rebuilt spans must share objects exactly where the originals did.
 */
export function writeSpanBatch(spans: readonly ReadableSpan[]): SpanBatch {
  const resourceIndex = new Map<Resource, number>();
  const scopeIndex = new Map<InstrumentationScope, number>();
  const batch: SpanBatch = { resources: [], scopes: [], fields: [] };
  const out = batch.fields;
  for (const span of spans) {
    let resource = resourceIndex.get(span.resource);
    if (resource === undefined) {
      resource = batch.resources.push({ attributes: { ...span.resource.attributes }, schemaUrl: span.resource.schemaUrl }) - 1;
      resourceIndex.set(span.resource, resource);
    }
    let scope = scopeIndex.get(span.instrumentationScope);
    if (scope === undefined) {
      scope = batch.scopes.push({ ...span.instrumentationScope }) - 1;
      scopeIndex.set(span.instrumentationScope, scope);
    }
    const context = span.spanContext();
    const parent = span.parentSpanContext;
    const attributes = span.attributes;
    const keys = Object.keys(attributes);
    out.push(
      resource,
      scope,
      context.traceId,
      context.spanId,
      context.traceFlags,
      context.traceState?.serialize(),
      parent?.spanId,
      parent?.isRemote,
      span.name,
      span.kind,
      span.startTime[0],
      span.startTime[1],
      span.endTime[0],
      span.endTime[1],
      span.status.code,
      span.status.message,
      span.droppedAttributesCount,
      span.droppedEventsCount,
      span.droppedLinksCount,
      // Events and links are rare (the service's spans have an event only for a recorded exception): 0 when there are none.
      span.events.length === 0 ? 0 : span.events,
      span.links.length === 0
        ? 0
        : span.links.map(({ context, attributes, droppedAttributesCount }): LinkRecord => ({ context: { traceId: context.traceId, spanId: context.spanId, traceFlags: context.traceFlags, isRemote: context.isRemote, traceState: context.traceState?.serialize() }, attributes, droppedAttributesCount })),
      keys.length,
    );
    for (const key of keys) out.push(key, attributes[key]);
  }
  return batch;
}

/** A trace state as the serializer reads it (serialize() only). */
const traceStateOf = (text: string | undefined) => (text === undefined ? undefined : { serialize: () => text });

/** The spans of a batch (after structured cloning), rebuilt as far as the OTLP serializer reads them. */
export function readSpanBatch(batch: SpanBatch): ReadableSpan[] {
  const resources = batch.resources.map(({ attributes, schemaUrl }) => ({ attributes, schemaUrl }) as unknown as Resource);
  const f = batch.fields;
  const spans: ReadableSpan[] = [];
  let at = 0;
  while (at < f.length) {
    // No prototype: an attribute named __proto__ is an attribute like any other (on {}, assigning it would set the prototype).
    const attributes = Object.create(null) as Attributes;
    const count = f[at + 21] as number;
    for (let i = at + FIELDS; i < at + FIELDS + 2 * count; i += 2) attributes[f[i] as string] = f[i + 1] as AttributeValue;
    const context = { traceId: f[at + 2], spanId: f[at + 3], traceFlags: f[at + 4], traceState: traceStateOf(f[at + 5] as string | undefined) } as SpanContext;
    const parentSpanId = f[at + 6] as string | undefined;
    const events = f[at + 19] as 0 | TimedEvent[];
    const links = f[at + 20] as 0 | LinkRecord[];
    spans.push({
      spanContext: () => context,
      parentSpanContext: parentSpanId === undefined ? undefined : ({ spanId: parentSpanId, isRemote: f[at + 7] } as SpanContext),
      name: f[at + 8] as string,
      kind: f[at + 9] as SpanKind,
      startTime: [f[at + 10], f[at + 11]] as HrTime,
      endTime: [f[at + 12], f[at + 13]] as HrTime,
      status: { code: f[at + 14], message: f[at + 15] } as SpanStatus,
      droppedAttributesCount: f[at + 16] as number,
      droppedEventsCount: f[at + 17] as number,
      droppedLinksCount: f[at + 18] as number,
      events: events === 0 ? [] : events,
      links: links === 0 ? [] : links.map((link) => ({ ...link, context: { ...link.context, traceState: traceStateOf(link.context.traceState) } }) as Link),
      attributes,
      resource: resources[f[at] as number] as Resource,
      instrumentationScope: batch.scopes[f[at + 1] as number] as InstrumentationScope,
      duration: [0, 0],
      ended: true,
    });
    at += FIELDS + 2 * count;
  }
  return spans;
}
