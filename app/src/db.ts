import { readFileSync } from "node:fs";
import pg from "pg";
import type { FastifyBaseLogger } from "fastify";
import type { DatabaseConfig } from "./config.js";

// PostgreSQL returns bigint (int8) as text because it can exceed 2^53. Every bigint this service stores
// (totals in cents, sequence numbers) is bounded far below that by validation, so parse to number.
pg.types.setTypeParser(pg.types.builtins.INT8, (value: string) => Number(value));

function sslOptions(config: DatabaseConfig): pg.PoolConfig["ssl"] {
  switch (config.ssl) {
    case "disable":
      return false;
    case "require":
      // Like libpq's sslmode=require: encrypted, server identity not checked.
      return { rejectUnauthorized: false };
    case "verify-full":
      return {
        rejectUnauthorized: true,
        ...(config.sslCaFile === undefined ? {} : { ca: readFileSync(config.sslCaFile, "utf8") }),
      };
  }
}

export function createPool(config: DatabaseConfig, logger: FastifyBaseLogger, applicationName: string): pg.Pool {
  const pool = new pg.Pool({
    host: config.host,
    port: config.port,
    database: config.name,
    user: config.user,
    // A function, not a string: pg calls it for every new connection, so rewriting the mounted
    // password file (Secret rotation) takes effect at the next reconnect without a restart.
    password: () => config.password(),
    ssl: sslOptions(config),
    max: config.poolMax,
    connectionTimeoutMillis: config.connectTimeoutMs,
    idleTimeoutMillis: 30_000,
    statement_timeout: config.statementTimeoutMs,
    application_name: applicationName,
  });
  // An idle client that loses its connection (database restart, failover, terminated backend) emits
  // 'error' on the pool; without a listener that would crash the process. The pool drops the client.
  pool.on("error", (error) => {
    logger.warn({ err: { message: error.message, code: (error as { code?: string }).code } }, "idle database connection lost");
  });
  return pool;
}

/** Resolves when the database answers, rejects when it does not within timeoutMs. */
export async function pingDatabase(pool: pg.Pool, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`database did not answer within ${timeoutMs} ms`)), timeoutMs);
  });
  const query = pool.query("SELECT 1");
  query.catch(() => undefined); // a late failure after the timeout must not be an unhandled rejection
  try {
    await Promise.race([query, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
