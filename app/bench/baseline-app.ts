// The uninstrumented baseline's parts, shared by bench/baseline.ts (its process), bench/probe.ts
// (the baseline plus one piece at a time) and bench/inject.ts (in process): the same routes
// (schemas, serializers, ajv options), pool, cache and SQL as the service (OrderService,
// createQuery, createCache), with no logging, no metrics, no flag evaluation (the code default)
// and no tracing.
import type { FastifyBaseLogger, FastifyInstance, FastifyServerOptions } from "fastify";
import pino from "pino";
import { createCache } from "../src/cache.js";
import type { Config } from "../src/config.js";
import { createPool, createQuery } from "../src/db.js";
import { FLAG_DEFAULTS, type Flags } from "../src/flags.js";
import { noInstruments } from "../src/metrics.js";
import { OrderService } from "../src/orders.js";
import { registerOrderRoutes } from "../src/routes.js";
import { AJV_OPTIONS } from "../src/server.js";

/** The flag's code default, no file and no evaluation. */
export const DEFAULT_FLAGS: Flags = { newCheckout: async () => FLAG_DEFAULTS["new-checkout"], close: async () => undefined };

/** The baseline's Fastify options (the service's body limit and ajv options, no logger). */
export const BASELINE_OPTIONS: FastifyServerOptions = { logger: false, bodyLimit: 64 * 1024, ajv: AJV_OPTIONS };

export interface BaselineParts {
  readonly orders: OrderService;
  readonly cache: ReturnType<typeof createCache>;
  /** Closes the pool and the cache connection (and the flags given). */
  close(): Promise<unknown>;
}

/** The pool, cache and OrderService of the baseline, without instruments; `flags` the code default unless given. */
export function baselineParts(config: Config, poolName: string, flags: Flags = DEFAULT_FLAGS): BaselineParts {
  const silent = pino({ level: "silent" }) as FastifyBaseLogger;
  const pool = createPool(config.database, silent, poolName);
  const cache = createCache(config.redis, silent, noInstruments);
  const orders = new OrderService(createQuery(pool, noInstruments), cache, flags, noInstruments);
  return { orders, cache, close: () => Promise.allSettled([pool.end(), cache.close(), flags.close()]) };
}

/** The order routes and the readiness route the bench waits for, on `app`. */
export function registerBaselineRoutes(app: FastifyInstance, parts: BaselineParts): void {
  app.get("/health/readiness", async () => ({ status: parts.cache.status() === "degraded" ? "degraded" : "ok" }));
  registerOrderRoutes(app, parts.orders);
}

/** Listens on the config's host and port; SIGTERM closes the app, then `parts`, then exits 0. */
export async function serveUntilSigterm(app: FastifyInstance, config: Config, parts: BaselineParts): Promise<void> {
  await app.listen({ host: config.host, port: config.port });
  process.once("SIGTERM", () => {
    void app
      .close()
      .then(() => parts.close())
      .then(() => process.exit(0));
  });
}

/** A bench service process's entry: a startup failure is printed with `name` and exits 1. */
export function runService(name: string, main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    process.stderr.write(`${name}: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  });
}
