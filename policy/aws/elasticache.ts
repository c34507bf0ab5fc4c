/** ElastiCache: AWS FSBP ElastiCache.1-7 for replication groups (Valkey and Redis OSS). */
import { has, resourcePolicy, show, type PlatformPolicy } from "../lib";

const GROUP = ["aws:elasticache/replicationGroup:ReplicationGroup"];

/** "6.2" -> 6; Valkey is always >= 7 (it forked from Redis OSS 7.2). */
function major(p: any): number {
    if (p.engine === "valkey") return Math.max(7, Number.parseInt(String(p.engineVersion ?? "7"), 10) || 7);
    return Number.parseInt(String(p.engineVersion ?? "0"), 10) || 0;
}

export const elasticachePolicies: PlatformPolicy[] = [
    resourcePolicy({
        name: "elasticache-automatic-backups",
        control: "AWS FSBP ElastiCache.1",
        description: "Prod replication groups keep daily snapshots.",
        level: "mandatory",
        scope: "prod",
        reason: "the cache holds no data that outlives a review or dev stack; snapshots cost storage.",
        severity: "high",
        types: GROUP,
        checks: [{
            id: "snapshot-retention",
            rule: "snapshotRetentionLimit is at least 1",
            test: (p) => Number(p.snapshotRetentionLimit ?? 0) >= 1 ? undefined
                : `snapshotRetentionLimit is ${show(p.snapshotRetentionLimit)}. Fix: pulumi config set --path 'platform:cache.snapshotRetentionDays' 7.`,
        }],
    }),
    resourcePolicy({
        name: "elasticache-auto-minor-upgrade",
        control: "AWS FSBP ElastiCache.2",
        description: "Replication groups apply minor engine versions automatically.",
        level: "mandatory",
        scope: "all",
        severity: "high",
        types: GROUP,
        checks: [{
            id: "auto-minor-version-upgrade",
            rule: "autoMinorVersionUpgrade is not false",
            test: (p) => p.autoMinorVersionUpgrade === false || p.autoMinorVersionUpgrade === "false"
                ? "autoMinorVersionUpgrade is false. Fix: set autoMinorVersionUpgrade true." : undefined,
        }],
    }),
    resourcePolicy({
        name: "elasticache-automatic-failover",
        control: "AWS FSBP ElastiCache.3",
        description: "Prod replication groups fail over automatically to a replica in another AZ.",
        level: "mandatory",
        scope: "prod",
        reason: "failover needs a second node (double the price); dev and review stacks run one node.",
        severity: "medium",
        types: GROUP,
        checks: [
            {
                id: "automatic-failover",
                rule: "automaticFailoverEnabled is true",
                test: (p) => p.automaticFailoverEnabled === true ? undefined
                    : `automaticFailoverEnabled is ${show(p.automaticFailoverEnabled)}. Fix: pulumi config set --path 'platform:cache.multiAz' true (with nodeCount 2 or more).`,
            },
            {
                id: "multi-az",
                rule: "multiAzEnabled is true",
                test: (p) => p.multiAzEnabled === true ? undefined
                    : `multiAzEnabled is ${show(p.multiAzEnabled)}. Fix: pulumi config set --path 'platform:cache.multiAz' true.`,
            },
        ],
    }),
    resourcePolicy({
        name: "elasticache-encrypted-at-rest",
        control: "AWS FSBP ElastiCache.4",
        description: "Replication groups are encrypted at rest with a customer-managed KMS key.",
        level: "mandatory",
        scope: "all",
        severity: "medium",
        types: GROUP,
        checks: [
            {
                id: "at-rest-encryption",
                rule: "atRestEncryptionEnabled is true (or unset on valkey, where it defaults on)",
                test: (p) => p.atRestEncryptionEnabled === true || p.atRestEncryptionEnabled === "true" || (p.atRestEncryptionEnabled === undefined && p.engine === "valkey") ? undefined
                    : `atRestEncryptionEnabled is ${show(p.atRestEncryptionEnabled)} for engine ${show(p.engine)}. Fix: set atRestEncryptionEnabled true.`,
            },
            {
                id: "customer-managed-key",
                rule: "kmsKeyId is set",
                test: (p) => has(p, "kmsKeyId") ? undefined : "kmsKeyId is unset (the AWS-owned key cannot be audited or scoped). Fix: pass the cache's KMS key ARN.",
            },
        ],
    }),
    resourcePolicy({
        name: "elasticache-encrypted-in-transit",
        control: "AWS FSBP ElastiCache.5",
        description: "Replication groups accept TLS connections only.",
        level: "mandatory",
        scope: "all",
        severity: "medium",
        types: GROUP,
        checks: [
            {
                id: "transit-encryption",
                rule: "transitEncryptionEnabled is true",
                test: (p) => p.transitEncryptionEnabled === true ? undefined : `transitEncryptionEnabled is ${show(p.transitEncryptionEnabled)}. Fix: set transitEncryptionEnabled true (clients use rediss://).`,
            },
            {
                id: "transit-mode-required",
                rule: "transitEncryptionMode is not preferred (preferred also accepts plain-text clients)",
                test: (p) => p.transitEncryptionMode === "preferred" ? "transitEncryptionMode is \"preferred\": plain-text clients are still accepted. Fix: set transitEncryptionMode \"required\"." : undefined,
            },
        ],
    }),
    resourcePolicy({
        name: "elasticache-auth",
        control: "AWS FSBP ElastiCache.6",
        description: "Replication groups authenticate clients: an AUTH token (required before Redis OSS 6) or RBAC user groups.",
        level: "mandatory",
        scope: "all",
        severity: "medium",
        types: GROUP,
        checks: [{
            id: "auth",
            rule: "authToken or userGroupIds is set (for any version: the platform requires authentication on every cache)",
            // `in` reads neither value: the token is a secret and the group IDs may be unknown at preview.
            test: (p) => has(p, "authToken") || has(p, "userGroupIds") ? undefined
                : `no authToken and no userGroupIds: any client that reaches the port can read and write (engine ${show(p.engine)} ${major(p)}). Fix: set authToken (with transitEncryptionEnabled) or userGroupIds.`,
        }],
    }),
    resourcePolicy({
        name: "elasticache-custom-subnet-group",
        control: "AWS FSBP ElastiCache.7",
        description: "Replication groups run in the platform's subnet group (isolated subnets), not the default one.",
        level: "mandatory",
        scope: "all",
        severity: "high",
        types: GROUP,
        checks: [{
            id: "subnet-group",
            rule: "subnetGroupName is set and not \"default\"",
            test: (p) => "subnetGroupName" in p && p.subnetGroupName !== "default" ? undefined
                : `subnetGroupName is ${"subnetGroupName" in p ? show(p.subnetGroupName) : "unset"}: the default subnet group spans the default VPC's subnets. Fix: pass the cache's own subnet group.`,
        }],
    }),
];
