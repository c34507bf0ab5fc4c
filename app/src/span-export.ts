// Span export off the main thread: the batch span processor hands its batches to
// WorkerSpanExporter, which writes each as its OTLP/HTTP JSON request (src/otlp-json.ts: the SDK
// serializer's bytes, written in one pass) and hands the bytes to a worker thread
// (src/span-export-worker.ts) that sends them to the collector.
//
// Why a worker: measured with `npm run bench`, exporting from the main thread with OTLPTraceExporter left
// Node's shared HTTP and stream functions deoptimised: the export's client request and its
// response went through the same EventEmitter.emit, Writable and OutgoingMessage code as the
// server's requests, with objects of other shapes, and V8 dropped its optimised code for them
// (`--trace-deopt --trace-opt` after 8 s of cached reads at ratio 0.1: 42 functions left without
// optimised code, emit, writeOrBuffer, afterWrite and uncork among them, against 14 with the spans
// not exported). So tracing cost every request, sampled or not, about as much at 1% as at 10%.
// The worker has its own V8 isolate: the server's code never sees the export's objects.
//
// Why the bytes are written here, not in the worker: the worker's own work on a batch (the spans
// rebuilt from flat records, then the SDK's serializer) was ~14 µs of CPU a span under load, and a
// worker that did nothing with its batches made cached reads at ratio 0.1 run 1.07 (1.00–1.13)
// times faster. Writing the text here instead of the records, at ratio 1: main thread 171 → 179 µs
// a request, worker 27 → 7, V8's helper threads 35 → 28 (bench/matrix.ts). The bytes are
// transferred to the worker, not copied (test/span-export.test.ts checks each export's transfer).
import { extname, join } from "node:path";
import { Worker } from "node:worker_threads";
import { ExportResultCode, type ExportResult } from "@opentelemetry/core";
import type { ReadableSpan, SpanExporter } from "@opentelemetry/sdk-trace";
import { otlpTraceJson } from "./otlp-json.js";

/** What the worker is started with. */
export interface WorkerSetup {
  /** The OTLP/HTTP traces URL, e.g. http://jaeger.observability.svc:4318/v1/traces. */
  readonly url: string;
}
/** A batch for the worker: its OTLP/HTTP JSON request body. */
export interface ExportRequest {
  readonly type: "export";
  readonly id: number;
  readonly body: Uint8Array;
}
/** What the worker answers: an export's result (its error's name and message), or that it shut down. */
export type WorkerMessage =
  | { readonly type: "result"; readonly id: number; readonly code: ExportResultCode; readonly error?: { readonly name: string; readonly message: string } }
  | { readonly type: "shut" };

/** The worker's entry next to this file: .ts under tsx (tests, benches), .js in the image. */
const WORKER_FILE = join(__dirname, `span-export-worker${extname(__filename)}`);

/** The error of a failed export, as the batch processor counts it (by name: otel.sdk.processor.span.processed error.type). */
function exportError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

const UTF8 = new TextEncoder();

/** A batch as OTLP JSON bytes, in an ArrayBuffer of their own (so they can be transferred); a batch that cannot be written (as one the SDK's serializer refuses) throws an error named SerializationFailed. */
function serialisedBatch(spans: readonly ReadableSpan[]): Uint8Array {
  try {
    // TextEncoder, not Buffer.from: a Buffer under half of Buffer.poolSize (64 KiB on Node 24) is a view
    // of the shared pool, which cannot be transferred and would be cloned whole with each batch.
    return UTF8.encode(otlpTraceJson(spans));
  } catch (error) {
    const failure = exportError("SerializationFailed", `the spans could not be serialised: ${error instanceof Error ? error.message : String(error)}`);
    failure.cause = error;
    throw failure;
  }
}

export class WorkerSpanExporter implements SpanExporter {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { done: (result: ExportResult) => void; settled: Promise<void> }>();
  private nextId = 0;
  private stopping: Promise<void> | undefined;
  /** Why the worker is gone (it failed or exited): later batches fail at once instead of waiting for an answer that cannot come. */
  private gone: Error | undefined;
  private readonly exited: Promise<void>;

  /** @param url the OTLP/HTTP traces URL (…/v1/traces) */
  constructor(url: string) {
    this.worker = new Worker(WORKER_FILE, { workerData: { url } satisfies WorkerSetup });
    // An idle exporter does not keep the process alive; shutdown() ends the worker.
    this.worker.unref();
    this.worker.on("message", (message: WorkerMessage) => {
      if (message.type !== "result") return;
      const entry = this.pending.get(message.id);
      this.pending.delete(message.id);
      entry?.done(message.error === undefined ? { code: message.code } : { code: message.code, error: exportError(message.error.name, message.error.message) });
    });
    // A worker that failed or ended: what it still had is lost, and said so.
    const lost = (error: Error) => {
      this.gone ??= error;
      for (const [id, entry] of this.pending) {
        this.pending.delete(id);
        entry.done({ code: ExportResultCode.FAILED, error });
      }
    };
    this.worker.on("error", lost);
    this.exited = new Promise((resolve) => {
      this.worker.once("exit", (code) => {
        lost(exportError("WorkerExited", `the span export worker exited (code ${code})`));
        resolve();
      });
    });
  }

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    if (this.stopping !== undefined || this.gone !== undefined) {
      resultCallback({ code: ExportResultCode.FAILED, error: this.stopping !== undefined ? exportError("ExporterShutDown", "the span exporter is shut down") : this.gone });
      return;
    }
    let body: Uint8Array;
    try {
      body = serialisedBatch(spans);
    } catch (error) {
      resultCallback({ code: ExportResultCode.FAILED, error: error as Error });
      return;
    }
    const id = (this.nextId += 1);
    let resolve!: () => void;
    const settled = new Promise<void>((settle) => { resolve = settle; });
    const done = (result: ExportResult) => {
      resolve();
      resultCallback(result);
    };
    try {
      // Transferred, not copied: the ArrayBuffer is the body's own (serialisedBatch).
      this.worker.postMessage({ type: "export", id, body } satisfies ExportRequest, [body.buffer as ArrayBuffer]);
    } catch (error) {
      resultCallback({ code: ExportResultCode.FAILED, error: exportError("ExportFailed", `the batch could not be handed to the export worker: ${(error as Error).message}`) });
      return;
    }
    this.pending.set(id, { done, settled });
  }

  /** Resolves once every batch handed over so far has its result. */
  async forceFlush(): Promise<void> {
    await Promise.all([...this.pending.values()].map((entry) => entry.settled));
  }

  /** Waits for the batches under way (each within the export timeout), then ends the worker. Idempotent. */
  shutdown(): Promise<void> {
    this.stopping ??= (async () => {
      await this.forceFlush();
      if (this.gone !== undefined) return; // nothing left to stop
      const shut = new Promise<void>((resolve) => {
        const onMessage = (message: WorkerMessage) => {
          if (message.type !== "shut") return;
          this.worker.off("message", onMessage);
          resolve();
        };
        this.worker.on("message", onMessage);
      });
      this.worker.postMessage({ type: "shutdown" });
      await Promise.race([shut, this.exited]);
      await this.worker.terminate();
    })();
    return this.stopping;
  }
}
