/**
 * The dated price table of the offline cost estimate: region us-east-1, on-demand, USD, Linux.
 * Every price names where it was read and when, and whether it was confirmed (`verified`: read on
 * an AWS pricing page or in at least one dated 2026 source that quotes it) or is a best recollection
 * to re-check (`verified: false`). A test fails when the table's date is more than a year old:
 * re-read every price (https://aws.amazon.com/<service>/pricing/, or the AWS Price List API
 * `aws pricing get-products`) and move PRICES_CHECKED_ON.
 *
 * A price absent here is an error of the estimate ("no price for ..."), never a silent zero.
 */

/** The day the table as a whole was last reviewed (ISO date). */
export const PRICES_CHECKED_ON = "2026-12-01";
export const PRICE_REGION = "us-east-1";
export const HOURS_PER_MONTH = 730;

export interface Price {
    readonly usd: number;
    /** What one unit is: "hour", "GB-month", "GB", "month", "10k requests", "LCU-hour". */
    readonly unit: string;
    readonly source: string;
    /** When the source was read (ISO date). */
    readonly date: string;
    readonly verified: boolean;
}

const FACTS = "shared/reference/aws-and-helm-facts.md (researched from AWS pricing pages)";
const FACTS_DATE = "2026-11-26";
const MEMORY = "not confirmed: best recollection of the AWS pricing page, re-check";

function p(usd: number, unit: string, source: string, date: string, verified: boolean): Price {
    return { usd, unit, source, date, verified };
}

/** EC2 instance types: on-demand hourly price and the shape the share-of-node model needs. */
export interface InstanceType {
    readonly price: Price;
    readonly vcpu: number;
    readonly memoryMiB: number;
    /** VPC CNI pod limit (ENIs x (IPs per ENI - 1) + 2), which decides kube-reserved memory. */
    readonly maxPods: number;
}

const EC2_PAGE = "https://aws.amazon.com/ec2/pricing/on-demand/";
export const EC2: Readonly<Record<string, InstanceType>> = {
    "t3.medium": { price: p(0.0416, "hour", `${FACTS} (listed uncertain); ${EC2_PAGE}`, FACTS_DATE, false), vcpu: 2, memoryMiB: 4096, maxPods: 17 },
    "t3.large": { price: p(0.0832, "hour", FACTS, FACTS_DATE, true), vcpu: 2, memoryMiB: 8192, maxPods: 35 },
    "t3a.large": { price: p(0.0752, "hour", `${MEMORY}; ${EC2_PAGE}`, PRICES_CHECKED_ON, false), vcpu: 2, memoryMiB: 8192, maxPods: 35 },
    "t4g.medium": { price: p(0.0336, "hour", `${FACTS} (listed uncertain)`, FACTS_DATE, false), vcpu: 2, memoryMiB: 4096, maxPods: 17 },
    "m5.large": { price: p(0.096, "hour", `${MEMORY}; ${EC2_PAGE}`, PRICES_CHECKED_ON, false), vcpu: 2, memoryMiB: 8192, maxPods: 29 },
    "m6i.large": { price: p(0.096, "hour", `${FACTS} (listed uncertain)`, FACTS_DATE, false), vcpu: 2, memoryMiB: 8192, maxPods: 29 },
    "m7i.large": { price: p(0.1008, "hour", `${MEMORY}; ${EC2_PAGE}`, PRICES_CHECKED_ON, false), vcpu: 2, memoryMiB: 8192, maxPods: 29 },
    "m7g.large": { price: p(0.0816, "hour", `${FACTS}; also https://www.factualminds.com/blog/amazon-ec2-on-demand-pricing-instance-families-2026/ (June 2026)`, PRICES_CHECKED_ON, true), vcpu: 2, memoryMiB: 8192, maxPods: 29 },
};

