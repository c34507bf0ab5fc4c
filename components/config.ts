/**
 * The one configuration schema of the platform.
 *
 * Every setting of every component is declared here, with its default, its rule and a one-line
 * description (the README's config reference is generated from these). Stack files
 * (`Pulumi.<stack>.yaml`) hold only the values that differ from the defaults, so reading the dev
 * and prod files side by side shows every difference between the environments.
 *
 * The defaults are the cheapest values that still destroy cleanly: they are what an ephemeral
 * review stack (`pr-<number>`, no committed file) runs with.
 *
 * Parsing collects every problem of every section and cross-field rule, then fails once with one
 * message per problem: the key, the value received, the rule, and the `pulumi config set` command
 * that fixes it. Nothing is registered before the config is valid.
 */
import { z } from "zod";
import { isPrivateIpv4Cidr, parseCidr, planSubnets } from "./cidr";

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
        z.string().refine((v) => parseCidr(v) !== undefined && isPrivateIpv4Cidr(v) &&
            parseCidr(v)!.prefixLength >= 16 && parseCidr(v)!.prefixLength <= 24),
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

const nodeGroupSchema = z.strictObject({
    instanceTypes: field(z.array(z.string().regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/)).min(1).max(10), {
        doc: "EC2 instance types of the group, all of one architecture (Graviton types such as m7g.large are arm64).",
        rule: 'a list of 1 to 10 EC2 instance types such as ["t3.large"], all x86_64 or all arm64',
    }).default(["t3.large"]),
    capacityType: field(z.enum(["ON_DEMAND", "SPOT"]), {
        doc: "On-demand or spot capacity.",
        rule: 'one of "ON_DEMAND", "SPOT"',
    }).default("ON_DEMAND"),
    minSize: field(z.int().min(1).max(100), { doc: "Fewest nodes.", rule: "an integer from 1 to 100" }).default(2),
    desiredSize: field(z.int().min(1).max(100), {
        doc: "Nodes at creation (the cluster autoscaler changes it afterwards; Pulumi ignores its drift).",
        rule: "an integer from 1 to 100, between minSize and maxSize",
    }).default(2),
    maxSize: field(z.int().min(1).max(100), { doc: "Most nodes the autoscaler may add.", rule: "an integer from 1 to 100" }).default(4),
    diskSizeGiB: field(z.int().min(20).max(1000), {
        doc: "Encrypted gp3 root volume per node.",
        rule: "an integer from 20 to 1000 (GiB)",
    }).default(40),
});

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
        z.array(z.string().regex(/^arn:aws[a-z-]*:(iam::\d{12}:(role|user)\/.+|sts::\d{12}:assumed-role\/.+)$/)).max(20),
        {
            doc: "IAM roles or users given cluster-admin through EKS access entries (the identity running `pulumi up` gets it already).",
            rule: "a list of IAM role or user ARNs such as arn:aws:iam::123456789012:role/platform-admins",
            example: ["arn:aws:iam::123456789012:role/platform-admins"],
        },
    ).default([]),
    nodes: nodeGroupSchema.prefault({}),
});

