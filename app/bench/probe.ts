// bench/matrix.ts's service: the baseline (bench/baseline.ts) plus the pieces of the
// instrumented service PROBE_WITH names (comma-separated), to find which one costs CPU per request.
//   telemetry   the tracer provider, context manager, propagator and batch processor (startTelemetry)
//   defaults    prom-client's collectDefaultMetrics on a registry
//   logger      Fastify with the service's pino logger (level info) and its logger options, no access line
//   reqid       the service's genReqId (x-request-id or randomUUID)
//   hooks       an onRequest and an onResponse hook that do nothing
//   flags       the flagd file provider, polling as the service does
import Fastify, { LogController, type FastifyServerOptions } from "fastify";
import client from "prom-client";
import { loadConfig } from "../src/config.js";
import { createFlags } from "../src/flags.js";
import { createLogger } from "../src/logger.js";
import { requestIdOf, requestLoggerView } from "../src/server.js";
import { startTelemetry } from "../src/telemetry.js";
import { BASELINE_OPTIONS, baselineParts, DEFAULT_FLAGS, registerBaselineRoutes, runService, serveUntilSigterm } from "./baseline-app.js";

async function main(): Promise<void> {
  const config = loadConfig();
  const with_ = new Set((process.env.PROBE_WITH ?? "").split(",").filter((piece) => piece !== ""));
  if (with_.has("telemetry")) {
    startTelemetry({ serviceName: "probe", serviceVersion: "0", environment: "bench", otlpEndpoint: config.otlpEndpoint, sampling: config.traceSampling });
  }
  if (with_.has("defaults")) client.collectDefaultMetrics({ register: new client.Registry() });
  const flags = with_.has("flags") ? await createFlags(config.flagsFile, config.flagsPollIntervalMs, createLogger({ level: "silent", serviceName: "probe", environment: "bench" }).logger) : DEFAULT_FLAGS;
  const parts = baselineParts(config, "orders-probe", flags);
  // The service's own pieces (src/server.ts), not copies of them.
  const app = Fastify({
    ...BASELINE_OPTIONS,
    ...(with_.has("logger")
      ? {
          logger: undefined,
          loggerInstance: requestLoggerView(createLogger({ level: "info", serviceName: "probe", environment: "bench" }).logger),
          logController: new LogController({ disableRequestLogging: true }),
        }
      : {}),
    ...(with_.has("reqid") ? { genReqId: requestIdOf, requestIdHeader: false as const } : {}),
  } as FastifyServerOptions);
  if (with_.has("hooks")) {
    app.addHook("onRequest", (_request, _reply, done) => done());
    app.addHook("onResponse", (_request, _reply, done) => done());
  }
  registerBaselineRoutes(app, parts);
  await serveUntilSigterm(app, config, parts);
}

runService("probe", main);
