// Applies schema migrations and exits: `node dist/migrate.js`, run by the platform as a Job (or a
// Helm/Argo pre-upgrade hook) before the rollout. Exit 0 = schema current, 1 = failed, 78 = bad config.
import { ConfigError, loadConfig } from "./config.js";
import { createPool } from "./db.js";
import { createLogger } from "./logger.js";
import { migrate } from "./migrations.js";

async function main(): Promise<number> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    return 78;
  }
  const { logger, flushSync } = createLogger({ level: config.logLevel, serviceName: `${config.serviceName}-migrate`, environment: config.environment });
  const pool = createPool(config.database, logger, `${config.serviceName}-migrate`);
  try {
    const applied = await migrate(pool, logger);
    logger.info({ applied }, applied === 0 ? "schema already current" : "migrations applied");
    return 0;
  } catch (error) {
    logger.error({ err: error }, "migration failed");
    return 1;
  } finally {
    await pool.end();
    flushSync(); // main() exits the process next
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`migrate: ${(error as Error).message}\n`);
    process.exit(1);
  },
);