export const databaseSchema = z.strictObject({
    engineVersion: field(z.enum(["16", "17"]), {
        doc: "PostgreSQL major version; minor versions upgrade automatically in the maintenance window.",
        rule: 'one of "16", "17"',
    }).default("17"),
    instanceClass: field(z.string().regex(/^db\.[a-z0-9]+\.[a-z0-9]+$/), {
        doc: "RDS instance class.",
        rule: "an RDS instance class such as db.t4g.micro or db.m7g.large",
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
});

export const cacheSchema = z.strictObject({
    nodeType: field(z.string().regex(/^cache\.[a-z0-9]+\.[a-z0-9]+$/), {
        doc: "ElastiCache node type.",
        rule: "an ElastiCache node type such as cache.t4g.micro",
    }).default("cache.t4g.micro"),
    nodeCount: field(z.int().min(1).max(6), {
        doc: "Primary plus replicas in the replication group.",
        rule: "an integer from 1 to 6 (at least 2 with multiAz)",
    }).default(1),
    multiAz: field(z.boolean(), {
        doc: "Spread nodes over AZs with automatic failover to a replica.",
        rule: "true or false (true needs nodeCount >= 2)",
    }).default(false),
    snapshotRetentionDays: field(z.int().min(0).max(35), {
        doc: "Daily snapshots kept (0 = none).",
        rule: "an integer from 0 to 35",
    }).default(0),
});

export const secretsSchema = z.strictObject({
    recoveryWindowDays: field(z.int().refine((v) => v === 0 || (v >= 7 && v <= 30)), {
        doc: "Days a deleted secret can be restored; 0 deletes at once so a review stack can be recreated with the same names.",
        rule: "0, or an integer from 7 to 30 (Secrets Manager's range)",
    }).default(0),
});

export const observabilitySchema = z.strictObject({
    prometheusRetentionDays: field(z.int().min(1).max(365), {
        doc: "How long Prometheus keeps samples.",
        rule: "an integer from 1 to 365",
    }).default(2),
    prometheusStorageGiB: field(z.int().min(5).max(4096), {
        doc: "Prometheus persistent volume (encrypted gp3).",
        rule: "an integer from 5 to 4096 (GiB)",
    }).default(10),
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
});

type Sections = z.output<typeof topLevelSchema>;
export type NetworkConfig = Sections["network"];
export type ClusterConfig = Sections["cluster"];
export type NodeGroupConfig = ClusterConfig["nodes"];
export type DatabaseConfig = Sections["database"];
export type CacheConfig = Sections["cache"];
export type SecretsConfig = Sections["secrets"];
export type ObservabilityConfig = Sections["observability"];

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
    if (value !== null && typeof value === "object") {
        const json = JSON.stringify(value);
        return `pulumi config set${nested ? " --path" : ""} '${key}' '${json}' --json`;
    }
    const text = String(value);
    const quoted = /^[\w./:@-]+$/.test(text) ? text : `'${text.replace(/'/g, "'\\''")}'`;
    return `pulumi config set${nested ? " --path" : ""} '${key}' ${quoted}`;
}

function removeCommand(key: string): string {
    const nested = key.includes(".") || key.includes("[");
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
            const suggestion = closest(k, known);
            return {
                key,
                value: valueAt(raw, [...issue.path, k]),
                rule: `unknown setting; known settings here: ${known.join(", ")}`,
                fix: suggestion
                    ? `${removeCommand(key)}  # did you mean ${configKey(project, [...issue.path, suggestion])}?`
                    : removeCommand(key),
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
        const n = c.cluster.nodes;
        const out: ConfigProblem[] = [];
        if (n.minSize > n.maxSize) {
            out.push(problem(p, ["cluster", "nodes", "minSize"], n.minSize, `at most maxSize (${n.maxSize})`, n.maxSize));
        } else if (n.desiredSize < n.minSize || n.desiredSize > n.maxSize) {
            out.push(problem(p, ["cluster", "nodes", "desiredSize"], n.desiredSize,
                `between minSize (${n.minSize}) and maxSize (${n.maxSize})`, n.minSize));
        }
        const arches = new Set(n.instanceTypes.map(architectureOf));
        if (arches.size > 1) {
            out.push(problem(p, ["cluster", "nodes", "instanceTypes"], n.instanceTypes,
                "all of one architecture: a node group has one AMI type, and the app image is built for one platform (Graviton types like m7g.large are arm64)",
                [n.instanceTypes[0]]));
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
    // The stack name and the environment agree: a stack called prod is the prod environment.
    (c, p) => {
        const named = (ENVIRONMENTS as readonly string[]).includes(c.stack) ? c.stack : /^pr-\d+$/.test(c.stack) ? "review" : undefined;
        return named && named !== c.environment
            ? [problem(p, ["environment"], c.environment, `"${named}" for the stack named "${c.stack}"`, named)]
            : [];
    },
    // Production guard rails: checks, never silent overrides.
    (c, p) => {
        if (c.environment !== "prod") return [];
        const out: ConfigProblem[] = [];
        const why = "required in prod";
        if (!c.protect) out.push(problem(p, ["protect"], c.protect, `true (${why}: deletion protection and final snapshots)`, true));
        if (!c.database.multiAz) out.push(problem(p, ["database", "multiAz"], c.database.multiAz, `true (${why}: a standby survives an AZ outage)`, true));
        if (c.database.backupRetentionDays < 7) out.push(problem(p, ["database", "backupRetentionDays"], c.database.backupRetentionDays, `at least 7 (${why})`, 7));
        if (c.network.natGateways !== "perAz") out.push(problem(p, ["network", "natGateways"], c.network.natGateways, `"perAz" (${why}: egress survives an AZ outage)`, "perAz"));
        if (c.network.availabilityZoneCount < 3) out.push(problem(p, ["network", "availabilityZoneCount"], c.network.availabilityZoneCount, `at least 3 (${why})`, 3));
        if (!c.cache.multiAz) out.push(problem(p, ["cache", "multiAz"], c.cache.multiAz, `true (${why})`, true));
        if (c.secrets.recoveryWindowDays < 7) out.push(problem(p, ["secrets", "recoveryWindowDays"], c.secrets.recoveryWindowDays, `at least 7 (${why}: a deleted secret can be restored)`, 30));
        if (c.cluster.nodes.minSize < 2) out.push(problem(p, ["cluster", "nodes", "minSize"], c.cluster.nodes.minSize, `at least 2 (${why})`, 2));
        return out;
    },
];

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
    if (!region || !/^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/.test(region)) {
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
    if (problems.length > 0) throw new ConfigError(stack, dedupe(problems));
    return { ...(parsed as Sections), project, stack, region: region! };
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
    return parseConfig({
        project: pulumi.getProject(),
        stack: pulumi.getStack(),
        values: pulumi.runtime.allConfig(),
    });
}
