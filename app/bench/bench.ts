// `npm run bench`: what the instrumentation costs. The service as deployed (LOG_LEVEL=info with the
// access log written to a file, metrics, flags, tracing at OTEL_TRACES_SAMPLER_ARG=0.1 exported to
// a stand-in OTLP collector) against an uninstrumented baseline (bench/baseline.ts: same routes,
// pool, cache and SQL), both against the same real PostgreSQL and Redis on loopback, in the same
// run, alternating, measured with autocannon. Latency is taken from every response (sub-millisecond
// resolution). Bounded: ROUNDS × 4 scenarios × 2 variants × BENCH_SECONDS (default 5 × 4 × 2 × 2 s).
//
// The ratio is the median of the rounds' ratios: each round measures both variants back to back
// (in alternating order), so a burst of other work on a shared machine lands on one round's pair
// instead of on whichever variant it happened to hit; the range of the rounds' ratios is printed,
// and the median's 95% bootstrap interval (bench/stats.ts), which says whether a target is met or
// missed beyond the run's noise.
import { readFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import { freePort, type DatabaseLogin } from "../test/support/services.js";
import { sampleOrder, testEnv } from "../test/support/app.js";
import { cpuSecondsOf, jsonEnv, runMain, slotEnvironments, startService, withBenchServices } from "./harness.js";
import { medianInterval, quantile } from "./stats.js";

const SECONDS = Number(process.env.BENCH_SECONDS ?? "2");
const ONLY = process.env.BENCH_ONLY; // a scenario name prefix, to measure one
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? "5");
const CONNECTIONS = 16;
const TRACE_RATIO = "0.1";

/**
 * BENCH_AA=1: an A/A run. The instrumented variant's slots run the baseline too, so every ratio
 * measures the harness's own bias: near 1 when the comparison is fair.
 */
const AA = process.env.BENCH_AA === "1";
/**
 * BENCH_BASELINE_ENTRY=/path/to/other/checkout/app/src/main.ts: an A/B run. The baseline's slots run
 * that build of the service, with the deployed settings (not BENCH_INSTRUMENTED_ENV), so every ratio compares this
 * build with that one (e.g. a worktree of main, with node_modules linked to this one's), or, with
 * BENCH_BASELINE_ENTRY=src/main.ts, this build under other settings: BENCH_BASELINE_ENV='{"LOG_LEVEL":"silent"}'
 * changes the baseline slots' settings (what the access log costs, paired round by round).
 */
const BASELINE_ENTRY = process.env.BENCH_BASELINE_ENTRY;
/** BENCH_INSTRUMENTED_ENV='{"LOG_LEVEL":"silent"}' changes the instrumented variant, to find where a cost comes from. */
const INSTRUMENTED_EXTRA = jsonEnv("BENCH_INSTRUMENTED_ENV");
/** BENCH_BASELINE_ENV: the baseline slots' settings over the deployed ones, when BENCH_BASELINE_ENTRY runs there. */
const BASELINE_EXTRA = jsonEnv("BENCH_BASELINE_ENV");
/** BENCH_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' profiles both variants' services (the profile is written at their exit). */
const NODE_ARGS = (process.env.BENCH_NODE_ARGS ?? "").split(" ").filter((arg) => arg !== "");

type Variant = "baseline" | "instrumented";
interface Scenario {
  readonly name: string;
  /** Instrumented ÷ baseline throughput the issue sets as the floor. */
  readonly target: number;
  readonly cached: boolean;
  options(base: string): autocannon.Options;
}

interface Sample {
  /** CPU seconds the service process used during the sample (Linux /proc; NaN elsewhere). */
  readonly cpuSeconds: number;
  readonly requests: number;
  readonly seconds: number;
  readonly latenciesMs: number[];
  readonly failures: number;
}

