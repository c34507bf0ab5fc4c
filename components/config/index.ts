/**
 * The one configuration schema of the platform.
 *
 * Every setting of every component is declared here, with its default, its rule and a one-line
 * description (the README's config reference is generated from these). Stack files
 * (`Pulumi.<stack>.yaml`) hold the values each environment decides, so reading the dev and prod
 * files side by side shows every difference between the environments.
 *
 * The defaults are the cheapest values that still destroy cleanly: they are what an ephemeral
 * review stack (`pr-<number>`, no committed file) runs with.
 *
 * Parsing collects every problem of every section and cross-field rule, then fails once with one
 * message per problem: the key, the value received, the rule, and the `pulumi config set` command
 * that fixes it. Nothing is registered before the config is valid.
 */
import { z } from "zod";
import { isPrivateIpv4Cidr, parseCidr, planSubnets } from "../network/cidr";

export const PROJECT = "platform";

/** CloudWatch Logs accepts only these retention periods (PutRetentionPolicy). */
export const LOG_RETENTION_DAYS = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

interface FieldMeta {
    /** What the setting does, for the README's config reference. */
    doc: string;
    /** What is allowed, in words; used in error messages. */
    rule: string;
    /** A valid value to show in the fix command when there is no default. */
    example?: unknown;
}

/** Attach the documentation every leaf setting carries. */
function field<T extends z.ZodType>(schema: T, meta: FieldMeta): T {
    return schema.meta({ description: meta.doc, rule: meta.rule, example: meta.example }) as T;
}

const retentionDays = (doc: string) =>
    field(
        z.number().refine((v) => (LOG_RETENTION_DAYS as readonly number[]).includes(v)),
        { doc, rule: `one of CloudWatch Logs' retention periods: ${LOG_RETENTION_DAYS.join(", ")}` },
    );


// ---------------------------------------------------------------------------------------------
// Sections. Each is a strict object: an unknown (e.g. misspelt) key is an error, not ignored.
// ---------------------------------------------------------------------------------------------

export const networkSchema = z.strictObject({
    cidrBlock: field(
        z.string().refine((v) => {
            // isPrivateIpv4Cidr is false for anything that does not parse.
            const prefixLength = parseCidr(v)?.prefixLength ?? 0;
            return isPrivateIpv4Cidr(v) && prefixLength >= 16 && prefixLength <= 24;
        }),
        {
            doc: "IPv4 range of the VPC.",
            rule: "a private (RFC 1918) IPv4 CIDR with a prefix from /16 to /24 (AWS allows /16-/28 for a VPC; /24 is the smallest that fits three tiers)",
            example: "10.0.0.0/16",
        },
    ).default("10.0.0.0/16"),
    availabilityZoneCount: field(z.int().min(2).max(6), {
        doc: "How many availability zones the subnets span.",
        rule: "an integer from 2 to 6 (EKS and the RDS subnet group need subnets in at least 2 AZs)",
    }).default(2),
    publicSubnetPrefixLength: field(z.int().min(16).max(28), {
        doc: "Size of each public subnet (load balancers, NAT gateways).",
        rule: "an integer from 16 to 28 (AWS subnets are /16 to /28), larger than the VPC prefix",
    }).default(24),
    privateSubnetPrefixLength: field(z.int().min(16).max(28), {
        doc: "Size of each private subnet (nodes and pods: the VPC CNI gives every pod a VPC address, so keep these large).",
        rule: "an integer from 16 to 28, larger than the VPC prefix",
    }).default(20),
    isolatedSubnetPrefixLength: field(z.int().min(16).max(28), {
        doc: "Size of each isolated subnet (databases and caches; no route to the internet).",
        rule: "an integer from 16 to 28, larger than the VPC prefix",
    }).default(24),
    natGateways: field(z.enum(["single", "perAz"]), {
        doc: "One shared NAT gateway (cheap; an AZ outage cuts egress for all) or one per AZ (highly available).",
        rule: 'one of "single", "perAz"',
    }).default("single"),
    flowLogsRetentionDays: retentionDays("Retention of the VPC flow logs in CloudWatch Logs.").default(7),
    interfaceEndpoints: field(z.boolean(), {
        doc: "Create interface endpoints for ECR (api, dkr), STS and CloudWatch Logs in every AZ (about $7.30 per endpoint per AZ a month); the S3 gateway endpoint is always there (free).",
        rule: "true or false",
    }).default(false),
});

export const EKS_VERSIONS = ["1.35", "1.36"] as const;

interface NodeGroupDefaults {
    instanceTypes: string[];
    capacityType: "ON_DEMAND" | "SPOT";
    diskSizeGiB: number;
}

/** The settings every managed node group has, with the group's own defaults. */
const nodeGroupShape = (d: NodeGroupDefaults) => ({
    instanceTypes: field(z.array(z.string().regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/)).min(1).max(10), {
        doc: "EC2 instance types of the group, all of one architecture (Graviton types such as m7g.large are arm64).",
        rule: `a list of 1 to 10 EC2 instance types such as ${JSON.stringify(d.instanceTypes)}, all x86_64 or all arm64`,
    }).default(d.instanceTypes),
    capacityType: field(z.enum(["ON_DEMAND", "SPOT"]), {
        doc: "On-demand or spot capacity.",
        rule: 'one of "ON_DEMAND", "SPOT"',
    }).default(d.capacityType),
    diskSizeGiB: field(z.int().min(20).max(1000), {
        doc: "Encrypted gp3 root volume per node.",
        rule: "an integer from 20 to 1000 (GiB)",
    }).default(d.diskSizeGiB),
});

/**
 * The application nodes: one managed node group per AZ, each in that AZ's private subnet, so the
 * cluster autoscaler can add a node in the AZ of a pending pod's EBS volume (an EBS volume lives
 * in one AZ; a group spanning AZs may add the node elsewhere: kubernetes/autoscaler
 * cluster-autoscaler/cloudprovider/aws/README.md, "Common Notes and Gotchas": an ASG per AZ with
 * --balance-similar-node-groups).
 */
const generalNodeGroupSchema = z.strictObject({
    ...nodeGroupShape({ instanceTypes: ["t3.large"], capacityType: "ON_DEMAND", diskSizeGiB: 40 }),
    minSizePerAz: field(z.int().min(0).max(100), {
        doc: "Fewest nodes in each AZ (the general nodes are one managed node group per AZ); 0 lets the autoscaler empty an AZ.",
        rule: "an integer from 0 to 100, at most maxSizePerAz (at least 1 in prod)",
    }).default(1),
    desiredSizePerAz: field(z.int().min(1).max(100), {
        doc: "Nodes in each AZ at creation (the cluster autoscaler changes it afterwards; Pulumi ignores its drift).",
        rule: "an integer from 1 to 100 (the add-ons that need nodes wait for them), between minSizePerAz and maxSizePerAz",
    }).default(1),
    maxSizePerAz: field(z.int().min(1).max(100), {
        doc: "Most nodes the autoscaler may run in each AZ.",
        rule: "an integer from 1 to 100",
    }).default(2),
});

