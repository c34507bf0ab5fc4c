/**
 * The pack on the captured dev, prod and review (pr-1) stacks, served and driven through the SDK
 * as `pulumi preview --policy-pack policy` would: every custom resource through Analyze, the whole
 * stack through AnalyzeStack; prod with policy/config/prod.json. No mandatory violation is allowed;
 * the advisory ones are the findings reported to the lead, pinned here so a new one cannot slip in.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { buildReviewUnderMocks, buildStack, ROOT, stackConfig, type Built, type CapturedResource } from "../harness";
import { checkIds, sharedPack, type PackServer, UNKNOWN, type Diagnostic, type StackResource } from "./analyzer";
import { mutate, RDS } from "./fixtures";

const PROD_CONFIG = JSON.parse(fs.readFileSync(path.join(ROOT, "policy", "config", "prod.json"), "utf8"));
const CONFIG: Record<string, Record<string, any>> = { dev: {}, "pr-1": {}, prod: PROD_CONFIG };

function toStackResource(r: CapturedResource, props: Record<string, unknown> = r.inputs): StackResource {
    return { type: r.type, name: r.name, urn: r.urn, props, parent: r.parent, dependencies: r.dependencies, propertyDependencies: r.propertyDependencies };
}

/**
 * The inputs as a first `pulumi preview` sends them: every value the program took from another
 * resource's output (an input key with property dependencies) has its computed leaves unknown. The
 * mocks' computed values are recognisable (ids "<name>-id", ARNs, endpoints, generated secrets).
 */
function asFirstPreview(r: CapturedResource): Record<string, unknown> {
    const computed = /(-id$|^arn:aws:|amazonaws\.com|^sg-|MockSecret|^https:\/\/)/;
    const blank = (v: unknown): unknown => {
        if (typeof v === "string") return computed.test(v) ? UNKNOWN : v;
        if (Array.isArray(v)) return v.map(blank);
        if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, blank(x)]));
        return v;
    };
    return Object.fromEntries(Object.entries(r.inputs).map(([k, v]) => [k, (r.propertyDependencies[k] ?? []).length > 0 ? blank(v) : v]));
}

/** "policy/check", or "policy can't run" for the SDK's preview downgrade (which names no check). */
function label(d: Diagnostic): string {
    return d.message.includes("during preview") ? `${d.policy} can't run` : checkIds([d])[0];
}

async function evaluate(pack: PackServer, b: Built, props: (r: CapturedResource) => Record<string, unknown> = (r) => r.inputs): Promise<string[]> {
    const out: string[] = [];
    const line = (name: string, d: Diagnostic) => `${d.level} ${name} ${label(d)}`;
    // All Analyze calls in flight at once, as the engine issues them while it walks the program.
    const custom = b.capture.resources.filter((x) => x.custom);
    const results = await Promise.all(custom.map((r) => pack.analyze(r.type, props(r), r.name)));
    custom.forEach((r, i) => results[i].forEach((d) => out.push(line(r.name, d))));
    const byUrn = new Map(b.capture.resources.map((r) => [r.urn, r.name]));
    for (const d of await pack.analyzeStack(b.capture.resources.map((r) => toStackResource(r, props(r))))) out.push(line(byUrn.get(d.urn) ?? "(stack)", d));
    return out.sort();
}

/** The advisory findings on the real stacks (each reported to the lead; see the policies' reasons). */
function findings(stack: string): string[] {
    const s = `platform-${stack}`;
    const common = [
        // Prod's endpoint is private (issue 12, item 6): the finding is dev's and review's only.
        ...(stack === "prod" ? [] : [`advisory ${s}-cluster-eks eks-endpoint-not-public/public-cidrs`]),
        `advisory ${s}-database-db rds-non-default-port/default-port`,
        `advisory ${s}-secrets-database secretsmanager-rotation-enabled/rotation`,
        `advisory ${s}-secrets-cache secretsmanager-rotation-enabled/rotation`,
        // The host agents' namespace is privileged by design (issue 12 item 12); observability is restricted.
        `advisory ${s}-observability-node-agents-ns k8s-namespace-restricted/restricted`,
        // Every namespace has its NetworkPolicies (issue 12 item 13): the check is mandatory and silent.
    ];
    const prod = stack !== "prod" ? [] : [
        `advisory ${s}-database-db rds-enhanced-monitoring/monitoring-interval`,
        `advisory ${s}-cluster-control-plane-logs cloudwatch-log-retention-minimum/retention-minimum`,
        `advisory ${s}-database-log-postgresql cloudwatch-log-retention-minimum/retention-minimum`,
        `advisory ${s}-database-log-upgrade cloudwatch-log-retention-minimum/retention-minimum`,
    ];
    // dev hosts the review namespaces: the CloudNativePG operator's namespace has its policies too
    // (the webhook from the VPC CIDR, where the API server's endpoint ENIs are).
    return [...common, ...prod].sort();
}

