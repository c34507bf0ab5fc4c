// `npm run bench:profile -- <scenario> [seconds]`: where a variant's CPU goes. Runs the bench's
// services one at a time under `node --cpu-prof` (same env as bench.ts), loads one scenario
// (cached, uncached, create, list) with autocannon, and prints, for the measured window only,
// the service's CPU µs per request (from /proc, like bench.ts) split over its top self-time frames
// in proportion to V8's sample counts. On a loaded machine the samples over-weigh frames that make
// a system call (a socket write wakes another process, which may preempt this one): read the
// JavaScript frames, and compare variants, rather than trusting writeUtf8String's share. With
// both variants, the frames that differ most (instrumented − baseline, µs per request) follow.
// The second variant profiled runs up to ~10% slower throughout (an A/A run shows it:
// PROFILE_INSTRUMENTED=bench/baseline.ts), so read the differences of frames, not of the totals.
//
// PROFILE_BY=package sums self time by package, source file, node internals or native function.
// BENCH_INSTRUMENTED_ENV='{"OTEL_TRACES_SAMPLER_ARG":"1"}' changes the instrumented variant (as
// for bench.ts); PROFILE_BASELINE_ENV the baseline's; PROFILE_BASELINE / PROFILE_INSTRUMENTED
// replace either entry (e.g. src/main.ts in both, to compare two settings of the service);
// PROFILE_VARIANTS=instrumented profiles one.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import autocannon from "autocannon";
import { freePort } from "../test/support/services.js";
import { sampleOrder, testEnv } from "../test/support/app.js";
import { cpuSecondsOf, deployedEnv, jsonEnv, migrateDatabase, runMain, startService, withBenchServices } from "./harness.js";

const SCENARIO = process.argv[2] ?? "cached";
const SECONDS = Number(process.argv[3] ?? "8");
const TOP = Number(process.env.PROFILE_TOP ?? "30");
const BY_PACKAGE = process.env.PROFILE_BY === "package";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

