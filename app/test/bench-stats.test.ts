import assert from "node:assert/strict";
import { jsonEnv, slotEnvironments } from "../bench/harness.js";
import { median, medianInterval, quantile } from "../bench/stats.js";

// bench/stats.ts: the interval `npm run bench` prints around each median ratio.
describe("bench statistics (bench/stats.ts)", () => {
  it("takes the middle value, or the mean of the two middle ones", () => {
    assert.equal(median([0.9, 0.7, 0.8]), 0.8);
    assert.equal(median([7, 9, 8, 10]), 8.5);
    assert.ok(Number.isNaN(median([])));
  });

  it("reads a quantile of sorted values at the nearest rank below (the p50 and p99 latencies, the interval's bounds)", () => {
    const sorted = Array.from({ length: 10 }, (_, i) => 10 + i);
    assert.deepEqual([quantile(sorted, 0), quantile(sorted, 0.5), quantile(sorted, 0.99), quantile(sorted, 1)], [10, 15, 19, 19]);
    assert.equal(quantile(new Float64Array([0.2, 0.4]), 0.25), 0.2);
    assert.ok(Number.isNaN(quantile([], 0.5)));
  });

  it("brackets the median, and is repeatable for the same rounds", () => {
    const rounds = [0.62, 0.7, 0.74, 0.77, 0.78, 0.8, 0.8, 0.81, 0.83, 0.85, 0.88, 0.91, 0.95, 1.02, 1.1];
    const interval = medianInterval(rounds);
    assert.equal(interval.median, 0.81);
    assert.ok(interval.low <= 0.81 && 0.81 <= interval.high, JSON.stringify(interval));
    // The bounds are medians of resamples: values of the rounds, inside their range, not the whole range.
    assert.ok(rounds.includes(interval.low) && rounds.includes(interval.high));
    assert.ok(interval.low > rounds[0]! && interval.high < rounds.at(-1)!, JSON.stringify(interval));
    assert.deepEqual(medianInterval(rounds), interval);
  });

  it("narrows as rounds are added, and widens with the confidence asked for", () => {
    // The same spread of round ratios, 8 rounds and then 64: the median's interval shrinks.
    const spread = [0.66, 0.72, 0.76, 0.8, 0.82, 0.86, 0.9, 0.98];
    const few = medianInterval(spread);
    const many = medianInterval(Array.from({ length: 8 }, () => spread).flat());
    assert.ok(many.high - many.low < (few.high - few.low) / 2, `${JSON.stringify(few)} vs ${JSON.stringify(many)}`);
    const wide = medianInterval(spread, { confidence: 0.99 });
    const narrow = medianInterval(spread, { confidence: 0.5 });
    assert.ok(wide.low <= narrow.low && narrow.high <= wide.high);
    assert.ok(narrow.high - narrow.low < wide.high - wide.low);
  });

  it("gives one round an interval of itself and none an undefined one", () => {
    assert.deepEqual(medianInterval([0.8]), { median: 0.8, low: 0.8, high: 0.8 });
    const none = medianInterval([]);
    assert.ok(Number.isNaN(none.median) && Number.isNaN(none.low) && Number.isNaN(none.high));
  });

  it("refuses a confidence outside (0, 1) and a resample count that is not a positive integer", () => {
    assert.throws(() => medianInterval([1], { confidence: 1 }), /confidence must be between 0 and 1 \(exclusive\), got 1/);
    assert.throws(() => medianInterval([1], { resamples: 0 }), /resamples must be a positive integer, got 0/);
  });
});

// bench/harness.ts: what each slot of `npm run bench` runs with.
describe("bench slots' settings (slotEnvironments in bench/harness.ts)", () => {
  const common = { DATABASE_POOL_MAX: "10" };
  const collectorUrl = "http://127.0.0.1:4318";

  it("gives the instrumented slot the deployed settings and BENCH_INSTRUMENTED_ENV, and bench/baseline.ts only the common ones", () => {
    const slots = slotEnvironments({ common, collectorUrl, ratio: "0.1", instrumentedExtra: { LOG_LEVEL: "silent" }, baselineEntry: undefined, baselineExtra: {} });
    assert.deepEqual(slots.instrumented, { ...common, LOG_LEVEL: "silent", OTEL_EXPORTER_OTLP_ENDPOINT: collectorUrl, OTEL_TRACES_SAMPLER: "parentbased_traceidratio", OTEL_TRACES_SAMPLER_ARG: "0.1" });
    assert.deepEqual(slots.baseline, common);
  });

  it("never gives a setting meant for the instrumented slot to another build in the baseline's (an A/B would be an A/A)", () => {
    const slots = slotEnvironments({ common, collectorUrl, ratio: "0.1", instrumentedExtra: { LOG_LEVEL: "silent", X_KNOB: "1" }, baselineEntry: "src/main.ts", baselineExtra: { OTEL_TRACES_SAMPLER_ARG: "0" } });
    assert.equal(slots.baseline.LOG_LEVEL, "info", "the deployed level, not the instrumented slot's");
    assert.equal(slots.baseline.X_KNOB, undefined);
    assert.equal(slots.baseline.OTEL_TRACES_SAMPLER_ARG, "0");
    assert.equal(slots.instrumented.OTEL_TRACES_SAMPLER_ARG, "0.1");
  });
});

describe("bench settings from the environment (jsonEnv in bench/harness.ts)", () => {
  it("reads an object of string settings, {} when unset, and refuses anything else naming the variable", () => {
    assert.deepEqual(jsonEnv("BENCH_INSTRUMENTED_ENV", {}), {});
    assert.deepEqual(jsonEnv("BENCH_INSTRUMENTED_ENV", { BENCH_INSTRUMENTED_ENV: '{"LOG_LEVEL":"silent"}' }), { LOG_LEVEL: "silent" });
    assert.throws(() => jsonEnv("BENCH_BASELINE_ENV", { BENCH_BASELINE_ENV: "LOG_LEVEL=silent" }), /^Error: BENCH_BASELINE_ENV=LOG_LEVEL=silent is not JSON .*BENCH_BASELINE_ENV='\{/);
    for (const text of ['{"OTEL_TRACES_SAMPLER_ARG":0}', '["LOG_LEVEL"]', "null", '"silent"']) {
      assert.throws(() => jsonEnv("BENCH_BASELINE_ENV", { BENCH_BASELINE_ENV: text }), /is not an object of string settings/, text);
    }
  });
});