describe("policy pack on the dev, prod and review stacks (served by the SDK, offline)", () => {
    let pack: PackServer;
    const built: Record<string, Built> = {};
    before(async function () {
        this.timeout(60000);
        pack = await sharedPack();
        for (const s of Object.keys(CONFIG)) built[s] = await buildStack(s);
    });

    for (const stack of Object.keys(CONFIG)) {
        it(`${stack}: no mandatory violation; the advisory findings are exactly the known ones`, async () => {
            await pack.configure(CONFIG[stack]);
            assert.deepEqual(await evaluate(pack, built[stack]), findings(stack));
        });
    }

    it("pr-7 in shared mode (namespace-only on dev's cluster): no mandatory violation, no advisory finding", async () => {
        await pack.configure({});
        const review = await buildReviewUnderMocks(stackConfig("pr-7", { "platform:review": { mode: "shared", platformStack: "organization/platform/dev" } }));
        const found = await evaluate(pack, { capture: review.capture } as Built);
        assert.deepEqual(found, []);
    });

    it("prod at its first preview (outputs of other resources unknown): still no mandatory violation, and every known-value check still runs", async () => {
        await pack.configure(PROD_CONFIG);
        const found = await evaluate(pack, built.prod, asFirstPreview);
        assert.deepEqual(found.filter((f) => f.startsWith("mandatory")), []);
        // Unknown values only ever cost the checks that read them: these are the only ones that cannot run.
        // The external-secrets policy document interpolates secret ARNs, so its whole JSON text is unknown
        // until the secrets exist; the SDK re-runs the pack at `pulumi up`, when it is known.
        assert.deepEqual(found.filter((f) => f.includes("can't run")), [
            "advisory platform-prod-external-secrets-operator-policy iam-no-admin-privileges can't run",
            "advisory platform-prod-external-secrets-operator-policy iam-no-service-wildcards can't run",
        ]);
        assert.deepEqual(found.filter((f) => !f.includes("can't run")), findings("prod"));
    });

    it("a check that reads an unknown value is downgraded by the SDK while the policy's other checks still report", async () => {
        await pack.configure(PROD_CONFIG);
        const bad = mutate(RDS, { storageEncrypted: false, kmsKeyId: UNKNOWN, publiclyAccessible: true, backupRetentionPeriod: UNKNOWN });
        const ds = await pack.analyze("aws:rds/instance:Instance", bad);
        assert.deepEqual(ds.map((d) => `${d.level} ${label(d)}`), [
            "mandatory rds-no-public-access/publicly-accessible",
            "mandatory rds-storage-encrypted/storage-encrypted",
            "advisory rds-automatic-backups can't run",
        ]);
        assert.match(ds[2].message, /can't run policy 'rds-automatic-backups' .* during preview: string value at \.backupRetentionPeriod can't be known during preview \(checks that could not run: rds-automatic-backups\/backup-retention\)$/);
        const cluster = await pack.analyze("aws:eks/cluster:Cluster", {
            version: "1.35", deletionProtection: true, upgradePolicy: { supportType: "STANDARD" }, accessConfig: { authenticationMode: "API" }, enabledClusterLogTypes: ["api", "audit", "authenticator"],
            vpcConfig: { endpointPrivateAccess: true, endpointPublicAccess: false }, encryptionConfig: { resources: UNKNOWN },
        });
        // kms-key (keyArn missing) still reports although the same policy's other check cannot run.
        assert.deepEqual(cluster.map((d) => `${d.level} ${label(d)}`), [
            "mandatory eks-secrets-encryption/kms-key",
            "advisory eks-secrets-encryption can't run",
        ]);
        assert.match(cluster[1].message, /\(checks that could not run: eks-secrets-encryption\/secrets-resource\)$/);
    });
});