/**
 * An optional second group for cluster-critical pods: tainted CriticalAddonsOnly=true:NoSchedule
 * so application pods stay off it; the load balancer controller and the cluster autoscaler are
 * pinned to it, and CoreDNS tolerates the taint. Off by default (two more nodes). One group over
 * all AZs: its pods keep no volumes.
 */
const systemNodeGroupSchema = z.strictObject({
    ...nodeGroupShape({ instanceTypes: ["t3.medium"], capacityType: "ON_DEMAND", diskSizeGiB: 40 }),
    minSize: field(z.int().min(1).max(100), { doc: "Fewest nodes.", rule: "an integer from 1 to 100" }).default(2),
    desiredSize: field(z.int().min(1).max(100), {
        doc: "Nodes at creation (the cluster autoscaler changes it afterwards; Pulumi ignores its drift).",
        rule: "an integer from 1 to 100, between minSize and maxSize",
    }).default(2),
    maxSize: field(z.int().min(1).max(100), { doc: "Most nodes the autoscaler may add.", rule: "an integer from 1 to 100" }).default(3),
    enabled: field(z.boolean(), {
        doc: "Run a separate, tainted node group for cluster-critical pods (load balancer controller, cluster autoscaler, CoreDNS), isolating them from application load.",
        rule: "true or false",
    }).default(false),
});

/**
 * The EKS add-ons the cluster installs (components/cluster.ts), in install order, keyed by the
 * config name (camelCase: `pulumi config set --path` takes plain identifiers) to the add-on name.
 */
export const EKS_ADDONS = {
    vpcCni: "vpc-cni",
    kubeProxy: "kube-proxy",
    podIdentityAgent: "eks-pod-identity-agent",
    coredns: "coredns",
    ebsCsiDriver: "aws-ebs-csi-driver",
    metricsServer: "metrics-server",
} as const;
export type EksAddonKey = keyof typeof EKS_ADDONS;

const addonVersionsSchema = z.strictObject(Object.fromEntries(Object.entries(EKS_ADDONS).map(([key, addon]) => [
    key,
    field(z.string().regex(/^v\d+\.\d+\.\d+-eksbuild\.\d+$/).optional(), {
        doc: `Pinned version of the ${addon} EKS add-on; unset uses the version EKS marks as the default for the cluster's Kubernetes version (not the newest, so a deploy does not upgrade add-ons on its own; AWS moves the default now and then, pin to hold it). List them: aws eks describe-addon-versions --addon-name ${addon} --kubernetes-version <version>.`,
        rule: "an EKS add-on version such as v1.19.2-eksbuild.1 (aws eks describe-addon-versions lists them)",
        example: "v1.19.2-eksbuild.1",
    }),
])) as Record<EksAddonKey, z.ZodOptional<z.ZodString>>);

export const clusterSchema = z.strictObject({
    version: field(z.enum(EKS_VERSIONS), {
        doc: "Kubernetes version of the control plane (standard support only; extended support is refused).",
        rule: `one of ${EKS_VERSIONS.map((v) => `"${v}"`).join(", ")} (quoted: 1.30 unquoted is the number 1.3)`,
    }).default("1.35"),
    endpointPublicAccess: field(z.boolean(), {
        doc: "Expose the API server endpoint publicly (restricted to publicAccessCidrs). The private endpoint is always on.",
        rule: "true or false",
    }).default(true),
    publicAccessCidrs: field(z.array(z.string()).max(40), {
        doc: 'CIDRs allowed to reach the public API endpoint: where `pulumi up` and kubectl run from. ["0.0.0.0/0"] opens it to the internet and must be written explicitly.',
        rule: "a list of IPv4 CIDRs (required when endpointPublicAccess is true)",
        example: ["203.0.113.0/24"],
    }).default([]),
    logRetentionDays: retentionDays("Retention of the control-plane logs (api, audit, authenticator).").default(7),
    adminPrincipalArns: field(
        // Access entries take IAM role or user ARNs only: an STS assumed-role (session) ARN is
        // rejected by CreateAccessEntry (EKS user guide, "Create access entries").
        z.array(z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:(role|user)\/[\w+=,.@\/-]+$/)).max(20),
        {
            doc: "IAM roles or users given cluster-admin through EKS access entries. The identity running `pulumi up` is cluster-admin already (bootstrapClusterCreatorAdminPermissions) and must not be listed: a second entry for it fails with 409.",
            rule: "a list of IAM role or user ARNs such as arn:aws:iam::123456789012:role/platform-admins",
            example: ["arn:aws:iam::123456789012:role/platform-admins"],
        },
    ).default([]),
    nodes: generalNodeGroupSchema.prefault({}),
    systemNodes: systemNodeGroupSchema.prefault({}),
    addonVersions: addonVersionsSchema.prefault({}),
});

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

const AWS_REGION = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/;

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

