import assert from "node:assert/strict";
import { ConfigError, describeConfig, loadConfig, redactUrl, type Env } from "../src/config.js";
import { createSampler } from "../src/telemetry.js";

const files: Record<string, string> = { "/run/secrets/db-password": "s3cret-from-file\n", "/run/secrets/empty": "\n", "/etc/ca.pem": "PEM" };
const readFile = (path: string): string => {
  const content = files[path];
  if (content === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: "ENOENT" });
  return content;
};

const minimal: Env = { DATABASE_HOST: "db.internal", DATABASE_NAME: "orders", DATABASE_USER: "orders_app", DATABASE_PASSWORD_FILE: "/run/secrets/db-password" };

function problems(env: Env): readonly string[] {
  try {
    loadConfig(env, readFile);
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.problems;
  }
  assert.fail("expected a ConfigError");
}

describe("config", () => {
  it("applies documented defaults to a minimal environment", () => {
    const config = loadConfig(minimal, readFile);
    assert.equal(config.port, 8080);
    assert.equal(config.database.port, 5432);
    assert.equal(config.database.ssl, "verify-full");
    assert.equal(config.database.poolMax, 10);
    assert.equal(config.redis, undefined);
    assert.equal(config.otlpEndpoint, undefined);
    assert.equal(config.shutdownTimeoutMs, 20000);
    assert.equal(config.shutdownDelayMs, 2000);
    assert.equal(config.migrateOnStart, false);
    assert.equal(config.flagsFile, "/etc/orders/flags/flags.json");
    assert.deepEqual(config.traceSampling, { sampler: "parentbased_traceidratio", ratio: 1 });
    assert.equal(config.dependencyLogIntervalMs, 10000);
  });

  it("reads the standard OpenTelemetry sampler variables, and builds the sampler they name", () => {
    const sampling = (env: Env) => loadConfig({ ...minimal, ...env }, readFile).traceSampling;
    assert.deepEqual(sampling({ OTEL_TRACES_SAMPLER_ARG: "0.1" }), { sampler: "parentbased_traceidratio", ratio: 0.1 });
    assert.deepEqual(sampling({ OTEL_TRACES_SAMPLER: "traceidratio", OTEL_TRACES_SAMPLER_ARG: "0" }), { sampler: "traceidratio", ratio: 0 });
    assert.deepEqual(sampling({ OTEL_TRACES_SAMPLER: "always_off" }), { sampler: "always_off", ratio: 1 });
    assert.equal(createSampler({ sampler: "parentbased_traceidratio", ratio: 0.1 }).toString(), "ParentBased{root=TraceIdRatioBased{0.1}, remoteParentSampled=AlwaysOnSampler, remoteParentNotSampled=AlwaysOffSampler, localParentSampled=AlwaysOnSampler, localParentNotSampled=AlwaysOffSampler}");
    assert.equal(createSampler({ sampler: "always_off", ratio: 1 }).toString(), "AlwaysOffSampler");
    assert.deepEqual(problems({ ...minimal, OTEL_TRACES_SAMPLER: "jaeger_remote" }), [
      'OTEL_TRACES_SAMPLER: received "jaeger_remote"; must be one of parentbased_traceidratio, parentbased_always_on, parentbased_always_off, traceidratio, always_on, always_off. Fix: set OTEL_TRACES_SAMPLER=parentbased_traceidratio and the fraction in OTEL_TRACES_SAMPLER_ARG',
    ]);
    assert.deepEqual(problems({ ...minimal, OTEL_TRACES_SAMPLER_ARG: "10%" }), [
      'OTEL_TRACES_SAMPLER_ARG: received "10%"; must be a number from 0 to 1 (the fraction of traces kept). Fix: set OTEL_TRACES_SAMPLER_ARG=0.1 to keep 10% of traces',
    ]);
    assert.deepEqual(problems({ ...minimal, OTEL_TRACES_SAMPLER_ARG: "1.5" }).length, 1);
    assert.deepEqual(problems({ ...minimal, OTEL_TRACES_SAMPLER: "always_on", OTEL_TRACES_SAMPLER_ARG: "0.5" }), [
      'OTEL_TRACES_SAMPLER_ARG: received "0.5"; is only read by the traceidratio samplers, not by always_on. Fix: unset OTEL_TRACES_SAMPLER_ARG or set OTEL_TRACES_SAMPLER=parentbased_traceidratio',
    ]);
  });

  it("reads the password file on every call, without its trailing newline", () => {
    const config = loadConfig(minimal, readFile);
    assert.equal(config.database.password(), "s3cret-from-file");
    files["/run/secrets/db-password"] = "rotated\n";
    try {
      assert.equal(config.database.password(), "rotated");
    } finally {
      files["/run/secrets/db-password"] = "s3cret-from-file\n";
    }
  });

  const cases: Array<{ name: string; env: Env; expected: string[] }> = [
    {
      name: "missing required variables",
      env: {},
      expected: [
        "DATABASE_HOST: received undefined; is required. Fix: set DATABASE_HOST to the PostgreSQL endpoint, e.g. the RDS instance address",
        "DATABASE_NAME: received undefined; is required. Fix: set DATABASE_NAME to the database to use, e.g. orders",
        "DATABASE_USER: received undefined; is required. Fix: set DATABASE_USER to the application's database role",
        "DATABASE_PASSWORD: received nothing; DATABASE_PASSWORD or DATABASE_PASSWORD_FILE is required. Fix: mount the database Secret and set DATABASE_PASSWORD_FILE to its path",
      ],
    },
    {
      name: "malformed numbers and enums",
      env: { ...minimal, PORT: "80a", DATABASE_PORT: "70000", DATABASE_SSL: "prefer", LOG_LEVEL: "verbose", MIGRATE_ON_START: "yes" },
      expected: [
        'PORT: received "80a"; must be an integer from 1 to 65535. Fix: set PORT to the TCP port to listen on, e.g. 8080',
        'LOG_LEVEL: received "verbose"; must be one of fatal, error, warn, info, debug, trace, silent. Fix: set LOG_LEVEL=info (or debug while investigating)',
        'DATABASE_PORT: received "70000"; must be an integer from 1 to 65535. Fix: set DATABASE_PORT to the PostgreSQL port, e.g. 5432',
        'DATABASE_SSL: received "prefer"; must be one of disable, require, verify-full. Fix: use verify-full with DATABASE_SSL_CA_FILE in the cloud, disable only for a local database',
        'MIGRATE_ON_START: received "yes"; must be true or false. Fix: set MIGRATE_ON_START=true to migrate under an advisory lock at startup, or false when a migrate Job runs first',
      ],
    },
    {
      name: "secrets are never echoed",
      env: { ...minimal, DATABASE_PASSWORD: "hunter2", REDIS_URL: "http://user:tok3n@cache:6379" },
      expected: [
        "DATABASE_PASSWORD: received a value (not shown: secret); must not be set together with DATABASE_PASSWORD_FILE. Fix: set only one of DATABASE_PASSWORD and DATABASE_PASSWORD_FILE",
        "REDIS_URL: received a value (not shown: secret); must be a redis:// or rediss:// (TLS) URL. Fix: set REDIS_URL=rediss://host:6379 for ElastiCache with TLS",
      ],
    },
    {
      name: "unreadable and empty secret files",
      env: { ...minimal, DATABASE_PASSWORD_FILE: "/run/secrets/missing", REDIS_URL: "rediss://cache:6379", REDIS_AUTH_TOKEN_FILE: "/run/secrets/empty" },
      expected: [
        'DATABASE_PASSWORD_FILE: received "/run/secrets/missing"; names a file that cannot be read (ENOENT). Fix: mount the Secret at /run/secrets/missing, or point DATABASE_PASSWORD_FILE at it',
        'REDIS_AUTH_TOKEN_FILE: received "/run/secrets/empty"; names an empty file. Fix: write the secret into /run/secrets/empty, or point REDIS_AUTH_TOKEN_FILE at the mounted Secret',
      ],
    },
    {
      name: "inconsistent combinations",
      env: { ...minimal, DATABASE_SSL: "require", DATABASE_SSL_CA_FILE: "/etc/ca.pem", SHUTDOWN_DELAY_MS: "30000", SHUTDOWN_TIMEOUT_MS: "25000", OTEL_EXPORTER_OTLP_ENDPOINT: "jaeger:4318" },
      expected: [
        'DATABASE_SSL_CA_FILE: received "/etc/ca.pem"; is only used with DATABASE_SSL=verify-full. Fix: set DATABASE_SSL=verify-full or unset DATABASE_SSL_CA_FILE',
        'OTEL_EXPORTER_OTLP_ENDPOINT: received "jaeger:4318"; must be an http:// or https:// URL. Fix: set it to the collector, e.g. http://jaeger.observability.svc:4318, or unset it to turn tracing off',
        'SHUTDOWN_DELAY_MS: received "30000"; must be less than SHUTDOWN_TIMEOUT_MS (25000). Fix: lower SHUTDOWN_DELAY_MS or raise SHUTDOWN_TIMEOUT_MS',
      ],
    },
  ];
  for (const { name, env, expected } of cases) {
    it(`reports every problem at once: ${name}`, () => {
      assert.deepEqual(problems(env), expected);
    });
  }

  it("puts every problem in one error message", () => {
    assert.throws(
      () => loadConfig({ ...minimal, PORT: "x", DATABASE_PORT: "y" }, readFile),
      (error: Error) => error.message.startsWith("Invalid configuration (2 problems):\n  - PORT: ") && error.message.includes("\n  - DATABASE_PORT: "),
    );
  });

  it("accepts ElastiCache-style TLS + AUTH and describes it without the secret", () => {
    const config = loadConfig({ ...minimal, REDIS_URL: "rediss://:inline-token@cache.example:6379", REDIS_AUTH_TOKEN: "tok" }, readFile);
    assert.equal(config.redis?.url, "rediss://:inline-token@cache.example:6379");
    assert.equal(config.redis?.authToken?.(), "tok");
    const described = JSON.stringify(describeConfig(config));
    assert.ok(!described.includes("inline-token") && !described.includes('"tok"') && !described.includes("s3cret"), described);
    assert.equal(redactUrl("rediss://:inline-token@cache.example:6379"), "rediss://:REDACTED@cache.example:6379");
  });
});
