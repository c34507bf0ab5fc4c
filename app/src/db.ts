import { readFileSync } from "node:fs";
import pg from "pg";
import type { Attributes } from "@opentelemetry/api";
import type { FastifyBaseLogger } from "fastify";
import type { DatabaseConfig } from "./config.js";
import { classifyDatabaseError, DependencyUnavailableError } from "./dependency.js";
import type { Instruments, QueryName } from "./metrics.js";
import { inClientSpan, POSTGRES_TRACER_NAME } from "./spans.js";

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

/** Connection settings shared by the request pool and the readiness probe's own connection. */
function connectionOptions(config: DatabaseConfig, applicationName: string): pg.ClientConfig {
  return {
    host: config.host,
    port: config.port,
    database: config.name,
    user: config.user,
    // A function, not a string: pg calls it for every new connection, so rewriting the mounted
    // password file (Secret rotation) takes effect at the next reconnect without a restart.
    password: () => config.password(),
    ssl: sslOptions(config),
    statement_timeout: config.statementTimeoutMs,
    application_name: applicationName,
  };
}

export function createPool(config: DatabaseConfig, logger: FastifyBaseLogger, applicationName: string): pg.Pool {
  const pool = new pg.Pool({
    ...connectionOptions(config, applicationName),
    max: config.poolMax,
    // Also bounds the wait for a free connection when all are busy ("timeout exceeded when trying to connect": 503).
    connectionTimeoutMillis: config.connectTimeoutMs,
    idleTimeoutMillis: 30_000,
  });
  // An idle client that loses its connection (database restart, failover, terminated backend) emits
  // 'error' on the pool; without a listener that would crash the process. The pool drops the client.
  pool.on("error", (error) => {
    logger.warn({ err: { message: error.message, code: (error as { code?: string }).code } }, "idle database connection lost");
  });
  return pool;
}

/** PostgreSQL's undefined_table: schema_migrations does not exist before the first migration. */
const UNDEFINED_TABLE = "42P01";

/** The newest applied migration (0 on a database never migrated), in one indexed read. */
async function schemaVersion(client: pg.Client): Promise<number> {
  try {
    const result = await client.query<{ version: number | null }>("SELECT max(version) AS version FROM schema_migrations");
    return result.rows[0]?.version ?? 0;
  } catch (error) {
    if ((error as { code?: string }).code === UNDEFINED_TABLE) return 0;
    throw error;
  }
}

/**
 * Resolves with the schema version (the newest applied migration, 0 when none) when PostgreSQL
 * accepts a new login and answers within timeoutMs; rejects otherwise.
 * It uses a connection of its own, never the request pool: readiness answers "can this pod reach
 * PostgreSQL", and a pool that is merely busy (slow queries, a lock) must not take every replica
 * out of the Service at once. A fresh login also proves the mounted password still works.
 */
export async function pingDatabase(config: DatabaseConfig, applicationName: string, timeoutMs: number): Promise<number> {
  const client = new pg.Client({
    ...connectionOptions(config, `${applicationName}-readiness`),
    connectionTimeoutMillis: timeoutMs,
    statement_timeout: timeoutMs,
  });
  client.on("error", () => undefined); // a connection lost after the answer is not this probe's concern
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`database did not answer within ${timeoutMs} ms`)), timeoutMs);
  });
  const probe = client.connect().then(() => schemaVersion(client));
  probe.catch(() => undefined); // a late failure after the timeout must not be an unhandled rejection
  try {
    return await Promise.race([probe, timeout]);
  } finally {
    clearTimeout(timer);
    client.end().catch(() => undefined);
  }
}

export type Query = <R extends pg.QueryResultRow>(name: QueryName, sql: string, params: readonly unknown[]) => Promise<pg.QueryResult<R>>;

/**
 * Runs every request query through the pool, timed and classified: a dependency failure (database
 * down, connection lost, pool wait or statement timeout) becomes DependencyUnavailableError (503,
 * Retry-After); anything else (a bug, a constraint the code should have checked) stays itself (500).
 */
export function createQuery(pool: pg.Pool, instruments: Instruments, database?: Pick<DatabaseConfig, "host" | "port" | "name">): Query {
  const connection = database === undefined ? {} : { "db.namespace": database.name, "server.address": database.host, "server.port": database.port };
  // Span name and attributes per query text, built once (the service has a handful of fixed statements).
  const spans = new Map<string, { name: string; attributes: Attributes }>();
  const spanFor = (name: QueryName, sql: string) => {
    let span = spans.get(sql);
    if (span === undefined) {
      // Span name per the database semantic conventions: "<operation> <table>"; the text has placeholders, never values.
      const operation = sql.trimStart().split(/\s/, 1)[0] ?? "QUERY";
      span = { name: `${operation} orders`, attributes: { "db.system.name": "postgresql", "db.operation.name": operation, "db.collection.name": "orders", "db.query.summary": name, "db.query.text": sql, ...connection } };
      if (spans.size < 100) spans.set(sql, span);
    }
    return span;
  };
  const scope = { name: POSTGRES_TRACER_NAME };
  return async <R extends pg.QueryResultRow>(name: QueryName, sql: string, params: readonly unknown[]) => {
    const started = performance.now();
    try {
      const result = await inClientSpan(scope, () => spanFor(name, sql), () => pool.query<R>(sql, params as unknown[]));
      instruments.query(name, (performance.now() - started) / 1000, "ok");
      return result;
    } catch (error) {
      const failure = classifyDatabaseError(error);
      instruments.query(name, (performance.now() - started) / 1000, failure ?? "error");
      if (failure !== undefined) throw new DependencyUnavailableError("database", failure, error as Error);
      throw error;
    }
  };
}