export const ALERT_RECEIVERS = ["none", "slack", "webhook"] as const;
export const JAEGER_STORAGE = ["memory", "elasticsearch"] as const;
const kubernetesName = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export const observabilitySchema = z.strictObject({
    prometheusRetentionDays: field(z.int().min(1).max(365), {
        doc: "How long Prometheus keeps samples.",
        rule: "an integer from 1 to 365",
    }).default(2),
    prometheusStorageGiB: field(z.int().min(5).max(4096), {
        doc: "Prometheus persistent volume (encrypted gp3).",
        rule: "an integer from 5 to 4096 (GiB)",
    }).default(10),
    prometheusMemoryMiB: field(z.int().min(512).max(65536), {
        doc: "Memory request and limit of Prometheus (grows with the number of series: about 1 GiB for the default scrapes of a small cluster).",
        rule: "an integer from 512 to 65536 (MiB)",
    }).default(1024),
    alertmanagerStorageGiB: field(z.int().min(0).max(100), {
        doc: "Alertmanager persistent volume for silences and notification state; 0 keeps them in an emptyDir (lost when the pod moves).",
        rule: "0, or an integer from 1 to 100 (GiB)",
    }).default(0),
    alertReceiver: field(z.enum(ALERT_RECEIVERS), {
        doc: 'Where Alertmanager sends alerts: "none" (the null receiver: alerts are visible in the Alertmanager and Grafana UIs only), a Slack incoming webhook, or a generic webhook.',
        rule: 'one of "none", "slack", "webhook"',
    }).default("none"),
    alertReceiverSecretName: field(z.string().refine((v) => v === "" || kubernetesName.test(v)), {
        doc: "Kubernetes Secret in the observability namespace whose key `url` holds the Slack or webhook URL (created outside Pulumi, e.g. by external-secrets, so the URL never enters the state). Required unless alertReceiver is none.",
        rule: 'a Kubernetes object name such as "alertmanager-slack", or "" with alertReceiver "none"',
        example: "alertmanager-receiver",
    }).default(""),
    alertSlackChannel: field(z.string().refine((v) => v === "" || /^#[a-z0-9][a-z0-9_-]{0,79}$/.test(v)), {
        doc: "Slack channel for alertReceiver slack.",
        rule: 'a Slack channel such as "#alerts" (required with alertReceiver "slack")',
        example: "#alerts",
    }).default(""),
    grafanaStorageGiB: field(z.int().min(0).max(100), {
        doc: "Grafana persistent volume for dashboards and users created in the UI; 0 = none (dashboards and data sources are provisioned from code anyway).",
        rule: "0, or an integer from 1 to 100 (GiB)",
    }).default(0),
    elasticsearchNodeCount: field(z.int().min(1).max(9), {
        doc: "Elasticsearch nodes (each master-eligible and data). 1 has no replicas; 3 or more survive losing one node.",
        rule: "1, or an integer from 3 to 9 (two master-eligible nodes cannot elect a master when one is gone)",
    }).default(1),
    elasticsearchMemoryGiB: field(z.int().min(2).max(64), {
        doc: "Memory request and limit per Elasticsearch node (the JVM heap is half of it).",
        rule: "an integer from 2 to 64 (GiB; ECK's default and minimum useful size is 2)",
    }).default(2),
    elasticsearchStorageGiB: field(z.int().min(5).max(4096), {
        doc: "Data volume per Elasticsearch node (encrypted gp3).",
        rule: "an integer from 5 to 4096 (GiB)",
    }).default(10),
    logRetentionDays: field(z.int().min(1).max(3650), {
        doc: "Days container logs stay in Elasticsearch (ILM delete phase of the logs data streams).",
        rule: "an integer from 1 to 3650",
    }).default(3),
    jaegerStorage: field(z.enum(JAEGER_STORAGE), {
        doc: 'Where Jaeger keeps traces: "memory" (bounded, lost on restart: review stacks) or "elasticsearch" (the ELK stack\'s cluster).',
        rule: 'one of "memory", "elasticsearch"',
    }).default("memory"),
    traceRetentionDays: field(z.int().min(1).max(90), {
        doc: "Days of Jaeger indices kept in Elasticsearch (the chart's es-index-cleaner CronJob); unused with jaegerStorage memory.",
        rule: "an integer from 1 to 90",
    }).default(3),
    internalIngress: field(z.boolean(), {
        doc: "Expose Grafana and Kibana on an internal ALB (VPC only) besides kubectl port-forward.",
        rule: "true or false",
    }).default(false),
});

export const APP_LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

/** The sample app (components/image.ts, components/workload.ts): its image and how it runs. */
export const appSchema = z.strictObject({
    minReplicas: field(z.int().min(1).max(50), {
        doc: "Fewest pods the HorizontalPodAutoscaler keeps (2 or more survive a node or AZ loss; the PodDisruptionBudget keeps all but one of them through drains).",
        rule: "an integer from 1 to 50, at most maxReplicas (at least 2 in prod)",
    }).default(1),
    maxReplicas: field(z.int().min(1).max(100), {
        doc: "Most pods the HorizontalPodAutoscaler may run; each holds up to 10 database connections, so keep maxReplicas x 10 below the instance's max_connections.",
        rule: "an integer from 1 to 100, at least minReplicas",
    }).default(2),
    targetCpuUtilizationPercent: field(z.int().min(10).max(95), {
        doc: "Average CPU use, as a percentage of the pods' CPU request, the autoscaler steers to.",
        rule: "an integer from 10 to 95",
    }).default(70),
    cpuRequestMillicores: field(z.int().min(50).max(4000), {
        doc: "CPU request per pod (what the scheduler reserves and the autoscaler's percentage is of). No CPU limit is set, so pods may burst into idle CPU instead of being throttled.",
        rule: "an integer from 50 to 4000 (millicores)",
    }).default(100),
    memoryMiB: field(z.int().min(128).max(8192), {
        doc: "Memory request and limit per pod (equal: a pod is never killed for memory it was promised).",
        rule: "an integer from 128 to 8192 (MiB)",
    }).default(256),
    logLevel: field(z.enum(APP_LOG_LEVELS), {
        doc: "The app's LOG_LEVEL.",
        rule: `one of ${APP_LOG_LEVELS.map((l) => `"${l}"`).join(", ")}`,
    }).default("info"),
    newCheckoutDefaultVariant: field(z.enum(["off", "on"]), {
        doc: "Default variant of the `new-checkout` feature flag (app/flags/flags.json; its targeting rules still apply). The flags ConfigMap is updated in place and the app re-reads it within seconds, no restart.",
        rule: 'one of "off", "on"',
    }).default("off"),
    deliveryStrategy: field(z.enum(["rolling"]), {
        doc: "How a new image reaches the pods: \"rolling\" replaces them a few at a time (maxUnavailable 0), each new pod serving once ready, after the image's migration Job. The only strategy for now (canary through Argo Rollouts is not implemented).",
        rule: 'one of "rolling"',
    }).default("rolling"),
    internalIngress: field(z.boolean(), {
        doc: "Expose the app on an internal ALB (VPC only; about $16 a month) besides its ClusterIP Service.",
        rule: "true or false",
    }).default(false),
    untaggedImageExpiryDays: field(z.int().min(1).max(365), {
        doc: "Days an untagged image (a failed or superseded push) stays in the ECR repository.",
        rule: "an integer from 1 to 365",
    }).default(1),
    taggedImagesKept: field(z.int().min(1).max(1000), {
        doc: "How many tagged images the ECR repository keeps (the newest; older ones expire). Rollbacks can go back this far without a rebuild.",
        rule: "an integer from 1 to 1000",
    }).default(5),
});

// ---------------------------------------------------------------------------------------------
// The whole stack.
// ---------------------------------------------------------------------------------------------

export const ENVIRONMENTS = ["review", "dev", "prod"] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

