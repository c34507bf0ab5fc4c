// The OTLP/HTTP span export, run in a worker thread by WorkerSpanExporter (src/span-export.ts).
// It rebuilds each batch's spans from their flat records (src/span-records.ts), serialises them
// with the SDK's OTLP JSON serializer and sends them with the SDK's HTTP export delegate, the one
// OTLPTraceExporter uses: the same bytes, retries of retryable answers, timeout, headers and
// compression (OTEL_EXPORTER_OTLP_* variables, inherited from the process).
import { parentPort, workerData } from "node:worker_threads";
import { ExportResultCode, type ExportResult } from "@opentelemetry/core";
import { convertLegacyHttpOptions, createOtlpHttpExportDelegate } from "@opentelemetry/otlp-exporter-base/node-http";
import { JsonTraceSerializer } from "@opentelemetry/otlp-transformer";
import { serialisedBatch, type ExportRequest, type WorkerMessage, type WorkerSetup } from "./span-export.js";
import { readSpanBatch } from "./span-records.js";

const port = parentPort;
if (port === null) throw new Error("src/span-export-worker.ts runs as a worker thread (WorkerSpanExporter starts it)");
const { url } = workerData as WorkerSetup;

const delegate = createOtlpHttpExportDelegate(
  convertLegacyHttpOptions({ url }, "TRACES", "v1/traces", { "Content-Type": "application/json" }),
  // The batch is serialised by the message handler (below), so the delegate sends bytes; the answer is read as OTLPTraceExporter reads it.
  { serializeRequest: (body: Uint8Array) => body, deserializeResponse: (data: Uint8Array) => JsonTraceSerializer.deserializeResponse(data) },
  // The delegate's own self-metrics (otel.sdk.exporter.*) are off: no meter provider. The batch
  // processor in the main thread counts dropped spans (src/telemetry.ts, dropCountingMeterProvider).
  "otlp_http_span_exporter",
  { name: "span", countItems: () => 0 },
  undefined,
);

port.on("message", (message: ExportRequest | { type: "shutdown" }) => {
  if (message.type === "shutdown") {
    void delegate.shutdown().finally(() => port.postMessage({ type: "shut" } satisfies WorkerMessage));
    return;
  }
  const answer = (result: ExportResult) => {
    const error = result.error === undefined ? undefined : { name: result.error.name, message: result.error.message };
    port.postMessage({ type: "result", id: message.id, code: result.code, error } satisfies WorkerMessage);
  };
  // Serialised here, as OTLPTraceExporter's delegate would, but so that a batch the serializer refuses fails alone instead of ending the worker.
  let body: Uint8Array;
  try {
    body = message.body ?? serialisedBatch(readSpanBatch(message.batch));
  } catch (error) {
    answer({ code: ExportResultCode.FAILED, error: error as Error });
    return;
  }
  delegate.export(body, answer);
});
