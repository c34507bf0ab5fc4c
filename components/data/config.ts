/** The data layer's config sections: `platform:database` (with its backup plan), `platform:cache`, `platform:secrets`. */
import { z } from "zod";
import { AWS_REGION, field, problem, retentionDays, type Rule } from "../config/engine";

/**
 * RDS for PostgreSQL instance classes: the burstable db.t3/db.t4g families (micro to 2xlarge), or
 * a general-purpose/memory family (db.m7g, db.r8g, db.x2g, ...) in size large or bigger
 * (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Concepts.DBInstanceClass.Support.html).
 */
export function isRdsPostgresInstanceClass(value: string): boolean {
    const m = /^db\.([a-z0-9]+)\.([a-z0-9]+)$/.exec(value);
    if (!m) return false;
    const [, family, size] = m;
    if (family === "t3" || family === "t4g") return /^(micro|small|medium|large|xlarge|2xlarge)$/.test(size);
    return /^[mrx]\d+[a-z]*$/.test(family) && /^(large|\d*xlarge)$/.test(size);
}

/**
 * ElastiCache node types: burstable cache.t3/cache.t4g (micro, small, medium), or an m/r/c
 * family in size large or bigger (https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/CacheNodes.SupportedTypes.html).
 */
export function isCacheNodeType(value: string): boolean {
    const m = /^cache\.([a-z0-9]+)\.([a-z0-9]+)$/.exec(value);
    if (!m) return false;
    const [, family, size] = m;
    if (family === "t3" || family === "t4g") return /^(micro|small|medium)$/.test(size);
    return /^[mrc]\d+[a-z]*$/.test(family) && /^(large|\d*xlarge)$/.test(size);
}

/** PostgreSQL identifiers RDS accepts for the database and master user: no hyphens. */
const PG_IDENTIFIER = /^[A-Za-z][A-Za-z0-9_]{0,62}$/;

/** Performance Insights keeps 7 days (free), a whole number of 31-day months up to 23, or 731 days. */
export function isPerformanceInsightsRetention(days: number): boolean {
    return days === 7 || days === 731 || (Number.isInteger(days) && days % 31 === 0 && days >= 31 && days <= 713);
}

/** `5m`, `1h`: an ExternalSecret refresh interval (Go duration) from 1 minute to 24 hours. */
export function refreshIntervalMinutes(value: string): number | undefined {
    const m = /^([1-9]\d*)(m|h)$/.exec(value);
    if (!m) return undefined;
    const minutes = Number(m[1]) * (m[2] === "h" ? 60 : 1);
    return minutes >= 1 && minutes <= 24 * 60 ? minutes : undefined;
}

export const backupPlanSchema = z.strictObject({
    enabled: field(z.boolean(), {
        doc: "A daily AWS Backup plan for the database with its own KMS-encrypted vault, on top of RDS's automated backups (recovery points outlive the instance). Protected stacks only (or a prod stack being decommissioned): the vaults and their keys are never force-destroyed, and are retained when the stack is destroyed.",
        rule: "true or false; true needs protect true (an unprotected stack must destroy in one run, and a vault holding RDS recovery points does not)",
    }).default(false),
    retentionDays: field(z.int().min(1).max(3650), {
        doc: "Days each daily recovery point is kept in the vault.",
        rule: "an integer from 1 to 3650",
    }).default(7),
    copyRegion: field(z.string().refine((v) => v === "" || AWS_REGION.test(v)), {
        doc: 'Region that receives a copy of every recovery point (disaster recovery); "" for none.',
        rule: '"" or an AWS region such as us-west-2, other than aws:region, with backupPlan.enabled true',
        example: "us-west-2",
    }).default(""),
    copyRetentionDays: field(z.int().min(1).max(3650), {
        doc: "Days each cross-region copy is kept.",
        rule: "an integer from 1 to 3650",
    }).default(7),
});