const topLevelSchema = z.strictObject({
    environment: field(z.enum(ENVIRONMENTS), {
        doc: 'Which environment the stack is; tags every resource. "prod" turns on the production guard rails (checks, not overrides).',
        rule: 'one of "review", "dev", "prod"',
    }).default("review"),
    protect: field(z.boolean(), {
        doc: "The one safety knob of stateful resources: deletion protection, final snapshots and Pulumi `protect` when true; destroyable with no snapshot when false.",
        rule: "true or false",
    }).default(false),
    decommission: field(z.boolean(), {
        doc: "Lifts the production guard rails, so that a prod stack can be unprotected and destroyed: set it with protect false, `pulumi up` (deletion protection comes off), then `pulumi destroy`. An explicit, reviewable step instead of editing the rules.",
        rule: "true or false",
    }).default(false),
    tags: field(z.record(z.string().regex(/^[\w .:/=+@-]{1,128}$/), z.string().max(256)), {
        doc: "Extra tags for every AWS resource (cost centre, owner). project, stack, environment and managed-by are always set.",
        rule: "a map of tag keys (1-128 letters, digits, spaces and _.:/=+-@) to values of up to 256 characters",
        example: { owner: "platform-team" },
    }).default({}),
    network: networkSchema.prefault({}),
    cluster: clusterSchema.prefault({}),
    database: databaseSchema.prefault({}),
    cache: cacheSchema.prefault({}),
    secrets: secretsSchema.prefault({}),
    observability: observabilitySchema.prefault({}),
    app: appSchema.prefault({}),
});

type Sections = z.output<typeof topLevelSchema>;
export type NetworkConfig = Sections["network"];
export type ClusterConfig = Sections["cluster"];
export type NodeGroupConfig = ClusterConfig["nodes"];
export type SystemNodeGroupConfig = ClusterConfig["systemNodes"];

/** Sizes of one managed node group. */
export interface NodeGroupSizes {
    readonly minSize: number;
    readonly desiredSize: number;
    readonly maxSize: number;
}

/** The sizes of each of the general node groups (one per AZ). */
export function generalGroupSizes(n: NodeGroupConfig): NodeGroupSizes {
    return { minSize: n.minSizePerAz, desiredSize: n.desiredSizePerAz, maxSize: n.maxSizePerAz };
}

/** The sizes of the system node group (one group over all AZs). */
export function systemGroupSizes(s: SystemNodeGroupConfig): NodeGroupSizes {
    return { minSize: s.minSize, desiredSize: s.desiredSize, maxSize: s.maxSize };
}
export type DatabaseConfig = Sections["database"];
export type CacheConfig = Sections["cache"];
export type SecretsConfig = Sections["secrets"];
export type BackupPlanConfig = DatabaseConfig["backupPlan"];
export type ObservabilityConfig = Sections["observability"];
export type AppConfig = Sections["app"];

export interface PlatformConfig extends Sections {
    /** Pulumi project name (the config namespace). */
    readonly project: string;
    /** Pulumi stack name. */
    readonly stack: string;
    /** AWS region, from `aws:region`. */
    readonly region: string;
}

// ---------------------------------------------------------------------------------------------
// Problems and their messages.
// ---------------------------------------------------------------------------------------------

export interface ConfigProblem {
    /** The full config key, e.g. `platform:network.availabilityZoneCount`. */
    readonly key: string;
    /** The value received (undefined when absent). */
    readonly value: unknown;
    /** What is allowed. */
    readonly rule: string;
    /** The command that fixes it. */
    readonly fix: string;
}

export class ConfigError extends Error {
    constructor(readonly stack: string, readonly problems: readonly ConfigProblem[]) {
        super(formatProblems(stack, problems));
        this.name = "ConfigError";
    }
}

export function formatProblems(stack: string, problems: readonly ConfigProblem[]): string {
    const lines = [
        `Stack "${stack}" has ${problems.length} configuration problem${problems.length === 1 ? "" : "s"}; nothing was created.`,
    ];
    problems.forEach((p, i) => {
        lines.push(`  ${i + 1}. ${p.key} = ${showValue(p.value)}`);
        lines.push(`     rule: ${p.rule}`);
        lines.push(`     fix:  ${p.fix}`);
    });
    return lines.join("\n");
}

function showValue(value: unknown): string {
    return value === undefined ? "(not set)" : JSON.stringify(value);
}

/** `platform:network.cidrBlock` for a path inside the project namespace. */
export function configKey(project: string, path: readonly PropertyKey[]): string {
    const [head, ...rest] = path;
    let key = `${project}:${String(head)}`;
    for (const part of rest) key += typeof part === "number" ? `[${part}]` : `.${String(part)}`;
    return key;
}

/** The `pulumi config set` command that writes `value` at `key`. */
export function setCommand(key: string, value: unknown): string {
    const nested = key.includes(".") || key.includes("[");
    // `pulumi config set` has no JSON mode: a list or map is written element by element with
    // --path, after removing what is there.
    if (Array.isArray(value)) {
        return [removeCommand(key), ...value.map((v, i) => setCommand(`${key}[${i}]`, v))].join(" && ");
    }
    if (value !== null && typeof value === "object") {
        return [removeCommand(key), ...Object.entries(value).map(([k, v]) => setCommand(`${key}.${k}`, v))].join(" && ");
    }
    const text = String(value);
    const quoted = /^[\w./:@-]+$/.test(text) ? text : `'${text.replace(/'/g, "'\\''")}'`;
    // With --path, Pulumi stores integers as numbers and true/false as booleans; a setting that is
    // a string (a version such as "17") must say so.
    const keepString = nested && typeof value === "string" && /^(-?\d+|true|false)$/.test(text);
    return `pulumi config set${nested ? " --path" : ""} '${key}' ${quoted}${keepString ? " --type string" : ""}`;
}

function removeCommand(key: string, topLevel = false): string {
    const nested = !topLevel && (key.includes(".") || key.includes("["));
    return `pulumi config rm${nested ? " --path" : ""} '${key}'`;
}

// ---------------------------------------------------------------------------------------------
// Walking the schema: the leaf at a path, its metadata and default (for messages and docs).
// ---------------------------------------------------------------------------------------------

interface Leaf {
    readonly schema: z.ZodType;
    readonly meta?: FieldMeta;
    readonly defaultValue?: unknown;
}

function unwrap(schema: z.ZodType): { inner: z.ZodType; defaultValue?: unknown } {
    const def = (schema as any)._zod.def;
    if (def.type === "default" || def.type === "prefault") {
        const dv = typeof def.defaultValue === "function" ? def.defaultValue() : def.defaultValue;
        return { inner: def.innerType, defaultValue: dv };
    }
    return { inner: schema };
}

