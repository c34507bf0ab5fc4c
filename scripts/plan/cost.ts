/**
 * Monthly cost of a captured plan: every resource that costs money, priced from the dated table
 * in prices.ts, usage-based items from the assumptions in usage.yaml. A pure function of the plan
 * document; docs/estimates.md explains each model.
 *
 * Node counts are the node groups' desiredSize (what `pulumi up` starts and what the cluster
 * autoscaler keeps while the pods fit); the line says the maxSize bound too.
 */
import { componentLabel, GiB, MiB, parseBytes, parseMillicores, PlanIndex, type PlanDocument, type PlanResource } from "./model";
import { EC2, ELASTICACHE, HOURS_PER_MONTH, PRICE_REGION, PRICES, PRICES_CHECKED_ON, RDS_POSTGRES, RDS_VCPU, type Price, type PriceKey } from "./prices";
import { flattenUsage, type Usage } from "./usage";

export interface CostLine {
    /** The top-level component the resource belongs to. */
    readonly component: string;
    readonly resource: string;
    readonly type: string;
    /** What is billed, e.g. "m7i.large on-demand x 1 node". */
    readonly item: string;
    readonly quantity: number;
    readonly unit: string;
    readonly unitUsd: number;
    readonly monthlyUsd: number;
    /** The price-table entry used. */
    readonly price: string;
    /** The usage assumption(s) the quantity comes from, when it is not in the plan. */
    readonly assumption?: string;
}

export interface CostEstimate {
    readonly stack: string;
    readonly region: string;
    readonly pricesCheckedOn: string;
    readonly lines: readonly CostLine[];
    readonly subtotals: ReadonlyArray<{ readonly component: string; readonly monthlyUsd: number }>;
    readonly totalUsd: number;
    /** Resource types the estimator has no model for (priced at nothing, and printed as such). */
    readonly unpriced: ReadonlyArray<{ readonly type: string; readonly name: string; readonly reason: string }>;
    readonly assumptions: ReadonlyArray<[string, string]>;
    readonly notes: readonly string[];
}

/** Types that cost nothing by themselves, with the reason (the test checks every type is here or priced). */
export const FREE_TYPES: Readonly<Record<string, string>> = {
    "aws:ec2/vpc:Vpc": "VPCs are free",
    "aws:ec2/subnet:Subnet": "subnets are free",
    "aws:ec2/routeTable:RouteTable": "route tables are free",
    "aws:ec2/routeTableAssociation:RouteTableAssociation": "free",
    "aws:ec2/route:Route": "free",
    "aws:ec2/internetGateway:InternetGateway": "internet gateways are free (data transfer out is not modelled)",
    "aws:ec2/securityGroup:SecurityGroup": "free",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": "free",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "free",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "free",
    "aws:ec2/flowLog:FlowLog": "the flow log itself is free; its log group is priced (vended-log ingestion and storage)",
    "aws:ec2/launchTemplate:LaunchTemplate": "free; its volumes are priced per node with the node group that uses it",
    "aws:iam/role:Role": "IAM is free",
    "aws:iam/rolePolicy:RolePolicy": "IAM is free",
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": "IAM is free",
    "aws:iam/policy:Policy": "IAM is free",
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": "IAM is free",
    "aws:kms/alias:Alias": "aliases are free",
    "aws:eks/addon:Addon": "EKS add-ons are free (their pods run on the priced nodes)",
    "aws:eks/podIdentityAssociation:PodIdentityAssociation": "free",
    "aws:eks/accessEntry:AccessEntry": "free",
    "command:local:Command": "free",
    "aws:eks/accessPolicyAssociation:AccessPolicyAssociation": "free",
    "aws:rds/subnetGroup:SubnetGroup": "free",
    "aws:rds/parameterGroup:ParameterGroup": "free",
    "aws:elasticache/subnetGroup:SubnetGroup": "free",
    "aws:elasticache/parameterGroup:ParameterGroup": "free",
    "aws:secretsmanager/secretVersion:SecretVersion": "free; the secret is priced",
    "aws:backup/vault:Vault": "free; recovery-point storage is priced with the backup plan that fills it",
    "aws:backup/selection:Selection": "free; storage is priced with the backup plan",
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": "free; it bounds the repository's priced storage",
    "docker:index/image:Image": "the build is free; the pushed images are priced as the repository's storage",
    "random:index/randomId:RandomId": "local",
    "random:index/randomPassword:RandomPassword": "local",
    "random:index/randomString:RandomString": "local",
    "pulumi:providers:aws": "a provider",
    "pulumi:providers:kubernetes": "a provider",
};

/** Kubernetes types that make AWS bill something (load balancers, volumes) or hold pods. */
const PRICED_K8S = new Set([
    "kubernetes:networking.k8s.io/v1:Ingress",
    "kubernetes:core/v1:Service",
    "kubernetes:core/v1:PersistentVolumeClaim",
    "kubernetes:apps/v1:StatefulSet",
    "kubernetes:postgresql.cnpg.io/v1:Cluster",
    "kubernetes:helm.sh/v3:Release",
]);

