// Configuration comes from environment variables only (twelve-factor), is parsed once at
// startup, and every problem is collected so one failed start lists everything to fix.
// This module imports nothing but node:fs: main.ts loads it first, to fail fast on a bad configuration.
import { readFileSync } from "node:fs";

export type DatabaseSslMode = "disable" | "require" | "verify-full";
export type LogLevel = "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";

/** A credential that is read again every time it is needed, so a rotated Secret takes effect without a restart. */
export type SecretSource = () => string;

export interface DatabaseConfig {
  readonly host: string;
  readonly port: number;
  readonly name: string;
  readonly user: string;
  /** Re-read for every new connection (DATABASE_PASSWORD_FILE) so a rotated password needs no restart. */
  readonly password: SecretSource;
  readonly ssl: DatabaseSslMode;
  /** PEM bundle to verify the server with (e.g. the RDS CA bundle). @default - Node's trust store */
  readonly sslCaFile: string | undefined;
  readonly poolMax: number;
  readonly connectTimeoutMs: number;
  readonly statementTimeoutMs: number;
}

export interface RedisConfig {
  /** redis:// or rediss:// (TLS). */
  readonly url: string;
  /** AUTH token (ElastiCache), re-read on every reconnect. undefined when the URL carries it or none is needed. */
  readonly authToken: SecretSource | undefined;
  readonly commandTimeoutMs: number;
  readonly ttlSeconds: number;
}

/** The OpenTelemetry SDK's standard sampler names (OTEL_TRACES_SAMPLER). */
export const TRACE_SAMPLERS = ["parentbased_traceidratio", "parentbased_always_on", "parentbased_always_off", "traceidratio", "always_on", "always_off"] as const;
export type TraceSamplerName = (typeof TRACE_SAMPLERS)[number];

export interface TraceSampling {
  readonly sampler: TraceSamplerName;
  /** Fraction of root traces kept by the *traceidratio samplers (OTEL_TRACES_SAMPLER_ARG). */
  readonly ratio: number;
}

export interface Config {
  readonly host: string;
  readonly port: number;
  readonly logLevel: LogLevel;
  readonly serviceName: string;
  readonly environment: string;
  readonly database: DatabaseConfig;
  /** @default - no cache: every read goes to PostgreSQL */
  readonly redis: RedisConfig | undefined;
  readonly flagsFile: string;
  readonly flagsPollIntervalMs: number;
  /** @default - tracing off */
  readonly otlpEndpoint: string | undefined;
  /** @default - parentbased_traceidratio at 1.0: follow the caller's decision, keep every root trace */
  readonly traceSampling: TraceSampling;
  /** A dependency outage is logged once per this interval, with the count of failed requests. */
  readonly dependencyLogIntervalMs: number;
  readonly readinessTimeoutMs: number;
  readonly shutdownDelayMs: number;
  readonly shutdownTimeoutMs: number;
  readonly migrateOnStart: boolean;
}

