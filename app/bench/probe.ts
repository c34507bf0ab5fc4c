// bench/matrix.ts's service: the baseline (bench/baseline.ts) plus the pieces of the
// instrumented service PROBE_WITH names (comma-separated), to find which one costs CPU per request.
//   telemetry   the tracer provider, context manager, propagator and batch processor (startTelemetry)
//   defaults    prom-client's collectDefaultMetrics on a registry
//   logger      Fastify with the service's pino logger (level info) and its logger options, no access line
//   reqid       the service's genReqId (x-request-id or randomUUID)
//   hooks       an onRequest and an onResponse hook that do nothing
//   flags       the flagd file provider, polling as the service does
import { randomUUID } from "node:crypto";
import Fastify, { LogController, type FastifyBaseLogger, type FastifyServerOptions } from "fastify";
import client from "prom-client";
import pino from "pino";
import { createCache } from "../src/cache.js";
import { loadConfig } from "../src/config.js";
import { createPool, createQuery } from "../src/db.js";
import { createFlags, FLAG_DEFAULTS, type Flags } from "../src/flags.js";
import { createLogger } from "../src/logger.js";
import { noInstruments } from "../src/metrics.js";
import { OrderService } from "../src/orders.js";
import { registerOrderRoutes } from "../src/routes.js";
import { AJV_OPTIONS } from "../src/server.js";
import { startTelemetry } from "../src/telemetry.js";

async function main(): Promise<void> {
  const config = loadConfig();
  const with_ = new Set((process.env.PROBE_WITH ?? "").split(",").filter((piece) => piece !== ""));
  if (with_.has("telemetry")) {
    startTelemetry({ serviceName: "probe", serviceVersion: "0", environment: "bench", otlpEndpoint: config.otlpEndpoint, sampling: config.traceSampling });
  }
  if (with_.has("defaults")) client.collectDefaultMetrics({ register: new client.Registry() });
  const silent = pino({ level: "silent" }) as FastifyBaseLogger;
  const pool = createPool(config.database, silent, "orders-probe");
  const cache = createCache(config.redis, silent, noInstruments);
  const flags: Flags = with_.has("flags")
    ? await createFlags(config.flagsFile, config.flagsPollIntervalMs, silent)
    : { newCheckout: async () => FLAG_DEFAULTS["new-checkout"], close: async () => undefined };
  const orders = new OrderService(createQuery(pool, noInstruments), cache, flags, noInstruments);
  const options: FastifyServerOptions = { logger: false, bodyLimit: 64 * 1024, ajv: AJV_OPTIONS };
  const app = Fastify({
    ...options,
    ...(with_.has("logger")
      ? {
          logger: undefined,
          loggerInstance: createLogger({ level: "info", serviceName: "probe", environment: "bench" }).logger as FastifyBaseLogger,
          logController: new LogController({ disableRequestLogging: true }),
          childLoggerFactory: (serviceLogger: FastifyBaseLogger) => serviceLogger,
        }
      : {}),
    ...(with_.has("reqid")
      ? {
          genReqId: (req: { headers: Record<string, string | string[] | undefined> }) => {
            const incoming = req.headers["x-request-id"];
            return typeof incoming === "string" ? incoming : randomUUID();
          },
          requestIdHeader: false as const,
        }
      : {}),
  } as FastifyServerOptions);
  if (with_.has("hooks")) {
    app.addHook("onRequest", (_request, _reply, done) => done());
    app.addHook("onResponse", (_request, _reply, done) => done());
  }
  app.get("/health/readiness", async () => ({ status: cache.status() === "degraded" ? "degraded" : "ok" }));
  registerOrderRoutes(app, orders);
  await app.listen({ host: config.host, port: config.port });
  process.once("SIGTERM", () => {
    void app
      .close()
      .then(() => Promise.allSettled([pool.end(), cache.close(), flags.close()]))
      .then(() => process.exit(0));
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`probe: ${(error as Error).stack}\n`);
  process.exit(1);
});
