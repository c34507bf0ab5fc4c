// The OTLP/HTTP span export, run in a worker thread by WorkerSpanExporter (src/span-export.ts).
// It sends each batch's bytes (the OTLP JSON request, written on the main thread) with the SDK's
// HTTP export delegate, the one OTLPTraceExporter uses: retries of retryable answers, timeout,
// headers and compression (OTEL_EXPORTER_OTLP_* variables, inherited from the process).
import { parentPort, workerData } from "node:worker_threads";
import { convertLegacyHttpOptions, createOtlpHttpExportDelegate } from "@opentelemetry/otlp-exporter-base/node-http";
import { JsonTraceSerializer } from "@opentelemetry/otlp-transformer";
import type { ExportRequest, WorkerMessage, WorkerSetup } from "./span-export.js";

const port = parentPort;
if (port === null) throw new Error("src/span-export-worker.ts runs as a worker thread (WorkerSpanExporter starts it)");
const { url } = workerData as WorkerSetup;

const delegate = createOtlpHttpExportDelegate(
  convertLegacyHttpOptions({ url }, "TRACES", "v1/traces", { "Content-Type": "application/json" }),
  // The batch comes serialised, so the delegate sends its bytes; the answer is read as OTLPTraceExporter reads it.
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
  delegate.export(message.body, (result) => {
    const error = result.error === undefined ? undefined : { name: result.error.name, message: result.error.message };
    port.postMessage({ type: "result", id: message.id, code: result.code, error } satisfies WorkerMessage);
  });
});
