// WorkerSpanExporter (src/span-export.ts): batches written as OTLP JSON on the main thread, handed
// to a worker thread and sent there with the SDK's OTLP/HTTP delegate, against a real HTTP collector on loopback.
import assert from "node:assert/strict";
import http from "node:http";
import { Worker, type Transferable } from "node:worker_threads";
import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { ExportResultCode, type ExportResult } from "@opentelemetry/core";
import { JsonTraceSerializer } from "@opentelemetry/otlp-transformer";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { SimpleSpanProcessor, TracerProvider, type ReadableSpan } from "@opentelemetry/sdk-trace";
import { WorkerSpanExporter, type ExportRequest } from "../src/span-export.js";
import { keepingCollector, type ReceivedBatch } from "./support/collector.js";
import { KeepingExporter } from "./support/spans.js";

/** Spans the SDK's tracer made (ended, as the batch processor hands them over). */
function someSpans(names: readonly string[]): ReadableSpan[] {
  const kept = new KeepingExporter();
  const provider = new TracerProvider({ resource: resourceFromAttributes({ "service.name": "orders-service" }), spanProcessors: [new SimpleSpanProcessor({ exporter: kept })] });
  const tracer = provider.getTracer("test");
  for (const name of names) tracer.startSpan(name).end();
  return kept.spans;
}

const exportOnce = (exporter: WorkerSpanExporter, spans: ReadableSpan[]) => new Promise<ExportResult>((resolve) => exporter.export(spans, resolve));