interface Ctx {
    readonly index: PlanIndex;
    readonly usage: Usage;
    readonly lines: CostLine[];
    readonly notes: string[];
    readonly sharedMode: boolean;
}

function line(ctx: Ctx, r: PlanResource, item: string, quantity: number, price: Price, priceName: string, assumption?: string): void {
    ctx.lines.push({
        component: componentLabel(ctx.index.root(r)),
        resource: r.name,
        type: r.type,
        item,
        quantity,
        unit: price.unit,
        unitUsd: price.usd,
        monthlyUsd: quantity * price.usd,
        price: priceName,
        assumption,
    });
}

function priced(ctx: Ctx, r: PlanResource, item: string, quantity: number, key: PriceKey, assumption?: string): void {
    line(ctx, r, item, quantity, PRICES[key], key, assumption);
}

function missing(what: string, table: string, known: readonly string[]): never {
    throw new Error(`no price for ${what} in scripts/plan/prices.ts (${table}); known: ${known.join(", ")}. Add it with its source and date.`);
}

function ec2(type: string): (typeof EC2)[string] {
    return EC2[type] ?? missing(`EC2 instance type ${type}`, "EC2", Object.keys(EC2));
}

/** Hourly price of one node of a node group, and how it was derived. */
export function nodeHourly(instanceTypes: readonly string[], capacityType: string, usage: Usage): { usd: number; how: string } {
    if (capacityType === "SPOT") {
        const mean = instanceTypes.reduce((s, t) => s + ec2(t).price.usd, 0) / instanceTypes.length;
        return { usd: mean * usage.spotPriceFactor, how: `spot: mean on-demand of ${instanceTypes.join("/")} ($${mean.toFixed(4)}/h) x spotPriceFactor ${usage.spotPriceFactor}` };
    }
    // On-demand managed node groups launch the first listed type (allocation strategy "prioritized").
    return { usd: ec2(instanceTypes[0]).price.usd, how: `on-demand ${instanceTypes[0]}` };
}

/** What the kubelet leaves to pods on an EKS AL2023 node (kube-reserved and the eviction threshold). */
export function allocatable(instanceType: string): { millicores: number; memoryMiB: number } {
    const t = ec2(instanceType);
    // EKS AMI bootstrap: kube-reserved CPU is 6% of the first core, 1% of the second, 0.5% of the
    // next two and 0.25% of the rest; memory 255Mi + 11Mi per pod the CNI allows, plus 100Mi evictionHard.
    const cores = t.vcpu;
    const reservedMilli = 60 + (cores > 1 ? 10 : 0) + Math.max(0, Math.min(cores, 4) - 2) * 5 + Math.max(0, cores - 4) * 2.5;
    return { millicores: cores * 1000 - reservedMilli, memoryMiB: t.memoryMiB - (255 + 11 * t.maxPods) - 100 };
}

// ---------------------------------------------------------------------------------------------
// Volumes declared in Helm values and Kubernetes objects
// ---------------------------------------------------------------------------------------------

export interface VolumeClaim {
    /** Where it was declared (a path in the Helm values, or the object). */
    readonly path: string;
    readonly bytesEach: number;
    readonly count: number;
    readonly storageClassName?: string;
}

const QUANTITY = /^[0-9]+(\.[0-9]+)?([KMGTP]i|[kMGTP])?$/;

function multiplierOf(ancestors: readonly Record<string, any>[]): number {
    for (let i = ancestors.length - 1; i >= 0; i--) {
        const a = ancestors[i];
        if (typeof a.count === "number") return a.count;
        if (typeof a.replicas === "number") return a.replicas;
    }
    return 1;
}

/**
 * Persistent volumes a chart's values ask for: every `volumeClaimTemplate` / `volumeClaimTemplates`
 * entry (operators' CRs: Prometheus, Alertmanager, ECK) and every enabled `persistence.size`
 * (Grafana and most Bitnami-style charts), times the nearest enclosing `count` or `replicas`.
 * ECK's Elasticsearch nodeSets without volumeClaimTemplates get ECK's default 1Gi claim.
 * Returns the claims and the paths of storage-looking values no rule claimed (to report them).
 */
