import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import type { PlanDocument } from "../../scripts/plan/model";
import { apiVersionKind, renderObjects, renderReleases, writeRendered, type RenderedObject } from "../../scripts/plan/render";
import { stackPlan } from "./helpers";

/**
 * The published schemas each rendered object is validated against: Kubernetes' own OpenAPI
 * (kubernetes-models) and the CRDs' OpenAPI as packaged by @kubernetes-models (prometheus-operator
 * for monitoring.coreos.com, external-secrets for external-secrets.io v1, argo-rollouts for
 * argoproj.io). A group with no schema here fails the test: add its package, or encode the
 * constraints the program relies on (as for ECK below).
 */
const SCHEMA_PACKAGES: Record<string, string> = {
    "monitoring.coreos.com": "@kubernetes-models/prometheus-operator",
    "external-secrets.io": "@kubernetes-models/external-secrets",
    "argoproj.io": "@kubernetes-models/argo-rollouts",
};

function modelModule(apiVersion: string, kind: string): string {
    const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
    if (group === "") return `kubernetes-models/${version}/${kind}`;
    const pkg = SCHEMA_PACKAGES[group];
    if (pkg) return `${pkg}/${group}/${version}/${kind}`;
    if (group.includes(".") && !group.endsWith(".k8s.io")) throw new Error(`no published schema for ${apiVersion} ${kind}: add its @kubernetes-models package to SCHEMA_PACKAGES or encode its constraints`);
    return `kubernetes-models/${group}/${version}/${kind}`;
}

/**
 * CRDs no package ships: the constraints of their published OpenAPI schemas that the program's
 * objects rely on, encoded (read from the upstream CRD; nothing fetched is committed).
 * postgresql.cnpg.io/v1 Cluster: cloudnative-pg/cloudnative-pg config/crd/bases/postgresql.cnpg.io_clusters.yaml
 * at commit a95a534db (2026-12-01).
 */
const ENCODED_CRDS: Record<string, (o: Record<string, any>) => string[]> = {
    // beat.k8s.elastic.co/v1beta1 Beat: elastic/cloud-on-k8s config/crds/v1/resources/beat.k8s.elastic.co_beats.yaml
    // at tag v3.5.0 (spec.type and spec.version required; type at most 20 of [a-zA-Z0-9-]); ECK's
    // webhook refuses both or neither of daemonSet and deployment, and config with configRef.
    "beat.k8s.elastic.co/v1beta1 Beat": (o) => beatSpecProblems(o.spec, "spec"),
    // Not an object of its own but a server-side-apply patch of the named Deployment (workload.ts):
    // only the fields it sets must be valid.
    "apps/v1 DeploymentPatch": (o) => {
        const out: string[] = [];
        if (typeof o.metadata?.name !== "string") out.push("metadata.name: required");
        if (!Number.isInteger(o.spec?.replicas) || o.spec.replicas < 0) out.push("spec.replicas: a non-negative integer");
        return out;
    },
    "postgresql.cnpg.io/v1 Cluster": (o) => {
        const out: string[] = [];
        const spec = o.spec;
        if (!spec || typeof spec !== "object") return ["spec: required"];
        if (!Number.isInteger(spec.instances) || spec.instances < 1) out.push(`spec.instances: required integer >= 1 (got ${JSON.stringify(spec.instances)})`);
        for (const [k, allowed] of [["primaryUpdateStrategy", ["unsupervised", "supervised"]], ["primaryUpdateMethod", ["switchover", "restart"]]] as const) {
            if (spec[k] !== undefined && !(allowed as readonly string[]).includes(spec[k])) out.push(`spec.${k}: one of ${allowed.join(", ")} (got ${JSON.stringify(spec[k])})`);
        }
        for (const k of ["minSyncReplicas", "maxSyncReplicas"]) {
            if (spec[k] !== undefined && (!Number.isInteger(spec[k]) || spec[k] < 0)) out.push(`spec.${k}: integer >= 0`);
        }
        if (spec.imageName !== undefined && spec.imageCatalogRef !== undefined) out.push("spec: imageName and imageCatalogRef are exclusive");
        for (const k of ["storage", "walStorage"]) {
            if (spec[k]?.size !== undefined && typeof spec[k].size !== "string") out.push(`spec.${k}.size: a quantity string such as 10Gi`);
        }
        if (spec.enableSuperuserAccess !== undefined && typeof spec.enableSuperuserAccess !== "boolean") out.push("spec.enableSuperuserAccess: boolean");
        const secret = spec.bootstrap?.initdb?.secret;
        if (secret !== undefined && typeof secret.name !== "string") out.push("spec.bootstrap.initdb.secret.name: required");
        return out;
    },
};

