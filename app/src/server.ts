import { randomBytes } from "node:crypto";
import { STATUS_CODES, type Server } from "node:http";
import { Server as NetServer, type Socket } from "node:net";
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from "fastify";
import type { DestinationStream, Logger } from "pino";
import type pg from "pg";
import { describeConfig, type Config } from "./config.js";
import { createPool, createQuery, pingDatabase } from "./db.js";
import { createCache, type Cache } from "./cache.js";
import { DependencyUnavailableError, OutageLog, RETRY_AFTER_SECONDS } from "./dependency.js";
import { createFlags, type FlagdFileProvider, type Flags } from "./flags.js";
import { HttpTracing, traceLogFields } from "./http-tracing.js";
import { createLogger } from "./logger.js";
import { createMetrics, type DroppedSpans, type Metrics } from "./metrics.js";
import { migrate, SCHEMA_VERSION } from "./migrations.js";
import { OrderService } from "./orders.js";
import type { ServerSpans } from "./telemetry.js";
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
  /**
   * Fails readiness at once, keeps serving SHUTDOWN_DELAY_MS (every response says Connection: close),
   * stops accepting, waits for open connections to finish, closes pools, flushes logs. Idempotent.
   */
  shutdown(reason: string): Promise<void>;
  /** Writes out buffered log lines (the process is about to exit). */
  flushLogs(): void;
}

export interface ServiceOptions {
  /** Where logs go. @default - stdout, asynchronously */
  readonly logStream?: DestinationStream;
  /** Spans the tracing pipeline dropped, for the metrics. @default - none (tracing off) */
  readonly droppedSpans?: DroppedSpans;
  /** Server spans (startTelemetry's). @default - no request traced */
  readonly serverSpans?: ServerSpans;
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

/**
 * This process's request ids: 16 random hex digits, drawn at start, then a counter ("9f2c4e1a7b3d5f60-1a").
 * Unique without a random draw per request (randomUUID was a measurable share of a cached read):
 * the prefix tells processes apart (a new one at every start, 64 random bits), the counter requests.
 */
const REQUEST_ID_PREFIX = `${randomBytes(8).toString("hex")}-`;
let requestCount = 0;

/** The request id: an upstream x-request-id (ingress, caller) when well-formed, so one id follows a request across services; else a new id of this process's. */
export function requestIdOf(req: { headers: Record<string, string | string[] | undefined> }): string {
  const incoming = req.headers["x-request-id"];
  return typeof incoming === "string" && REQUEST_ID.test(incoming) ? incoming : REQUEST_ID_PREFIX + (requestCount += 1).toString(36);
}

/**
 * request.log as the service logger itself, not a child per request (a measurable cost on a
 * cached read); the few lines written per request name their reqId explicitly. Through Fastify's
 * default child factory, which calls child() on this view of the logger (it returns the view): a
 * childLoggerFactory of our own would be validated by Fastify on every request (seven method
 * lookups and two arrays). Everything else is the service logger's, by prototype.
 */
export function requestLoggerView(logger: Logger): FastifyBaseLogger {
  const view: Logger = Object.create(logger) as Logger;
  view.child = (() => view) as unknown as Logger["child"];
  return view as FastifyBaseLogger;
}
/** The route template, read once per request by the onRequest hook. */
const ROUTE = Symbol("route");
interface Routed {
  [ROUTE]?: string;
}
/** Of SHUTDOWN_TIMEOUT_MS, what is kept for closing pools and flushing spans after connections drain. */
const SHUTDOWN_RESERVE_MS = 1000;

/**
 * ajv options for every route, shared with the benchmark's baseline. No type coercion anywhere:
 * Fastify's default (`coerceTypes: "array"`) turns null or false into 0, true into 1, "5" into 5
 * and ["EUR"] into "EUR"; input of the wrong type is a 400 instead. Report every invalid field at
 * once; reject unknown fields instead of silently dropping them.
 */
export const AJV_OPTIONS: NonNullable<FastifyServerOptions["ajv"]> = {
  customOptions: { allErrors: true, removeAdditional: false, coerceTypes: false },
};

/** The one error body: { error: reason phrase, message, details? }. */
export function errorBody(status: number, message: string): { error: string; message: string } {
  return { error: STATUS_CODES[status] ?? "Error", message };
}

/**
 * Answers a request Node's HTTP parser refused before Fastify saw it (headers too large, malformed
 * request line, header timeout), in the same JSON shape as every other error, and counts it.
 */
function clientErrorHandler(metrics: Metrics) {
  return (error: Error & { code?: string }, socket: Socket): void => {
    if (error.code === "ECONNRESET" || !socket.writable) {
      socket.destroy(error);
      return;
    }
    const status = error.code === "HPE_HEADER_OVERFLOW" ? 431 : error.code === "ERR_HTTP_REQUEST_TIMEOUT" ? 408 : 400;
    const message =
      status === 431
        ? "The request headers are larger than this server accepts (16 KiB in total); send fewer or smaller headers."
        : status === 408
          ? "The request was not received in time."
          : "The request is not valid HTTP/1.1.";
    const body = JSON.stringify(errorBody(status, message));
    metrics.response("OTHER", undefined, status, undefined);
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  };
}

/**
 * Stops accepting connections and resolves when every open one has closed, or after budgetMs
 * with the number still open (then closed: idle ones at once, busy ones after their response).
 *
 * net.Server's close, not http.Server's: http's also closes idle keep-alive connections at once,
 * which resets a request a client is sending on one at that moment (a POST it cannot safely
 * retry). Left open, an idle connection is either used once more (answered, with Connection:
 * close) or closed by the client or by keepAliveTimeout, both of which clients expect.
 */
function stopAcceptingAndDrain(server: Server, budgetMs: number): Promise<number> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      server.getConnections((_error, open) => {
        server.closeIdleConnections();
        resolve(open);
      });
    }, budgetMs);
    NetServer.prototype.close.call(server, () => {
      clearTimeout(timer);
      resolve(0);
    });
  });
}

