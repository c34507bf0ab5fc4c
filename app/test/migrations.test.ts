import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import pino from "pino";
import { migrate, migrations, SCHEMA_VERSION } from "../src/migrations.js";
import { missingServices, sharedPostgres, type DatabaseLogin, type PostgresServer } from "./support/services.js";
import { startTestApp, testEnv } from "./support/app.js";

const APP_ROOT = join(__dirname, "..");
const silent = pino({ level: "silent" });

describe("migrations", function () {
  let server: PostgresServer;
  let db: DatabaseLogin;

  before(async function () {
    const missing = missingServices();
    if (missing !== undefined) {
      console.log(`    skipped: ${missing}`);
      this.skip();
    }
    server = await sharedPostgres();
    db = await server.createDatabase("orders_migrations");
  });

  it("applies each migration exactly once when many replicas start at the same moment", async () => {
    const pools = Array.from({ length: 6 }, () => new pg.Pool({ host: db.host, port: db.port, user: db.user, password: db.password, database: db.database }));
    try {
      const applied = await Promise.all(pools.map((pool) => migrate(pool, silent)));
      assert.equal(applied.reduce((a, b) => a + b, 0), migrations.length);
      const rows = await server.admin<{ version: number }>("SELECT version FROM schema_migrations ORDER BY version", [], db.database);
      assert.deepEqual(rows.rows.map((r) => r.version), migrations.map((m) => m.version));
    } finally {
      await Promise.all(pools.map((pool) => pool.end()));
    }
  });

  it("refuses to run when an applied migration was edited", async () => {
    const pool = new pg.Pool({ host: db.host, port: db.port, user: db.user, password: db.password, database: db.database });
    try {
      const edited = migrations.map((m) => (m.version === 1 ? { ...m, sql: `${m.sql} -- edited` } : m));
      await assert.rejects(migrate(pool, silent, edited), /migration 1 \(create orders\) changed after it was applied; add a new migration instead/);
    } finally {
      await pool.end();
    }
  });

  it("has a migrate entry point for a pre-rollout Job: exit 0 when current, 78 with the problems on bad config", () => {
    const dir = mkdtempSync(join(tmpdir(), "orders-migrate-"));
    try {
      const env = testEnv(db, undefined, dir, 8080);
      const ok = spawnSync(process.execPath, ["--import", "tsx", "src/migrate.ts"], { cwd: APP_ROOT, env: { PATH: process.env.PATH, ...env }, encoding: "utf8" });
      assert.equal(ok.status, 0, ok.stderr);
      assert.match(ok.stdout, /"msg":"schema already current"/);

      const bad = spawnSync(process.execPath, ["--import", "tsx", "src/migrate.ts"], { cwd: APP_ROOT, env: { PATH: process.env.PATH, ...env, DATABASE_PORT: "five" }, encoding: "utf8" });
      assert.equal(bad.status, 78);
      assert.equal(bad.stderr, 'Invalid configuration (1 problem):\n  - DATABASE_PORT: received "five"; must be an integer from 1 to 65535. Fix: set DATABASE_PORT to the PostgreSQL port, e.g. 5432\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  // The platform starts a new image's pods while its migration Job runs (components/delivery/
  // workload.ts): this gate is what keeps "schema before new code serves".
  it("keeps readiness at 503 until the schema has this build's version, then 200; a newer schema stays ready", async () => {
    assert.equal(SCHEMA_VERSION, migrations.at(-1)?.version);
    const fresh = await server.createDatabase("orders_readiness_gate");
    const app = await startTestApp(fresh, undefined, { MIGRATE_ON_START: "false" });
    const pool = new pg.Pool({ host: fresh.host, port: fresh.port, user: fresh.user, password: fresh.password, database: fresh.database });
    try {
      const never = await app.json("/health/readiness");
      assert.equal(never.status, 503);
      assert.deepEqual(never.body.checks, { database: "ok", schema: "behind", cache: "disabled" });
      assert.equal(never.body.status, "migrating");
      assert.equal(never.body.message, `The database schema is at version 0; this build needs ${SCHEMA_VERSION} (its migration has not run yet).`);

      await migrate(pool, silent, migrations.slice(0, -1));
      const behind = await app.json("/health/readiness");
      assert.equal(behind.status, 503);
      assert.equal(behind.body.message, `The database schema is at version ${SCHEMA_VERSION - 1}; this build needs ${SCHEMA_VERSION} (its migration has not run yet).`);

      await migrate(pool, silent);
      const current = await app.json("/health/readiness");
      assert.equal(current.status, 200);
      assert.deepEqual(current.body.checks, { database: "ok", schema: "ok", cache: "disabled" });

      // The next image's migration ran first: these (old) pods keep serving during the rollout.
      await server.admin("INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, 'next', 'x')", [SCHEMA_VERSION + 1], fresh.database);
      assert.equal((await app.json("/health/readiness")).status, 200);
    } finally {
      await pool.end();
      await app.stop();
    }
  });
});
