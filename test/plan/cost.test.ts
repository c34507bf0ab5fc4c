import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import { allocatable, estimateCost, formatCost, FREE_TYPES, helmVolumeClaims, nodeHourly, unitPrice, type CostEstimate } from "../../scripts/plan/cost";
import { GiB, type PlanDocument } from "../../scripts/plan/model";
import { allPrices, PRICES_CHECKED_ON } from "../../scripts/plan/prices";
import { loadUsage, parseUsage, USAGE_FILE, UsageError } from "../../scripts/plan/usage";
import { cents, plan, res, stackPlan } from "./helpers";

const H = 730;

function lines(e: CostEstimate, resourceSuffix: string, price?: string) {
    return e.lines.filter((l) => l.resource.endsWith(resourceSuffix) && (price === undefined || l.price === price));
}

function monthly(e: CostEstimate, resourceSuffix: string, price?: string): number {
    const found = lines(e, resourceSuffix, price);
    assert.ok(found.length > 0, `no cost line for *${resourceSuffix} ${price ?? ""}: ${e.lines.map((l) => `${l.resource} ${l.price}`).join("; ")}`);
    return cents(found.reduce((s, l) => s + l.monthlyUsd, 0));
}

function subtotal(e: CostEstimate, component: string): number {
    const s = e.subtotals.find((x) => x.component.startsWith(`${component} (`));
    assert.ok(s, `no subtotal for ${component}: ${e.subtotals.map((x) => x.component).join(", ")}`);
    return cents(s.monthlyUsd);
}