describe("span export from a worker thread (WorkerSpanExporter)", function () {
  this.timeout(20000);

  it("sends each batch as OTLP JSON to the collector, with no HTTP client request made on the main thread", async () => {
    const sink = await keepingCollector(() => 200);
    const exporter = new WorkerSpanExporter(sink.url);
    // The export's HTTP request must not run here: its objects would reach the server's shared
    // emit/stream code and deoptimise it (src/span-export.ts). OTLPTraceExporter calls http.request.
    const request = http.request;
    let mainThreadRequests = 0;
    http.request = ((...args: Parameters<typeof http.request>) => {
      mainThreadRequests += 1;
      return request(...args);
    }) as typeof http.request;
    try {
      const result = await exportOnce(exporter, someSpans(["GET /v1/orders/:id", "redis GET"]));
      assert.deepEqual(result, { code: ExportResultCode.SUCCESS });
    } finally {
      http.request = request;
      await exporter.shutdown();
      sink.close();
    }
    assert.equal(mainThreadRequests, 0);
    assert.equal(sink.received.length, 1);
    const [batch] = sink.received as [ReceivedBatch];
    assert.equal(batch.path, "/v1/traces");
    assert.equal(batch.contentType, "application/json");
    const [resourceSpans] = batch.body.resourceSpans;
    assert.ok(resourceSpans !== undefined);
    assert.deepEqual(resourceSpans.resource.attributes.find((a) => a.key === "service.name")?.value, { stringValue: "orders-service" });
    assert.deepEqual(sink.spanNames(), ["GET /v1/orders/:id", "redis GET"]);
  });

  it("sends the bytes the SDK's OTLP JSON serializer makes of the batch, attributes, events, status and parents included, odd attribute values too; a batch it refuses fails alone", async () => {
    const sink = await keepingCollector(() => 200);
    const exporter = new WorkerSpanExporter(sink.url);
    try {
      const kept = new KeepingExporter();
      const provider = new TracerProvider({ resource: resourceFromAttributes({ "service.name": "orders-service", "service.version": "9" }), spanProcessors: [new SimpleSpanProcessor({ exporter: kept })] });
      const tracer = provider.getTracer("orders-service/http", "1.0.0");
      const server = tracer.startSpan("GET /v1/orders/:id", { kind: SpanKind.SERVER, attributes: { "http.route": "/v1/orders/:id", "http.response.status_code": 503, "x.list": ["a", "b"], "x.ratio": 0.25 } });
      server.addEvent("exception", { "exception.message": "boom" });
      server.setStatus({ code: SpanStatusCode.ERROR, message: "dependency unavailable" });
      server.end();
      const spans = [...kept.spans, ...someSpans(["redis GET"])];
      assert.deepEqual(await exportOnce(exporter, spans), { code: ExportResultCode.SUCCESS });
      assert.equal(sink.received[0]?.raw, new TextDecoder().decode(JsonTraceSerializer.serializeRequest(spans)));
      // An attribute value of no OTLP type (nothing the SDK's own spans let through, but a span's
      // attributes are any code's to set): written as the SDK's serializer writes it (the function becomes {}), and sent.
      const [odd] = someSpans(["odd"]) as [ReadableSpan];
      (odd.attributes as Record<string, unknown>)["fn"] = () => 1;
      const oddBatch = [odd, ...someSpans(["beside it"])];
      assert.deepEqual(await exportOnce(exporter, oddBatch), { code: ExportResultCode.SUCCESS });
      assert.equal(sink.received[1]?.raw, new TextDecoder().decode(JsonTraceSerializer.serializeRequest(oddBatch)));
      assert.ok(sink.received[1]?.raw.includes('{"key":"fn","value":{}}'));
      // A batch the SDK's serializer refuses (JSON.stringify throws on a BigInt status message): it fails alone, before anything is handed to the worker.
      const [refusedSpan] = someSpans(["refused"]) as [ReadableSpan];
      (refusedSpan.status as { message?: unknown }).message = 10n;
      const refused = await exportOnce(exporter, [refusedSpan]);
      assert.equal(refused.code, ExportResultCode.FAILED);
      assert.equal(refused.error?.name, "SerializationFailed");
      assert.match(refused.error?.message ?? "", /BigInt/);
      assert.equal(sink.received.length, 2, "nothing was sent for the refused batch");
      assert.deepEqual(await exportOnce(exporter, someSpans(["after"])), { code: ExportResultCode.SUCCESS }, "the next batch is exported");
      assert.deepEqual(sink.spanNames(), ["GET /v1/orders/:id", "redis GET", "odd", "beside it", "after"]);
    } finally {
      await exporter.shutdown();
      sink.close();
    }
  });

  it("transfers each batch's bytes to the worker instead of copying them, small batches and large alike; a batch that cannot be handed over fails alone", async () => {
    const sink = await keepingCollector(() => 200);
    // Every message the exporter posts, with its transfer list and the body's size after the post (0 once transferred).
    const posted: Array<{ message: ExportRequest; transfer: readonly unknown[]; sizeAfter: number }> = [];
    const post = Worker.prototype.postMessage;
    let refuseNext = false;
    Worker.prototype.postMessage = function (this: Worker, message: ExportRequest, transfer?: readonly Transferable[]) {
      if (message.type === "export" && refuseNext) {
        refuseNext = false;
        throw new Error("refused for the test");
      }
      post.call(this, message, transfer);
      if (message.type === "export") posted.push({ message, transfer: transfer ?? [], sizeAfter: message.body.byteLength });
    } as typeof Worker.prototype.postMessage;
    const exporter = new WorkerSpanExporter(sink.url);
    try {
      const small = someSpans(["small"]);
      const large = someSpans(Array.from({ length: 600 }, (_, i) => `span ${i}`));
      const expected = (batch: ReadableSpan[]) => new TextDecoder().decode(JsonTraceSerializer.serializeRequest(batch));
      assert.ok(Buffer.byteLength(expected(large)) > 65536, "larger than Buffer's pool");
      for (const batch of [small, large, small]) assert.deepEqual(await exportOnce(exporter, batch), { code: ExportResultCode.SUCCESS });
      assert.equal(posted.length, 3);
      for (const { message, transfer, sizeAfter } of posted) {
        assert.deepEqual(transfer, [message.body.buffer], "the body's ArrayBuffer is in the transfer list");
        assert.equal(sizeAfter, 0, "the body was transferred (detached here), not copied");
      }
      assert.deepEqual(sink.received.map((batch) => batch.raw), [small, large, small].map(expected));
      refuseNext = true;
      const refused = await exportOnce(exporter, small);
      assert.equal(refused.code, ExportResultCode.FAILED);
      assert.equal(refused.error?.name, "ExportFailed");
      assert.match(refused.error?.message ?? "", /refused for the test/);
      assert.deepEqual(await exportOnce(exporter, small), { code: ExportResultCode.SUCCESS }, "the next batch is exported");
      await exporter.forceFlush(); // nothing is left waiting for the refused batch
    } finally {
      Worker.prototype.postMessage = post;
      await exporter.shutdown();
      sink.close();
    }
  });

  it("retries a retryable answer (503) as the SDK's exporter does, and reports a refused batch (400) as a failure named for the batch processor's count", async () => {
    const sink = await keepingCollector((count) => (count === 1 ? 503 : count === 2 ? 200 : 400));
    const exporter = new WorkerSpanExporter(sink.url);
    try {
      assert.deepEqual(await exportOnce(exporter, someSpans(["retried"])), { code: ExportResultCode.SUCCESS });
      assert.equal(sink.received.length, 2, "the 503 was retried once");
      const refused = await exportOnce(exporter, someSpans(["refused"]));
      assert.equal(refused.code, ExportResultCode.FAILED);
      assert.equal(refused.error?.name, "OTLPExporterError");
      assert.equal(refused.error?.message, "Bad Request");
    } finally {
      await exporter.shutdown();
      sink.close();
    }
  });

  it("shutdown waits for the batch under way, then refuses new ones", async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => { release = resolve; });
    const sink = await keepingCollector(async () => {
      await held;
      return 200;
    });
    const exporter = new WorkerSpanExporter(sink.url);
    try {
      const first = exportOnce(exporter, someSpans(["in flight"]));
      while (sink.received.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
      let shut = false;
      const shutdown = exporter.shutdown().then(() => { shut = true; });
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal(shut, false, "shutdown did not wait for the batch under way");
      release();
      assert.deepEqual(await first, { code: ExportResultCode.SUCCESS });
      await shutdown;
      const late = await exportOnce(exporter, someSpans(["late"]));
      assert.equal(late.code, ExportResultCode.FAILED);
      assert.equal(late.error?.name, "ExporterShutDown");
      assert.equal(sink.received.length, 1);
    } finally {
      release();
      await exporter.shutdown();
      sink.close();
    }
  });

  it("once its worker is gone (here: it failed to start on an unusable URL), fails every batch at once and still shuts down", async () => {
    const exporter = new WorkerSpanExporter("::not a url::");
    const within = <T>(ms: number, what: string, promise: Promise<T>) =>
      Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms))]);
    try {
      // The first batch is failed when the worker dies (before or after it was handed over).
      const first = await within(10_000, "the first batch", exportOnce(exporter, someSpans(["first"])));
      assert.equal(first.code, ExportResultCode.FAILED);
      assert.match(first.error?.message ?? "", /::not a url::/);
      // A later one cannot be answered by anyone: it must fail now, not wait for the batch processor's timeout.
      const later = await within(1_000, "a batch after the worker died", exportOnce(exporter, someSpans(["later"])));
      assert.equal(later.code, ExportResultCode.FAILED);
      assert.match(later.error?.message ?? "", /::not a url::/);
    } finally {
      await within(2_000, "shutdown", exporter.shutdown());
    }
  });
});