function metaOf(schema: z.ZodType): FieldMeta | undefined {
    const m = z.globalRegistry.get(schema) as any;
    return m?.rule ? { doc: m.description, rule: m.rule, example: m.example } : undefined;
}

function shapeOf(schema: z.ZodType): Record<string, z.ZodType> | undefined {
    const def = (schema as any)._zod.def;
    return def.type === "object" ? def.shape : undefined;
}

function leafAt(path: readonly PropertyKey[]): Leaf | undefined {
    let current: z.ZodType = topLevelSchema;
    let defaultValue: unknown;
    // Elements of lists and maps carry no metadata of their own: the nearest setting's rule
    // applies, and the matching part of its example.
    let nearestMeta: FieldMeta | undefined;
    for (const part of path) {
        const def = (current as any)._zod.def;
        if (def.type === "array" || def.type === "record") {
            current = def.type === "array" ? def.element : def.valueType;
            const example = nearestMeta?.example as any;
            const elementExample = def.type === "array" ? (Array.isArray(example) ? example[0] : undefined) : example?.[part];
            nearestMeta = nearestMeta && { ...nearestMeta, example: elementExample };
            defaultValue = undefined;
            continue;
        }
        const next = shapeOf(current)?.[String(part)];
        if (!next) return undefined;
        const unwrapped = unwrap(next);
        current = unwrapped.inner;
        defaultValue = unwrapped.defaultValue;
        nearestMeta = metaOf(current) ?? nearestMeta;
    }
    return { schema: current, meta: metaOf(current) ?? nearestMeta, defaultValue };
}

/** Every leaf setting with its key, default and documentation, in schema order. */
export function describeSettings(project = PROJECT): Array<{ key: string; default: unknown; doc: string; rule: string }> {
    const out: Array<{ key: string; default: unknown; doc: string; rule: string }> = [];
    const walk = (schema: z.ZodType, path: string[]) => {
        const shape = shapeOf(schema)!;
        for (const [name, child] of Object.entries(shape)) {
            const { inner, defaultValue } = unwrap(child);
            if (shapeOf(inner)) walk(inner, [...path, name]);
            else {
                const meta = metaOf(inner);
                out.push({ key: configKey(project, [...path, name]), default: defaultValue, doc: meta?.doc ?? "", rule: meta?.rule ?? "" });
            }
        }
    };
    walk(topLevelSchema, []);
    return out;
}

/** A value at a path of the raw input, for messages. */
function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
    let v: any = raw;
    for (const part of path) {
        if (v === null || typeof v !== "object") return undefined;
        v = v[part as any];
    }
    return v;
}