export function helmVolumeClaims(chart: string, values: unknown): { claims: VolumeClaim[]; unclaimed: string[] } {
    const claims: VolumeClaim[] = [];
    const consumed = new Set<string>();
    const claimTemplate = (t: any, path: string, ancestors: Record<string, any>[]) => {
        const storage = t?.spec?.resources?.requests?.storage;
        if (storage === undefined) return;
        consumed.add(`${path}.spec.resources.requests.storage`);
        claims.push({ path, bytesEach: parseBytes(storage, `${chart} values ${path}`), count: multiplierOf(ancestors), storageClassName: t.spec.storageClassName });
    };
    const walk = (node: unknown, path: string, ancestors: Record<string, any>[]) => {
        if (Array.isArray(node)) {
            node.forEach((v, i) => walk(v, `${path}.${i}`, ancestors));
            return;
        }
        if (node === null || typeof node !== "object") return;
        const obj = node as Record<string, any>;
        const chain = [...ancestors, obj];
        if (obj.volumeClaimTemplate) claimTemplate(obj.volumeClaimTemplate, `${path}.volumeClaimTemplate`.replace(/^\./, ""), chain);
        if (Array.isArray(obj.volumeClaimTemplates)) {
            obj.volumeClaimTemplates.forEach((t: unknown, i: number) => claimTemplate(t, `${path}.volumeClaimTemplates.${i}`.replace(/^\./, ""), chain));
        }
        const persistence = obj.persistence;
        if (persistence && typeof persistence === "object" && persistence.size !== undefined) {
            const p = `${path}.persistence.size`.replace(/^\./, "");
            consumed.add(p);
            if (persistence.enabled === true) {
                claims.push({ path: p, bytesEach: parseBytes(persistence.size, `${chart} values ${p}`), count: multiplierOf(chain), storageClassName: persistence.storageClassName });
            }
        }
        for (const [k, v] of Object.entries(obj)) walk(v, path ? `${path}.${k}` : k, chain);
    };
    walk(values, "", []);
    if (chart === "eck-stack") {
        const es = (values as any)?.["eck-elasticsearch"];
        if (es?.enabled !== false && Array.isArray(es?.nodeSets)) {
            es.nodeSets.forEach((ns: any, i: number) => {
                if (!Array.isArray(ns.volumeClaimTemplates)) {
                    // ECK's default elasticsearch-data claim: 1Gi, default StorageClass.
                    claims.push({ path: `eck-elasticsearch.nodeSets.${i} (ECK default claim)`, bytesEach: GiB, count: ns.count ?? 1 });
                }
            });
        }
    }
    const unclaimed: string[] = [];
    const scan = (node: unknown, path: string) => {
        if (Array.isArray(node)) node.forEach((v, i) => scan(v, `${path}.${i}`));
        else if (node !== null && typeof node === "object") for (const [k, v] of Object.entries(node)) scan(v, path ? `${path}.${k}` : k);
        else if (typeof node === "string" && /(^|\.)(storage|size)$/.test(path) && QUANTITY.test(node) && !consumed.has(path)) unclaimed.push(path);
    };
    scan(values, "");
    return { claims, unclaimed };
}

function volumeType(ctx: Ctx, storageClassName: string | undefined): { key: PriceKey; className: string } {
    const classes = ctx.index.ofType("kubernetes:storage.k8s.io/v1:StorageClass");
    const sc = storageClassName !== undefined
        ? classes.find((c) => (c.inputs.metadata?.name ?? c.name) === storageClassName)
        : classes.find((c) => c.inputs.metadata?.annotations?.["storageclass.kubernetes.io/is-default-class"] === "true");
    const type = sc?.inputs.parameters?.type ?? "gp3";
    if (!sc) ctx.notes.push(`StorageClass ${storageClassName ?? "(default)"} is not declared by the program: its volumes are priced as gp3.`);
    const key = `ebs.${type}` as PriceKey;
    if (!(key in PRICES)) missing(`EBS volume type ${type}`, "PRICES ebs.*", Object.keys(PRICES).filter((k) => k.startsWith("ebs.")));
    return { key, className: sc ? String(sc.inputs.metadata?.name ?? sc.name) : storageClassName ?? "(default)" };
}

function priceClaims(ctx: Ctx, r: PlanResource, claims: readonly VolumeClaim[]): void {
    for (const c of claims) {
        const { key, className } = volumeType(ctx, c.storageClassName);
        const gbEach = c.bytesEach / GiB;
        priced(ctx, r, `volume ${c.path}: ${c.count} x ${gbEach} GiB (${className})`, c.count * gbEach, key);
    }
}

// ---------------------------------------------------------------------------------------------
// Pods' requests (shared-mode review environments)
// ---------------------------------------------------------------------------------------------

interface PodsRequest { readonly millicores: number; readonly memoryMiB: number }

function containersRequest(spec: any, where: string): PodsRequest {
    let millicores = 0;
    let memoryMiB = 0;
    for (const c of spec?.containers ?? []) {
        const req = c.resources?.requests ?? c.resources?.limits ?? {};
        if (req.cpu !== undefined) millicores += parseMillicores(req.cpu, `${where} container ${c.name} cpu`);
        if (req.memory !== undefined) memoryMiB += parseBytes(req.memory, `${where} container ${c.name} memory`) / MiB;
    }
    return { millicores, memoryMiB };
}