const short = (url: string) => url.replace(/^.*node_modules\//, "").replace(/^file:\/\/.*?\/app\//, "");

/** What a frame is charged to with PROFILE_BY=package. */
function packageOf(frame: ProfileNode["callFrame"]): string {
  const url = frame.url;
  const module = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (module !== null) return module[1] as string;
  if (url.startsWith("node:")) return "node (JavaScript internals)";
  if (url === "") return `native: ${frame.functionName || "(anonymous)"}`;
  return short(url);
}

/** Non-idle samples between fromUs and toUs (the profile's clock is CLOCK_MONOTONIC, like process.hrtime). */
function selfFrames(profile: CpuProfile, fromUs: number, toUs: number): { counts: Map<string, number>; total: number } {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const counts = new Map<string, number>();
  let total = 0;
  let time = profile.startTime;
  profile.samples.forEach((id, index) => {
    time += profile.timeDeltas[index] ?? 0;
    if (time < fromUs || time > toUs) return;
    const frame = byId.get(id)?.callFrame;
    if (frame === undefined || frame.functionName === "(idle)") return;
    total += 1;
    const key = BY_PACKAGE ? packageOf(frame) : `${frame.functionName || "(anonymous)"} ${short(frame.url)}:${frame.lineNumber + 1}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  });
  return { counts, total };
}

async function main(): Promise<void> {
  const cached = SCENARIO !== "uncached";
  const keep = { keepDir: process.env.PROFILE_KEEP !== undefined, kept: (dir: string) => `profiles kept in ${dir}` };
  await withBenchServices("profile", "orders-profile", async ({ pg, redis, dir, collectorUrl, children }) => {
    const db = await pg.createDatabase("orders_profile");
    const common = { DATABASE_POOL_MAX: "10", SHUTDOWN_TIMEOUT_MS: "5000" };
    const variants = [
      // The baseline ignores the deployed settings (it has no logs or tracing); another entry in its place gets them.
      { name: "baseline", entry: process.env.PROFILE_BASELINE ?? "bench/baseline.ts", env: { ...common, ...deployedEnv(collectorUrl), ...jsonEnv("PROFILE_BASELINE_ENV") } },
      { name: "instrumented", entry: process.env.PROFILE_INSTRUMENTED ?? "src/main.ts", env: { ...common, ...deployedEnv(collectorUrl), ...jsonEnv("BENCH_INSTRUMENTED_ENV") } },
    ];
    const migrateEnv = testEnv(db, undefined, dir, 8080, common);
    await migrateDatabase(migrateEnv);
    let migrated = false;
    let id = "";
    let keys = 0;
    const perRequest = new Map<string, Map<string, number>>();
    for (const variant of variants.filter((v) => (process.env.PROFILE_VARIANTS ?? "baseline,instrumented").split(",").includes(v.name))) {
      const port = await freePort();
      const profileDir = join(dir, variant.name);
      const env = testEnv(db, cached ? redis : undefined, dir, port, { ...variant.env, MIGRATE_ON_START: "false" });
      const child = await startService(children, variant.entry, env, port, join(dir, `${variant.name}.log`), ["--cpu-prof", `--cpu-prof-dir=${profileDir}`]);
      const base = `http://127.0.0.1:${port}`;
      if (!migrated) {
        const post = (body: unknown) => fetch(`${base}/v1/orders`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
        id = ((await (await post(sampleOrder("bench-read"))).json()) as { id: string }).id;
        for (let i = 0; i < 50; i += 1) await post(sampleOrder("bench-list"));
        migrated = true;
      }
      const options: autocannon.Options =
        SCENARIO === "create"
          ? {
              url: `${base}/v1/orders`,
              requests: [
                {
                  method: "POST",
                  headers: { "content-type": "application/json" },
                  body: JSON.stringify(sampleOrder("bench-write")),
                  setupRequest: (request) => ({ ...request, headers: { ...request.headers, "idempotency-key": `profile-${process.pid}-${(keys += 1)}` } }),
                },
              ],
            }
          : SCENARIO === "list"
            ? { url: `${base}/v1/customers/bench-list/orders?limit=20` }
            : { url: `${base}/v1/orders/${id}` };
      const run = (seconds: number) => new Promise<autocannon.Result>((resolve, reject) => autocannon({ connections: 16, duration: seconds, ...options }, (error, result) => (error ? reject(error) : resolve(result))));
      await run(2);
      const fromUs = Number(process.hrtime.bigint() / 1000n);
      const cpuBefore = cpuSecondsOf(child.pid);
      const result = await run(SECONDS);
      const cpu = cpuSecondsOf(child.pid) - cpuBefore;
      const toUs = Number(process.hrtime.bigint() / 1000n);
      child.kill("SIGTERM");
      await new Promise((resolve) => child.once("exit", resolve));
      // One profile per thread (CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile): the main thread's is thread 0; the span export worker writes its own.
      const file = readdirSync(profileDir).find((name) => /^CPU\.\d+\.\d+\.\d+\.0\.\d+\.cpuprofile$/.test(name));
      if (file === undefined) throw new Error(`no profile in ${profileDir}`);
      const { counts, total } = selfFrames(JSON.parse(readFileSync(join(profileDir, file), "utf8")) as CpuProfile, fromUs, toUs);
      const requests = result.requests.total;
      const micros = (1e6 * cpu) / requests;
      console.log(`\n== ${variant.name}, ${SCENARIO}: ${requests} requests in ${SECONDS} s (${Math.round(requests / SECONDS)} req/s, ${result.non2xx + result.errors} failed), service CPU ${micros.toFixed(1)} µs/req; ${total} samples`);
      // µs per request of each frame: its share of the samples times the measured CPU per request.
      const frames = new Map([...counts].map(([frame, count]) => [frame, (micros * count) / total]));
      perRequest.set(variant.name, frames);
      for (const [frame, us] of [...frames].sort((a, b) => b[1] - a[1]).slice(0, TOP)) console.log(`${us.toFixed(1).padStart(7)}  ${frame}`);
    }
    const [base, instrumented] = [perRequest.get("baseline"), perRequest.get("instrumented")];
    if (base !== undefined && instrumented !== undefined) {
      const deltas = [...new Set([...base.keys(), ...instrumented.keys()])].map((frame) => ({ frame, delta: (instrumented.get(frame) ?? 0) - (base.get(frame) ?? 0) }));
      console.log("\n== instrumented − baseline, µs per request (baseline, instrumented), largest first");
      for (const { frame, delta } of deltas.sort((a, b) => Math.abs(b.delta) - Math.abs(a.delta)).slice(0, TOP)) {
        console.log(`${(delta >= 0 ? "+" : "") + delta.toFixed(1)}`.padStart(7) + `  ${frame} (${(base.get(frame) ?? 0).toFixed(1)}, ${(instrumented.get(frame) ?? 0).toFixed(1)})`);
      }
    }
  }, keep);
}

runMain(main);
