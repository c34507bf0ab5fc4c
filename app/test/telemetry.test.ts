// The tracing pipeline's own accounting, through the OpenTelemetry SDK's real batch processor.
import assert from "node:assert/strict";
import { BatchSpanProcessor, InMemorySpanExporter, TracerProvider } from "@opentelemetry/sdk-trace";
import { dropCountingMeterProvider } from "../src/telemetry.js";

describe("telemetry", () => {
  it("counts the spans the batch processor drops when its queue is full", async () => {
    const dropped = new Map<string, number>();
    const exporter = new InMemorySpanExporter();
    const processor = new BatchSpanProcessor({ exporter, maxQueueSize: 2, maxExportBatchSize: 2, scheduledDelayMillis: 60_000, selfObsMeterProvider: dropCountingMeterProvider(dropped) });
    const provider = new TracerProvider({ spanProcessors: [processor] });
    const tracer = provider.getTracer("test");
    for (let i = 0; i < 5; i += 1) tracer.startSpan(`span-${i}`).end();
    await provider.forceFlush();
    // Two are exported as soon as the queue holds a batch, two more wait in the queue, the fifth finds it full.
    assert.deepEqual([...dropped], [["queue_full", 1]]);
    assert.equal(exporter.getFinishedSpans().length, 4);
    await provider.shutdown();
  });
});