export const databaseSchema = z.strictObject({
    engineVersion: field(z.enum(["16", "17"]), {
        doc: "PostgreSQL major version (the parameter group family follows it); minor versions upgrade automatically in the maintenance window.",
        rule: 'one of "16", "17"',
    }).default("17"),
    instanceClass: field(z.string().refine(isRdsPostgresInstanceClass), {
        doc: "RDS instance class.",
        rule: "an RDS for PostgreSQL instance class: db.t3 or db.t4g in size micro, small, medium, large, xlarge or 2xlarge, or an m/r/x family (db.m7g, db.r7g, db.m7i, ...) in size large or Nxlarge",
        example: "db.t4g.micro",
    }).default("db.t4g.micro"),
    allocatedStorageGiB: field(z.int().min(20).max(65536), {
        doc: "Initial gp3 storage.",
        rule: "an integer from 20 to 65536 (GiB; gp3 starts at 20)",
    }).default(20),
    maxAllocatedStorageGiB: field(z.int().min(20).max(65536), {
        doc: "Storage autoscaling ceiling (equal to allocatedStorageGiB turns autoscaling off).",
        rule: "an integer from 20 to 65536, at least allocatedStorageGiB",
    }).default(50),
    multiAz: field(z.boolean(), {
        doc: "A synchronous standby in a second AZ with automatic failover (doubles the instance price).",
        rule: "true or false",
    }).default(false),
    backupRetentionDays: field(z.int().min(1).max(35), {
        doc: "Automated backups and point-in-time recovery window.",
        rule: "an integer from 1 to 35 (0 would turn off point-in-time recovery)",
    }).default(1),
    name: field(z.string().regex(PG_IDENTIFIER).refine((v) => !["postgres", "template0", "template1", "rdsadmin"].includes(v.toLowerCase())), {
        doc: "Name of the application database created with the instance.",
        rule: "1 to 63 letters, digits or underscores starting with a letter (RDS rejects hyphens), not postgres, template0, template1 or rdsadmin",
        example: "orders",
    }).default("orders"),
    masterUsername: field(z.string().regex(PG_IDENTIFIER).refine((v) => !["admin", "rdsadmin", "rdsrepladmin"].includes(v.toLowerCase()) && !/^pg_/i.test(v)), {
        doc: "Master user; its password is generated, kept and rotated by RDS in Secrets Manager (never in Pulumi state).",
        rule: "1 to 63 letters, digits or underscores starting with a letter, not admin, rdsadmin, rdsrepladmin or a pg_ name (reserved by RDS for PostgreSQL)",
        example: "orders_admin",
    }).default("orders_admin"),
    clientSslMode: field(z.enum(["require", "verify-full"]), {
        doc: 'TLS mode the app is told to use (DATABASE_SSL). The server forces TLS either way (rds.force_ssl=1); "verify-full" also checks the server certificate and needs the RDS CA bundle mounted in the pod (DATABASE_SSL_CA_FILE).',
        rule: 'one of "require", "verify-full"',
    }).default("require"),
    performanceInsightsRetentionDays: field(z.int().refine(isPerformanceInsightsRetention), {
        doc: "Performance Insights (Database Insights) history; 7 days is free.",
        rule: "7, a multiple of 31 from 31 to 713, or 731 (RDS's allowed values)",
        example: 7,
    }).default(7),
    logRetentionDays: retentionDays("Retention of the exported PostgreSQL and upgrade logs in CloudWatch Logs.").default(7),
    backupPlan: backupPlanSchema.prefault({}),
});

export const cacheSchema = z.strictObject({
    engineVersion: field(z.enum(["8.2", "9.0"]), {
        doc: "Valkey version (major.minor; patch versions are applied by ElastiCache).",
        rule: 'one of "8.2", "9.0"',
    }).default("8.2"),
    nodeType: field(z.string().refine(isCacheNodeType), {
        doc: "ElastiCache node type.",
        rule: "an ElastiCache node type: cache.t3 or cache.t4g in size micro, small or medium, or an m/r/c family (cache.m7g, cache.r7g, ...) in size large or Nxlarge",
        example: "cache.t4g.micro",
    }).default("cache.t4g.micro"),
    nodeCount: field(z.int().min(1).max(6), {
        doc: "Primary plus replicas in the replication group (2 or more turns on automatic failover).",
        rule: "an integer from 1 to 6 (at least 2 with multiAz)",
    }).default(1),
    multiAz: field(z.boolean(), {
        doc: "Spread nodes over AZs with automatic failover to a replica.",
        rule: "true or false (true needs nodeCount >= 2)",
    }).default(false),
    snapshotRetentionDays: field(z.int().min(0).max(35), {
        doc: "Daily snapshots kept (0 = none; at least 1 in prod).",
        rule: "an integer from 0 to 35",
    }).default(0),
});

export const secretsSchema = z.strictObject({
    recoveryWindowDays: field(z.int().refine((v) => v === 0 || (v >= 7 && v <= 30)), {
        doc: "Days a deleted secret can be restored; 0 deletes at once so a review stack can be recreated with the same names.",
        rule: "0, or an integer from 7 to 30 (Secrets Manager's range)",
    }).default(0),
    refreshInterval: field(z.string().refine((v) => refreshIntervalMinutes(v) !== undefined), {
        doc: "How often the External Secrets Operator re-reads the secrets into the app's Kubernetes Secret: the longest a rotated database password (RDS rotates it and the old one stops working) can be stale in the pods. 5m costs about $0.15 a month in Secrets Manager API calls.",
        rule: 'a duration from 1m to 24h in minutes or hours, such as "5m" or "1h"',
        example: "5m",
    }).default("5m"),
});

export type DatabaseConfig = z.output<typeof databaseSchema>;
export type CacheConfig = z.output<typeof cacheSchema>;
export type SecretsConfig = z.output<typeof secretsSchema>;
export type BackupPlanConfig = DatabaseConfig["backupPlan"];

type DataSections = { readonly database: DatabaseConfig; readonly cache: CacheConfig };

export const dataRules: Rule<DataSections>[] = [
    (c, p) => {
        const d = c.database;
        return d.maxAllocatedStorageGiB < d.allocatedStorageGiB
            ? [problem(p, ["database", "maxAllocatedStorageGiB"], d.maxAllocatedStorageGiB,
                `at least allocatedStorageGiB (${d.allocatedStorageGiB})`, d.allocatedStorageGiB)]
            : [];
    },
    (c, p) => c.cache.multiAz && c.cache.nodeCount < 2
        ? [problem(p, ["cache", "nodeCount"], c.cache.nodeCount,
            "at least 2 while cache.multiAz is true (automatic failover needs a replica in another AZ)", 2)]
        : [],
];

export const databaseClientRules: Rule<{ readonly database: DatabaseConfig }>[] = [
    // The workload mounts no CA bundle: with verify-full the app would check the RDS certificate
    // against Node's trust store, which does not hold the RDS CAs, and never become ready.
    (c, p) => c.database.clientSslMode === "verify-full"
        ? [problem(p, ["database", "clientSslMode"], c.database.clientSslMode,
            '"require" until the app\'s workload mounts the RDS CA bundle (DATABASE_SSL_CA_FILE): without it verify-full fails every connection',
            "require")]
        : [],
];
