/**
 * The data layer: RDS PostgreSQL (database.ts), ElastiCache Valkey (cache.ts), the connection
 * settings in Secrets Manager (secrets.ts), their delivery into the app's namespace by the
 * External Secrets Operator (external-secrets.ts), AWS Backup (backup.ts), the building blocks
 * they share (data-access.ts: identifiers, KMS keys, cluster-only security groups), and the
 * `platform:database`, `platform:cache` and `platform:secrets` config sections (config.ts).
 */
export { Database } from "./database";
export { Cache } from "./cache";
export { Secrets } from "./secrets";
export { ExternalSecrets } from "./external-secrets";
export { DatabaseBackup } from "./backup";
export { databaseSchema, cacheSchema, secretsSchema, backupPlanSchema, type DatabaseConfig, type CacheConfig, type SecretsConfig, type BackupPlanConfig } from "./config";
