/** RDS: AWS FSBP RDS.2/3/5/6/8/9/11/13/23/25 and the platform's own database rules. */
import { asArray, has, resourcePolicy, show, type PlatformPolicy } from "../lib";

const INSTANCE = ["aws:rds/instance:Instance"];

/** Engines' default ports and default master user names (RDS.23, RDS.25). */
const DEFAULT_PORT: Record<string, number> = { postgres: 5432, mysql: 3306, mariadb: 3306, "sqlserver-ee": 1433, "sqlserver-se": 1433, "sqlserver-ex": 1433, "sqlserver-web": 1433, "oracle-ee": 1521, "oracle-se2": 1521 };
const DEFAULT_ADMINS = ["postgres", "admin", "root", "sa"];
/** The logs each engine can export (RDS.9 wants all of them published). */
const ENGINE_LOGS: Record<string, string[]> = { postgres: ["postgresql", "upgrade"], mysql: ["audit", "error", "general", "slowquery"], mariadb: ["audit", "error", "general", "slowquery"] };

export const rdsPolicies: PlatformPolicy[] = [
    resourcePolicy({
        name: "rds-no-public-access",
        control: "AWS FSBP RDS.2",
        description: "DB instances are not publicly accessible.",
        level: "mandatory",
        scope: "all",
        severity: "critical",
        types: INSTANCE,
        checks: [{
            id: "publicly-accessible",
            rule: "publiclyAccessible is not true",
            test: (p) => p.publiclyAccessible === true ? "publiclyAccessible is true. Fix: set publiclyAccessible false; reach the database from the cluster's security group." : undefined,
        }],
    }),
    resourcePolicy({
        name: "rds-storage-encrypted",
        control: "AWS FSBP RDS.3",
        description: "DB instances are encrypted at rest with a customer-managed KMS key.",
        level: "mandatory",
        scope: "all",
        severity: "high",
        types: INSTANCE,
        checks: [
            {
                id: "storage-encrypted",
                rule: "storageEncrypted is true (the API default is false)",
                test: (p) => p.storageEncrypted === true ? undefined : `storageEncrypted is ${show(p.storageEncrypted)}. Fix: set storageEncrypted true (needs a replacement of an existing instance).`,
            },
            {
                id: "customer-managed-key",
                rule: "kmsKeyId names a customer-managed key (not aws/rds)",
                test: (p) => has(p, "kmsKeyId") ? undefined : "kmsKeyId is unset: the instance would use the aws/rds key, which cannot be shared for a cross-region copy or scoped by key policy. Fix: pass the database's KMS key ARN.",
            },
        ],
    }),
    resourcePolicy({
        name: "rds-multi-az",
        control: "AWS FSBP RDS.5",
        description: "Prod DB instances are Multi-AZ (a standby in another AZ takes over in about a minute).",
        level: "mandatory",
        scope: "prod",
        reason: "Multi-AZ doubles the instance price; dev and review stacks accept an AZ outage.",
        severity: "medium",
        types: INSTANCE,
        checks: [{
            id: "multi-az",
            rule: "multiAz is true",
            test: (p) => p.multiAz === true ? undefined : `multiAz is ${show(p.multiAz)}. Fix: pulumi config set --path 'platform:database.multiAz' true.`,
        }],
    }),
    resourcePolicy({
        name: "rds-enhanced-monitoring",
        control: "AWS FSBP RDS.6",
        description: "Prod DB instances send enhanced monitoring (OS metrics) at least every 60 seconds.",
        level: "advisory",
        scope: "prod",
        reason: "no stack configures enhanced monitoring yet (monitoringInterval and a monitoring role are missing in components/data/database.ts): finding reported to the lead; it costs CloudWatch Logs ingestion, so prod only.",
        severity: "low",
        configSchema: { properties: { maximumIntervalSeconds: { type: "integer", enum: [1, 5, 10, 15, 30, 60], default: 60, description: "Longest acceptable monitoringInterval." } } },
        types: INSTANCE,
        checks: [{
            id: "monitoring-interval",
            rule: "monitoringInterval is between 1 and maximumIntervalSeconds (config, default 60) and monitoringRoleArn is set",
            test: (p, { config }) => {
                const max = Number(config.maximumIntervalSeconds ?? 60);
                const interval = Number(p.monitoringInterval ?? 0);
                if (interval <= 0 || interval > max) return `monitoringInterval is ${show(p.monitoringInterval)} (0 or unset turns enhanced monitoring off). Fix: set monitoringInterval to ${max} or less, with a monitoringRoleArn trusting monitoring.rds.amazonaws.com.`;
                return has(p, "monitoringRoleArn") ? undefined : "monitoringRoleArn is unset. Fix: pass a role with AmazonRDSEnhancedMonitoringRole.";
            },
        }],
    }),
    resourcePolicy({
        name: "rds-deletion-protection",
        control: "AWS FSBP RDS.8",
        description: "Prod DB instances have deletion protection and keep a final snapshot.",
        level: "mandatory",
        scope: "prod",
        reason: "dev and review stacks must destroy in one run (platform:protect false).",
        severity: "medium",
        types: INSTANCE,
        checks: [
            {
                id: "deletion-protection",
                rule: "deletionProtection is true",
                test: (p) => p.deletionProtection === true ? undefined : `deletionProtection is ${show(p.deletionProtection)}. Fix: pulumi config set platform:protect true.`,
            },
            {
                id: "final-snapshot",
                rule: "skipFinalSnapshot is not true and finalSnapshotIdentifier is set",
                test: (p) => p.skipFinalSnapshot !== true && p.finalSnapshotIdentifier ? undefined
                    : `skipFinalSnapshot is ${show(p.skipFinalSnapshot)}, finalSnapshotIdentifier ${show(p.finalSnapshotIdentifier)}: deleting the instance would keep no snapshot. Fix: pulumi config set platform:protect true.`,
            },
        ],
    }),
    resourcePolicy({
        name: "rds-log-exports",
        control: "AWS FSBP RDS.9",
        description: "DB instances publish their engine's logs to CloudWatch Logs (PostgreSQL: postgresql and upgrade).",
        level: "mandatory",
        scope: "all",
        severity: "medium",
        types: INSTANCE,
        checks: [{
            id: "cloudwatch-logs",
            rule: "enabledCloudwatchLogsExports includes every log type of the engine",
            test: (p) => {
                const missing = (ENGINE_LOGS[p.engine] ?? []).filter((l) => !asArray<string>(p.enabledCloudwatchLogsExports).includes(l));
                return missing.length === 0 ? undefined : `enabledCloudwatchLogsExports ${show(p.enabledCloudwatchLogsExports)} lacks ${missing.join(", ")}. Fix: export them (and give their log groups a retention).`;
            },
        }],
    }),
    resourcePolicy({
        name: "rds-automatic-backups",
        control: "AWS FSBP RDS.11",
        description: "DB instances keep automated backups (point-in-time recovery) for at least minimumRetentionDays (config, default 1; prod config 7, Security Hub's default).",
        level: "mandatory",
        scope: "all",
        severity: "medium",
        configSchema: { properties: { minimumRetentionDays: { type: "integer", minimum: 1, maximum: 35, default: 1, description: "Fewest days of automated backups." } } },
        types: INSTANCE,
        checks: [{
            id: "backup-retention",
            rule: "backupRetentionPeriod is at least minimumRetentionDays",
            test: (p, { config }) => {
                const min = Number(config.minimumRetentionDays ?? 1);
                return Number(p.backupRetentionPeriod ?? 0) >= min ? undefined
                    : `backupRetentionPeriod is ${show(p.backupRetentionPeriod)}, below ${min} day(s) (0 turns backups off). Fix: pulumi config set --path 'platform:database.backupRetentionDays' ${Math.max(min, 7)}.`;
            },
        }],
    }),
    resourcePolicy({
        name: "rds-auto-minor-upgrade",
        control: "AWS FSBP RDS.13",
        description: "DB instances apply minor engine versions automatically (a major version is pinned, e.g. \"17\").",
        level: "mandatory",
        scope: "all",
        severity: "high",
        types: INSTANCE,
        checks: [{
            id: "auto-minor-version-upgrade",
            rule: "autoMinorVersionUpgrade is not false",
            test: (p) => p.autoMinorVersionUpgrade === false ? "autoMinorVersionUpgrade is false: security patches wait for someone to apply them. Fix: set autoMinorVersionUpgrade true and pin only the major engineVersion." : undefined,
        }],
    }),
    resourcePolicy({
        name: "rds-non-default-port",
        control: "AWS FSBP RDS.23",
        description: "DB instances do not listen on the engine's default port.",
        level: "advisory",
        scope: "all",
        reason: "every stack uses PostgreSQL's 5432 (components/data/database.ts); the database is reachable only from the cluster's security group in isolated subnets, so a non-default port adds little: finding reported to the lead, advisory until decided.",
        severity: "low",
        types: INSTANCE,
        checks: [{
            id: "default-port",
            rule: "port is set and differs from the engine's default (5432 for postgres)",
            test: (p) => {
                const def = DEFAULT_PORT[p.engine];
                if (def === undefined) return undefined;
                if (p.port !== undefined && Number(p.port) !== def) return undefined;
                const what = p.port === undefined ? `port is not set, so the instance listens on the ${p.engine} default ${def}` : `port ${show(p.port)} is the ${p.engine} default`;
                return `${what}. Fix: set port to a non-default value and pass it to the clients.`;
            },
        }],
    }),
    resourcePolicy({
        name: "rds-custom-admin-username",
        control: "AWS FSBP RDS.25",
        description: "DB instances use a custom administrator user name (not postgres or admin).",
        level: "mandatory",
        scope: "all",
        severity: "medium",
        types: INSTANCE,
        checks: [{
            id: "admin-username",
            rule: `username is set and not one of ${DEFAULT_ADMINS.join(", ")}`,
            test: (p) => p.username && !DEFAULT_ADMINS.includes(String(p.username).toLowerCase()) ? undefined
                : `username is ${show(p.username)}. Fix: use a custom master user name such as "orders_admin".`,
        }],
    }),
    resourcePolicy({
        name: "rds-no-extended-support",
        control: "House rule (cost: RDS extended support)",
        description: "RDS engines do not fall into paid extended support silently.",
        level: "mandatory",
        scope: "all",
        severity: "medium",
        types: INSTANCE,
        checks: [{
            id: "engine-lifecycle-support",
            rule: "engineLifecycleSupport is open-source-rds-extended-support-disabled",
            test: (p) => p.engineLifecycleSupport === "open-source-rds-extended-support-disabled" ? undefined
                : `engineLifecycleSupport is ${show(p.engineLifecycleSupport)} (unset means extended support, billed per vCPU-hour). Fix: set engineLifecycleSupport "open-source-rds-extended-support-disabled".`,
        }],
    }),
    resourcePolicy({
        name: "rds-force-ssl",
        control: "House rule (encryption in transit; RDS PostgreSQL rds.force_ssl)",
        description: "PostgreSQL parameter groups refuse clients without TLS.",
        level: "mandatory",
        scope: "all",
        severity: "high",
        types: ["aws:rds/parameterGroup:ParameterGroup"],
        checks: [{
            id: "force-ssl",
            rule: "a postgres* family parameter group sets rds.force_ssl to 1",
            test: (p) => {
                if (!String(p.family ?? "").startsWith("postgres")) return undefined;
                const param = asArray<any>(p.parameters).find((x) => x.name === "rds.force_ssl");
                return String(param?.value) === "1" ? undefined : `rds.force_ssl is ${show(param?.value)}. Fix: add the parameter { name: "rds.force_ssl", value: "1" }.`;
            },
        }],
    }),
];
