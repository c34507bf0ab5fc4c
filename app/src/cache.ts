import { Redis } from "ioredis";
import type { FastifyBaseLogger } from "fastify";
import type { RedisConfig } from "./config.js";
import type { CacheResult } from "./metrics.js";

/**
 * A read-through cache that is never required for correctness: every failure (Redis down, slow,
 * evicted) is a miss, and the caller reads PostgreSQL. That is what lets readiness ignore Redis.
 */
export interface Cache {
  get(key: string): Promise<{ result: CacheResult; value?: string }>;
  set(key: string, value: string): Promise<void>;
  delete(key: string): Promise<void>;
  /** "ok" when connected; "degraded" (still serving, from the database) otherwise. */
  status(): "ok" | "degraded" | "disabled";
  close(): Promise<void>;
}

export function createCache(config: RedisConfig | undefined, logger: FastifyBaseLogger): Cache {
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

  return {
    async get(key) {
      try {
        const value = await redis.get(key);
        return value === null ? { result: "miss" } : { result: "hit", value };
      } catch {
        return { result: "error" };
      }
    },
    async set(key, value) {
      try {
        await redis.set(key, value, "EX", config.ttlSeconds);
      } catch {
        // A lost cache write only costs a later miss.
      }
    },
    async delete(key) {
      try {
        await redis.del(key);
      } catch (error) {
        // The entry may stay stale until its TTL expires; the TTL bounds that.
        logger.warn({ err: { message: (error as Error).message }, key }, "cache invalidation failed; entry expires with its TTL");
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
  set: async () => undefined,
  delete: async () => undefined,
  status: () => "disabled",
  close: async () => undefined,
};