/** Validates an object with its model's schema; returns the schema's message, or undefined. */
async function schemaProblem(o: { apiVersion: string; kind: string; object: Record<string, unknown> }): Promise<string | undefined> {
    const encoded = ENCODED_CRDS[`${o.apiVersion} ${o.kind}`];
    if (encoded) {
        const problems = encoded(o.object);
        return problems.length > 0 ? problems.join("; ") : undefined;
    }
    const mod = await import(modelModule(o.apiVersion, o.kind));
    const Model = mod[o.kind];
    assert.ok(Model, `${modelModule(o.apiVersion, o.kind)} exports no ${o.kind}`);
    try {
        new Model(o.object).validate();
        return undefined;
    } catch (e) {
        return (e as Error).message;
    }
}

// ---------------------------------------------------------------------------------------------
// ECK: constraints of the CRDs in elastic/cloud-on-k8s config/crds/v1/resources (read at commit
// 7b93383d8, 2026-12-01) on the fields the eck-stack values set. No package ships these schemas.
// ---------------------------------------------------------------------------------------------

const ECK_NAME = /^[a-zA-Z0-9-]+$/;

/** Problems of the Elasticsearch, Kibana, Logstash and Beat specs the eck-stack values produce. */
export function eckValuesProblems(values: Record<string, any>): string[] {
    const out: string[] = [];
    const es = values["eck-elasticsearch"];
    if (es?.enabled !== false && es) {
        if (typeof es.version !== "string") out.push("eck-elasticsearch.version: required string (Elasticsearch spec.version)");
        if (!Array.isArray(es.nodeSets) || es.nodeSets.length < 1) out.push("eck-elasticsearch.nodeSets: at least 1 item (minItems 1)");
        (es.nodeSets ?? []).forEach((n: any, i: number) => {
            const at = `eck-elasticsearch.nodeSets[${i}]`;
            if (typeof n.name !== "string" || n.name.length > 23 || !ECK_NAME.test(n.name)) out.push(`${at}.name: required, at most 23 of [a-zA-Z0-9-] (got ${JSON.stringify(n.name)})`);
            if (n.count !== undefined && !Number.isInteger(n.count)) out.push(`${at}.count: an int32 (got ${JSON.stringify(n.count)})`);
            (n.volumeClaimTemplates ?? []).forEach((t: any, j: number) => {
                // ECK mounts only the claim named elasticsearch-data as the data directory.
                if (t.metadata?.name !== "elasticsearch-data") out.push(`${at}.volumeClaimTemplates[${j}].metadata.name: must be elasticsearch-data (got ${JSON.stringify(t.metadata?.name)})`);
            });
        });
        // spec.auth (v3.5.0 elasticsearch.k8s.elastic.co_elasticsearches.yaml): only disableElasticUser
        // (boolean), fileRealm[] and roles[] of { secretName: string }; anything else is pruned silently.
        if (es.auth !== undefined) {
            for (const k of Object.keys(es.auth)) if (!["disableElasticUser", "fileRealm", "roles"].includes(k)) out.push(`eck-elasticsearch.auth.${k}: unknown field (pruned by the CRD)`);
            for (const k of ["fileRealm", "roles"]) {
                (es.auth[k] ?? []).forEach((ref: any, i: number) => {
                    if (typeof ref?.secretName !== "string" || Object.keys(ref).some((x) => x !== "secretName")) out.push(`eck-elasticsearch.auth.${k}[${i}]: exactly { secretName: string } (got ${JSON.stringify(ref)})`);
                });
            }
        }
        const policy = es.volumeClaimDeletePolicy;
        if (policy !== undefined && !["DeleteOnScaledownOnly", "DeleteOnScaledownAndClusterDeletion"].includes(policy)) out.push(`eck-elasticsearch.volumeClaimDeletePolicy: DeleteOnScaledownOnly or DeleteOnScaledownAndClusterDeletion (got ${JSON.stringify(policy)})`);
    }
    for (const key of ["eck-kibana", "eck-logstash"]) {
        const v = values[key];
        if (!v || v.enabled === false) continue;
        if (typeof v.version !== "string") out.push(`${key}.version: required string`);
        if (v.count !== undefined && !Number.isInteger(v.count)) out.push(`${key}.count: an int32`);
    }
    if (values["eck-kibana"]?.elasticsearchRef && typeof values["eck-kibana"].elasticsearchRef.name !== "string") out.push("eck-kibana.elasticsearchRef.name: required");
    (values["eck-logstash"]?.elasticsearchRefs ?? []).forEach((r: any, i: number) => {
        if (typeof r.clusterName !== "string") out.push(`eck-logstash.elasticsearchRefs[${i}].clusterName: required`);
    });
    const beat = values["eck-beats"];
    if (beat && beat.enabled !== false) out.push(...beatSpecProblems(beat, "eck-beats"));
    return out;
}

