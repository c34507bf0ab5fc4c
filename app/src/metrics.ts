import client from "prom-client";
import type pg from "pg";

export type CacheResult = "hit" | "miss" | "error";

export interface Metrics {
  readonly registry: client.Registry;
  readonly httpRequests: client.Counter<"method" | "route" | "status_code">;
  readonly httpDuration: client.Histogram<"method" | "route" | "status_code">;
  readonly cacheRequests: client.Counter<"result">;
  readonly ordersCreated: client.Counter<"pricing">;
}

// Label values must come from a small fixed set, or a scanner hitting random URLs would create a
// time series per URL. Routes are templates ("/v1/orders/:id"); anything unmatched is one value.
export const UNMATCHED_ROUTE = "unmatched";
const KNOWN_METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

export function methodLabel(method: string): string {
  return KNOWN_METHODS.has(method) ? method : "OTHER";
}

/** One registry per service instance (not prom-client's global one) so tests can run several. */
export function createMetrics(pool: pg.Pool): Metrics {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });

  const httpRequests = new client.Counter({
    name: "http_requests_total",
    help: "HTTP requests handled, by method, route template and status code.",
    labelNames: ["method", "route", "status_code"] as const,
    registers: [registry],
  });
  const httpDuration = new client.Histogram({
    name: "http_request_duration_seconds",
    help: "HTTP request latency from first byte received to response sent.",
    labelNames: ["method", "route", "status_code"] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const cacheRequests = new client.Counter({
    name: "orders_cache_requests_total",
    help: "Order cache lookups by result: hit, miss, or error (cache unavailable; served from the database).",
    labelNames: ["result"] as const,
    registers: [registry],
  });
  for (const result of ["hit", "miss", "error"] as const) cacheRequests.inc({ result }, 0);
  const ordersCreated = new client.Counter({
    name: "orders_created_total",
    help: "Orders created (idempotent replays not counted), by pricing path.",
    labelNames: ["pricing"] as const,
    registers: [registry],
  });
  // Pool figures are read at scrape time rather than tracked on every checkout.
  new client.Gauge({
    name: "db_pool_connections",
    help: "PostgreSQL pool connections by state: idle, or in use by a query.",
    labelNames: ["state"] as const,
    registers: [registry],
    collect() {
      this.set({ state: "idle" }, pool.idleCount);
      this.set({ state: "in_use" }, pool.totalCount - pool.idleCount);
    },
  });
  new client.Gauge({
    name: "db_pool_waiting_requests",
    help: "Queries waiting for a free PostgreSQL pool connection.",
    registers: [registry],
    collect() {
      this.set(pool.waitingCount);
    },
  });
  return { registry, httpRequests, httpDuration, cacheRequests, ordersCreated };
}