describe("cost estimate (scripts/plan/cost.ts)", function () {
    this.timeout(60_000);
    const estimates = new Map<string, { plan: PlanDocument; cost: CostEstimate }>();
    before(async () => {
        for (const stack of ["dev", "prod", "pr-1"]) {
            const p = await stackPlan(stack);
            estimates.set(stack, { plan: p, cost: estimateCost(p, loadUsage(stack)) });
        }
    });
    const cost = (stack: string) => estimates.get(stack)!.cost;

    describe("the price table", () => {
        it("was checked within the last year, and so was every price (re-read them and move the dates)", () => {
            const yearMs = 365 * 24 * 3600 * 1000;
            const age = (iso: string) => Date.now() - Date.parse(`${iso}T00:00:00Z`);
            assert.ok(age(PRICES_CHECKED_ON) < yearMs, `PRICES_CHECKED_ON ${PRICES_CHECKED_ON} is more than a year old`);
            const stale = allPrices().filter(([, p]) => !(age(p.date) < yearMs)).map(([k, p]) => `${k} (${p.date})`);
            assert.deepEqual(stale, [], "prices older than a year");
        });

        it("gives every price a positive amount, a unit and a source", () => {
            for (const [k, p] of allPrices()) {
                assert.ok(p.usd > 0, `${k}: ${p.usd}`);
                assert.ok(p.unit.length > 0 && p.source.length > 10, `${k} needs a unit and a source`);
                assert.match(p.date, /^\d{4}-\d{2}-\d{2}$/, k);
            }
        });
    });

    describe("coverage", () => {
        for (const stack of ["dev", "prod", "pr-1"]) {
            it(`prices or explains every resource type of ${stack}, and every volume in its Helm values`, () => {
                assert.deepEqual(cost(stack).unpriced, []);
                assert.deepEqual(cost(stack).notes.filter((n) => /no rule prices|not declared/.test(n)), []);
                for (const r of estimates.get(stack)!.plan.resources.filter((x) => x.custom && !x.type.startsWith("kubernetes:"))) {
                    const hasLine = cost(stack).lines.some((l) => l.resource === r.name);
                    assert.ok(hasLine || FREE_TYPES[r.type] !== undefined || r.type === "aws:ec2/vpcEndpoint:VpcEndpoint", `${r.type} ${r.name} is neither priced nor listed free`);
                }
            });
        }

        it("reports a type it has no model for instead of pricing it at zero", () => {
            const e = estimateCost(plan("x", [res("aws:opensearch/domain:Domain", "search")]), loadUsage("dev"));
            assert.deepEqual(e.unpriced, [{ type: "aws:opensearch/domain:Domain", name: "search", reason: "no cost model: add a pricer or a FREE_TYPES entry in scripts/plan/cost.ts" }]);
        });

        it("refuses an instance type the table does not price, naming it and the fix", () => {
            const p = plan("x", [res("aws:eks/nodeGroup:NodeGroup", "ng", { instanceTypes: ["c7i.large"], capacityType: "ON_DEMAND", scalingConfig: { desiredSize: 1 } })]);
            assert.throws(() => estimateCost(p, loadUsage("dev")), /no price for EC2 instance type c7i\.large in scripts\/plan\/prices\.ts \(EC2\); known: .*m7i\.large.*Add it with its source and date\./);
        });
    });

    describe("prod", () => {
        it("prices the EKS control plane at the standard-support rate (upgradePolicy.supportType STANDARD)", () => {
            assert.equal(monthly(cost("prod"), "-cluster-eks"), cents(0.10 * H));
        });

        it("prices nodes at desiredSize: 3 general m7i.large and 2 system t3.medium on-demand, with their launch-template root volumes", () => {
            for (const i of [0, 1, 2]) {
                assert.equal(monthly(cost("prod"), `-cluster-general-${i}`, "ec2.m7i.large"), cents(0.1008 * H));
                assert.equal(monthly(cost("prod"), `-cluster-general-${i}`, "ebs.gp3"), cents(80 * 0.08));
            }
            assert.equal(monthly(cost("prod"), "-cluster-system", "ec2.t3.medium"), cents(2 * 0.0416 * H));
            assert.equal(monthly(cost("prod"), "-cluster-system", "ebs.gp3"), cents(2 * 40 * 0.08));
        });

        it("prices the database as Multi-AZ db.m7g.large with 2 x 100 GiB gp3, its paid Performance Insights and its RDS-managed secret", () => {
            assert.equal(monthly(cost("prod"), "-database-db", "rds.db.m7g.large"), cents(2 * 0.168 * H));
            assert.equal(monthly(cost("prod"), "-database-db", "rds.storage.gp3"), cents(2 * 100 * 0.115));
            assert.equal(monthly(cost("prod"), "-database-db", "rds.performanceInsights.vcpuMonth"), cents(2 * 2 * 1 * 0.02));
            assert.equal(monthly(cost("prod"), "-database-db", "secretsManager.secret"), 0.40);
            // 50 GB of data, 5%/day over 14 days = 85 GB of backups: within the free 100 GiB.
            assert.equal(monthly(cost("prod"), "-database-db", "rds.backupStorage"), 0);
        });

        it("prices the cache as 2 Valkey cache.m7g.large nodes (Redis OSS price x 0.8) and 7 snapshots", () => {
            assert.equal(monthly(cost("prod"), "-cache-valkey", "elasticache.valkey.cache.m7g.large"), cents(2 * 0.158 * 0.8 * H));
            assert.equal(monthly(cost("prod"), "-cache-valkey", "elasticache.backupStorage"), cents(7 * 4 * 0.085));
        });

        it("prices three NAT gateways with their data and public IPv4 addresses, and four interface endpoints in 3 AZs", () => {
            for (const i of [0, 1, 2]) {
                assert.equal(monthly(cost("prod"), `-network-nat-${i}`), cents(0.045 * H + 100 * 0.045));
                assert.equal(monthly(cost("prod"), `-network-nat-eip-${i}`), cents(0.005 * H));
            }
            for (const ep of ["ecr-api", "ecr-dkr", "logs", "sts"]) {
                assert.equal(monthly(cost("prod"), `-network-${ep}`), cents(3 * 0.01 * H + 10 * 0.01));
            }
            assert.equal(lines(cost("prod"), "-network-s3").length, 0, "the S3 gateway endpoint is free");
        });

        it("prices log ingestion and steady-state storage from retention: flow logs 365 days, control plane 3 types x 90 days", () => {
            assert.equal(monthly(cost("prod"), "-network-flow-logs"), cents(60 * 0.5 + 60 * (365 / (H / 24)) * 0.03));
            assert.equal(monthly(cost("prod"), "-cluster-control-plane-logs"), cents(3 * 10 * 0.5 + 3 * 10 * (90 / (H / 24)) * 0.03));
            assert.equal(monthly(cost("prod"), "-database-log-postgresql"), cents(2 * 0.5 + 2 * (90 / (H / 24)) * 0.03));
        });

        it("prices the observability volumes from the Helm values: 3 x 100 GiB Elasticsearch, 100 Prometheus, 2 Alertmanager, 5 Grafana, 2 Logstash", () => {
            assert.equal(monthly(cost("prod"), "-observability-eck-stack"), cents((300 + 2) * 0.08));
            assert.equal(monthly(cost("prod"), "-observability-kube-prometheus-stack"), cents((100 + 2 + 5) * 0.08));
            assert.equal(subtotal(cost("prod"), "Observability"), cents(409 * 0.08));
        });

        it("prices AWS Backup recovery points, their cross-region copies and the transfer of the daily changes", () => {
            const stored = 50 * (1 + 0.05 * 34);
            assert.equal(monthly(cost("prod"), "-backup-plan"), cents(stored * 0.095 * 2 + 50 * 0.05 * (H / 24) * 0.02));
        });

        it("prices KMS keys, secrets, the operator's GetSecretValue calls and ECR storage", () => {
            assert.equal(cost("prod").lines.filter((l) => l.price === "kms.key").length, 6);
            assert.equal(monthly(cost("prod"), "-secrets-database"), 0.40);
            // 3 distinct secrets (two Pulumi-made, the RDS-managed password) every 5 minutes.
            assert.equal(monthly(cost("prod"), "-external-secrets-app-secret"), cents(3 * (H * 12) / 10_000 * 0.05));
            assert.equal(monthly(cost("prod"), "-app-image-repo"), cents(30 * 0.25 * 0.10));
        });

        it("adds up to its subtotals, largest first", () => {
            const e = cost("prod");
            assert.equal(cents(e.subtotals.reduce((s, x) => s + x.monthlyUsd, 0)), cents(e.totalUsd));
            assert.deepEqual(e.subtotals.map((s) => s.component.split(" ")[0]), ["Cluster", "Database", "Network", "Cache", "Observability", "DatabaseBackup", "Workload", "Secrets", "AppImage", "ExternalSecrets"]);
        });
    });

    describe("dev and review", () => {
        it("prices dev's spot nodes at the mean on-demand price of the listed types x spotPriceFactor 0.35", () => {
            const mean = (0.0832 + 0.0752 + 0.096 + 0.096) / 4;
            for (const i of [0, 1, 2]) assert.equal(monthly(cost("dev"), `-cluster-general-${i}`, "ec2.t3.large/t3a.large/m5.large/m6i.large x spotPriceFactor"), cents(mean * 0.35 * H));
        });

        it("prints every unit price in at most 6 significant digits, without float noise or exponents", () => {
            const text = formatCost(cost("dev"));
            const prices = [...text.matchAll(/ x (\$\S+) \[/g)].map((m) => m[1]);
            assert.ok(prices.length >= cost("dev").lines.length, `${prices.length} unit prices for ${cost("dev").lines.length} lines`);
            for (const p of prices) assert.match(p, /^\$(?=(?:0\.0*)?\d{1,6}$|\d+\.\d+$)[\d.]+$/, p);
            for (const p of prices) assert.ok(p.replace(/^\$0*\.?0*/, "").replace(".", "").length <= 6, `${p} has more than 6 significant digits`);
            // The spot nodes' price, mean on-demand x 0.35, is 0.030659999999999993 in floating point.
            assert.match(text, /730 hour x \$0\.03066 \[ec2\.t3\.large/);
            assert.equal(unitPrice(0.0000004), "$0.0000004");
            assert.equal(unitPrice(73), "$73");
        });

        it("prices the review stack (schema defaults) line by line", () => {
            const e = cost("pr-1");
            const logs = (gb: number, days: number) => gb * 0.5 + gb * (days / (H / 24)) * 0.03;
            const expected = 0.10 * H // EKS
                + 2 * (0.0832 * H + 40 * 0.08) // 2 x t3.large on-demand + 40 GiB roots
                + logs(3 * 0.5, 7) // control-plane logs
                + 4 * 1 // KMS: cluster, database, cache, secrets
                + 0.045 * H + 10 * 0.045 + 0.005 * H // one NAT gateway, its data and address
                + logs(2, 7) // flow logs
                + 0.016 * H + 20 * 0.115 + 2 * logs(0.1, 7) + 0.40 // db.t4g.micro, 20 GiB, 2 log groups, master secret
                + 0.016 * 0.8 * H // cache.t4g.micro Valkey
                + 2 * 0.40 // two secrets
                + (10 + 2 + 10) * 0.08 // Elasticsearch, Logstash, Prometheus volumes
                + 3 * (H * 12) / 10_000 * 0.05 // GetSecretValue
                + 5 * 0.25 * 0.10; // ECR
            assert.equal(cents(e.totalUsd), cents(expected));
        });

        it("prices the internal ALBs the Ingresses create (app, Grafana, Kibana) with their capacity units", async () => {
            const p = await stackPlan("pr-1", { "platform:app": { internalIngress: true }, "platform:observability": { internalIngress: true } });
            const e = estimateCost(p, loadUsage("pr-1"));
            const albs = e.lines.filter((l) => l.price === "alb.hour");
            assert.equal(albs.length, 3);
            assert.deepEqual(e.lines.filter((l) => l.type === "kubernetes:networking.k8s.io/v1:Ingress" && l.price === "publicIpv4.hour"), [], "internal ALBs have no public addresses");
            const delta = e.totalUsd - cost("pr-1").totalUsd;
            assert.ok(Math.abs(delta - 3 * (0.0225 * H + 1 * H * 0.008)) < 1e-9, `delta ${delta}`);
        });

        it("shares one ALB among the Ingresses of one group.name and prices an internet-facing one's addresses", () => {
            const ing = (name: string, scheme: string) => res("kubernetes:networking.k8s.io/v1:Ingress", name, {
                metadata: { annotations: { "alb.ingress.kubernetes.io/group.name": "g", "alb.ingress.kubernetes.io/scheme": scheme } }, spec: { ingressClassName: "alb" },
            });
            const e = estimateCost(plan("x", [ing("a", "internet-facing"), ing("b", "internet-facing")]), loadUsage("dev"));
            assert.equal(e.lines.filter((l) => l.price === "alb.hour").length, 1);
            assert.equal(cents(e.totalUsd), cents(0.0225 * H + H * 0.008 + 2 * 0.005 * H));
        });

        it("prices EKS at the extended-support rate when upgradePolicy.supportType is unset", () => {
            const e = estimateCost(plan("x", [res("aws:eks/cluster:Cluster", "c", {})]), loadUsage("dev"));
            assert.equal(cents(e.totalUsd), cents(0.60 * H));
            assert.match(e.lines[0].item, /extended support \(upgradePolicy\.supportType unset: EKS defaults to EXTENDED\)/);
        });
    });

    describe("node share of a stack without node groups (shared-mode review environments)", () => {
        it("knows an AL2023 t3.large's allocatable: 2000m less 70m, 8192 MiB less 255 + 11 x 35 pods + 100", () => {
            assert.deepEqual(allocatable("t3.large"), { millicores: 1930, memoryMiB: 7452 });
            assert.deepEqual(allocatable("m7i.large"), { millicores: 1930, memoryMiB: 8192 - 255 - 11 * 29 - 100 });
        });

        it("prices Deployments (HPA minReplicas), CNPG clusters (instances) and Jobs (hours running) as the larger of their CPU and memory share of the host node", () => {
            const hpa = res("kubernetes:autoscaling/v2:HorizontalPodAutoscaler", "hpa", { spec: { minReplicas: 2, scaleTargetRef: { name: "orders" } } });
            const deployment = res("kubernetes:apps/v1:Deployment", "app", {
                metadata: { name: "orders" },
                spec: { replicas: 1, template: { spec: { containers: [{ name: "app", resources: { requests: { cpu: "250m", memory: "512Mi" } } }] } } },
            });
            const pg = res("kubernetes:postgresql.cnpg.io/v1:Cluster", "pg", { spec: { instances: 2, resources: { requests: { cpu: "100m", memory: "1Gi" } }, storage: { size: "5Gi" } } });
            const job = res("kubernetes:batch/v1:Job", "migrate", { spec: { template: { spec: { containers: [{ name: "m", resources: { requests: { cpu: "1", memory: "256Mi" } } }] } } } });
            const e = estimateCost(plan("pr-9", [hpa, deployment, pg, job]), loadUsage("pr-9"));
            const hostHour = 0.0832 * 0.35; // t3.large spot (sharedHost)
            const share = (cpuM: number, memMiB: number) => Math.max(cpuM / 1930, memMiB / 7452) * H * hostHour;
            assert.equal(monthly(e, "app"), cents(share(2 * 250, 2 * 512)));
            assert.equal(monthly(e, "pg", "ec2.t3.large share"), cents(share(2 * 100, 2 * 1024)));
            assert.equal(monthly(e, "pg", "ebs.gp3"), cents(2 * 5 * 0.08));
            assert.equal(monthly(e, "migrate"), cents(share((2 / H) * 1000, (2 / H) * 256)));
            assert.ok(e.notes.some((n) => /No node groups: pods are priced as their share of a t3\.large SPOT host node/.test(n)));
        });

        it("prices the review stack's own app objects, on their own (what a shared-mode stack declares), as a share of the dev node", () => {
            const p = estimates.get("pr-1")!.plan;
            const appOnly = plan("pr-1", p.resources.filter((r) => r.type.startsWith("kubernetes:") && r.inputs.metadata?.namespace === "orders"));
            const e = estimateCost(appOnly, loadUsage("pr-1"));
            const hostHour = 0.0832 * 0.35;
            // The Deployment at HPA minReplicas 1 (100m of 1930m is a larger share than 256 of 7452 MiB), the migration Job for 2 hours a month.
            assert.equal(monthly(e, "-app-deployment"), cents(Math.max(100 / 1930, 256 / 7452) * H * hostHour));
            assert.equal(monthly(e, "-app-migrate"), cents(Math.max(100 / 1930, 256 / 7452) * 2 * hostHour));
            assert.deepEqual(e.unpriced, []);
        });

        it("does not price pods separately where the stack has node groups (they run on the priced nodes)", () => {
            assert.deepEqual(cost("prod").lines.filter((l) => l.price.endsWith(" share")), []);
        });

        it("prices spot from the mean of the listed types", () => {
            const u = loadUsage("dev");
            assert.equal(nodeHourly(["t3.large", "m5.large"], "SPOT", u).usd, ((0.0832 + 0.096) / 2) * 0.35);
            assert.equal(nodeHourly(["m7i.large", "t3.large"], "ON_DEMAND", u).usd, 0.1008);
        });
    });

    describe("volumes in Helm values", () => {
        it("claims volumeClaimTemplate(s) x count/replicas and enabled persistence, and reports storage it does not understand", () => {
            const { claims, unclaimed } = helmVolumeClaims("x", {
                a: { replicas: 2, storageSpec: { volumeClaimTemplate: { spec: { resources: { requests: { storage: "10Gi" } }, storageClassName: "fast" } } } },
                b: { persistence: { enabled: false, size: "8Gi" } },
                c: { persistence: { enabled: true, size: "1Gi" } },
                d: { nodeSets: [{ count: 3, volumeClaimTemplates: [{ spec: { resources: { requests: { storage: "500Mi" } } } }] }] },
                e: { cache: { size: "4Gi" } },
            });
            assert.deepEqual(claims, [
                { path: "a.storageSpec.volumeClaimTemplate", bytesEach: 10 * GiB, count: 2, storageClassName: "fast" },
                { path: "c.persistence.size", bytesEach: GiB, count: 1, storageClassName: undefined },
                { path: "d.nodeSets.0.volumeClaimTemplates.0", bytesEach: 500 * 2 ** 20, count: 3, storageClassName: undefined },
            ]);
            assert.deepEqual(unclaimed, ["e.cache.size"]);
        });

        it("gives an ECK nodeSet without volumeClaimTemplates ECK's default 1Gi claim per node", () => {
            const { claims } = helmVolumeClaims("eck-stack", { "eck-elasticsearch": { nodeSets: [{ name: "default", count: 2 }] } });
            assert.deepEqual(claims, [{ path: "eck-elasticsearch.nodeSets.0 (ECK default claim)", bytesEach: GiB, count: 2 }]);
        });
    });

    describe("usage assumptions (scripts/plan/usage.yaml)", () => {
        const text = fs.readFileSync(USAGE_FILE, "utf8");

        it("applies a stack's overrides over the defaults, and stacks.review to pr-<number>", () => {
            assert.equal(loadUsage("prod").natGateway.dataProcessedGbPerGatewayMonth, 100);
            assert.equal(loadUsage("pr-42").natGateway.dataProcessedGbPerGatewayMonth, 10);
            assert.equal(loadUsage("dev").natGateway.dataProcessedGbPerGatewayMonth, 50);
            assert.equal(loadUsage("pr-42").spotPriceFactor, 0.35);
        });

        it("refuses a misspelt key and a negative volume, naming the key, value, rule and fix", () => {
            const bad = text.replace("dataProcessedGbPerGatewayMonth: 50", "dataProcessedGbPerGateway: 50").replace("vpcFlowLogsGbPerMonth: 20", "vpcFlowLogsGbPerMonth: -1");
            assert.throws(() => parseUsage(bad, "dev"), (e: Error) => {
                assert.ok(e instanceof UsageError);
                assert.match(e.message, /has 3 problems for stack dev/);
                assert.match(e.message, /defaults\.natGateway = \{"dataProcessedGbPerGateway":50\}\n {5}rule: unknown key\(s\) dataProcessedGbPerGateway/);
                assert.match(e.message, /defaults\.natGateway\.dataProcessedGbPerGatewayMonth = undefined/);
                assert.match(e.message, /defaults\.logs\.vpcFlowLogsGbPerMonth = -1\n {5}rule: Too small: expected number to be >=0\n {5}fix: {2}edit scripts\/plan\/usage\.yaml/);
                return true;
            });
        });

        it("refuses a host instance type the price table does not know", () => {
            assert.throws(() => parseUsage(text.replace("instanceType: t3.large", "instanceType: x9.huge"), "dev"), /sharedHost\.instanceType = "x9\.huge"\n {5}rule: an instance type of the price table/);
        });
    });
});
