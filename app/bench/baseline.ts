// The benchmark's uninstrumented baseline (bench/baseline-app.ts): the same routes, pool, cache
// and SQL as the service, with no logging, no metrics, no flag evaluation and no tracing. Run by
// bench.ts and profile.ts.
import Fastify from "fastify";
import { loadConfig } from "../src/config.js";
import { BASELINE_OPTIONS, baselineParts, registerBaselineRoutes, runService, serveUntilSigterm } from "./baseline-app.js";

async function main(): Promise<void> {
  const config = loadConfig();
  const parts = baselineParts(config, "orders-baseline");
  const app = Fastify(BASELINE_OPTIONS);
  registerBaselineRoutes(app, parts);
  await serveUntilSigterm(app, config, parts);
}

runService("baseline", main);
