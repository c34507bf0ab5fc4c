// Span export off the main thread: the batch span processor hands its batches to
// WorkerSpanExporter, which copies them out as flat records (src/span-records.ts says why) and posts
// them to a worker thread (src/span-export-worker.ts) that serialises them (OTLP JSON, the SDK's
// JsonTraceSerializer) and sends them to the collector.
//
// Why: measured with `npm run bench`, exporting from the main thread with OTLPTraceExporter left
// Node's shared HTTP and stream functions deoptimised: the export's client request and its
// response went through the same EventEmitter.emit, Writable and OutgoingMessage code as the
// server's requests, with objects of other shapes, and V8 dropped its optimised code for them
// (`--trace-deopt --trace-opt` after 8 s of cached reads at ratio 0.1: 42 functions left without
// optimised code, emit, writeOrBuffer, afterWrite and uncork among them, against 14 with the spans
// not exported). So tracing cost every request, sampled or not, about as much at 1% as at 10%.
// The worker has its own V8 isolate: the server's code never sees the export's objects.
import { extname, join } from "node:path";
import { Worker } from "node:worker_threads";
import { ExportResultCode, type ExportResult } from "@opentelemetry/core";
import { JsonTraceSerializer } from "@opentelemetry/otlp-transformer";
import type { ReadableSpan, SpanExporter } from "@opentelemetry/sdk-trace";
import { writeSpanBatch, type SpanBatch } from "./span-records.js";

/** What the worker is started with. */
export interface WorkerSetup {
  /** The OTLP/HTTP traces URL, e.g. http://jaeger.observability.svc:4318/v1/traces. */
  readonly url: string;
}
/** A batch for the worker: its spans as flat records, or, for a batch those cannot carry, its OTLP JSON. */
export type ExportRequest = { readonly type: "export"; readonly id: number } & ({ readonly batch: SpanBatch; readonly body?: undefined } | { readonly batch?: undefined; readonly body: Uint8Array });
/** What the worker answers: an export's result (its error's name and message), or that it shut down. */
export type WorkerMessage =
  | { readonly type: "result"; readonly id: number; readonly code: ExportResultCode; readonly error?: { readonly name: string; readonly message: string } }
  | { readonly type: "shut" };

/** The worker's entry next to this file: .ts under tsx (tests, benches), .js in the image. */
const WORKER_FILE = join(__dirname, `span-export-worker${extname(__filename)}`);

/** The error of a failed export, as the batch processor counts it (by name: otel.sdk.processor.span.processed error.type). */
export function exportError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

/** A batch as OTLP JSON, by the SDK's JsonTraceSerializer; a batch it refuses throws an error named SerializationFailed. */
export function serialisedBatch(spans: ReadableSpan[]): Uint8Array {
  let body: Uint8Array | undefined;
  try {
    body = JsonTraceSerializer.serializeRequest(spans);
  } catch (error) {
    throw exportError("SerializationFailed", `the spans could not be serialised: ${(error as Error).message}`);
  }
  if (body === undefined) throw exportError("SerializationFailed", "the spans could not be serialised");
  return body;
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
    const id = (this.nextId += 1);
    let resolve!: () => void;
    const settled = new Promise<void>((settle) => { resolve = settle; });
    const done = (result: ExportResult) => {
      resolve();
      resultCallback(result);
    };
    try {
      this.worker.postMessage({ type: "export", id, batch: writeSpanBatch(spans) } satisfies ExportRequest);
    } catch {
      // An attribute value structured cloning refuses (a function, a symbol): this batch is
      // serialised here, as the SDK's exporter would (such a value becomes {}), and its bytes handed over.
      let body: Uint8Array;
      try {
        body = serialisedBatch(spans);
      } catch (error) {
        resultCallback({ code: ExportResultCode.FAILED, error: error as Error });
        return;
      }
      // Handed over, not copied, when the bytes have an ArrayBuffer of their own.
      const own = body.byteOffset === 0 && body.byteLength === body.buffer.byteLength;
      this.worker.postMessage({ type: "export", id, body } satisfies ExportRequest, own ? [body.buffer as ArrayBuffer] : []);
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