/** A Beat's spec (or the eck-beats values that become it) against the CRD's constraints. */
function beatSpecProblems(beat: any, at: string): string[] {
    if (!beat || typeof beat !== "object") return [`${at}: required`];
    const out: string[] = [];
    if (typeof beat.type !== "string" || beat.type.length > 20 || !ECK_NAME.test(beat.type)) out.push(`${at}.type: required, at most 20 of [a-zA-Z0-9-] (got ${JSON.stringify(beat.type)})`);
    if (typeof beat.version !== "string") out.push(`${at}.version: required string`);
    if ((beat.daemonSet === undefined) === (beat.deployment === undefined)) out.push(`${at}: exactly one of daemonSet and deployment`);
    if (beat.config !== undefined && beat.configRef !== undefined) out.push(`${at}: config and configRef are exclusive`);
    return out;
}

describe("rendered Kubernetes objects (scripts/plan/render.ts)", function () {
    this.timeout(60_000);
    const plans = new Map<string, PlanDocument>();
    before(async () => {
        for (const stack of ["dev", "prod", "pr-1"]) plans.set(stack, await stackPlan(stack));
        plans.set("pr-1+ingress", await stackPlan("pr-1", { "platform:app": { internalIngress: true }, "platform:observability": { internalIngress: true } }));
        // The alert receiver's SecretStore and ExternalSecret in the observability namespace (issue 12 item 10).
        plans.set("pr-1+alerts", await stackPlan("pr-1", { "platform:observability": { alertReceiver: "webhook", alertReceiverSecretsManagerName: "platform/alertmanager-receiver" } }));
    });

    it("maps Pulumi types to apiVersion and kind (core has no group) and skips Helm releases", () => {
        assert.deepEqual(apiVersionKind("kubernetes:apps/v1:Deployment"), { apiVersion: "apps/v1", kind: "Deployment" });
        assert.deepEqual(apiVersionKind("kubernetes:core/v1:ConfigMap"), { apiVersion: "v1", kind: "ConfigMap" });
        assert.deepEqual(apiVersionKind("kubernetes:external-secrets.io/v1:ExternalSecret"), { apiVersion: "external-secrets.io/v1", kind: "ExternalSecret" });
        assert.equal(apiVersionKind("kubernetes:helm.sh/v3:Release"), undefined);
        assert.equal(apiVersionKind("aws:ec2/vpc:Vpc"), undefined);
    });

    it("renders every Kubernetes object of prod, one file per object by namespace", () => {
        const objects = renderObjects(plans.get("prod")!);
        const k8sResources = plans.get("prod")!.resources.filter((r) => r.custom && r.type.startsWith("kubernetes:") && r.type !== "kubernetes:helm.sh/v3:Release");
        assert.equal(objects.length, k8sResources.length);
        assert.deepEqual([...new Set(objects.map((o) => `${o.apiVersion} ${o.kind}`))].sort(), [
            "apps/v1 Deployment", "argoproj.io/v1alpha1 AnalysisTemplate", "argoproj.io/v1alpha1 Rollout", "autoscaling/v2 HorizontalPodAutoscaler", "batch/v1 Job", "beat.k8s.elastic.co/v1beta1 Beat", "external-secrets.io/v1 ExternalSecret", "external-secrets.io/v1 SecretStore",
            "monitoring.coreos.com/v1 PrometheusRule", "monitoring.coreos.com/v1 ServiceMonitor", "networking.k8s.io/v1 Ingress", "networking.k8s.io/v1 NetworkPolicy", "policy/v1 PodDisruptionBudget",
            "rbac.authorization.k8s.io/v1 ClusterRole", "rbac.authorization.k8s.io/v1 ClusterRoleBinding", "rbac.authorization.k8s.io/v1 Role", "rbac.authorization.k8s.io/v1 RoleBinding",
            "scheduling.k8s.io/v1 PriorityClass", "storage.k8s.io/v1 StorageClass",
            "v1 ConfigMap", "v1 Namespace", "v1 Secret", "v1 Service", "v1 ServiceAccount",
        ]);
        const deployment = objects.find((o) => o.kind === "Deployment")!;
        assert.equal(deployment.file, path.join("orders", `Deployment-${deployment.name}.yaml`));
        assert.ok(objects.filter((o) => o.kind === "Namespace").every((o) => o.file.startsWith("_cluster")));
    });

    for (const stack of ["dev", "prod", "pr-1", "pr-1+ingress", "pr-1+alerts"]) {
        it(`validates every object of ${stack} against the Kubernetes and CRD schemas`, async () => {
            const problems: string[] = [];
            for (const o of renderObjects(plans.get(stack)!)) {
                const p = await schemaProblem(o);
                if (p) problems.push(`${o.file}: ${p}`);
            }
            assert.deepEqual(problems, []);
        });
    }

    it("validates for real: a wrong type, a wrong enum and a missing required field are reported with their paths", async () => {
        const objects = renderObjects(plans.get("prod")!);
        const pick = (kind: string): RenderedObject => structuredClone(objects.find((o) => o.kind === kind)!);
        const deployment = pick("Deployment");
        deployment.object.spec.replicas = "3";
        assert.match((await schemaProblem(deployment))!, /data\/spec\/replicas must be integer/);
        const monitor = pick("ServiceMonitor");
        monitor.object.spec.endpoints[0].scheme = "ftp";
        assert.match((await schemaProblem(monitor))!, /data\/spec\/endpoints\/0\/scheme must be equal to one of the allowed values/);
        const external = pick("ExternalSecret");
        delete external.object.spec.data[0].remoteRef.key;
        assert.match((await schemaProblem(external))!, /data\/spec\/data\/0\/remoteRef must have required property key/);
        const alertSecret = renderObjects(plans.get("pr-1+alerts")!).find((o) => o.kind === "ExternalSecret" && o.name === "alertmanager-receiver");
        assert.ok(alertSecret && alertSecret.file.startsWith("observability"), "the alert receiver's ExternalSecret is rendered and validated");
    });

    it("writes the files (YAML that reads back to the object), the Helm values beside them, and no secret in clear", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "render-"));
        try {
            fs.mkdirSync(path.join(dir, "stale"));
            const counts = writeRendered(plans.get("prod")!, dir);
            assert.equal(fs.existsSync(path.join(dir, "stale")), false, "the folder is emptied first");
            const objects = renderObjects(plans.get("prod")!);
            assert.deepEqual(counts, { objects: objects.length, releases: 8 });
            for (const o of objects) assert.deepEqual(parseYaml(fs.readFileSync(path.join(dir, o.file), "utf8")), o.object);
            const kps = parseYaml(fs.readFileSync(path.join(dir, "_helm", "kube-prometheus-stack.yaml"), "utf8"));
            assert.equal(kps.chart, "kube-prometheus-stack");
            assert.equal(kps.version, "88.5.3");
            assert.equal(kps.values.prometheus.prometheusSpec.storageSpec.volumeClaimTemplate.spec.resources.requests.storage, "100Gi");
            const all = fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => fs.readFileSync(path.join(e.parentPath, e.name), "utf8")).join("\n");
            assert.doesNotMatch(all, /4dabf18193072939515e22adb298388d/);
            const secret = objects.find((o) => o.kind === "Secret")!;
            assert.deepEqual(secret.object.stringData, { masked: "[secret]" });
            assert.equal(secret.object.metadata.annotations["plan.offline/masked"], "stringData");
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("names auto-named objects by their logical name and says so", () => {
        const objects = renderObjects({ stack: "t", resources: [{ type: "kubernetes:core/v1:ConfigMap", name: "flags", urn: "u", custom: true, dependencies: [], inputs: { metadata: { namespace: "orders" }, data: {} } }] });
        assert.equal(objects[0].name, "flags");
        assert.equal(objects[0].object.metadata.annotations["plan.offline/auto-named"], "true");
    });

    it("refuses an object of a CRD group it has no schema for", () => {
        assert.throws(() => modelModule("example.com/v1", "Widget"), /no published schema for example\.com\/v1 Widget: add its @kubernetes-models package/);
    });

    it("validates Argo Rollouts objects with their published CRD schema (for the canary the lead adds)", async () => {
        const rollout = { apiVersion: "argoproj.io/v1alpha1", kind: "Rollout", object: { apiVersion: "argoproj.io/v1alpha1", kind: "Rollout", metadata: { name: "orders" }, spec: { replicas: "2", strategy: { canary: { steps: [{ setWeight: 20 }, { pause: {} }] } } } } };
        assert.match((await schemaProblem(rollout))!, /data\/spec\/replicas must be integer/);
        rollout.object.spec.replicas = 2 as unknown as string;
        assert.equal(await schemaProblem(rollout), undefined);
    });

    it("checks the Filebeat Beat against the constraints encoded from ECK's CRD (issue 12 item 12: declared in node-agents)", async () => {
        const beat = renderObjects(plans.get("prod")!).find((o) => o.kind === "Beat")!;
        assert.equal(beat.file, path.join("node-agents", "Beat-filebeat.yaml"));
        assert.equal(await schemaProblem(beat), undefined);
        const bad = structuredClone(beat);
        bad.object.spec.type = "filebeat-with-a-very-long-name";
        bad.object.spec.deployment = {};
        delete bad.object.spec.version;
        assert.equal(await schemaProblem(bad), 'spec.type: required, at most 20 of [a-zA-Z0-9-] (got "filebeat-with-a-very-long-name"); spec.version: required string; spec: exactly one of daemonSet and deployment');
    });

    it("checks a CloudNativePG Cluster against the constraints encoded from its CRD", async () => {
        const cluster = (spec: Record<string, unknown>) => ({ apiVersion: "postgresql.cnpg.io/v1", kind: "Cluster", object: { metadata: { name: "orders-db" }, spec } });
        assert.equal(await schemaProblem(cluster({ instances: 1, storage: { size: "5Gi" }, bootstrap: { initdb: { database: "orders", owner: "orders", secret: { name: "orders-db-app" } } } })), undefined);
        assert.equal(await schemaProblem(cluster({ instances: 0, primaryUpdateStrategy: "auto", storage: { size: 5 }, imageName: "x", imageCatalogRef: {}, bootstrap: { initdb: { secret: {} } } })),
            "spec.instances: required integer >= 1 (got 0); spec.primaryUpdateStrategy: one of unsupervised, supervised (got \"auto\"); spec: imageName and imageCatalogRef are exclusive; spec.storage.size: a quantity string such as 10Gi; spec.bootstrap.initdb.secret.name: required");
    });

    describe("ECK custom resources from the eck-stack values (constraints of ECK's published CRDs)", () => {
        const eckValues = (stack: string) => renderReleases(plans.get(stack)!).find((r) => r.document.chart === "eck-stack")!.document.values as Record<string, any>;

        for (const stack of ["dev", "prod", "pr-1"]) {
            it(`${stack}: Elasticsearch, Kibana, Logstash and Filebeat specs meet them`, () => {
                assert.deepEqual(eckValuesProblems(eckValues(stack)), []);
            });
        }

        it("catches each constraint", () => {
            const v = structuredClone(eckValues("prod"));
            v["eck-elasticsearch"].nodeSets[0].name = "a-node-set-name-too-long-for-eck";
            v["eck-elasticsearch"].nodeSets[0].count = 1.5;
            v["eck-elasticsearch"].nodeSets[0].volumeClaimTemplates[0].metadata.name = "data";
            v["eck-elasticsearch"].volumeClaimDeletePolicy = "Never";
            delete v["eck-kibana"].version;
            v["eck-elasticsearch"].auth.fileRealm[0] = { name: "es-user-logstash" };
            v["eck-elasticsearch"].auth.users = [];
            v["eck-logstash"].elasticsearchRefs = [{ name: "elasticsearch" }];
            v["eck-beats"] = { enabled: true, type: "filebeat with spaces", version: "9.5.0", daemonSet: {}, deployment: {} };
            assert.deepEqual(eckValuesProblems(v), [
                'eck-elasticsearch.nodeSets[0].name: required, at most 23 of [a-zA-Z0-9-] (got "a-node-set-name-too-long-for-eck")',
                "eck-elasticsearch.nodeSets[0].count: an int32 (got 1.5)",
                'eck-elasticsearch.nodeSets[0].volumeClaimTemplates[0].metadata.name: must be elasticsearch-data (got "data")',
                "eck-elasticsearch.auth.users: unknown field (pruned by the CRD)",
                'eck-elasticsearch.auth.fileRealm[0]: exactly { secretName: string } (got {"name":"es-user-logstash"})',
                'eck-elasticsearch.volumeClaimDeletePolicy: DeleteOnScaledownOnly or DeleteOnScaledownAndClusterDeletion (got "Never")',
                "eck-kibana.version: required string",
                "eck-logstash.elasticsearchRefs[0].clusterName: required",
                'eck-beats.type: required, at most 20 of [a-zA-Z0-9-] (got "filebeat with spaces")',
                "eck-beats: exactly one of daemonSet and deployment",
            ]);
        });
    });
});
