import { createHash } from "node:crypto";
import type pg from "pg";
import type { FastifyBaseLogger } from "fastify";

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

// Migrations live in code rather than .sql files so the compiled dist/ is all the image needs.
// Append only: an applied migration must never change (its checksum is verified).
export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: "create orders",
    sql: `
      CREATE TABLE orders (
        id uuid PRIMARY KEY,
        -- Keyset pagination cursor: strictly increasing and exact, unlike timestamps.
        seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
        customer_id text NOT NULL,
        status text NOT NULL DEFAULT 'placed' CHECK (status IN ('placed', 'cancelled')),
        currency char(3) NOT NULL,
        -- Line items are an immutable snapshot of the order, always read with it: one jsonb column
        -- keeps create a single-row insert, which makes the idempotency guarantee one unique index.
        items jsonb NOT NULL,
        total_cents bigint NOT NULL CHECK (total_cents >= 0),
        pricing text NOT NULL,
        idempotency_key text,
        request_hash text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE UNIQUE INDEX orders_customer_idempotency_key ON orders (customer_id, idempotency_key);
      CREATE INDEX orders_customer_seq ON orders (customer_id, seq DESC);
    `,
  },
  {
    version: 2,
    name: "idempotency keys unique across customers",
    // A key names one request whoever the customer: the same key with another customer is a
    // reused key (422), not a second order. Partial: orders created without a key are unconstrained.
    sql: `
      CREATE UNIQUE INDEX orders_idempotency_key ON orders (idempotency_key) WHERE idempotency_key IS NOT NULL;
      DROP INDEX orders_customer_idempotency_key;
    `,
  },
];

/**
 * The schema version this build needs: its newest migration. Readiness fails until the database has
 * it (server.ts), so a replica whose pods start before the migration Job finishes never serves.
 */
export const SCHEMA_VERSION = Math.max(...migrations.map((m) => m.version));

// Any constant works; it only has to be the same in every replica and unique within the database.
const MIGRATION_LOCK_KEY = 7_245_001;

function checksum(sql: string): string {
  return createHash("sha256").update(sql).digest("hex");
}

/**
 * Applies pending migrations. Safe when many replicas (or a Job and replicas) run it at once: a
 * session-level advisory lock lets one run at a time; the others wait, then find nothing to do.
 * Each migration runs in its own transaction with its bookkeeping row.
 */
export async function migrate(pool: pg.Pool, logger: FastifyBaseLogger, list: readonly Migration[] = migrations): Promise<number> {
  const client = await pool.connect();
  try {
    // Migrations may legitimately outlast the request statement timeout.
    await client.query("SET statement_timeout = 0");
    await client.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK_KEY]);
    try {
      await client.query(`
        CREATE TABLE IF NOT EXISTS schema_migrations (
          version integer PRIMARY KEY,
          name text NOT NULL,
          checksum text NOT NULL,
          applied_at timestamptz NOT NULL DEFAULT now()
        )`);
      const applied = new Map<number, string>(
        (await client.query<{ version: number; checksum: string }>("SELECT version, checksum FROM schema_migrations")).rows.map((r) => [r.version, r.checksum]),
      );
      let count = 0;
      for (const migration of list) {
        const sum = checksum(migration.sql);
        const existing = applied.get(migration.version);
        if (existing !== undefined) {
          if (existing !== sum) {
            throw new Error(`migration ${migration.version} (${migration.name}) changed after it was applied; add a new migration instead`);
          }
          continue;
        }
        await client.query("BEGIN");
        try {
          // Fail fast instead of queueing behind long transactions while holding locks that block traffic.
          await client.query("SET LOCAL lock_timeout = '10s'");
          await client.query(migration.sql);
          await client.query("INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)", [migration.version, migration.name, sum]);
          await client.query("COMMIT");
        } catch (error) {
          await client.query("ROLLBACK");
          throw error;
        }
        logger.info({ version: migration.version, name: migration.name }, "migration applied");
        count += 1;
      }
      return count;
    } finally {
      await client.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY]);
    }
  } finally {
    // Destroy rather than return it: its session settings (statement_timeout = 0) must not leak into the pool.
    client.release(true);
  }
}
