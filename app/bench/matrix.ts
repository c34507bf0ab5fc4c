// `npx tsx bench/matrix.ts` (not an npm script: package.json is hashed into the image tag):
// service CPU per request (µs, from /proc utime+stime over the requests served) of the baseline, the baseline plus one piece of the instrumented service at a time
// (bench/probe.ts), and the instrumented service (src/main.ts) with and without its logs and
// sampling, on one scenario (cached read by default), against real PostgreSQL and Redis. CPU per
// request is far less sensitive to the shared machine's other load than throughput is.
// MATRIX_KEEP=1 keeps each variant's stdout (e.g. with BENCH_NODE_ARGS=--trace-gc, to count GCs per request).
// MATRIX_ONLY='a|b' picks variants by name; MATRIX_EXTRA adds variants of the service with other settings (below).
// MATRIX_ROUNDS (default 3) × MATRIX_SECONDS (default 2) per variant, round-robin; the median is printed.
import { readdirSync, readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import { freePort } from "../test/support/services.js";
import { sampleOrder, testEnv } from "../test/support/app.js";
import { cpuSecondsOf, migrateDatabase, runMain, startService, withBenchServices } from "./harness.js";

const ROUNDS = Number(process.env.MATRIX_ROUNDS ?? "3");
const SECONDS = Number(process.env.MATRIX_SECONDS ?? "2");
const SCENARIO = process.env.MATRIX_SCENARIO ?? "cached";
/** MATRIX_RATE: requests per second offered to each variant (0: as fast as it serves). A fixed rate makes CPU per request comparable across variants (a saturated server amortises per-tick work over more requests). */
const RATE = Number(process.env.MATRIX_RATE ?? "1500");
const NODE_ARGS = (process.env.BENCH_NODE_ARGS ?? "").split(" ").filter((arg) => arg !== "");

/** CPU seconds per thread name (main "node", V8's GC and compile helpers, libuv's pool), from /proc/<pid>/task. */
function threadSecondsOf(pid: number | undefined): Map<string, number> {
  const byName = new Map<string, number>();
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${task}/stat`, "utf8");
      const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")")).replace(/[0-9]+$/, "");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const group = task === String(pid) ? "main" : name;
      byName.set(group, (byName.get(group) ?? 0) + (Number(fields[11]) + Number(fields[12])) / 100);
    } catch {
      // a thread that ended
    }
  }
  return byName;
}

interface Variant {
  readonly name: string;
  readonly entry: string;
  readonly env: Record<string, string>;
}

async function main(): Promise<void> {
  const keep = { keepDir: process.env.MATRIX_KEEP !== undefined, kept: (dir: string) => `each variant's stdout (in table order): ${dir}/<index>.log` };
  await withBenchServices("benchmark", "orders-matrix", async ({ pg, redis, dir, collectorUrl, children }) => {
    const db = await pg.createDatabase("orders_matrix");
    const otel = { OTEL_EXPORTER_OTLP_ENDPOINT: collectorUrl, OTEL_TRACES_SAMPLER: "parentbased_traceidratio" };
    const common = { DATABASE_POOL_MAX: "10", SHUTDOWN_TIMEOUT_MS: "5000", MIGRATE_ON_START: "false" };
    const probe = (pieces: string, extra: Record<string, string> = {}): Variant => ({ name: pieces === "" ? "baseline" : `baseline + ${pieces}`, entry: "bench/probe.ts", env: { PROBE_WITH: pieces, ...extra } });
    const all: Variant[] = [
      { name: "instrumented (info, 0.1)", entry: "src/main.ts", env: { ...otel, OTEL_TRACES_SAMPLER_ARG: "0.1", LOG_LEVEL: "info" } },
      { name: "instrumented (silent, 0)", entry: "src/main.ts", env: { ...otel, OTEL_TRACES_SAMPLER_ARG: "0", LOG_LEVEL: "silent" } },
      { name: "instrumented (info, no tracing)", entry: "src/main.ts", env: { LOG_LEVEL: "info" } },
      probe(""),
      probe("telemetry", { ...otel, OTEL_TRACES_SAMPLER_ARG: "0" }),
      probe("defaults"),
      probe("logger"),
      probe("reqid"),
      probe("hooks"),
      probe("flags"),
      probe("telemetry,defaults,logger,reqid,hooks,flags", { ...otel, OTEL_TRACES_SAMPLER_ARG: "0" }),
    ];
    // MATRIX_EXTRA='{"name":{"LOG_LEVEL":"info",...}}': more variants of src/main.ts (with otel and the given env), to compare settings in one run.
    for (const [name, env] of Object.entries(JSON.parse(process.env.MATRIX_EXTRA ?? "{}") as Record<string, Record<string, string>>)) {
      all.push({ name, entry: "src/main.ts", env: { ...otel, OTEL_TRACES_SAMPLER_ARG: "0.1", LOG_LEVEL: "info", ...env } });
    }
    const only = process.env.MATRIX_ONLY?.split("|");
    const variants = only === undefined ? all : all.filter((v) => only.some((o) => v.name === o));
    const ports: number[] = [];
    // Migrated first: the probes (bench/probe.ts) and the baseline do not migrate, and any variant may come first (MATRIX_ONLY).
    await migrateDatabase(testEnv(db, undefined, dir, 8080, common));
    for (const variant of variants) {
      const port = await freePort();
      const env = testEnv(db, SCENARIO === "uncached" ? undefined : redis, dir, port, { ...common, ...variant.env });
      await startService(children, variant.entry, env, port, join(dir, `${ports.length}.log`), NODE_ARGS, 30000);
      ports.push(port);
    }
    const base = `http://127.0.0.1:${ports[0]}`;
    const post = (body: unknown) => fetch(`${base}/v1/orders`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    const { id } = (await (await post(sampleOrder("matrix-read"))).json()) as { id: string };
    for (let i = 0; i < 50; i += 1) await post(sampleOrder("matrix-list"));
    const path = SCENARIO === "list" ? "/v1/customers/matrix-list/orders?limit=20" : `/v1/orders/${id}`;
    const run = async (index: number, seconds: number) => {
      const before = cpuSecondsOf(children[index]?.pid);
      const threadsBefore = threadSecondsOf(children[index]?.pid);
      const result = await autocannon({ url: `http://127.0.0.1:${ports[index]}${path}`, connections: 16, duration: seconds, ...(RATE > 0 ? { overallRate: RATE } : {}) });
      const threads = new Map([...threadSecondsOf(children[index]?.pid)].map(([name, seconds]) => [name, seconds - (threadsBefore.get(name) ?? 0)]));
      return { cpu: cpuSecondsOf(children[index]?.pid) - before, threads, requests: result.requests.total, failures: result.non2xx + result.errors };
    };
    for (let i = 0; i < variants.length; i += 1) await run(i, 1); // warm-up
    const loadAtStart = loadavg();
    const perRequest: number[][] = variants.map(() => []);
    const rps: number[][] = variants.map(() => []);
    const threadTotals = variants.map(() => ({ requests: 0, seconds: new Map<string, number>() }));
    for (let round = 0; round < ROUNDS; round += 1) {
      const order = variants.map((_, i) => i);
      if (round % 2 === 1) order.reverse();
      for (const i of order) {
        const sample = await run(i, SECONDS);
        if (sample.failures > 0) throw new Error(`${variants[i]?.name}: ${sample.failures} failures`);
        perRequest[i]?.push((1e6 * sample.cpu) / sample.requests);
        rps[i]?.push(sample.requests / SECONDS);
        const totals = threadTotals[i] as (typeof threadTotals)[number];
        totals.requests += sample.requests;
        for (const [name, seconds] of sample.threads) totals.seconds.set(name, (totals.seconds.get(name) ?? 0) + seconds);
      }
    }
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;
    const baseline = median(perRequest[variants.findIndex((v) => v.name === "baseline")] ?? []);
    console.log(`${SCENARIO}: ${ROUNDS} × ${SECONDS} s per variant, 16 connections, ${RATE > 0 ? `${RATE} req/s offered` : "saturated"}; service CPU µs per request (median, rounds' range)`);
    console.table(
      variants.map((variant, i) => ({
        variant: variant.name,
        "CPU µs/req": Math.round(median(perRequest[i] ?? [])),
        range: `${Math.round(Math.min(...(perRequest[i] ?? [])))}–${Math.round(Math.max(...(perRequest[i] ?? [])))}`,
        "Δ vs baseline": Number.isNaN(baseline) ? "" : Math.round(median(perRequest[i] ?? []) - baseline),
        "req/s": Math.round(median(rps[i] ?? [])),
        "by thread, µs/req (all rounds)": [...(threadTotals[i]?.seconds ?? [])]
          .filter(([, seconds]) => seconds > 0)
          .map(([name, seconds]) => `${name} ${Math.round((1e6 * seconds) / (threadTotals[i]?.requests ?? 1))}`)
          .join(", "),
      })),
    );
    console.log(`load average at the start ${loadAtStart.map((l) => l.toFixed(1)).join(" ")}, at the end ${loadavg().map((l) => l.toFixed(1)).join(" ")}`);
  }, keep);
}

runMain(main);
