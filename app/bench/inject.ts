// `npx tsx bench/inject.ts [info|silent] [ratio|none]`: the instrumented service's in-process CPU per
// request against the baseline's, without the network: both apps (src/server.ts's startService and
// bench/baseline.ts's routes) in this one process, driven alternately with Fastify's inject (16 in
// flight) against the same real PostgreSQL and Redis; process.cpuUsage per request, median of
// the rounds. What this leaves out (the socket, HTTP parsing, the event loop's batching) is the
// difference between its figures and bench:matrix's. Results go to stderr; the service's log
// lines (LOG_LEVEL=info) go to stdout, which should be sent to a file or /dev/null.
import Fastify, { type FastifyInstance } from "fastify";
import { loadConfig } from "../src/config.js";
import { startService } from "../src/server.js";
import { startTelemetry } from "../src/telemetry.js";
import { freePort } from "../test/support/services.js";
import { sampleOrder, testEnv } from "../test/support/app.js";
import { BASELINE_OPTIONS, baselineParts, registerBaselineRoutes } from "./baseline-app.js";
import { deployedEnv, runMain, withBenchServices } from "./harness.js";

const LEVEL = process.argv[2] ?? "info";
const RATIO = process.argv[3] ?? "0.1";
// Many short pairs: a burst of the machine's other load then falls on one pair, and the paired
// difference (instrumented − baseline, same pair) is what the median is taken of.
const ROUNDS = Number(process.env.INJECT_ROUNDS ?? "40");
const REQUESTS = Number(process.env.INJECT_REQUESTS ?? "800");

async function main(): Promise<void> {
  await withBenchServices("benchmark", "orders-inject", async ({ pg, redis, dir, collectorUrl }) => {
    const db = await pg.createDatabase("orders_inject");
    const env = testEnv(db, redis, dir, await freePort(), {
      LOG_LEVEL: LEVEL,
      DATABASE_POOL_MAX: "10",
      ...(RATIO === "none" ? {} : { ...deployedEnv(collectorUrl, RATIO), LOG_LEVEL: LEVEL }),
    });
    const config = loadConfig(env);
    const telemetry = startTelemetry({ serviceName: config.serviceName, serviceVersion: "0", environment: config.environment, otlpEndpoint: config.otlpEndpoint, sampling: config.traceSampling });
    const service = await startService(config, { droppedSpans: () => telemetry.droppedSpans(), serverSpans: telemetry.serverSpans });

    const parts = baselineParts(config, "orders-baseline");
    const baseline = Fastify(BASELINE_OPTIONS);
    registerBaselineRoutes(baseline, parts);
    await baseline.ready();

    const created = await service.app.inject({ method: "POST", url: "/v1/orders", payload: sampleOrder("inject-read") });
    const id = (JSON.parse(created.body) as { id: string }).id;
    const url = `/v1/orders/${id}`;
    const load = async (app: FastifyInstance, requests: number) => {
      let sent = 0;
      const worker = async () => {
        while (sent < requests) {
          sent += 1;
          const response = await app.inject({ method: "GET", url });
          if (response.statusCode !== 200) throw new Error(`${response.statusCode} ${response.body}`);
        }
      };
      await Promise.all(Array.from({ length: 16 }, worker));
    };
    const apps = { baseline, instrumented: service.app };
    for (const app of Object.values(apps)) await load(app, 3000); // warm-up
    const perRequest: Record<string, number[]> = { baseline: [], instrumented: [] };
    for (let round = 0; round < ROUNDS; round += 1) {
      for (const name of round % 2 === 0 ? (["baseline", "instrumented"] as const) : (["instrumented", "baseline"] as const)) {
        const before = process.cpuUsage();
        await load(apps[name], REQUESTS);
        const used = process.cpuUsage(before);
        perRequest[name]?.push((used.user + used.system) / REQUESTS);
      }
    }
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;
    const b = median(perRequest.baseline ?? []);
    const i = median(perRequest.instrumented ?? []);
    const deltas = (perRequest.instrumented ?? []).map((value, round) => value - (perRequest.baseline?.[round] ?? Number.NaN)).sort((x, y) => x - y);
    const quartile = (q: number) => deltas[Math.floor(q * (deltas.length - 1))]?.toFixed(1);
    process.stderr.write(
      `cached read via inject, LOG_LEVEL=${LEVEL}, tracing ${RATIO === "none" ? "off" : `ratio ${RATIO}`}, ${ROUNDS} pairs of ${REQUESTS}: CPU µs/req baseline ${b.toFixed(1)}, instrumented ${i.toFixed(1)}; paired Δ median ${median(deltas).toFixed(1)} (quartiles ${quartile(0.25)} – ${quartile(0.75)})\n`,
    );
    await baseline.close();
    await parts.close();
    await service.shutdown("bench end");
    await telemetry.shutdown();
  });
}

runMain(main);