/** The pods a workload object keeps running and what each asks for; undefined for other types. */
export function workloadRequest(index: PlanIndex, r: PlanResource, jobHoursPerMonth: number): { pods: number; each: PodsRequest; how: string } | undefined {
    const spec = r.inputs.spec ?? {};
    const name = r.inputs.metadata?.name ?? r.name;
    switch (r.type) {
        case "kubernetes:apps/v1:Deployment":
        case "kubernetes:apps/v1:StatefulSet": {
            const hpa = index.ofType("kubernetes:autoscaling/v2:HorizontalPodAutoscaler").find((h) => h.inputs.spec?.scaleTargetRef?.name === name);
            const pods = hpa?.inputs.spec?.minReplicas ?? spec.replicas ?? 1;
            return { pods, each: containersRequest(spec.template?.spec, r.name), how: hpa ? "HPA minReplicas" : "replicas" };
        }
        case "kubernetes:batch/v1:Job":
            return { pods: (spec.parallelism ?? 1) * (jobHoursPerMonth / HOURS_PER_MONTH), each: containersRequest(spec.template?.spec, r.name), how: `parallelism x ${jobHoursPerMonth} h/month running` };
        case "kubernetes:postgresql.cnpg.io/v1:Cluster": {
            const req = spec.resources?.requests ?? spec.resources?.limits ?? {};
            return {
                pods: spec.instances ?? 1,
                each: {
                    millicores: req.cpu !== undefined ? parseMillicores(req.cpu, `${r.name} cpu`) : 0,
                    memoryMiB: req.memory !== undefined ? parseBytes(req.memory, `${r.name} memory`) / MiB : 0,
                },
                how: "instances",
            };
        }
        default:
            return undefined;
    }
}

function priceShare(ctx: Ctx, r: PlanResource): void {
    const w = workloadRequest(ctx.index, r, ctx.usage.sharedHost.jobHoursPerMonth);
    if (!w) return;
    const host = ctx.usage.sharedHost;
    const node = nodeHourly([host.instanceType], host.capacityType, ctx.usage);
    const alloc = allocatable(host.instanceType);
    const cpuShare = (w.pods * w.each.millicores) / alloc.millicores;
    const memShare = (w.pods * w.each.memoryMiB) / alloc.memoryMiB;
    // The pods occupy the larger of their CPU and memory shares of a node: that fraction of a
    // node cannot hold anyone else's pods.
    const share = Math.max(cpuShare, memShare);
    line(ctx, r, `${+w.pods.toFixed(3)} pod(s) (${w.how}) x ${w.each.millicores}m CPU / ${Math.round(w.each.memoryMiB)} MiB = ${(share * 100).toFixed(1)}% of a ${host.instanceType} (${node.how}; allocatable ${alloc.millicores}m / ${alloc.memoryMiB} MiB)`,
        share * HOURS_PER_MONTH, { ...EC2[host.instanceType].price, usd: node.usd }, `ec2.${host.instanceType} share`, "sharedHost.*");
}

// ---------------------------------------------------------------------------------------------
// Resource types
// ---------------------------------------------------------------------------------------------

function durationSeconds(s: string, where: string): number {
    const m = /^([0-9]+)(s|m|h)$/.exec(s);
    if (!m) throw new Error(`${where}: refreshInterval "${s}" is not a duration such as 30s, 5m or 1h`);
    return Number(m[1]) * { s: 1, m: 60, h: 3600 }[m[2] as "s" | "m" | "h"];
}

function logGroupUsage(ctx: Ctx, r: PlanResource): { gb: number; why: string; assumption: string } {
    const u = ctx.usage.logs;
    if (ctx.index.dependentsOfType(r, "aws:ec2/flowLog:FlowLog").length > 0) {
        return { gb: u.vpcFlowLogsGbPerMonth, why: "VPC flow logs", assumption: "logs.vpcFlowLogsGbPerMonth" };
    }
    const name = String(r.inputs.name ?? "");
    const eks = /^\/aws\/eks\/(.+)\/cluster$/.exec(name);
    if (eks) {
        const cluster = ctx.index.ofType("aws:eks/cluster:Cluster").find((c) => c.inputs.name === eks[1]) ?? ctx.index.ofType("aws:eks/cluster:Cluster")[0];
        const types: string[] = cluster?.inputs.enabledClusterLogTypes ?? [];
        return { gb: types.length * u.eksControlPlaneGbPerLogTypeMonth, why: `EKS control plane: ${types.length} log types (${types.join(", ")})`, assumption: "logs.eksControlPlaneGbPerLogTypeMonth" };
    }
    const rds = /^\/aws\/rds\/instance\/[^/]+\/([^/]+)$/.exec(name);
    if (rds) return { gb: u.rdsGbPerLogTypeMonth, why: `RDS ${rds[1]} log`, assumption: "logs.rdsGbPerLogTypeMonth" };
    return { gb: u.otherLogGroupGbPerMonth, why: "log group", assumption: "logs.otherLogGroupGbPerMonth" };
}

const DAYS_PER_MONTH = HOURS_PER_MONTH / 24;