async function measure(options: autocannon.Options, seconds: number, pid?: number): Promise<Sample> {
  const latenciesMs: number[] = [];
  const cpuBefore = cpuSecondsOf(pid);
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon({ connections: CONNECTIONS, duration: seconds, ...options }, (error, finished) => (error ? reject(error) : resolve(finished)));
    // autocannon's own histogram records whole milliseconds; the per-response time is a float.
    instance.on("response", (_client, statusCode, _bytes, responseTimeMs) => {
      if (statusCode < 400) latenciesMs.push(responseTimeMs);
    });
  });
  return { cpuSeconds: cpuSecondsOf(pid) - cpuBefore, requests: result.requests.total, seconds: result.duration, latenciesMs, failures: result.non2xx + result.errors + result.timeouts };
}

async function main(): Promise<void> {
  await withBenchServices("benchmark", "orders-bench", async ({ pg, redis, dir, collectorUrl, collector, children }) => {
    const db: DatabaseLogin = await pg.createDatabase("orders_bench");
    const common = { DATABASE_POOL_MAX: "10", SHUTDOWN_TIMEOUT_MS: "5000" };
    const slots = slotEnvironments({ common, collectorUrl, ratio: TRACE_RATIO, instrumentedExtra: INSTRUMENTED_EXTRA, baselineEntry: BASELINE_ENTRY, baselineExtra: BASELINE_EXTRA });
    const instrumentedEnv = slots.instrumented;
    const pids: Record<string, number | undefined> = {};
    const ports: Record<Variant, { cached: number; uncached: number }> = {
      baseline: { cached: await freePort(), uncached: await freePort() },
      instrumented: { cached: await freePort(), uncached: await freePort() },
    };
    const accessLog = join(dir, "instrumented.log");
    const start = async (entry: string, env: NodeJS.ProcessEnv, port: number, log: string) => {
      pids[port] = (await startService(children, entry, env, port, log, NODE_ARGS)).pid;
    };
    // Migrated and seeded through a service of its own, stopped before anything is measured, so the
    // measured variants have served the same requests when their rounds start. Seeded through the
    // instrumented variant (as before 2026-12-02), that variant alone had served 51 POSTs from
    // another client: in A/A runs of the service (both slots at ratio 0), one POST and one GET from
    // curl to one slot before its rounds made it 0.92 (0.88–0.98) against 1.01 untouched.
    const seederPort = await freePort();
    const seeder = await startService(children, "src/main.ts", testEnv(db, redis, dir, seederPort, instrumentedEnv), seederPort, join(dir, "seeder.log"));
    const post = (body: unknown) => fetch(`http://127.0.0.1:${seederPort}/v1/orders`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    const { id } = (await (await post(sampleOrder("bench-read"))).json()) as { id: string };
    for (let i = 0; i < 50; i += 1) await post(sampleOrder("bench-list"));
    await new Promise((resolve) => seeder.once("exit", resolve).kill("SIGTERM"));

    // The uncached services run without REDIS_URL, so every read is a query.
    const measured = { ...instrumentedEnv, MIGRATE_ON_START: "false" };
    const baselineEntry = BASELINE_ENTRY ?? "bench/baseline.ts";
    const baselineEnv = { ...slots.baseline, MIGRATE_ON_START: "false" };
    if (AA) {
      // A/A: the baseline in the instrumented slots too.
      await start("bench/baseline.ts", testEnv(db, redis, dir, ports.instrumented.cached, { ...common, MIGRATE_ON_START: "false" }), ports.instrumented.cached, join(dir, "baseline-aa.log"));
      await start("bench/baseline.ts", testEnv(db, undefined, dir, ports.instrumented.uncached, { ...common, MIGRATE_ON_START: "false" }), ports.instrumented.uncached, join(dir, "baseline-aa.log"));
      console.log("A/A run (BENCH_AA=1): the instrumented slots run the baseline too; each ratio is the harness's own bias.");
    } else {
      await start("src/main.ts", testEnv(db, redis, dir, ports.instrumented.cached, measured), ports.instrumented.cached, accessLog);
      await start("src/main.ts", testEnv(db, undefined, dir, ports.instrumented.uncached, measured), ports.instrumented.uncached, accessLog);
    }
    await start(baselineEntry, testEnv(db, redis, dir, ports.baseline.cached, baselineEnv), ports.baseline.cached, join(dir, "baseline.log"));
    await start(baselineEntry, testEnv(db, undefined, dir, ports.baseline.uncached, baselineEnv), ports.baseline.uncached, join(dir, "baseline.log"));
    if (BASELINE_ENTRY !== undefined) console.log(`A/B run (BENCH_BASELINE_ENTRY): the baseline slots run ${BASELINE_ENTRY} with the deployed settings${Object.keys(BASELINE_EXTRA).length > 0 ? " and BENCH_BASELINE_ENV" : ""}; each ratio is this build ÷ that one.`);
    else if (process.env.BENCH_BASELINE_ENV !== undefined) console.log("BENCH_BASELINE_ENV is ignored without BENCH_BASELINE_ENTRY: bench/baseline.ts reads no logging or tracing settings.");

    let keyCounter = 0;
    const scenarios: Scenario[] = [
      { name: "cached read (GET /v1/orders/:id, Redis hit)", target: 0.85, cached: true, options: (base) => ({ url: `${base}/v1/orders/${id}` }) },
      { name: "uncached read (GET /v1/orders/:id, PostgreSQL)", target: 0.8, cached: false, options: (base) => ({ url: `${base}/v1/orders/${id}` }) },
      {
        name: "idempotent create (POST /v1/orders, new Idempotency-Key each)",
        target: 0.8,
        cached: true,
        options: (base) => ({
          url: `${base}/v1/orders`,
          requests: [
            {
              method: "POST",
              headers: { "content-type": "application/json" },
              body: JSON.stringify(sampleOrder("bench-write")),
              setupRequest: (request) => ({ ...request, headers: { ...request.headers, "idempotency-key": `bench-${process.pid}-${(keyCounter += 1)}` } }),
            },
          ],
        }),
      },
      { name: "list (GET /v1/customers/:id/orders?limit=20)", target: 0.8, cached: true, options: (base) => ({ url: `${base}/v1/customers/bench-list/orders?limit=20` }) },
    ];

    const loadAtStart = loadavg();
    const samples = new Map<string, Sample[]>();
    for (const scenario of scenarios.filter((s) => ONLY === undefined || s.name.startsWith(ONLY))) {
      for (const variant of ["baseline", "instrumented"] as const) {
        const port = scenario.cached ? ports[variant].cached : ports[variant].uncached;
        await measure(scenario.options(`http://127.0.0.1:${port}`), 1); // warm-up: JIT, connections, cache
      }
      // Alternating (ABBA), so drift (table growth, the machine's other load) falls on both variants alike.
      for (let round = 0; round < ROUNDS; round += 1) {
        for (const variant of round % 2 === 0 ? (["baseline", "instrumented"] as const) : (["instrumented", "baseline"] as const)) {
          const port = scenario.cached ? ports[variant].cached : ports[variant].uncached;
          const sample = await measure(scenario.options(`http://127.0.0.1:${port}`), SECONDS, pids[port]);
          samples.set(`${scenario.name}|${variant}`, [...(samples.get(`${scenario.name}|${variant}`) ?? []), sample]);
        }
      }
    }

    const summary = (list: readonly Sample[]) => {
      const latencies = list.flatMap((s) => s.latenciesMs).sort((a, b) => a - b);
      return {
        rps: list.reduce((sum, s) => sum + s.requests, 0) / list.reduce((sum, s) => sum + s.seconds, 0),
        p50: quantile(latencies, 0.5),
        p99: quantile(latencies, 0.99),
        failures: list.reduce((sum, s) => sum + s.failures, 0),
        cpuMicrosPerRequest: (1e6 * list.reduce((sum, s) => sum + s.cpuSeconds, 0)) / list.reduce((sum, s) => sum + s.requests, 0),
      };
    };
    const rows = scenarios.filter((s) => samples.has(`${s.name}|baseline`)).map((scenario) => {
      const baseSamples = samples.get(`${scenario.name}|baseline`) ?? [];
      const instSamples = samples.get(`${scenario.name}|instrumented`) ?? [];
      const base = summary(baseSamples);
      const inst = summary(instSamples);
      const rate = (sample: Sample) => sample.requests / sample.seconds;
      const ratios = baseSamples.map((sample, round) => rate(instSamples[round] as Sample) / rate(sample)).sort((a, b) => a - b);
      const { median: ratio, low, high } = medianInterval(ratios);
      return {
        scenario: scenario.name,
        "baseline req/s": Math.round(base.rps),
        "instrumented req/s": Math.round(inst.rps),
        ratio: Number(ratio.toFixed(2)),
        "95% interval": `${low.toFixed(2)}–${high.toFixed(2)}`,
        "rounds' range": `${ratios[0]?.toFixed(2)}–${ratios.at(-1)?.toFixed(2)}`,
        target: `≥ ${scenario.target}`,
        meets: ratio >= scenario.target ? "yes" : "NO",
        "p50 ms (base/inst)": `${base.p50.toFixed(3)} / ${inst.p50.toFixed(3)}`,
        "p99 ms (base/inst)": `${base.p99.toFixed(3)} / ${inst.p99.toFixed(3)}`,
        "service CPU µs/req (base/inst)": `${Math.round(base.cpuMicrosPerRequest)} / ${Math.round(inst.cpuMicrosPerRequest)}`,
        "non-2xx/errors": base.failures + inst.failures,
        _ratio: ratio,
        _low: low,
        _high: high,
        _target: scenario.target,
      };
    });
    const accessLines = AA ? 0 : readFileSync(accessLog, "utf8").split("\n").filter((line) => line.includes('"msg":"request"')).length;
    console.log(
      `\n${CONNECTIONS} connections, ${ROUNDS} × ${SECONDS} s per scenario and variant (alternating; ratio = median of the rounds' ratios), loopback, ${cpus().length} cores (${cpus()[0]?.model.trim()}) shared by the load generator, the services, PostgreSQL and Redis`,
    );
    // What each slot ran, as set (BENCH_INSTRUMENTED_ENV and BENCH_BASELINE_ENV included).
    const settings = (env: Record<string, string>, extra: Record<string, string>) =>
      `LOG_LEVEL=${env.LOG_LEVEL ?? "info"}${env.OTEL_EXPORTER_OTLP_ENDPOINT ? `, OTEL_TRACES_SAMPLER=${env.OTEL_TRACES_SAMPLER}, OTEL_TRACES_SAMPLER_ARG=${env.OTEL_TRACES_SAMPLER_ARG}` : ", tracing off"}${Object.keys(extra).length > 0 ? ` (${JSON.stringify(extra)} over the deployed settings)` : ""}`;
    console.log(`instrumented: ${AA ? "bench/baseline.ts (BENCH_AA)" : `src/main.ts, ${settings(instrumentedEnv, INSTRUMENTED_EXTRA)}, metrics, flags (access log to a file: ${accessLines} lines; ${collector.batches()} OTLP exports received)`}`);
    console.log(`baseline: ${BASELINE_ENTRY === undefined ? "bench/baseline.ts (no logs, metrics, flag evaluation or tracing)" : `${BASELINE_ENTRY}, ${settings(slots.baseline, BASELINE_EXTRA)}`}`);
    console.table(rows.map(({ _ratio, _low, _high, _target, ...row }) => row));
    // What the interval says: a target met or missed beyond the noise, or a median too close to call.
    for (const row of rows) {
      const verdict = row._low >= row._target ? "above the target beyond this run's noise" : row._high < row._target ? "below the target beyond this run's noise" : "within this run's noise of the target (more rounds narrow the interval)";
      const ab = BASELINE_ENTRY !== undefined || AA ? (row._low > 1 || row._high < 1 ? "; the two builds differ beyond the noise" : "; no difference beyond the noise between the two") : "";
      console.log(`${row.scenario}: ${row._ratio.toFixed(2)} (95% interval ${row._low.toFixed(2)}–${row._high.toFixed(2)}), ${verdict}${ab}`);
    }
    const load = (values: number[]) => values.map((l) => l.toFixed(1)).join(" ");
    console.log(`load average at the start ${load(loadAtStart)}, at the end ${load(loadavg())} (other work on the machine lowers both variants, not evenly)`);
    const below = rows.filter((row) => row._ratio < row._target);
    if (below.length > 0) {
      console.error(`below target: ${below.map((row) => `${row.scenario} ${row.ratio} < ${row._target}`).join("; ")}`);
      process.exitCode = 1;
    }
  });
}

runMain(main);