const RDS_PAGE = "https://aws.amazon.com/rds/postgresql/pricing/";
const RDS_T4G = `${FACTS}; also https://infratally.com/articles/aws-rds-pricing-explained-2026.html (2026)`;
/** RDS for PostgreSQL, Single-AZ hourly price per instance class (Multi-AZ bills two instances). */
export const RDS_POSTGRES: Readonly<Record<string, Price>> = {
    "db.t4g.micro": p(0.016, "hour", RDS_T4G, PRICES_CHECKED_ON, true),
    "db.t4g.small": p(0.032, "hour", RDS_T4G, PRICES_CHECKED_ON, true),
    "db.t4g.medium": p(0.065, "hour", RDS_T4G, PRICES_CHECKED_ON, true),
    "db.m7g.large": p(0.168, "hour", `${MEMORY}; ${RDS_PAGE}`, PRICES_CHECKED_ON, false),
};
/** vCPUs per RDS class (Performance Insights' paid retention is billed per vCPU). */
export const RDS_VCPU: Readonly<Record<string, number>> = { "db.t4g.micro": 2, "db.t4g.small": 2, "db.t4g.medium": 2, "db.m7g.large": 2 };

const CACHE_PAGE = "https://aws.amazon.com/elasticache/pricing/";
/**
 * ElastiCache node-based, hourly per node, by engine. Valkey nodes are priced 20% below Redis OSS
 * (AWS's Valkey launch announcement, 2024-10; facts file): the Valkey prices are Redis OSS x 0.8.
 */
export const ELASTICACHE: Readonly<Record<string, Readonly<Record<string, Price>>>> = {
    redis: {
        "cache.t4g.micro": p(0.016, "hour", `${FACTS} (listed uncertain)`, FACTS_DATE, false),
        "cache.m7g.large": p(0.158, "hour", `${FACTS} (listed uncertain)`, FACTS_DATE, false),
    },
    valkey: {
        "cache.t4g.micro": p(0.0128, "hour", `Redis OSS price x 0.8 (Valkey is 20% lower: ${FACTS}); ${CACHE_PAGE}`, FACTS_DATE, false),
        "cache.m7g.large": p(0.1264, "hour", `Redis OSS price x 0.8 (Valkey is 20% lower: ${FACTS}); ${CACHE_PAGE}`, FACTS_DATE, false),
    },
};

