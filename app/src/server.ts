import { randomUUID } from "node:crypto";
import { STATUS_CODES } from "node:http";
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance } from "fastify";
import type { DestinationStream, Logger } from "pino";
import type pg from "pg";
import { describeConfig, type Config } from "./config.js";
import { createPool, pingDatabase } from "./db.js";
import { createCache, type Cache } from "./cache.js";
import { createFlags, type FlagdFileProvider, type Flags } from "./flags.js";
import { createLogger } from "./logger.js";
import { createMetrics, methodLabel, UNMATCHED_ROUTE, type Metrics } from "./metrics.js";
import { migrate } from "./migrations.js";
import { OrderService } from "./orders.js";
import { registerOrderRoutes } from "./routes.js";

export interface Service {
  readonly app: FastifyInstance;
  readonly logger: Logger;
  readonly pool: pg.Pool;
  readonly cache: Cache;
  readonly flags: Flags & { provider: FlagdFileProvider };
  readonly metrics: Metrics;
  /** Base URL once listening. */
  readonly url: string;
  /** Fails readiness at once, waits SHUTDOWN_DELAY_MS, drains in-flight requests, closes pools. Idempotent. */
  shutdown(reason: string): Promise<void>;
}

export interface ServiceOptions {
  /** Where logs go. @default - stdout */
  readonly logStream?: DestinationStream;
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

export async function startService(config: Config, options: ServiceOptions = {}): Promise<Service> {
  const logger = createLogger({ level: config.logLevel, serviceName: config.serviceName, environment: config.environment, stream: options.logStream });
  logger.info({ config: describeConfig(config) }, "starting");

  const pool = createPool(config.database, logger, config.serviceName);
  if (config.migrateOnStart) await migrate(pool, logger);
  const cache = createCache(config.redis, logger);
  const flags = await createFlags(config.flagsFile, config.flagsPollIntervalMs, logger);
  const metrics = createMetrics(pool);
  const orders = new OrderService(pool, cache, flags, metrics);
  let shuttingDown = false;

  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    // Honour an upstream request id (ingress, caller) so one id follows a request across services.
    genReqId: (req) => {
      const incoming = req.headers["x-request-id"];
      return typeof incoming === "string" && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    },
    requestIdHeader: false,
    bodyLimit: 64 * 1024,
    // Bodies: report every invalid field at once, reject unknown fields instead of silently dropping them.
    ajv: { customOptions: { allErrors: true, removeAdditional: false } },
    // Keep-alive connections that are idle are closed at shutdown; busy ones finish their request first.
    forceCloseConnections: "idle",
  });
  app.addHook("onRequest", async (request, reply) => {
    reply.header("x-request-id", request.id);
    // While draining, tell keep-alive clients to reconnect (to another pod) after this response, so
    // few idle connections are left to be cut when the listener closes.
    if (shuttingDown) reply.header("connection", "close");
  });

  // Counted after the response is sent, under the route template (bounded cardinality).
  app.addHook("onResponse", async (request, reply) => {
    const labels = {
      method: methodLabel(request.method),
      route: request.routeOptions.url ?? UNMATCHED_ROUTE,
      status_code: String(reply.statusCode),
    };
    metrics.httpRequests.inc(labels);
    metrics.httpDuration.observe(labels, reply.elapsedTime / 1000);
  });

  app.setNotFoundHandler(async (request, reply) => reply.code(404).send({ error: "Not Found", message: `No route for ${request.method} ${request.url.split("?")[0]}` }));

  // Clients get the status and a safe message; the stack trace only goes to the log.
  app.setErrorHandler(async (error: FastifyError, request, reply) => {
    if (error.validation !== undefined) {
      return reply.code(400).send({
        error: "Bad Request",
        message: "Request validation failed",
        details: error.validation.map((issue) => {
          const missing = (issue.params as { missingProperty?: string }).missingProperty;
          const extra = (issue.params as { additionalProperty?: string }).additionalProperty;
          const path = issue.instancePath.replace(/^\//, "").replaceAll("/", ".");
          const field = [error.validationContext, path, missing ?? extra].filter((part) => part !== undefined && part !== "").join(".");
          return { field, message: extra === undefined ? (issue.message ?? "is invalid") : "is not an allowed field" };
        }),
      });
    }
    const status = error.statusCode ?? 500;
    if (status < 500) {
      // Client errors Fastify raises itself (malformed JSON, body too large, wrong content type).
      return reply.code(status).send({ error: STATUS_CODES[status] ?? "Bad Request", message: error.message });
    }
    request.log.error({ err: error }, "request failed");
    return reply.code(status === 503 ? 503 : 500).send({ error: "Internal Server Error", message: "The request could not be completed." });
  });

  app.get("/health/liveness", async () => ({ status: "ok" }));
  app.get("/health/readiness", async (request, reply) => {
    if (shuttingDown) return reply.code(503).send({ status: "shutting-down" });
    const cacheStatus = cache.status();
    try {
      await pingDatabase(pool, config.readinessTimeoutMs);
    } catch (error) {
      request.log.warn({ err: { message: (error as Error).message } }, "readiness: database unreachable");
      return reply.code(503).send({ status: "unavailable", checks: { database: "unreachable", cache: cacheStatus } });
    }
    return { status: cacheStatus === "degraded" ? "degraded" : "ok", checks: { database: "ok", cache: cacheStatus } };
  });
  app.get("/metrics", async (_request, reply) => {
    reply.header("content-type", metrics.registry.contentType);
    return metrics.registry.metrics();
  });
  registerOrderRoutes(app, orders);

  const address = await app.listen({ host: config.host, port: config.port });
  logger.info({ address }, "listening");

  let closing: Promise<void> | undefined;
  const shutdown = (reason: string): Promise<void> => {
    closing ??= (async () => {
      shuttingDown = true;
      logger.info({ reason, delayMs: config.shutdownDelayMs }, "shutting down: readiness now fails");
      // Kubernetes removes the pod from Service endpoints asynchronously after SIGTERM; keep serving
      // for a moment so requests already routed here are not refused.
      await new Promise((resolve) => setTimeout(resolve, config.shutdownDelayMs));
      await app.close(); // stops accepting, waits for in-flight requests
      await Promise.allSettled([cache.close(), flags.close(), pool.end()]);
      logger.info("shutdown complete");
    })();
    return closing;
  };

  return { app, logger, pool, cache, flags, metrics, url: address.replace("0.0.0.0", "127.0.0.1"), shutdown };
}
