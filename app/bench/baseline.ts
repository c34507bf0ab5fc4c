// The benchmark's uninstrumented baseline: the same routes (schemas, serializers, ajv options),
// pool, cache and SQL as the service (OrderService, createQuery, createCache), with no logging, no
// metrics, no flag evaluation (the code default) and no tracing. Run by bench.ts only.
import Fastify, { type FastifyBaseLogger } from "fastify";
import pino from "pino";
import { createCache } from "../src/cache.js";
import { loadConfig } from "../src/config.js";
import { createPool, createQuery } from "../src/db.js";
import { FLAG_DEFAULTS, type Flags } from "../src/flags.js";
import { noInstruments } from "../src/metrics.js";
import { OrderService } from "../src/orders.js";
import { registerOrderRoutes } from "../src/routes.js";
import { AJV_OPTIONS } from "../src/server.js";

async function main(): Promise<void> {
  const config = loadConfig();
  const silent = pino({ level: "silent" }) as FastifyBaseLogger;
  const pool = createPool(config.database, silent, "orders-baseline");
  const cache = createCache(config.redis, silent, noInstruments);
  const flags: Flags = { newCheckout: async () => FLAG_DEFAULTS["new-checkout"], close: async () => undefined };
  const orders = new OrderService(createQuery(pool, noInstruments), cache, flags, noInstruments);
  const app = Fastify({ logger: false, bodyLimit: 64 * 1024, ajv: AJV_OPTIONS });
  app.get("/health/readiness", async () => ({ status: cache.status() === "degraded" ? "degraded" : "ok" }));
  registerOrderRoutes(app, orders);
  await app.listen({ host: config.host, port: config.port });
  process.once("SIGTERM", () => {
    void app
      .close()
      .then(() => Promise.allSettled([pool.end(), cache.close()]))
      .then(() => process.exit(0));
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`baseline: ${(error as Error).message}\n`);
  process.exit(1);
});
