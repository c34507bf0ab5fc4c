import client from "prom-client";
import type pg from "pg";

export type CacheResult = "hit" | "miss" | "error";
export type CacheOperation = "get" | "fill" | "replace";
/** ok; unavailable (connection refused or lost, pool timeout: 503); timeout (statement timeout: 503); error (a bug or bad data: 500). */
export type QueryOutcome = "ok" | "unavailable" | "timeout" | "error";
export type QueryName = "insert_order" | "select_order_by_key" | "select_order" | "cancel_order" | "list_orders";

/**
 * What the order code reports while it works. The service passes prom-client metrics; the
 * benchmark's uninstrumented baseline passes `noInstruments`, so both run the same code and SQL.
 */
export interface Instruments {
  query(name: QueryName, seconds: number, outcome: QueryOutcome): void;
  cache(operation: CacheOperation, seconds: number, failed: boolean): void;
  cacheLookup(result: CacheResult): void;
  cacheInvalidationFailed(): void;
  orderCreated(pricing: string): void;
  idempotentReplay(outcome: "replayed" | "key_reused"): void;
}

export const noInstruments: Instruments = {
  query: () => undefined,
  cache: () => undefined,
  cacheLookup: () => undefined,
  cacheInvalidationFailed: () => undefined,
  orderCreated: () => undefined,
  idempotentReplay: () => undefined,
};

/** Spans the tracing pipeline lost, by reason (queue_full, or the export error's name); read at scrape time. */
export type DroppedSpans = () => ReadonlyMap<string, number>;

export interface Metrics extends Instruments {
  readonly registry: client.Registry;
  readonly httpRequests: client.Counter<"method" | "route" | "status_code">;
  readonly httpDuration: client.Histogram<"method" | "route" | "status_code">;
  /** Counts one response under the route template (bounded cardinality). */
  response(method: string, route: string | undefined, statusCode: number, seconds: number | undefined): void;
}

// Label values must come from a small fixed set, or a scanner hitting random URLs would create a
// time series per URL. Routes are templates ("/v1/orders/:id"); anything unmatched is one value.
export const UNMATCHED_ROUTE = "unmatched";
const KNOWN_METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

export function methodLabel(method: string): string {
  return KNOWN_METHODS.has(method) ? method : "OTHER";
}