const PRICERS: Readonly<Record<string, (ctx: Ctx, r: PlanResource) => void>> = {
    "aws:eks/cluster:Cluster": (ctx, r) => {
        const support = r.inputs.upgradePolicy?.supportType;
        if (support === "STANDARD") priced(ctx, r, "EKS control plane, standard support", HOURS_PER_MONTH, "eks.controlPlane.standard");
        else {
            priced(ctx, r, `EKS control plane, extended support (upgradePolicy.supportType ${support ?? "unset: EKS defaults to EXTENDED"})`, HOURS_PER_MONTH, "eks.controlPlane.extended");
        }
    },
    "aws:eks/nodeGroup:NodeGroup": (ctx, r) => {
        const scaling = r.inputs.scalingConfig ?? {};
        const nodes = Number(scaling.desiredSize ?? scaling.minSize ?? 1);
        const types: string[] = r.inputs.instanceTypes ?? ["t3.medium"];
        const capacity = r.inputs.capacityType ?? "ON_DEMAND";
        const hourly = nodeHourly(types, capacity, ctx.usage);
        line(ctx, r, `${nodes} node(s) (desiredSize; min ${scaling.minSize}, max ${scaling.maxSize}), ${hourly.how}`, nodes * HOURS_PER_MONTH,
            { ...ec2(types[0]).price, usd: hourly.usd }, capacity === "SPOT" ? `ec2.${types.join("/")} x spotPriceFactor` : `ec2.${types[0]}`, capacity === "SPOT" ? "spotPriceFactor" : undefined);
        const lt = ctx.index.dependenciesOfType(r, "aws:ec2/launchTemplate:LaunchTemplate")[0];
        const mappings: any[] = lt?.inputs.blockDeviceMappings ?? [{ ebs: { volumeSize: r.inputs.diskSize ?? 20, volumeType: "gp3" } }];
        for (const m of mappings) {
            const type = m.ebs?.volumeType ?? "gp3";
            const key = `ebs.${type}` as PriceKey;
            if (!(key in PRICES)) missing(`EBS volume type ${type}`, "PRICES ebs.*", Object.keys(PRICES).filter((k) => k.startsWith("ebs.")));
            const size = Number(m.ebs?.volumeSize ?? 20);
            priced(ctx, r, `root volume ${m.deviceName ?? ""} ${size} GiB ${type} x ${nodes} node(s)${lt ? ` (launch template ${lt.name})` : " (EKS default disk)"}`, size * nodes, key);
        }
    },
    "aws:ec2/natGateway:NatGateway": (ctx, r) => {
        if (r.inputs.connectivityType === "private") return priced(ctx, r, "private NAT gateway hours", HOURS_PER_MONTH, "nat.hour");
        priced(ctx, r, "NAT gateway hours", HOURS_PER_MONTH, "nat.hour");
        priced(ctx, r, "NAT data processed", ctx.usage.natGateway.dataProcessedGbPerGatewayMonth, "nat.dataGb", "natGateway.dataProcessedGbPerGatewayMonth");
    },
    "aws:ec2/eip:Eip": (ctx, r) => priced(ctx, r, "public IPv4 address", HOURS_PER_MONTH, "publicIpv4.hour"),
    "aws:ec2/vpcEndpoint:VpcEndpoint": (ctx, r) => {
        if ((r.inputs.vpcEndpointType ?? "Gateway") !== "Interface") return; // gateway endpoints (S3, DynamoDB) are free
        const azs = (r.inputs.subnetIds ?? []).length || 1;
        priced(ctx, r, `interface endpoint ${r.inputs.serviceName} in ${azs} AZ(s)`, azs * HOURS_PER_MONTH, "endpoint.interface.azHour");
        priced(ctx, r, "interface endpoint data processed", ctx.usage.interfaceEndpoints.dataProcessedGbPerEndpointMonth, "endpoint.interface.dataGb", "interfaceEndpoints.dataProcessedGbPerEndpointMonth");
    },
    "aws:cloudwatch/logGroup:LogGroup": (ctx, r) => {
        const u = logGroupUsage(ctx, r);
        priced(ctx, r, `${u.why}: ingestion`, u.gb, "logs.ingestGb", u.assumption);
        const retention = r.inputs.retentionInDays;
        const months = retention ? retention / DAYS_PER_MONTH : ctx.usage.logs.neverExpireMonths;
        priced(ctx, r, `${u.why}: storage at steady state (${retention ? `${retention}-day retention` : "never expires"})`,
            u.gb * months * ctx.usage.logs.storedBytesPerIngestedByte, "logs.storageGbMonth", `${u.assumption}, logs.storedBytesPerIngestedByte${retention ? "" : ", logs.neverExpireMonths"}`);
    },
    "aws:rds/instance:Instance": (ctx, r) => {
        const cls = String(r.inputs.instanceClass);
        if (r.inputs.engine !== "postgres") throw new Error(`${r.name}: engine ${r.inputs.engine} has no prices (scripts/plan/prices.ts lists RDS for PostgreSQL)`);
        const price = RDS_POSTGRES[cls] ?? missing(`RDS class ${cls}`, "RDS_POSTGRES", Object.keys(RDS_POSTGRES));
        const copies = r.inputs.multiAz ? 2 : 1;
        line(ctx, r, `${cls} PostgreSQL${copies === 2 ? ", Multi-AZ (primary + standby)" : ", Single-AZ"}`, copies * HOURS_PER_MONTH, price, `rds.${cls}`);
        const storageType = r.inputs.storageType ?? "gp2";
        const storageKey = `rds.storage.${storageType}` as PriceKey;
        if (!(storageKey in PRICES)) missing(`RDS storage type ${storageType}`, "PRICES rds.storage.*", ["gp2", "gp3"]);
        const allocated = Number(r.inputs.allocatedStorage ?? 20);
        priced(ctx, r, `storage ${allocated} GiB ${storageType}${copies === 2 ? " x 2 (standby)" : ""} (allocated; autoscaling up to ${r.inputs.maxAllocatedStorage ?? allocated})`, allocated * copies, storageKey);
        const d = ctx.usage.database;
        const retention = Number(r.inputs.backupRetentionPeriod ?? 1);
        const backupGb = d.dataGb * (1 + d.dailyChangeFraction * retention);
        priced(ctx, r, `automated backups: ${backupGb.toFixed(1)} GB over ${retention} days, free up to the ${allocated} GiB provisioned`, Math.max(0, backupGb - allocated), "rds.backupStorage", "database.dataGb, database.dailyChangeFraction");
        const pi = Number(r.inputs.performanceInsightsRetentionPeriod ?? 7);
        if (r.inputs.performanceInsightsEnabled && pi > 7) {
            const vcpu = RDS_VCPU[cls] ?? missing(`vCPUs of ${cls}`, "RDS_VCPU", Object.keys(RDS_VCPU));
            priced(ctx, r, `Performance Insights ${pi}-day retention: ${vcpu} vCPU x ${copies} instance(s)`, vcpu * copies * Math.round(pi / 31), "rds.performanceInsights.vcpuMonth");
        }
        if (r.inputs.manageMasterUserPassword) priced(ctx, r, "RDS-managed master password secret (created by RDS, not Pulumi)", 1, "secretsManager.secret");
    },
    "aws:elasticache/replicationGroup:ReplicationGroup": (ctx, r) => {
        const engine = String(r.inputs.engine ?? "redis");
        const type = String(r.inputs.nodeType);
        const price = ELASTICACHE[engine]?.[type] ?? missing(`ElastiCache ${engine} node type ${type}`, "ELASTICACHE", Object.entries(ELASTICACHE).flatMap(([e, t]) => Object.keys(t).map((k) => `${e} ${k}`)));
        const nodes = Number(r.inputs.numCacheClusters ?? (Number(r.inputs.numNodeGroups ?? 1) * (Number(r.inputs.replicasPerNodeGroup ?? 0) + 1)));
        line(ctx, r, `${nodes} x ${type} ${engine} node(s)`, nodes * HOURS_PER_MONTH, price, `elasticache.${engine}.${type}`);
        const snapshots = Number(r.inputs.snapshotRetentionLimit ?? 0);
        if (snapshots > 0) priced(ctx, r, `${snapshots} daily snapshot(s) kept`, snapshots * ctx.usage.cache.snapshotGb, "elasticache.backupStorage", "cache.snapshotGb");
    },
    "aws:kms/key:Key": (ctx, r) => priced(ctx, r, `customer managed key${r.inputs.region ? ` (${r.inputs.region}, priced as ${PRICE_REGION})` : ""}`, 1, "kms.key"),
    "aws:secretsmanager/secret:Secret": (ctx, r) => priced(ctx, r, "secret", 1, "secretsManager.secret"),
    "kubernetes:external-secrets.io/v1:ExternalSecret": (ctx, r) => {
        const spec = r.inputs.spec ?? {};
        const keys = new Set<string>([
            ...(spec.data ?? []).map((d: any) => String(d.remoteRef?.key)),
            ...(spec.dataFrom ?? []).map((d: any) => String(d.extract?.key ?? d.find?.name?.regexp ?? "find")),
        ]);
        const interval = durationSeconds(String(spec.refreshInterval ?? "1h"), r.name);
        const calls = (HOURS_PER_MONTH * 3600 / interval) * keys.size;
        priced(ctx, r, `GetSecretValue: ${keys.size} secret(s) every ${spec.refreshInterval ?? "1h"}`, calls / 10_000, "secretsManager.api10k");
    },
    "aws:backup/plan:Plan": (ctx, r) => {
        const d = ctx.usage.database;
        for (const rule of r.inputs.rules ?? []) {
            const days = Number(rule.lifecycle?.deleteAfter ?? 35);
            // Daily incremental recovery points: the first is full, each later one holds a day's changes.
            const stored = d.dataGb * (1 + d.dailyChangeFraction * Math.max(0, days - 1));
            priced(ctx, r, `rule ${rule.ruleName}: recovery points kept ${days} days (${stored.toFixed(1)} GB)`, stored, "backup.warmStorage", "database.dataGb, database.dailyChangeFraction");
            for (const copy of rule.copyActions ?? []) {
                const copyDays = Number(copy.lifecycle?.deleteAfter ?? days);
                const copyStored = d.dataGb * (1 + d.dailyChangeFraction * Math.max(0, copyDays - 1));
                priced(ctx, r, `rule ${rule.ruleName}: cross-region copies kept ${copyDays} days (priced as ${PRICE_REGION})`, copyStored, "backup.warmStorage", "database.dataGb, database.dailyChangeFraction");
                priced(ctx, r, `rule ${rule.ruleName}: cross-region transfer of the daily changes`, d.dataGb * d.dailyChangeFraction * DAYS_PER_MONTH, "dataTransfer.interRegionGb", "database.dataGb, database.dailyChangeFraction");
            }
        }
    },
    "aws:ecr/repository:Repository": (ctx, r) => {
        const policy = ctx.index.dependentsOfType(r, "aws:ecr/lifecyclePolicy:LifecyclePolicy")[0];
        let kept = 10;
        let how = "no lifecycle policy: assumed 10 images";
        if (policy) {
            const rules: any[] = JSON.parse(String(policy.inputs.policy)).rules ?? [];
            const count = rules.find((x) => x.selection?.tagStatus !== "untagged" && x.selection?.countType === "imageCountMoreThan");
            if (count) {
                kept = Number(count.selection.countNumber);
                how = `lifecycle policy keeps ${kept} tagged images`;
            }
        }
        priced(ctx, r, `image storage: ${how} x ${ctx.usage.ecr.imageSizeGb} GB`, kept * ctx.usage.ecr.imageSizeGb, "ecr.storage", "ecr.imageSizeGb");
    },
    "kubernetes:helm.sh/v3:Release": (ctx, r) => {
        const chart = String(r.inputs.chart);
        const { claims, unclaimed } = helmVolumeClaims(chart, r.inputs.values ?? {});
        priceClaims(ctx, r, claims);
        for (const p of unclaimed) ctx.notes.push(`${r.name} (${chart}): values.${p} looks like a volume size no rule prices (scripts/plan/cost.ts helmVolumeClaims)`);
    },
    "kubernetes:core/v1:PersistentVolumeClaim": (ctx, r) => {
        const s = r.inputs.spec?.resources?.requests?.storage;
        if (s !== undefined) priceClaims(ctx, r, [{ path: r.name, bytesEach: parseBytes(s, r.name), count: 1, storageClassName: r.inputs.spec?.storageClassName }]);
    },
    "kubernetes:apps/v1:StatefulSet": (ctx, r) => {
        const spec = r.inputs.spec ?? {};
        const claims = (spec.volumeClaimTemplates ?? []).map((t: any, i: number) => ({
            path: `${r.name} volumeClaimTemplates.${i}`, bytesEach: parseBytes(t.spec?.resources?.requests?.storage, r.name), count: spec.replicas ?? 1, storageClassName: t.spec?.storageClassName,
        }));
        priceClaims(ctx, r, claims);
        if (ctx.sharedMode) priceShare(ctx, r);
    },
    "kubernetes:postgresql.cnpg.io/v1:Cluster": (ctx, r) => {
        const spec = r.inputs.spec ?? {};
        const claims: VolumeClaim[] = [];
        for (const key of ["storage", "walStorage"]) {
            if (spec[key]?.size) claims.push({ path: `${r.name} ${key}`, bytesEach: parseBytes(spec[key].size, `${r.name} spec.${key}.size`), count: spec.instances ?? 1, storageClassName: spec[key].storageClass });
        }
        priceClaims(ctx, r, claims);
        if (ctx.sharedMode) priceShare(ctx, r);
    },
    "kubernetes:networking.k8s.io/v1:Ingress": (ctx, r) => {
        const ann = r.inputs.metadata?.annotations ?? {};
        const isAlb = r.inputs.spec?.ingressClassName === "alb" || ann["kubernetes.io/ingress.class"] === "alb";
        if (!isAlb) return;
        const group = ann["alb.ingress.kubernetes.io/group.name"];
        if (group !== undefined) {
            // Ingresses of one group share one ALB: price it on the first of the group only.
            const first = ctx.index.ofType(r.type).find((o) => o.inputs.metadata?.annotations?.["alb.ingress.kubernetes.io/group.name"] === group);
            if (first !== r) return;
        }
        priced(ctx, r, `ALB${group ? ` (group ${group})` : ""}, ${ann["alb.ingress.kubernetes.io/scheme"] ?? "internal"}`, HOURS_PER_MONTH, "alb.hour");
        priced(ctx, r, "ALB capacity units", ctx.usage.loadBalancers.lcuPerAlb * HOURS_PER_MONTH, "alb.lcuHour", "loadBalancers.lcuPerAlb");
        if (ann["alb.ingress.kubernetes.io/scheme"] === "internet-facing") {
            priced(ctx, r, "ALB public IPv4 addresses", ctx.usage.loadBalancers.internetFacingAzCount * HOURS_PER_MONTH, "publicIpv4.hour", "loadBalancers.internetFacingAzCount");
        }
    },
    "kubernetes:core/v1:Service": (ctx, r) => {
        if (r.inputs.spec?.type !== "LoadBalancer") return;
        const ann = r.inputs.metadata?.annotations ?? {};
        priced(ctx, r, "NLB (LoadBalancer Service)", HOURS_PER_MONTH, "nlb.hour");
        priced(ctx, r, "NLB capacity units", ctx.usage.loadBalancers.lcuPerAlb * HOURS_PER_MONTH, "nlb.nlcuHour", "loadBalancers.lcuPerAlb");
        if (ann["service.beta.kubernetes.io/aws-load-balancer-scheme"] === "internet-facing") {
            priced(ctx, r, "NLB public IPv4 addresses", ctx.usage.loadBalancers.internetFacingAzCount * HOURS_PER_MONTH, "publicIpv4.hour", "loadBalancers.internetFacingAzCount");
        }
    },
};