/** Every other price, by a key the estimator names in each cost line. */
export const PRICES = {
    "eks.controlPlane.standard": p(0.10, "hour", `${FACTS}; https://aws.amazon.com/eks/pricing/`, FACTS_DATE, true),
    "eks.controlPlane.extended": p(0.60, "hour", `${FACTS}; https://aws.amazon.com/eks/pricing/`, FACTS_DATE, true),
    "ebs.gp3": p(0.08, "GB-month", `${FACTS} (listed uncertain); https://aws.amazon.com/ebs/pricing/`, FACTS_DATE, false),
    "ebs.gp2": p(0.10, "GB-month", `${MEMORY}; https://aws.amazon.com/ebs/pricing/`, PRICES_CHECKED_ON, false),
    "nat.hour": p(0.045, "hour", `${FACTS}; https://aws.amazon.com/vpc/pricing/`, FACTS_DATE, true),
    "nat.dataGb": p(0.045, "GB", `${FACTS}; https://aws.amazon.com/vpc/pricing/`, FACTS_DATE, true),
    "publicIpv4.hour": p(0.005, "hour", `${FACTS}; https://aws.amazon.com/vpc/pricing/ (public IPv4 addresses)`, FACTS_DATE, true),
    "endpoint.interface.azHour": p(0.01, "hour", "https://aws.amazon.com/privatelink/pricing/ (per endpoint per AZ; the page read states the per-GB tiers, the hourly figure is the long-standing us-east-1 rate)", PRICES_CHECKED_ON, false),
    "endpoint.interface.dataGb": p(0.01, "GB", "https://aws.amazon.com/jp/privatelink/pricing/ (first PB per month, read 2026-12-01)", PRICES_CHECKED_ON, true),
    "alb.hour": p(0.0225, "hour", `${FACTS}; https://aws.amazon.com/elasticloadbalancing/pricing/`, FACTS_DATE, true),
    "alb.lcuHour": p(0.008, "LCU-hour", `${FACTS}; https://aws.amazon.com/elasticloadbalancing/pricing/`, FACTS_DATE, true),
    "nlb.hour": p(0.0225, "hour", `${MEMORY}; https://aws.amazon.com/elasticloadbalancing/pricing/`, PRICES_CHECKED_ON, false),
    "nlb.nlcuHour": p(0.006, "NLCU-hour", `${MEMORY}; https://aws.amazon.com/elasticloadbalancing/pricing/`, PRICES_CHECKED_ON, false),
    "rds.storage.gp3": p(0.115, "GB-month", `${FACTS}; https://www.usage.ai/blogs/aws/reserved-instances/rds/pricing-calculator/ (June 2026)`, PRICES_CHECKED_ON, true),
    "rds.storage.gp2": p(0.115, "GB-month", `${MEMORY}; ${RDS_PAGE}`, PRICES_CHECKED_ON, false),
    "rds.backupStorage": p(0.095, "GB-month", "https://www.usage.ai/blogs/aws/reserved-instances/rds/pricing-calculator/ (June 2026: beyond 100% of provisioned storage, free up to it)", PRICES_CHECKED_ON, true),
    "rds.performanceInsights.vcpuMonth": p(0.02, "vCPU-month", `${MEMORY}: Performance Insights paid retention, per vCPU per month of history kept beyond 7 days (${RDS_PAGE})`, PRICES_CHECKED_ON, false),
    "elasticache.backupStorage": p(0.085, "GB-month", `${MEMORY}; ${CACHE_PAGE} (backup storage)`, PRICES_CHECKED_ON, false),
    "kms.key": p(1.0, "month", `${MEMORY}; https://aws.amazon.com/kms/pricing/ (customer managed key; each of the first two yearly rotations adds $1)`, PRICES_CHECKED_ON, false),
    "secretsManager.secret": p(0.40, "month", `${FACTS}; https://aws.amazon.com/secrets-manager/pricing/`, FACTS_DATE, true),
    "secretsManager.api10k": p(0.05, "10k requests", `${MEMORY}; https://aws.amazon.com/secrets-manager/pricing/`, PRICES_CHECKED_ON, false),
    "logs.ingestGb": p(0.50, "GB", `${FACTS}; https://c3x.dev/blog/cloudwatch-logs-cost-optimization (us-east-1, June 2026)`, PRICES_CHECKED_ON, true),
    "logs.storageGbMonth": p(0.03, "GB-month", "https://c3x.dev/blog/cloudwatch-logs-cost-optimization and https://hykell.com/kb/platform-specific-guides/aws-cloudwatch-logs-pricing (us-east-1, 2026)", PRICES_CHECKED_ON, true),
    "backup.warmStorage": p(0.095, "GB-month", `${MEMORY}; https://aws.amazon.com/backup/pricing/ (RDS snapshot backup storage)`, PRICES_CHECKED_ON, false),
    "dataTransfer.interRegionGb": p(0.02, "GB", `${MEMORY}; https://aws.amazon.com/ec2/pricing/on-demand/ (data transfer between US regions)`, PRICES_CHECKED_ON, false),
    "ecr.storage": p(0.10, "GB-month", `${MEMORY}; https://aws.amazon.com/ecr/pricing/`, PRICES_CHECKED_ON, false),
} as const satisfies Record<string, Price>;

export type PriceKey = keyof typeof PRICES;

/** Every dated price of the table, with a name, for the staleness test and the docs. */
export function allPrices(): Array<[string, Price]> {
    return [
        ...Object.entries(PRICES),
        ...Object.entries(EC2).map(([k, v]): [string, Price] => [`ec2.${k}`, v.price]),
        ...Object.entries(RDS_POSTGRES).map(([k, v]): [string, Price] => [`rds.${k}`, v]),
        ...Object.entries(ELASTICACHE).flatMap(([engine, types]) => Object.entries(types).map(([k, v]): [string, Price] => [`elasticache.${engine}.${k}`, v])),
    ];
}