function uniqueByField<T extends { field: string }>(details: T[]): T[] {
  const seen = new Set<string>();
  return details.filter((detail) => !seen.has(detail.field) && seen.add(detail.field) !== undefined);
}

export async function startService(config: Config, options: ServiceOptions = {}): Promise<Service> {
  const { logger, accessLog, flushSync } = createLogger({ level: config.logLevel, serviceName: config.serviceName, environment: config.environment, stream: options.logStream });
  logger.info({ config: describeConfig(config) }, "starting");

  const pool = createPool(config.database, logger, config.serviceName);
  if (config.migrateOnStart) await migrate(pool, logger);
  const metrics = createMetrics(pool, config.database.poolMax, options.droppedSpans);
  const cache = createCache(config.redis, logger, metrics);
  const flags = await createFlags(config.flagsFile, config.flagsPollIntervalMs, logger);
  const orders = new OrderService(createQuery(pool, metrics, config.database), cache, flags, metrics);
  const outages = new OutageLog(logger, config.dependencyLogIntervalMs);
  let shuttingDown = false;

  const app = Fastify({
    loggerInstance: requestLoggerView(logger),
    // One access-log line per request is written by the onResponse hook below, instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: requestIdOf,
    requestIdHeader: false,
    bodyLimit: 64 * 1024,
    ajv: AJV_OPTIONS,
    // Shutdown closes connections itself (stopAcceptingAndDrain), and answers in the common error shape.
    forceCloseConnections: false,
    return503OnClosing: false,
    clientErrorHandler: clientErrorHandler(metrics),
    // Errors raised while routing, before any hook runs: a path with bad percent-encoding
    // (FST_ERR_BAD_URL), a path parameter over maxParamLength. Same shape, counted.
    frameworkErrors: (error, request, reply) => {
      const status = error.statusCode ?? 400;
      metrics.response(request.method, undefined, status, undefined);
      request.log.info({ reqId: request.id, method: request.method, url: request.url, statusCode: status, code: error.code }, "request");
      return (reply as FastifyReply).code(status).send(errorBody(status, error.code === "FST_ERR_BAD_URL" ? "The URL path is not valid percent-encoding." : error.message));
    },
  });
  // Server spans named by route template ("GET /v1/orders/:id") with http.route; probes and scrapes untraced.
  const tracing = new HttpTracing(["/health/", "/metrics"], options.serverSpans);
  tracing.wrapHandlers(app);
  // The route template's slot, declared on Fastify's Request class (set by the hook below): a
  // property added to each request after it is built would move it to a new hidden class every time.
  app.decorateRequest(ROUTE, undefined);
  // One onRequest and one onResponse hook for everything (callback style: cheaper than async hooks).
  app.addHook("onRequest", (request, reply, done) => {
    reply.header("x-request-id", request.id);
    // From SIGTERM on, tell keep-alive clients to reconnect (to another pod) after this response,
    // so no idle connection is left for the listener's closing to cut.
    if (shuttingDown) reply.header("connection", "close");
    // Read once per request: Fastify builds a new routeOptions object on every access.
    const route = request.routeOptions.url;
    (request as FastifyRequest & Routed)[ROUTE] = route;
    tracing.start(request, route);
    done();
  });
  // Counted after the response is sent, under the route template (bounded cardinality); one access-log
  // line per request, without headers.
  app.addHook("onResponse", (request, reply, done) => {
    const route = (request as FastifyRequest & Routed)[ROUTE];
    const status = reply.statusCode;
    const elapsedMs = reply.elapsedTime;
    const span = tracing.end(request, status);
    metrics.response(request.method, route, status, elapsedMs / 1000);
    accessLog({ reqId: request.id, method: request.method, url: request.url, route, statusCode: status, durationMs: Math.round(elapsedMs * 1000) / 1000, traceId: span?.traceId, spanId: span?.spanId });
    done();
  });

  app.setNotFoundHandler(async (request, reply) => reply.code(404).send(errorBody(404, `No route for ${request.method} ${request.url.split("?")[0]}`)));

  // Clients get the status and a safe message; the stack trace only goes to the log, and only for bugs.
  app.setErrorHandler(async (error: FastifyError, request, reply) => {
    if (error.validation !== undefined) {
      return reply.code(400).send({
        ...errorBody(400, "Request validation failed"),
        // One entry per field: ["EUR"] for currency fails both "type" and "enum"; the first says it all.
        details: uniqueByField(error.validation.map((issue) => {
          const missing = (issue.params as { missingProperty?: string }).missingProperty;
          const extra = (issue.params as { additionalProperty?: string }).additionalProperty;
          const path = issue.instancePath.replace(/^\//, "").replaceAll("/", ".");
          const field = [error.validationContext, path, missing ?? extra].filter((part) => part !== undefined && part !== "").join(".");
          return { field, message: extra === undefined ? (issue.message ?? "is invalid") : "is not an allowed field" };
        })),
      });
    }
    if (error instanceof DependencyUnavailableError) {
      // An outage, not a bug: counted and logged once per interval, the client told when to retry.
      outages.record(error.dependency, error.cause);
      return reply
        .code(503)
        .header("retry-after", String(RETRY_AFTER_SECONDS))
        .send(errorBody(503, `The ${error.dependency} is ${error.failure === "timeout" ? "not answering in time" : "unavailable"}; retry after ${RETRY_AFTER_SECONDS} seconds.`));
    }
    const status = error.statusCode ?? 500;
    if (status < 500) {
      // Client errors Fastify raises itself (malformed JSON or URL encoding, body too large, wrong content type).
      return reply.code(status).send(errorBody(status, error.message));
    }
    request.log.error({ reqId: request.id, err: error, ...traceLogFields(request) }, "request failed");
    return reply.code(500).send(errorBody(500, "The request could not be completed."));
  });

  app.get("/health/liveness", async () => ({ status: "ok" }));
  app.get("/health/readiness", async (_request, reply) => {
    if (shuttingDown) return reply.code(503).send({ ...errorBody(503, "This replica is shutting down."), status: "shutting-down" });
    const cacheStatus = cache.status();
    let schemaVersion: number;
    try {
      schemaVersion = await pingDatabase(config.database, config.serviceName, config.readinessTimeoutMs);
    } catch (error) {
      outages.record("database", error as Error);
      return reply.code(503).send({ ...errorBody(503, "The database is unreachable."), status: "unavailable", checks: { database: "unreachable", cache: cacheStatus } });
    }
    // Schema before code: the pods of a new image may start while its migration Job still runs
    // (the platform does not make the Deployment wait for the Job); they stay out of the Service,
    // and the rollout keeps the old pods (maxUnavailable 0), until the schema has this build's version.
    // A newer schema is fine: the next image's migration runs while these pods still serve (as it
    // always did: migrations stay backward compatible with the previous build).
    if (schemaVersion < SCHEMA_VERSION) {
      return reply.code(503).send({
        ...errorBody(503, `The database schema is at version ${schemaVersion}; this build needs ${SCHEMA_VERSION} (its migration has not run yet).`),
        status: "migrating",
        checks: { database: "ok", schema: "behind", cache: cacheStatus },
      });
    }
    return { status: cacheStatus === "degraded" ? "degraded" : "ok", checks: { database: "ok", schema: "ok", cache: cacheStatus } };
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
      const budgetMs = Math.max(0, config.shutdownTimeoutMs - config.shutdownDelayMs - SHUTDOWN_RESERVE_MS);
      const stillOpen = await stopAcceptingAndDrain(app.server, budgetMs);
      if (stillOpen > 0) logger.warn({ connections: stillOpen, budgetMs }, "connections still open at the drain deadline; closing them");
      await app.close();
      outages.close();
      await Promise.allSettled([cache.close(), flags.close(), pool.end()]);
      logger.info("shutdown complete");
      flushSync();
    })();
    return closing;
  };

  return { app, logger, pool, cache, flags, metrics, url: address.replace("0.0.0.0", "127.0.0.1"), shutdown, flushLogs: flushSync };
}