const SHARE_TYPES = new Set(["kubernetes:apps/v1:Deployment", "kubernetes:batch/v1:Job"]);

/** The monthly estimate of a plan. */
export function estimateCost(plan: PlanDocument, usage: Usage): CostEstimate {
    const index = new PlanIndex(plan);
    const sharedMode = index.ofType("aws:eks/nodeGroup:NodeGroup").length === 0
        && plan.resources.some((r) => SHARE_TYPES.has(r.type) || r.type === "kubernetes:apps/v1:StatefulSet" || r.type === "kubernetes:postgresql.cnpg.io/v1:Cluster");
    const ctx: Ctx = { index, usage, lines: [], notes: [], sharedMode };
    const unpriced: Array<{ type: string; name: string; reason: string }> = [];
    for (const r of plan.resources) {
        if (!r.custom) continue;
        const pricer = PRICERS[r.type];
        if (pricer) pricer(ctx, r);
        else if (SHARE_TYPES.has(r.type) && sharedMode) priceShare(ctx, r);
        else if (FREE_TYPES[r.type] === undefined && !(r.type.startsWith("kubernetes:") && !PRICED_K8S.has(r.type))) {
            unpriced.push({ type: r.type, name: r.name, reason: "no cost model: add a pricer or a FREE_TYPES entry in scripts/plan/cost.ts" });
        }
    }
    if (sharedMode) ctx.notes.push(`No node groups: pods are priced as their share of a ${usage.sharedHost.instanceType} ${usage.sharedHost.capacityType} host node (sharedHost.*).`);
    const totals = new Map<string, number>();
    for (const l of ctx.lines) totals.set(l.component, (totals.get(l.component) ?? 0) + l.monthlyUsd);
    const subtotals = [...totals].map(([component, monthlyUsd]) => ({ component, monthlyUsd })).sort((a, b) => b.monthlyUsd - a.monthlyUsd);
    return {
        stack: plan.stack,
        region: PRICE_REGION,
        pricesCheckedOn: PRICES_CHECKED_ON,
        lines: ctx.lines,
        subtotals,
        totalUsd: ctx.lines.reduce((s, l) => s + l.monthlyUsd, 0),
        unpriced,
        assumptions: flattenUsage(usage),
        notes: [...new Set(ctx.notes)],
    };
}

