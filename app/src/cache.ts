import { Redis } from "ioredis";
import type { FastifyBaseLogger } from "fastify";
import type { RedisConfig } from "./config.js";
import type { CacheOperation, CacheResult, Instruments } from "./metrics.js";
import { inClientSpan, REDIS_TRACER_NAME, type ClientSpan } from "./spans.js";

/**
 * A read-through cache that is never required for correctness: every failure (Redis down, slow,
 * evicted) is a miss, and the caller reads PostgreSQL. That is what lets readiness ignore Redis.
 */
export interface Cache {
  get(key: string): Promise<{ result: CacheResult; value?: string }>;
  /**
   * Fills a miss: writes only if the key holds nothing (SET NX). A reader that loaded the row before
   * a concurrent write therefore cannot overwrite what that write stored (see `replace`).
   */
  fill(key: string, value: string): Promise<void>;
  /** Stores the new value after a database write (write-through); false when Redis did not take it. */
  replace(key: string, value: string): Promise<boolean>;
  /** "ok" when connected; "degraded" (still serving, from the database) otherwise. */
  status(): "ok" | "degraded" | "disabled";
  close(): Promise<void>;
}

export function createCache(config: RedisConfig | undefined, logger: FastifyBaseLogger, instruments: Instruments): Cache {
  if (config === undefined) return disabledCache;
  const token = config.authToken;
  const redis = new Redis(config.url, {
    // rediss:// URLs turn TLS on (ElastiCache in-transit encryption); the token is the AUTH password.
    ...(token === undefined ? {} : { password: token() }),
    lazyConnect: true,
    // Fail commands at once while disconnected instead of queueing them: a cache that makes requests
    // wait for it is worse than no cache.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: config.commandTimeoutMs,
    connectTimeout: 2000,
    // Keep reconnecting forever, backing off to 2 s.
    retryStrategy: (attempt) => Math.min(attempt * 100, 2000),
  });
  let connected = false;
  redis.on("ready", () => {
    connected = true;
    logger.info("cache connected");
  });
  redis.on("error", (error: Error) => {
    // Logged once per outage, not once per reconnect attempt.
    if (connected) logger.warn({ err: { message: error.message } }, "cache unavailable; reading from the database");
    connected = false;
  });
  redis.on("reconnecting", () => {
    // Re-read a mounted token before each reconnect so a rotated AUTH token needs no restart.
    if (token !== undefined) redis.options.password = token();
  });
  redis.connect().catch((error: Error) => logger.warn({ err: { message: error.message } }, "cache not reachable at startup; will keep retrying"));

  const span = (command: string): (() => ClientSpan) => {
    const described: ClientSpan = { name: command, attributes: { "db.system.name": "redis", "db.operation.name": command } };
    return () => described;
  };
  const SPANS: Record<CacheOperation, () => ClientSpan> = { get: span("GET"), fill: span("SET"), replace: span("SET") };
  const scope = { name: REDIS_TRACER_NAME };
  async function timed<T>(operation: CacheOperation, command: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      const result = await inClientSpan(scope, SPANS[operation], command);
      instruments.cache(operation, (performance.now() - started) / 1000, false);
      return result;
    } catch (error) {
      instruments.cache(operation, (performance.now() - started) / 1000, true);
      throw error;
    }
  }

  return {
    async get(key) {
      try {
        const value = await timed("get", () => redis.get(key));
        return value === null ? { result: "miss" } : { result: "hit", value };
      } catch {
        return { result: "error" };
      }
    },
    async fill(key, value) {
      try {
        await timed("fill", () => redis.set(key, value, "EX", config.ttlSeconds, "NX"));
      } catch {
        // A lost cache write only costs a later miss.
      }
    },
    async replace(key, value) {
      try {
        await timed("replace", () => redis.set(key, value, "EX", config.ttlSeconds));
        return true;
      } catch (error) {
        logger.warn({ err: { message: (error as Error).message }, key }, "cache update failed; the old entry expires with its TTL");
        return false;
      }
    },
    status: () => (redis.status === "ready" ? "ok" : "degraded"),
    async close() {
      try {
        await redis.quit();
      } catch {
        redis.disconnect();
      }
    },
  };
}

const disabledCache: Cache = {
  get: async () => ({ result: "miss" }),
  fill: async () => undefined,
  replace: async () => true,
  status: () => "disabled",
  close: async () => undefined,
};