export type Env = Readonly<Record<string, string | undefined>>;
export type ReadFile = (path: string) => string;

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(
      `Invalid configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
        problems.map((p) => `  - ${p}`).join("\n"),
    );
    this.name = "ConfigError";
  }
}

const readFileUtf8: ReadFile = (path) => readFileSync(path, "utf8");

/** Secrets mounted from Kubernetes Secrets usually end with a newline; it is never part of the value. */
function trimSecret(raw: string): string {
  return raw.replace(/\r?\n$/, "");
}

/** Collects problems instead of throwing at the first one. */
class Parser {
  readonly problems: string[] = [];
  constructor(private readonly env: Env) {}

  private received(name: string, secret: boolean): string {
    const value = this.env[name];
    return secret ? "received a value (not shown: secret)" : `received ${JSON.stringify(value)}`;
  }

  problem(name: string, rule: string, fix: string, secret = false): void {
    this.problems.push(`${name}: ${this.received(name, secret)}; ${rule}. Fix: ${fix}`);
  }

  raw(name: string): string | undefined {
    const value = this.env[name];
    return value === undefined || value === "" ? undefined : value;
  }

  string(name: string, fallback: string): string {
    return this.raw(name) ?? fallback;
  }

  required(name: string, fix: string): string {
    const value = this.raw(name);
    if (value === undefined) this.problem(name, "is required", fix);
    return value ?? "";
  }

  integer(name: string, fallback: number, min: number, max: number, fix: string): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (!/^-?\d+$/.test(value) || Number(value) < min || Number(value) > max) {
      this.problem(name, `must be an integer from ${min} to ${max}`, fix);
      return fallback;
    }
    return Number(value);
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T, fix: string): T {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (!(allowed as readonly string[]).includes(value)) {
      this.problem(name, `must be one of ${allowed.join(", ")}`, fix);
      return fallback;
    }
    return value as T;
  }

  boolean(name: string, fallback: boolean, fix: string): boolean {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (value !== "true" && value !== "false") {
      this.problem(name, "must be true or false", fix);
      return fallback;
    }
    return value === "true";
  }

  /**
   * A secret given either inline (NAME) or as a file path (NAME_FILE, a mounted Secret). The file is read once
   * now to fail fast, and again by the returned function whenever a connection is (re)established.
   */
  secret(name: string, readFile: ReadFile, required: boolean, fix: string): SecretSource | undefined {
    const inline = this.raw(name);
    const fileName = `${name}_FILE`;
    const file = this.raw(fileName);
    if (inline !== undefined && file !== undefined) {
      this.problem(name, `must not be set together with ${fileName}`, `set only one of ${name} and ${fileName}`, true);
      return undefined;
    }
    if (file !== undefined) {
      try {
        if (trimSecret(readFile(file)) === "") {
          this.problem(fileName, "names an empty file", `write the secret into ${file}, or point ${fileName} at the mounted Secret`);
          return undefined;
        }
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? "read error";
        this.problem(fileName, `names a file that cannot be read (${code})`, `mount the Secret at ${file}, or point ${fileName} at it`);
        return undefined;
      }
      return () => trimSecret(readFile(file));
    }
    if (inline !== undefined) return () => inline;
    if (required) this.problems.push(`${name}: received nothing; ${name} or ${fileName} is required. Fix: ${fix}`);
    return undefined;
  }
}

/** Hides the password part of a URL, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== "") parsed.password = "REDACTED";
    return parsed.toString();
  } catch {
    return "<unparseable URL>";
  }
}

/**
 * Parses and validates the whole configuration. Throws one ConfigError listing every problem:
 * the variable, the value received (unless secret), the rule, and how to fix it.
 */
export function loadConfig(env: Env = process.env, readFile: ReadFile = readFileUtf8): Config {
  const p = new Parser(env);

  const port = p.integer("PORT", 8080, 1, 65535, "set PORT to the TCP port to listen on, e.g. 8080");
  const host = p.string("HOST", "0.0.0.0");
  const logLevel = p.oneOf<LogLevel>(
    "LOG_LEVEL",
    ["fatal", "error", "warn", "info", "debug", "trace", "silent"],
    "info",
    "set LOG_LEVEL=info (or debug while investigating)",
  );

  const database: DatabaseConfig = {
    host: p.required("DATABASE_HOST", "set DATABASE_HOST to the PostgreSQL endpoint, e.g. the RDS instance address"),
    port: p.integer("DATABASE_PORT", 5432, 1, 65535, "set DATABASE_PORT to the PostgreSQL port, e.g. 5432"),
    name: p.required("DATABASE_NAME", "set DATABASE_NAME to the database to use, e.g. orders"),
    user: p.required("DATABASE_USER", "set DATABASE_USER to the application's database role"),
    password:
      p.secret("DATABASE_PASSWORD", readFile, true, "mount the database Secret and set DATABASE_PASSWORD_FILE to its path") ??
      (() => ""),
    // verify-full by default: RDS forces TLS, and encryption without verifying the server is weaker than it looks.
    ssl: p.oneOf<DatabaseSslMode>(
      "DATABASE_SSL",
      ["disable", "require", "verify-full"],
      "verify-full",
      "use verify-full with DATABASE_SSL_CA_FILE in the cloud, disable only for a local database",
    ),
    sslCaFile: p.raw("DATABASE_SSL_CA_FILE"),
    poolMax: p.integer("DATABASE_POOL_MAX", 10, 1, 100, "set DATABASE_POOL_MAX to the connections per replica, e.g. 10"),
    connectTimeoutMs: p.integer("DATABASE_CONNECT_TIMEOUT_MS", 3000, 100, 60000, "set DATABASE_CONNECT_TIMEOUT_MS, e.g. 3000"),
    statementTimeoutMs: p.integer("DATABASE_STATEMENT_TIMEOUT_MS", 5000, 100, 600000, "set DATABASE_STATEMENT_TIMEOUT_MS, e.g. 5000"),
  };
  const caFile = database.sslCaFile;
  if (caFile !== undefined) {
    try {
      readFile(caFile);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? "read error";
      p.problem("DATABASE_SSL_CA_FILE", `names a file that cannot be read (${code})`, "mount the CA bundle and point DATABASE_SSL_CA_FILE at it");
    }
    if (database.ssl !== "verify-full") {
      p.problem("DATABASE_SSL_CA_FILE", "is only used with DATABASE_SSL=verify-full", "set DATABASE_SSL=verify-full or unset DATABASE_SSL_CA_FILE");
    }
  }

  let redis: RedisConfig | undefined;
  const redisUrl = p.raw("REDIS_URL");
  const authToken = p.secret("REDIS_AUTH_TOKEN", readFile, false, "");
  if (redisUrl !== undefined) {
    let protocol = "";
    try {
      protocol = new URL(redisUrl).protocol;
    } catch {
      // reported below
    }
    if (protocol !== "redis:" && protocol !== "rediss:") {
      // The URL may embed a password, so it is treated as a secret and not echoed.
      p.problem("REDIS_URL", "must be a redis:// or rediss:// (TLS) URL", "set REDIS_URL=rediss://host:6379 for ElastiCache with TLS", true);
    }
    redis = {
      url: redisUrl,
      authToken,
      commandTimeoutMs: p.integer("REDIS_COMMAND_TIMEOUT_MS", 250, 10, 10000, "set REDIS_COMMAND_TIMEOUT_MS, e.g. 250"),
      ttlSeconds: p.integer("CACHE_TTL_SECONDS", 300, 1, 86400, "set CACHE_TTL_SECONDS, e.g. 300"),
    };
  } else if (authToken !== undefined) {
    p.problem("REDIS_AUTH_TOKEN", "is set but REDIS_URL is not", "set REDIS_URL too, or remove the token", true);
  }

  const otlpEndpoint = p.raw("OTEL_EXPORTER_OTLP_ENDPOINT");
  if (otlpEndpoint !== undefined && !/^https?:\/\/[^/]+/.test(otlpEndpoint)) {
    p.problem("OTEL_EXPORTER_OTLP_ENDPOINT", "must be an http:// or https:// URL", "set it to the collector, e.g. http://jaeger.observability.svc:4318, or unset it to turn tracing off");
  }

  const sampler = p.oneOf<TraceSamplerName>(
    "OTEL_TRACES_SAMPLER",
    TRACE_SAMPLERS,
    "parentbased_traceidratio",
    "set OTEL_TRACES_SAMPLER=parentbased_traceidratio and the fraction in OTEL_TRACES_SAMPLER_ARG",
  );
  let ratio = 1;
  const ratioRaw = p.raw("OTEL_TRACES_SAMPLER_ARG");
  if (ratioRaw !== undefined) {
    if (!sampler.endsWith("traceidratio")) {
      p.problem("OTEL_TRACES_SAMPLER_ARG", `is only read by the traceidratio samplers, not by ${sampler}`, "unset OTEL_TRACES_SAMPLER_ARG or set OTEL_TRACES_SAMPLER=parentbased_traceidratio");
    } else if (!/^(0(\.\d+)?|1(\.0+)?|\.\d+)$/.test(ratioRaw)) {
      p.problem("OTEL_TRACES_SAMPLER_ARG", "must be a number from 0 to 1 (the fraction of traces kept)", "set OTEL_TRACES_SAMPLER_ARG=0.1 to keep 10% of traces");
    } else {
      ratio = Number(ratioRaw);
    }
  }

  const shutdownTimeoutMs = p.integer("SHUTDOWN_TIMEOUT_MS", 20000, 1000, 600000, "set SHUTDOWN_TIMEOUT_MS below the pod's terminationGracePeriodSeconds, e.g. 20000");
  const shutdownDelayMs = p.integer("SHUTDOWN_DELAY_MS", 2000, 0, 600000, "set SHUTDOWN_DELAY_MS, e.g. 2000");
  if (shutdownDelayMs >= shutdownTimeoutMs) {
    p.problem("SHUTDOWN_DELAY_MS", `must be less than SHUTDOWN_TIMEOUT_MS (${shutdownTimeoutMs})`, "lower SHUTDOWN_DELAY_MS or raise SHUTDOWN_TIMEOUT_MS");
  }

  const config: Config = {
    host,
    port,
    logLevel,
    serviceName: p.string("OTEL_SERVICE_NAME", "orders-service"),
    environment: p.string("DEPLOYMENT_ENVIRONMENT", "local"),
    database,
    redis,
    flagsFile: p.string("FLAGS_FILE", "/etc/orders/flags/flags.json"),
    flagsPollIntervalMs: p.integer("FLAGS_POLL_INTERVAL_MS", 5000, 100, 3600000, "set FLAGS_POLL_INTERVAL_MS, e.g. 5000"),
    otlpEndpoint,
    traceSampling: { sampler, ratio },
    dependencyLogIntervalMs: p.integer("DEPENDENCY_LOG_INTERVAL_MS", 10000, 100, 3600000, "set DEPENDENCY_LOG_INTERVAL_MS, e.g. 10000"),
    readinessTimeoutMs: p.integer("READINESS_TIMEOUT_MS", 1000, 50, 30000, "set READINESS_TIMEOUT_MS below the probe's timeoutSeconds, e.g. 1000"),
    shutdownDelayMs,
    shutdownTimeoutMs,
    migrateOnStart: p.boolean("MIGRATE_ON_START", false, "set MIGRATE_ON_START=true to migrate under an advisory lock at startup, or false when a migrate Job runs first"),
  };
  if (p.problems.length > 0) throw new ConfigError(p.problems);
  return config;
}

/** What is safe to log about the configuration: no secrets, URL passwords masked. */
export function describeConfig(config: Config): Record<string, unknown> {
  return {
    port: config.port,
    environment: config.environment,
    database: { host: config.database.host, port: config.database.port, name: config.database.name, user: config.database.user, ssl: config.database.ssl, poolMax: config.database.poolMax },
    redis: config.redis === undefined ? "disabled" : { url: redactUrl(config.redis.url), authToken: config.redis.authToken === undefined ? "none" : "set" },
    flagsFile: config.flagsFile,
    tracing: config.otlpEndpoint === undefined ? "disabled" : { endpoint: config.otlpEndpoint, sampler: config.traceSampling.sampler, ratio: config.traceSampling.ratio },
    migrateOnStart: config.migrateOnStart,
  };
}