export function usd(n: number): string {
    return `$${n.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

/** A unit price: up to 6 significant digits, never in exponent notation ($0.03066, not $0.030659999999999993; $0.0000004). */
export function unitPrice(n: number): string {
    return `$${n.toLocaleString("en-US", { maximumSignificantDigits: 6, useGrouping: false })}`;
}

/** The estimate as text: total, subtotals, every line, the assumptions used. */
export function formatCost(e: CostEstimate, detail = true): string {
    const out: string[] = [];
    out.push(`Monthly cost estimate: ${usd(e.totalUsd)} (${e.region}, on-demand list prices checked ${e.pricesCheckedOn}, ${HOURS_PER_MONTH} h/month; usage from scripts/plan/usage.yaml)`);
    for (const s of e.subtotals) {
        out.push(`  ${usd(s.monthlyUsd).padStart(11)}  ${s.component}`);
        if (detail) {
            for (const l of e.lines.filter((x) => x.component === s.component)) {
                out.push(`      ${usd(l.monthlyUsd).padStart(10)}  ${l.resource}: ${l.item} — ${+l.quantity.toFixed(3)} ${l.unit} x ${unitPrice(l.unitUsd)} [${l.price}]${l.assumption ? ` (usage: ${l.assumption})` : ""}`);
            }
        }
    }
    if (e.unpriced.length > 0) {
        out.push("  Not priced (no model):");
        for (const u of e.unpriced) out.push(`    ${u.type}  ${u.name}`);
    }
    for (const n of e.notes) out.push(`  note: ${n}`);
    out.push("  Usage assumptions:");
    out.push("    " + e.assumptions.map(([k, v]) => `${k}=${v}`).join(", "));
    return out.join("\n");
}
