// The tracing pipeline's own accounting, through the OpenTelemetry SDK's real batch processor.
import assert from "node:assert/strict";
import { ROOT_CONTEXT, SamplingDecision } from "@opentelemetry/api";
import { BatchSpanProcessor, InMemorySpanExporter, RandomIdGenerator, TraceIdRatioBasedSampler, TracerProvider } from "@opentelemetry/sdk-trace";
import { randomWord as word, traceIdOf } from "../src/spans.js";
import { dropCountingMeterProvider, ratioKeeps } from "../src/telemetry.js";

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

  it("decides on four words exactly as the SDK's TraceIdRatioBasedSampler decides on the trace id they make", () => {
    for (const ratio of [0, 0.001, 0.1, 0.5, 0.999999, 1]) {
      const sdk = new TraceIdRatioBasedSampler(ratio);
      const keeps = ratioKeeps(ratio);
      const upperBound = ratio === 1 ? 2 ** 32 : Math.floor(ratio * 4294967295);
      // Random ids, ids whose XOR sits on either side of the bound, and the all-zero (invalid) id.
      const cases: Array<[number, number, number, number]> = [[0, 0, 0, 0], [0, 0, 0, 1], [0xffffffff, 0, 0, 0], [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff]];
      for (let i = 0; i < 2000; i += 1) cases.push([word(), word(), word(), word()]);
      for (const offset of [-2, -1, 0, 1]) {
        const target = (upperBound + offset) >>> 0;
        const [w0, w1, w2] = [word(), word(), word()];
        cases.push([w0, w1, w2, (target ^ w0 ^ w1 ^ w2) >>> 0]);
      }
      let kept = 0;
      for (const [w0, w1, w2, w3] of cases) {
        const traceId = traceIdOf(w0, w1, w2, w3);
        assert.match(traceId, /^[0-9a-f]{32}$/);
        const expected = sdk.shouldSample(ROOT_CONTEXT, traceId).decision === SamplingDecision.RECORD_AND_SAMPLED;
        assert.equal(keeps(w0, w1, w2, w3), expected, `ratio ${ratio}, trace id ${traceId}`);
        if (expected) kept += 1;
      }
      if (ratio === 0) assert.equal(kept, 0);
      if (ratio === 1) assert.equal(kept, cases.length - 1); // all but the invalid id
    }
  });

  it("writes trace ids as the SDK's RandomIdGenerator does: four big-endian words in lowercase hex", () => {
    const generated = new RandomIdGenerator().generateTraceId();
    const words = [0, 8, 16, 24].map((at) => Number.parseInt(generated.slice(at, at + 8), 16)) as [number, number, number, number];
    assert.equal(traceIdOf(...words), generated);
    assert.equal(traceIdOf(1, 0xabc, 0, 0xffffffff), "0000000100000abc00000000ffffffff");
  });
});