// Sub-millisecond buckets: a cache hit or a primary-key read on a healthy instance takes well under 1 ms.
const FAST_BUCKETS = [0.0002, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

type Labels = Record<string, string>;
interface CounterEntry {
  value: number;
  labels: Labels;
}
interface HistogramEntry {
  labels: Labels;
  bucketValues: Record<string, number>;
  sum: number;
  count: number;
}
/** The prom-client 15 internals a bound series updates: the metric's series map and a histogram's bounds. */
interface PromSeries<E> {
  hashMap: Record<string, E>;
  upperBounds?: readonly number[];
}

/**
 * One counter series, resolved once. prom-client's `inc(labels)` (and a child's `inc()`) validates
 * the label names and rebuilds the series key from the labels on every call, about 1 µs each on the
 * bench machine with 3 to 4 updates per request. This goes through prom-client for the first update
 * (which creates its series entry and returns its key) and afterwards adds to that entry in place,
 * for as long as it is still the metric's entry (reset() or remove() make it go through prom-client
 * again). prom-client is pinned (package.json); test/metrics.test.ts compares the exposition with
 * prom-client's own inc/observe, so a change in its internals fails there.
 */
export function boundCounter(counter: client.Counter<string>, labels: Labels): () => void {
  const series = counter as unknown as PromSeries<CounterEntry>;
  let key: string | undefined;
  let entry: CounterEntry | undefined;
  return () => {
    if (key !== undefined && entry !== undefined && series.hashMap[key] === entry) {
      entry.value += 1;
      return;
    }
    key = (counter.inc(labels, 1) as unknown as { labelHash: string } | undefined)?.labelHash;
    entry = key === undefined ? undefined : series.hashMap[key];
  };
}

/** One histogram series, resolved once; see boundCounter. */
export function boundHistogram(histogram: client.Histogram<string>, labels: Labels): (seconds: number) => void {
  const series = histogram as unknown as PromSeries<HistogramEntry>;
  const bounds = series.upperBounds ?? [];
  // prom-client's bucket keys are the bounds as property names; converted once, not per update.
  const names = bounds.map(String);
  let key: string | undefined;
  let entry: HistogramEntry | undefined;
  return (seconds) => {
    if (key !== undefined && entry !== undefined && series.hashMap[key] === entry && Number.isFinite(seconds)) {
      entry.sum += seconds;
      entry.count += 1;
      for (let i = 0; i < bounds.length; i += 1) {
        if (seconds <= (bounds[i] as number)) {
          const name = names[i] as string;
          entry.bucketValues[name] = (entry.bucketValues[name] ?? 0) + 1;
          break;
        }
      }
      return;
    }
    histogram.observe(labels, seconds); // creates the entry (and throws for a value that is not a number)
    key = Object.keys(series.hashMap).find((candidate) => series.hashMap[candidate]?.labels === labels);
    entry = key === undefined ? undefined : series.hashMap[key];
  };
}

/** Bound series by one label's value (a small fixed set), bound on first use. */
function seriesBy<T>(bind: (value: string) => T): (value: string) => T {
  const bound = new Map<string, T>();
  return (value) => {
    let series = bound.get(value);
    if (series === undefined) {
      series = bind(value);
      bound.set(value, series);
    }
    return series;
  };
}

interface HttpSeries {
  count(): void;
  observe(seconds: number): void;
}

/** One registry per service instance (not prom-client's global one) so tests can run several. */
export function createMetrics(pool: pg.Pool, poolMax: number, droppedSpans: DroppedSpans = () => new Map()): Metrics {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });

  const httpRequests = new client.Counter({
    name: "http_requests_total",
    help: "HTTP responses sent, by method, route template and status code; includes errors answered before routing (bad URL, 431).",
    labelNames: ["method", "route", "status_code"] as const,
    registers: [registry],
  });
  const httpDuration = new client.Histogram({
    name: "http_request_duration_seconds",
    help: "HTTP request latency from first byte received to response sent.",
    labelNames: ["method", "route", "status_code"] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const cacheRequests = new client.Counter({
    name: "orders_cache_requests_total",
    help: "Order cache lookups by result: hit, miss, or error (cache unavailable; served from the database).",
    labelNames: ["result"] as const,
    registers: [registry],
  });
  for (const result of ["hit", "miss", "error"] as const) cacheRequests.inc({ result }, 0);
  const cacheDuration = new client.Histogram({
    name: "cache_operation_duration_seconds",
    help: "Redis command latency by operation (get, fill: SET NX on a miss, replace: SET after a cancel).",
    labelNames: ["operation"] as const,
    buckets: FAST_BUCKETS,
    registers: [registry],
  });
  const cacheErrors = new client.Counter({
    name: "cache_operation_errors_total",
    help: "Redis commands that failed or timed out, by operation; each one was served from PostgreSQL instead.",
    labelNames: ["operation"] as const,
    registers: [registry],
  });
  const cacheInvalidationFailures = new client.Counter({
    name: "orders_cache_invalidation_failures_total",
    help: "Cancels whose cache update failed; the old entry can be served until CACHE_TTL_SECONDS expires it.",
    registers: [registry],
  });
  const queryDuration = new client.Histogram({
    name: "db_query_duration_seconds",
    help: "PostgreSQL query latency (including the wait for a pool connection), by query.",
    labelNames: ["query"] as const,
    buckets: FAST_BUCKETS,
    registers: [registry],
  });
  const queryErrors = new client.Counter({
    name: "db_query_errors_total",
    help: "PostgreSQL queries that failed, by query and kind: unavailable (connection or pool timeout), timeout (statement timeout), error (a bug).",
    labelNames: ["query", "kind"] as const,
    registers: [registry],
  });
  const ordersCreated = new client.Counter({
    name: "orders_created_total",
    help: "Orders created (idempotent replays not counted), by pricing path.",
    labelNames: ["pricing"] as const,
    registers: [registry],
  });
  const replays = new client.Counter({
    name: "orders_idempotent_replays_total",
    help: "Creates answered from an earlier request with the same Idempotency-Key: replayed (same body, 201) or key_reused (different body, 422).",
    labelNames: ["outcome"] as const,
    registers: [registry],
  });
  for (const outcome of ["replayed", "key_reused"] as const) replays.inc({ outcome }, 0);
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
    name: "db_pool_max_connections",
    help: "The pool's size limit (DATABASE_POOL_MAX); in_use at this value means queries queue.",
    registers: [registry],
  }).set(poolMax);
  new client.Gauge({
    name: "db_pool_waiting_requests",
    help: "Queries waiting for a free PostgreSQL pool connection.",
    registers: [registry],
    collect() {
      this.set(pool.waitingCount);
    },
  });
  const reported = new Map<string, number>();
  const dropped = new client.Counter({
    name: "otel_spans_dropped_total",
    help: "Trace spans lost before reaching the collector, by reason: queue_full (export slower than traffic) or the export error.",
    labelNames: ["reason"] as const,
    registers: [registry],
    collect() {
      for (const [reason, count] of droppedSpans()) {
        const delta = count - (reported.get(reason) ?? 0);
        if (delta > 0) this.inc({ reason }, delta);
        reported.set(reason, count);
      }
    },
  });
  dropped.inc({ reason: "queue_full" }, 0);

  // Every label value below comes from a small fixed set (method label, route template, status code,
  // query and operation names), so these caches are bounded like the series themselves.
  // HTTP series by route, then method, then status code: no key string built per request.
  const http = new Map<string, Map<string, Map<number, HttpSeries>>>();
  const httpSeries = (method: string, route: string | undefined, statusCode: number): HttpSeries => {
    const routeValue = route ?? UNMATCHED_ROUTE;
    const methodValue = methodLabel(method);
    let byMethod = http.get(routeValue);
    if (byMethod === undefined) http.set(routeValue, (byMethod = new Map()));
    let byStatus = byMethod.get(methodValue);
    if (byStatus === undefined) byMethod.set(methodValue, (byStatus = new Map()));
    let series = byStatus.get(statusCode);
    if (series === undefined) {
      const labels = { method: methodValue, route: routeValue, status_code: String(statusCode) };
      series = { count: boundCounter(httpRequests, labels), observe: boundHistogram(httpDuration, labels) };
      byStatus.set(statusCode, series);
    }
    return series;
  };
  const cacheTimes = seriesBy((operation) => boundHistogram(cacheDuration, { operation }));
  const lookups = seriesBy((result) => boundCounter(cacheRequests, { result }));
  const queryTimes = seriesBy((query) => boundHistogram(queryDuration, { query }));
  return {
    registry,
    httpRequests,
    httpDuration,
    response(method, route, statusCode, seconds) {
      const series = httpSeries(method, route, statusCode);
      series.count();
      if (seconds !== undefined) series.observe(seconds);
    },
    query(name, seconds, outcome) {
      queryTimes(name)(seconds);
      if (outcome !== "ok") queryErrors.inc({ query: name, kind: outcome });
    },
    cache(operation, seconds, failed) {
      cacheTimes(operation)(seconds);
      if (failed) cacheErrors.inc({ operation });
    },
    cacheLookup: (result) => lookups(result)(),
    cacheInvalidationFailed: () => cacheInvalidationFailures.inc(),
    orderCreated: (pricing) => ordersCreated.inc({ pricing }),
    idempotentReplay: (outcome) => replays.inc({ outcome }),
  };
}
