// The bound series (src/metrics.ts) update prom-client's own series entries in place; these tests
// hold them to exactly what prom-client's inc/observe expose, so a prom-client upgrade that changes
// its internals fails here instead of silently losing counts.
import assert from "node:assert/strict";
import client from "prom-client";
import { boundCounter, boundHistogram, createMetrics } from "../src/metrics.js";

const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
// Bucket bounds exactly, between them, zero, and above the last bound (+Inf only).
const VALUES = [0, 0.0005, 0.00050001, 0.0003, 0.001, 0.0042, 1, 2.5, 4.99, 5, 5.01, 120];

function pair() {
  const make = () => {
    const registry = new client.Registry();
    const counter = new client.Counter({ name: "t_requests_total", help: "h", labelNames: ["method", "route", "status_code"] as const, registers: [registry] });
    const histogram = new client.Histogram({ name: "t_duration_seconds", help: "h", labelNames: ["method", "route", "status_code"] as const, buckets: BUCKETS, registers: [registry] });
    return { registry, counter, histogram };
  };
  return { plain: make(), bound: make() };
}

describe("metrics: bound series", () => {
  it("expose exactly what prom-client's inc and observe expose, across series, reset and remove", async () => {
    const { plain, bound } = pair();
    const a = { method: "GET", route: "/v1/orders/:id", status_code: "200" };
    const b = { method: "POST", route: "/v1/orders", status_code: "201" };
    const boundA = { count: boundCounter(bound.counter, a), observe: boundHistogram(bound.histogram, a) };
    const boundB = { count: boundCounter(bound.counter, b), observe: boundHistogram(bound.histogram, b) };
    const both = async (step: string) => assert.equal(await bound.registry.metrics(), await plain.registry.metrics(), step);

    for (const value of VALUES) {
      plain.counter.inc(a);
      plain.histogram.observe(a, value);
      boundA.count();
      boundA.observe(value);
    }
    plain.counter.inc(b);
    plain.histogram.observe(b, 0.002);
    boundB.count();
    boundB.observe(0.002);
    await both("after updates");
    assert.match(await bound.registry.metrics(), /^t_requests_total\{method="GET",route="\/v1\/orders\/:id",status_code="200"\} 12$/m);
    assert.match(await bound.registry.metrics(), /^t_duration_seconds_bucket\{le="0.0005",method="GET",route="\/v1\/orders\/:id",status_code="200"\} 3$/m);
    assert.match(await bound.registry.metrics(), /^t_duration_seconds_bucket\{le="\+Inf",method="GET",route="\/v1\/orders\/:id",status_code="200"\} 12$/m);

    for (const metrics of [plain, bound]) {
      metrics.counter.reset();
      metrics.histogram.reset();
    }
    plain.counter.inc(a);
    plain.histogram.observe(a, 0.2);
    boundA.count();
    boundA.observe(0.2);
    await both("after reset");

    for (const metrics of [plain, bound]) {
      metrics.counter.remove(a);
      metrics.histogram.remove(a);
    }
    plain.counter.inc(a);
    plain.histogram.observe(a, 0.03);
    boundA.count();
    boundA.observe(0.03);
    await both("after remove");
  });

  it("refuses a value that is not a number, as prom-client does", () => {
    const { bound } = pair();
    const observe = boundHistogram(bound.histogram, { method: "GET", route: "/x", status_code: "200" });
    observe(0.1);
    assert.throws(() => observe(Number.NaN), /Value is not a valid number/);
  });

  it("exposes the spans the batch processor dropped, by reason, as a counter that follows the processor's running totals across scrapes", async () => {
    const pool = { idleCount: 1, totalCount: 2, waitingCount: 0 } as never;
    const totals = new Map<string, number>([["queue_full", 3]]);
    const metrics = createMetrics(pool, 10, () => totals);
    const dropped = async () => (await metrics.registry.metrics()).split("\n").filter((line) => line.startsWith("otel_spans_dropped_total{"));
    assert.deepEqual(await dropped(), ['otel_spans_dropped_total{reason="queue_full"} 3']);
    // Totals grow between scrapes (and a new reason appears): the counter adds the differences, not the totals again.
    totals.set("queue_full", 5).set("OTLPExporterError", 2);
    assert.deepEqual(await dropped(), ['otel_spans_dropped_total{reason="queue_full"} 5', 'otel_spans_dropped_total{reason="OTLPExporterError"} 2']);
    // No new drops: the same values, scrape after scrape.
    assert.deepEqual(await dropped(), ['otel_spans_dropped_total{reason="queue_full"} 5', 'otel_spans_dropped_total{reason="OTLPExporterError"} 2']);
  });

  it("keeps the names and labels the platform's alert rules and dashboards query", async () => {
    const pool = { idleCount: 1, totalCount: 2, waitingCount: 0 } as never;
    const metrics = createMetrics(pool, 10);
    metrics.response("GET", "/v1/orders/:id", 200, 0.25);
    metrics.response("GET", "/v1/orders/:id", 200, 0.5);
    metrics.response("BREW", undefined, 404, 0.0001);
    metrics.response("OTHER", undefined, 431, undefined);
    metrics.cache("get", 0.0001, false);
    metrics.cacheLookup("hit");
    metrics.cacheLookup("hit");
    metrics.query("select_order", 0.0007, "ok");
    const text = await metrics.registry.metrics();
    for (const line of [
      'http_requests_total{method="GET",route="/v1/orders/:id",status_code="200"} 2',
      'http_requests_total{method="OTHER",route="unmatched",status_code="404"} 1',
      'http_requests_total{method="OTHER",route="unmatched",status_code="431"} 1',
      'http_request_duration_seconds_bucket{le="0.25",method="GET",route="/v1/orders/:id",status_code="200"} 1',
      'http_request_duration_seconds_bucket{le="0.5",method="GET",route="/v1/orders/:id",status_code="200"} 2',
      'http_request_duration_seconds_count{method="GET",route="/v1/orders/:id",status_code="200"} 2',
      'http_request_duration_seconds_sum{method="GET",route="/v1/orders/:id",status_code="200"} 0.75',
      'http_request_duration_seconds_bucket{le="0.0005",method="OTHER",route="unmatched",status_code="404"} 1',
      'cache_operation_duration_seconds_bucket{le="0.0002",operation="get"} 1',
      'orders_cache_requests_total{result="hit"} 2',
      'orders_cache_requests_total{result="miss"} 0',
      'db_query_duration_seconds_count{query="select_order"} 1',
    ]) {
      assert.ok(text.split("\n").includes(line), `missing: ${line}`);
    }
    // A 431 is answered before timing starts: counted, not observed.
    assert.ok(!text.includes('http_request_duration_seconds_count{method="OTHER",route="unmatched",status_code="431"}'));
  });
});