function closest(word: string, candidates: readonly string[]): string | undefined {
    const distance = (a: string, b: string) => {
        const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
        for (let i = 1; i <= a.length; i++) {
            let prev = dp[0];
            dp[0] = i;
            for (let j = 1; j <= b.length; j++) {
                const tmp = dp[j];
                dp[j] = Math.min(dp[j] + 1, dp[j - 1] + 1, prev + (a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1));
                prev = tmp;
            }
        }
        return dp[b.length];
    };
    let best: string | undefined;
    let bestDistance = Infinity;
    for (const c of candidates) {
        const d = distance(word, c);
        if (d < bestDistance) { best = c; bestDistance = d; }
    }
    return bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function problemFromIssue(project: string, raw: unknown, issue: z.core.$ZodIssue): ConfigProblem[] {
    if (issue.code === "unrecognized_keys") {
        const known = Object.keys(shapeOf(leafAt(issue.path)?.schema ?? topLevelSchema) ?? {});
        return issue.keys.map((k) => {
            const key = configKey(project, [...issue.path, k]);
            const topLevel = issue.path.length === 0;
            // `pulumi config set platform:network.natGateways perAz` without --path makes a
            // top-level key with a dot in its name: remove that key, then set the nested one.
            const [section, ...rest] = k.split(".");
            const withoutPath = topLevel && rest.length > 0 && section in (shapeOf(topLevelSchema) ?? {});
            const suggestion = withoutPath ? undefined : closest(k, known);
            const hint = withoutPath
                ? `  # set nested settings with --path: ${setCommand(configKey(project, [section, ...rest]), valueAt(raw, [k]))}`
                : suggestion ? `  # did you mean ${configKey(project, [...issue.path, suggestion])}?` : "";
            return {
                key,
                value: valueAt(raw, [...issue.path, k]),
                rule: `unknown setting; known settings here: ${known.join(", ")}`,
                fix: removeCommand(key, topLevel) + hint,
            };
        });
    }
    const key = configKey(project, issue.path);
    const leaf = leafAt(issue.path);
    const example = leaf?.meta?.example ?? leaf?.defaultValue;
    return [{
        key,
        value: valueAt(raw, issue.path),
        rule: leaf?.meta?.rule ?? issue.message,
        fix: example === undefined ? `${setCommand(key, "<value>")}` : setCommand(key, example),
    }];
}

// ---------------------------------------------------------------------------------------------
// Cross-field rules and guard rails: run on the parsed values, each names the keys to change.
// ---------------------------------------------------------------------------------------------

type Rule = (c: PlatformConfig, project: string) => ConfigProblem[];

const problem = (project: string, path: PropertyKey[], value: unknown, rule: string, fixValue: unknown): ConfigProblem => {
    const key = configKey(project, path);
    return { key, value, rule, fix: setCommand(key, fixValue) };
};

const rules: Rule[] = [
    // Subnets must fit the VPC: three tiers times the AZ count, each subnet smaller than the VPC.
    (c, p) => {
        const n = c.network;
        const vpc = parseCidr(n.cidrBlock)!;
        const out: ConfigProblem[] = [];
        for (const tier of ["public", "private", "isolated"] as const) {
            const k = `${tier}SubnetPrefixLength` as const;
            if (n[k] <= vpc.prefixLength) {
                out.push(problem(p, ["network", k], n[k],
                    `larger than the VPC prefix /${vpc.prefixLength} (a subnet is a part of the VPC)`,
                    Math.min(28, vpc.prefixLength + 4)));
            }
        }
        if (out.length === 0) {
            const layout = planSubnets(n.cidrBlock, n.availabilityZoneCount, {
                private: n.privateSubnetPrefixLength, public: n.publicSubnetPrefixLength, isolated: n.isolatedSubnetPrefixLength,
            });
            if (!layout) {
                out.push(problem(p, ["network", "cidrBlock"], n.cidrBlock,
                    `large enough for ${n.availabilityZoneCount} AZs x (one /${n.privateSubnetPrefixLength} private + one /${n.publicSubnetPrefixLength} public + one /${n.isolatedSubnetPrefixLength} isolated subnet); use a larger VPC or smaller subnets (higher *SubnetPrefixLength)`,
                    "10.0.0.0/16"));
            }
        }
        return out;
    },
    (c, p) => {
        // Every node group (the system group only when enabled): sizes in order, one architecture.
        // The general nodes are sized per AZ (one group per AZ), the system group as a whole.
        const out: ConfigProblem[] = [];
        const n = c.cluster.nodes;
        const s = c.cluster.systemNodes;
        const groups: Array<{ group: "nodes" | "systemNodes"; instanceTypes: string[]; sizes: NodeGroupSizes; suffix: string }> = [
            { group: "nodes", instanceTypes: n.instanceTypes, sizes: generalGroupSizes(n), suffix: "PerAz" },
        ];
        if (s.enabled) groups.push({ group: "systemNodes", instanceTypes: s.instanceTypes, sizes: systemGroupSizes(s), suffix: "" });
        for (const { group, instanceTypes, sizes, suffix } of groups) {
            const [min, desired, max] = [`minSize${suffix}`, `desiredSize${suffix}`, `maxSize${suffix}`];
            if (sizes.minSize > sizes.maxSize) {
                out.push(problem(p, ["cluster", group, min], sizes.minSize, `at most ${max} (${sizes.maxSize})`, sizes.maxSize));
            } else if (sizes.desiredSize < sizes.minSize || sizes.desiredSize > sizes.maxSize) {
                out.push(problem(p, ["cluster", group, desired], sizes.desiredSize,
                    `between ${min} (${sizes.minSize}) and ${max} (${sizes.maxSize})`, Math.max(1, sizes.minSize)));
            }
            const arches = new Set(instanceTypes.map(architectureOf));
            if (arches.size > 1) {
                out.push(problem(p, ["cluster", group, "instanceTypes"], instanceTypes,
                    "all of one architecture: a node group has one AMI type, and the app image is built for one platform (Graviton types like m7g.large are arm64)",
                    [instanceTypes[0]]));
            }
        }
        return out;
    },
    (c, p) => {
        const k = c.cluster;
        const out: ConfigProblem[] = [];
        k.publicAccessCidrs.forEach((cidr, i) => {
            if (!parseCidr(cidr)) {
                out.push(problem(p, ["cluster", "publicAccessCidrs", i], cidr, "an IPv4 CIDR such as 203.0.113.0/24", "203.0.113.0/24"));
            }
        });
        if (k.endpointPublicAccess && k.publicAccessCidrs.length === 0) {
            out.push(problem(p, ["cluster", "publicAccessCidrs"], k.publicAccessCidrs,
                'at least one CIDR while endpointPublicAccess is true: the addresses `pulumi up` and kubectl run from (write ["0.0.0.0/0"] to open the endpoint to everyone on purpose), or set cluster.endpointPublicAccess false and run from inside the VPC',
                ["203.0.113.0/24"]));
        }
        if (!k.endpointPublicAccess && k.publicAccessCidrs.length > 0) {
            out.push(problem(p, ["cluster", "publicAccessCidrs"], k.publicAccessCidrs,
                "empty while endpointPublicAccess is false (the CIDRs would have no effect)", []));
        }
        // One access entry per principal: a second CreateAccessEntry for the same ARN fails (409).
        const distinctAdmins = [...new Set(k.adminPrincipalArns)];
        if (distinctAdmins.length !== k.adminPrincipalArns.length) {
            out.push(problem(p, ["cluster", "adminPrincipalArns"], k.adminPrincipalArns,
                "distinct ARNs (EKS allows one access entry per principal)", distinctAdmins));
        }
        return out;
    },
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
    // The AWS Backup plan only on protected stacks. An unprotected stack must destroy in one run,
    // and a vault holding RDS recovery points does not: forceDestroy deletes the recovery points,
    // but RDS deletes their snapshots asynchronously, so DeleteBackupVault fails ("contains
    // recovery points") until a second destroy (hashicorp/terraform-provider-aws#37774).
    // Unprotected stacks keep RDS's automated backups and point-in-time recovery. A prod stack being
    // decommissioned keeps its plan: its vaults are retained on destroy, recovery points and all.
    (c, p) => {
        const b = c.database.backupPlan;
        return b.enabled && !c.protect && !c.decommission
            ? [problem(p, ["database", "backupPlan", "enabled"], b.enabled,
                "false while protect is false: a vault with RDS recovery points cannot be deleted in one `pulumi destroy` " +
                "(RDS deletes their snapshots asynchronously, so DeleteBackupVault fails until a second run: " +
                "hashicorp/terraform-provider-aws#37774); RDS automated backups and point-in-time recovery stay on. " +
                "To keep the plan, set protect true instead: pulumi config set 'platform:protect' true", false)]
            : [];
    },
    // A cross-region copy needs a plan to copy from (so a protected stack) and another region to copy to.
    (c, p) => {
        const b = c.database.backupPlan;
        if (b.copyRegion === "") return [];
        if (!c.protect && !c.decommission) {
            return [problem(p, ["database", "backupPlan", "copyRegion"], b.copyRegion,
                '"" while protect is false: there is no backup plan to copy from on an unprotected stack', "")];
        }
        if (!b.enabled) {
            return [problem(p, ["database", "backupPlan", "enabled"], b.enabled,
                `true while database.backupPlan.copyRegion is set ("${b.copyRegion}"): there is nothing to copy without the plan`, true)];
        }
        return b.copyRegion === c.region
            ? [problem(p, ["database", "backupPlan", "copyRegion"], b.copyRegion,
                `a region other than aws:region (${c.region}): a copy in the same region does not survive a regional outage`, c.region === "us-west-2" ? "us-east-2" : "us-west-2")]
            : [];
    },
    // The stack name and the environment agree: a stack called prod is the prod environment.
    (c, p) => {
        const named = (ENVIRONMENTS as readonly string[]).includes(c.stack) ? c.stack : /^pr-\d+$/.test(c.stack) ? "review" : undefined;
        return named && named !== c.environment
            ? [problem(p, ["environment"], c.environment, `"${named}" for the stack named "${c.stack}"`, named)]
            : [];
    },
    // Observability: a receiver needs its URL secret (and Slack a channel); two Elasticsearch
    // master-eligible nodes lose their quorum with either one.
    (c, p) => {
        const o = c.observability;
        const out: ConfigProblem[] = [];
        if (o.alertReceiver !== "none" && o.alertReceiverSecretName === "") {
            out.push(problem(p, ["observability", "alertReceiverSecretName"], o.alertReceiverSecretName,
                `the name of a Secret (key \`url\`) in the observability namespace while alertReceiver is "${o.alertReceiver}"`,
                "alertmanager-receiver"));
        }
        if (o.alertReceiver === "slack" && o.alertSlackChannel === "") {
            out.push(problem(p, ["observability", "alertSlackChannel"], o.alertSlackChannel,
                'a Slack channel such as "#alerts" while alertReceiver is "slack"', "#alerts"));
        }
        if (o.elasticsearchNodeCount === 2) {
            out.push(problem(p, ["observability", "elasticsearchNodeCount"], o.elasticsearchNodeCount,
                "1, or at least 3: two master-eligible nodes cannot elect a master when one is gone", 3));
        }
        // The two big pods (memory request = limit) must each fit on one general node, with room
        // left for kube-reserved, the DaemonSets and the system pods: otherwise they stay Pending
        // whatever the node count. Judged on the smallest instance type of cluster.nodes whose
        // memory is known (instanceMemoryMiB); unknown types are not judged.
        const known = c.cluster.nodes.instanceTypes
            .map((type) => ({ type, memoryMiB: instanceMemoryMiB(type) }))
            .filter((t): t is { type: string; memoryMiB: number } => t.memoryMiB !== undefined)
            .sort((a, b) => a.memoryMiB - b.memoryMiB);
        if (known.length > 0) {
            const smallest = known[0];
            const podMaxMiB = Math.floor(smallest.memoryMiB * MAX_POD_SHARE_OF_NODE_MEMORY);
            const onNode = `${smallest.type} (${smallest.memoryMiB} MiB), the smallest of cluster.nodes.instanceTypes: one pod may ask for at most ${MAX_POD_SHARE_OF_NODE_MEMORY * 100}% of a node (${podMaxMiB} MiB), the rest is kube-reserved, DaemonSets and system pods; or choose bigger instance types`;
            if (o.elasticsearchMemoryGiB * 1024 > podMaxMiB) {
                out.push(problem(p, ["observability", "elasticsearchMemoryGiB"], o.elasticsearchMemoryGiB,
                    `at most ${Math.floor(podMaxMiB / 1024)} (GiB) so an Elasticsearch node fits on ${onNode}`, Math.max(2, Math.floor(podMaxMiB / 1024))));
            }
            if (o.prometheusMemoryMiB > podMaxMiB) {
                out.push(problem(p, ["observability", "prometheusMemoryMiB"], o.prometheusMemoryMiB,
                    `at most ${podMaxMiB} (MiB) so Prometheus fits on ${onNode}`, Math.max(512, podMaxMiB)));
            }
        }
        return out;
    },
    // Production guard rails: checks, never silent overrides.
    (c, p) => {
        if (c.environment !== "prod" || c.decommission) return [];
        const out: ConfigProblem[] = [];
        const why = "required in prod";
        if (!c.protect) out.push(problem(p, ["protect"], c.protect, `true (${why}: deletion protection and final snapshots)`, true));
        if (!c.database.multiAz) out.push(problem(p, ["database", "multiAz"], c.database.multiAz, `true (${why}: a standby survives an AZ outage)`, true));
        if (c.database.backupRetentionDays < 7) out.push(problem(p, ["database", "backupRetentionDays"], c.database.backupRetentionDays, `at least 7 (${why})`, 7));
        if (!c.database.backupPlan.enabled) out.push(problem(p, ["database", "backupPlan", "enabled"], c.database.backupPlan.enabled, `true (${why}: recovery points that outlive the instance)`, true));
        if (c.database.backupPlan.copyRegion === "") out.push(problem(p, ["database", "backupPlan", "copyRegion"], c.database.backupPlan.copyRegion, `another AWS region (${why}: a copy that survives a regional outage)`, "us-west-2"));
        if (c.network.natGateways !== "perAz") out.push(problem(p, ["network", "natGateways"], c.network.natGateways, `"perAz" (${why}: egress survives an AZ outage)`, "perAz"));
        if (c.network.availabilityZoneCount < 3) out.push(problem(p, ["network", "availabilityZoneCount"], c.network.availabilityZoneCount, `at least 3 (${why})`, 3));
        if (!c.cache.multiAz) out.push(problem(p, ["cache", "multiAz"], c.cache.multiAz, `true (${why})`, true));
        if (c.cache.snapshotRetentionDays < 1) out.push(problem(p, ["cache", "snapshotRetentionDays"], c.cache.snapshotRetentionDays, `at least 1 (${why}: a daily snapshot to restore the cache from)`, 7));
        if (c.secrets.recoveryWindowDays < 7) out.push(problem(p, ["secrets", "recoveryWindowDays"], c.secrets.recoveryWindowDays, `at least 7 (${why}: a deleted secret can be restored)`, 30));
        // With at least 3 AZs (above), one node per AZ is at least 3 nodes, and an AZ outage leaves nodes in the others.
        if (c.cluster.nodes.minSizePerAz < 1) out.push(problem(p, ["cluster", "nodes", "minSizePerAz"], c.cluster.nodes.minSizePerAz, `at least 1 (${why}: a node in every AZ, where that AZ's EBS volumes can attach)`, 1));
        return out;
    },
    // The app: the autoscaler's range is a range; prod keeps two pods through a node or AZ loss.
    (c, p) => {
        const a = c.app;
        const out: ConfigProblem[] = [];
        if (a.minReplicas > a.maxReplicas) {
            out.push(problem(p, ["app", "minReplicas"], a.minReplicas, `at most maxReplicas (${a.maxReplicas})`, a.maxReplicas));
        }
        if (c.environment === "prod" && a.minReplicas < 2) {
            out.push(problem(p, ["app", "minReplicas"], a.minReplicas, "at least 2 (required in prod: one pod is an outage on every node drain)", 2));
        }
        return out;
    },
    // The workload mounts no CA bundle: with verify-full the app would check the RDS certificate
    // against Node's trust store, which does not hold the RDS CAs, and never become ready.
    (c, p) => c.database.clientSslMode === "verify-full"
        ? [problem(p, ["database", "clientSslMode"], c.database.clientSslMode,
            '"require" until the app\'s workload mounts the RDS CA bundle (DATABASE_SSL_CA_FILE): without it verify-full fails every connection',
            "require")]
        : [],
];

/** The share of a node's memory one observability pod may request (Elasticsearch, Prometheus). */
export const MAX_POD_SHARE_OF_NODE_MEMORY = 0.75;

/**
 * Memory of an EC2 instance type in MiB, for the families where the size says it: the burstable
 * t3/t3a/t4g (nano 0.5 GiB ... 2xlarge 32 GiB) and the general-purpose (m: 4 GiB per vCPU),
 * compute (c: 2 GiB per vCPU, c*n a little more: a lower bound) and memory (r: 8 GiB per vCPU)
 * families, medium = 1 vCPU, large = 2, xlarge = 4, Nxlarge = 4N
 * (https://aws.amazon.com/ec2/instance-types/). undefined for anything else (metal, x, z, ...).
 */
export function instanceMemoryMiB(instanceType: string): number | undefined {
    const [family, size] = instanceType.split(".");
    const burstable: Record<string, number> = { nano: 0.5, micro: 1, small: 2, medium: 4, large: 8, xlarge: 16, "2xlarge": 32 };
    if (/^t(3|3a|4g)$/.test(family)) return burstable[size] === undefined ? undefined : burstable[size] * 1024;
    const perVcpuGiB = ({ c: 2, m: 4, r: 8 } as Record<string, number>)[/^([cmr])\d+[a-z]*(-flex)?$/.exec(family ?? "")?.[1] ?? ""];
    if (perVcpuGiB === undefined) return undefined;
    const m = /^(medium|large|(\d*)xlarge)$/.exec(size ?? "");
    if (!m) return undefined;
    const vcpus = m[1] === "medium" ? 1 : m[1] === "large" ? 2 : 4 * Number(m[2] || 1);
    return vcpus * perVcpuGiB * 1024;
}

/** Graviton instance families carry a `g` after the generation digit (m7g, c7gn, t4g, r8g). */
export function architectureOf(instanceType: string): "arm64" | "x86_64" {
    const family = instanceType.split(".")[0];
    return /^[a-z]+\d+g[a-z]*$/.test(family) ? "arm64" : "x86_64";
}

// ---------------------------------------------------------------------------------------------
// Entry points.
// ---------------------------------------------------------------------------------------------

export interface RawStackConfig {
    readonly project: string;
    readonly stack: string;
    /**
     * Every config value of the stack keyed as Pulumi does (`aws:region`, `platform:network`),
     * values as Pulumi returns them: JSON text for objects, plain strings for scalars.
     */
    readonly values: Readonly<Record<string, string>>;
    /** Keys set with `--secret`: their values never appear in messages. */
    readonly secretKeys?: readonly string[];
}

/**
 * Parse and check a stack's whole configuration. Throws a ConfigError listing every problem;
 * returns the typed config with defaults applied.
 */
export function parseConfig(raw: RawStackConfig): PlatformConfig {
    const { project, stack } = raw;
    const problems: ConfigProblem[] = [];
    const input: Record<string, unknown> = {};
    for (const [fullKey, text] of Object.entries(raw.values)) {
        const [namespace, ...rest] = fullKey.split(":");
        if (namespace !== project) continue;
        input[rest.join(":")] = decode(text);
    }

    const region = raw.values["aws:region"];
    if (!region || !AWS_REGION.test(region)) {
        problems.push({
            key: "aws:region",
            value: region,
            rule: "the AWS region of the stack, such as us-east-1 or eu-west-1",
            fix: "pulumi config set aws:region us-east-1",
        });
    }

    // Parse each section on its own so that a problem in one does not hide those of another.
    const shape = shapeOf(topLevelSchema)!;
    const parsed: Record<string, unknown> = {};
    const unknownTop = Object.keys(input).filter((k) => !(k in shape));
    if (unknownTop.length > 0) {
        problems.push(...problemFromIssue(project, input, { code: "unrecognized_keys", keys: unknownTop, path: [], message: "" } as any));
    }
    for (const [name, schema] of Object.entries(shape)) {
        const result = schema.safeParse(input[name], { reportInput: true });
        if (result.success) parsed[name] = result.data;
        else {
            for (const issue of result.error.issues) {
                problems.push(...problemFromIssue(project, input, { ...issue, path: [name, ...issue.path] } as z.core.$ZodIssue));
            }
        }
    }
    // Cross-field rules run on whatever parsed, so one run reports as much as it can; a rule that
    // needs a section that did not parse is skipped (its field problems are already listed).
    const config = new Proxy({ ...(parsed as Sections), project, stack, region: region ?? "" } as PlatformConfig, {
        get(target, prop, receiver) {
            if (typeof prop === "string" && prop in shape && !(prop in parsed)) throw new SkipRule();
            return Reflect.get(target, prop, receiver);
        },
    });
    for (const rule of rules) {
        try {
            problems.push(...rule(config, project));
        } catch (e) {
            if (!(e instanceof SkipRule)) throw e;
        }
    }
    if (problems.length > 0) throw new ConfigError(stack, dedupe(problems).map((p) => maskSecret(p, raw.secretKeys ?? [])));
    return { ...(parsed as Sections), project, stack, region: region! };
}

/** A problem under a secret key shows no value. */
function maskSecret(p: ConfigProblem, secretKeys: readonly string[]): ConfigProblem {
    const secret = secretKeys.some((k) => p.key === k || p.key.startsWith(`${k}.`) || p.key.startsWith(`${k}[`));
    return secret && p.value !== undefined ? { ...p, value: "[secret]" } : p;
}

/** Thrown when a rule reads a section that did not parse. */
class SkipRule extends Error {}

function dedupe(problems: ConfigProblem[]): ConfigProblem[] {
    const seen = new Set<string>();
    return problems.filter((p) => (seen.has(p.key + p.rule) ? false : (seen.add(p.key + p.rule), true)));
}

/** Pulumi hands scalars over as text and objects as JSON text. */
function decode(text: string): unknown {
    try {
        return JSON.parse(text);
    } catch {
        return text;
    }
}

/**
 * Reads the running stack's configuration through the Pulumi runtime (what `pulumi up` and the
 * offline plan both do) and parses it.
 */
export function loadConfig(): PlatformConfig {
    // Imported lazily so the schema stays usable without a Pulumi runtime (docs, pure tests).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const pulumi = require("@pulumi/pulumi") as typeof import("@pulumi/pulumi");
    const values = pulumi.runtime.allConfig();
    // isConfigSecret is exported by the runtime but not declared in its typings.
    const isSecret = (pulumi.runtime as unknown as { isConfigSecret?: (k: string) => boolean }).isConfigSecret;
    return parseConfig({
        project: pulumi.getProject(),
        stack: pulumi.getStack(),
        values,
        secretKeys: isSecret ? Object.keys(values).filter((k) => isSecret(k)) : [],
    });
}
