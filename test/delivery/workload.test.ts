import * as assert from "node:assert/strict";
import { ROLLOUT_GATE_NAME } from "../../components/delivery/rollout-gate";
import * as fs from "node:fs";
import * as path from "node:path";
import { PROJECT } from "../../components/config";
import { APP_SECRET_KEYS } from "../../components/data/external-secrets";
import { dockerfileUser, imageTag } from "../../components/delivery/image";
import { terminationGracePeriodSeconds } from "../../components/delivery/pod";
import { disruptionBudget, flagDefinitions } from "../../components/delivery/workload";
import { buildStack, envOf, isSecret, readStackValues, reveal, ROOT, valueOf, type Built, type CapturedResource } from "../harness";

const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const JOB = "kubernetes:batch/v1:Job";
const SERVICE = "kubernetes:core/v1:Service";
const CONFIG_MAP = "kubernetes:core/v1:ConfigMap";
const HPA = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler";
const PDB = "kubernetes:policy/v1:PodDisruptionBudget";
const SERVICE_MONITOR = "kubernetes:monitoring.coreos.com/v1:ServiceMonitor";
const INGRESS = "kubernetes:networking.k8s.io/v1:Ingress";
const NAMESPACE = "kubernetes:core/v1:Namespace";
const RELEASE = "kubernetes:helm.sh/v3:Release";
const REPOSITORY = "aws:ecr/repository:Repository";
const IMAGE = "docker:index/image:Image";
const APP_KEY = `${PROJECT}:app`;
const ROLLOUT = "kubernetes:argoproj.io/v1alpha1:Rollout";
const ANALYSIS_TEMPLATE = "kubernetes:argoproj.io/v1alpha1:AnalysisTemplate";
const PATCH = "kubernetes:apps/v1:DeploymentPatch";
/** What the strategy adds to the eight objects every stack has (rolling: the scale patch; test/delivery/rollout.test.ts covers the others). */
const ROLLING: string[] = [PATCH];
/** The release gate of canary and blue-green (components/delivery/rollout-gate.ts): its Job and what it reads the API with. */
const GATE: string[] = ["kubernetes:core/v1:ServiceAccount", "kubernetes:rbac.authorization.k8s.io/v1:Role", "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", "kubernetes:networking.k8s.io/v1:NetworkPolicy", JOB];
/** Canary by pod ratio (dev): the Rollout, its AnalysisTemplate, the headless metrics Service, the controller's ServiceMonitor, the gate. */
const CANARY_REPLICAS: string[] = [ROLLOUT, ANALYSIS_TEMPLATE, SERVICE, SERVICE_MONITOR, ...GATE];
/** Canary at the ALB (prod): also the canary Service and the Ingress the controller sets weights on. */
const CANARY_ALB: string[] = [...CANARY_REPLICAS, SERVICE, INGRESS];
void ROLLOUT; void ANALYSIS_TEMPLATE;

/**
 * Every environment variable the app reads, parsed from its source: `p.<kind>("NAME"` calls in
 * app/src/config.ts (NAME_FILE for `p.secret("NAME"`) and `process.env.NAME` in app/src/main.ts.
 * Renaming a variable in the app changes this list.
 */
function variablesTheAppReads(): Set<string> {
    const source = fs.readFileSync(path.join(ROOT, "app", "src", "config.ts"), "utf8");
    const names = new Set<string>();
    for (const m of source.matchAll(/\bp\.(integer|string|required|oneOf|boolean|raw|secret)(?:<[^>]*>)?\(\s*"([A-Z][A-Z0-9_]*)"/g)) {
        names.add(m[2]);
        if (m[1] === "secret") names.add(`${m[2]}_FILE`);
    }
    // Read outside the config module: main.ts reports SERVICE_VERSION in traces and logs.
    const main = fs.readFileSync(path.join(ROOT, "app", "src", "main.ts"), "utf8");
    for (const m of main.matchAll(/process\.env\.([A-Z][A-Z0-9_]*)/g)) names.add(m[1]);
    return names;
}

/** Strings anywhere in `value` that are not inside a Pulumi secret. */
function plainStrings(value: unknown, out: string[] = []): string[] {
    if (isSecret(value)) return out;
    if (typeof value === "string") out.push(value);
    else if (Array.isArray(value)) value.forEach((v) => plainStrings(v, out));
    else if (value !== null && typeof value === "object") Object.values(value).forEach((v) => plainStrings(v, out));
    return out;
}

const component = (b: Built, type: string) => b.capture.resources.find((r) => r.type === type)!;
const workloadObjects = (b: Built) => b.capture.descendantsOf(component(b, "platform:app:Workload"));
const inWorkload = (b: Built, type: string): CapturedResource[] => workloadObjects(b).filter((r) => r.type === type);
const oneInWorkload = (b: Built, type: string): CapturedResource => {
    const found = inWorkload(b, type);
    assert.equal(found.length, 1, `one ${type} in the workload`);
    return found[0];
};
/** The app's own objects of a type: the release gate's (labelled orders-rollout-gate) left out. */
const oneOfTheApp = (b: Built, type: string): CapturedResource => {
    const found = inWorkload(b, type).filter((r) => reveal(r.inputs).metadata?.labels?.["app.kubernetes.io/name"] !== ROLLOUT_GATE_NAME);
    assert.equal(found.length, 1, `one ${type} of the app in the workload`);
    return found[0];
};
const podSpec = (r: CapturedResource) => reveal(r.inputs).spec.template.spec;

const RESTRICTED = {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    runAsUser: 1000,
    runAsGroup: 1000,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" },
};

const EXPECTED = {
    dev: { environment: "dev", minReplicas: 2, maxReplicas: 4, budget: { minAvailable: 1 }, untagged: 3, kept: 10, protect: false, cpu: "100m", memory: "256Mi", extra: CANARY_REPLICAS, scaleTarget: "Rollout" as "Deployment" | "Rollout", flags: { "new-checkout": "on" } },
    prod: { environment: "prod", minReplicas: 3, maxReplicas: 10, budget: { minAvailable: 2 }, untagged: 7, kept: 30, protect: true, cpu: "250m", memory: "512Mi", extra: CANARY_ALB, scaleTarget: "Rollout" as "Deployment" | "Rollout", flags: { "new-checkout": "off" } },
    "pr-1": { environment: "review", minReplicas: 1, maxReplicas: 2, budget: { maxUnavailable: 1 }, untagged: 1, kept: 5, protect: false, cpu: "100m", memory: "256Mi", extra: ROLLING, scaleTarget: "Deployment" as "Deployment" | "Rollout", flags: {} },
} as const;

describe("the app's workload", function () {
    this.timeout(60_000);

    it("reads the app's variable names from app/src/config.ts (the parser is not vacuous)", () => {
        const names = variablesTheAppReads();
        for (const n of ["DATABASE_HOST", "DATABASE_PASSWORD", "DATABASE_PASSWORD_FILE", "REDIS_AUTH_TOKEN_FILE", "LOG_LEVEL", "FLAGS_FILE", "MIGRATE_ON_START", "OTEL_EXPORTER_OTLP_ENDPOINT"]) {
            assert.ok(names.has(n), `${n} is read by the app`);
        }
        assert.ok(!names.has("DATABASE_URL"));
    });

    for (const stack of ["dev", "prod", "pr-1"] as const) {
        describe(`${stack} stack`, () => {
            let built: Built;
            const b = () => built;
            const expected = EXPECTED[stack];
            before(async () => { built = await buildStack(stack); });

            it("runs in the restricted app namespace, every container with the exact restricted securityContext", () => {
                const ns = b().capture.ofType(NAMESPACE).find((r) => r.inputs.metadata.name === "orders")!;
                assert.equal(ns.inputs.metadata.labels["pod-security.kubernetes.io/enforce"], "restricted");
                const user = dockerfileUser(fs.readFileSync(path.join(ROOT, "app", "Dockerfile"), "utf8"));
                assert.deepEqual(user, { uid: 1000, gid: 1000 });
                // The Workload runs as the user the AppImage parsed from the Dockerfile it builds.
                assert.deepEqual(b().platform.appImage.user, user);
                for (const r of [oneInWorkload(b(), DEPLOYMENT), oneOfTheApp(b(), JOB)]) {
                    assert.equal(reveal(r.inputs).metadata.namespace, "orders");
                    const spec = podSpec(r);
                    assert.deepEqual(spec.securityContext, { runAsNonRoot: true, runAsUser: user.uid, runAsGroup: user.gid, fsGroup: user.gid, seccompProfile: { type: "RuntimeDefault" } });
                    assert.equal(spec.automountServiceAccountToken, false);
                    assert.equal(spec.initContainers, undefined);
                    for (const c of spec.containers) assert.deepEqual(c.securityContext, RESTRICTED, `${r.name} ${c.name}`);
                    assert.deepEqual(spec.volumes.find((v: any) => v.name === "tmp"), { name: "tmp", emptyDir: { sizeLimit: "64Mi" } });
                    assert.deepEqual(spec.containers[0].volumeMounts.find((m: any) => m.mountPath === "/tmp"), { name: "tmp", mountPath: "/tmp" });
                }
                assert.equal(reveal(oneOfTheApp(b(), "kubernetes:core/v1:ServiceAccount").inputs).automountServiceAccountToken, false);
            });

            it("probes the app's health endpoints on its http port, with timeouts above READINESS_TIMEOUT_MS", () => {
                const c = podSpec(oneInWorkload(b(), DEPLOYMENT)).containers[0];
                assert.equal(c.name, "orders");
                assert.deepEqual(c.ports, [{ name: "http", containerPort: 8080, protocol: "TCP" }]);
                assert.deepEqual(c.startupProbe, { httpGet: { path: "/health/liveness", port: "http" }, periodSeconds: 2, timeoutSeconds: 2, failureThreshold: 30 });
                assert.deepEqual(c.livenessProbe, { httpGet: { path: "/health/liveness", port: "http" }, periodSeconds: 10, timeoutSeconds: 2, failureThreshold: 3 });
                assert.deepEqual(c.readinessProbe, { httpGet: { path: "/health/readiness", port: "http" }, periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 2, successThreshold: 1 });
                const env = envOf(c);
                assert.ok(c.readinessProbe.timeoutSeconds * 1000 > Number(env.READINESS_TIMEOUT_MS.value));
            });

            it("waits for new pods as long as they may wait for the migration: the Deployment's and the Service's timeouts past the Job's deadline", () => {
                const deployment = oneOfTheApp(b(), DEPLOYMENT);
                const service = b().capture.ofType(SERVICE).find((r) => reveal(r.inputs).metadata.name === "orders")!;
                const migration = oneOfTheApp(b(), JOB);
                // New pods are ready only after the migration (deadline 600 s) and their startup probe (up to 60 s).
                assert.equal(reveal(migration.inputs).spec.activeDeadlineSeconds, 600);
                assert.equal(reveal(deployment.inputs).spec.progressDeadlineSeconds, 720);
                for (const r of [deployment, service]) assert.deepEqual(r.customTimeouts, { create: "16m", update: "16m", delete: "" }, r.name);
            });

            it("gives the kubelet's grace period room for the app's shutdown delay and timeout", () => {
                const spec = podSpec(oneInWorkload(b(), DEPLOYMENT));
                const env = envOf(spec.containers[0]);
                assert.equal(env.SHUTDOWN_DELAY_MS.value, "5000");
                assert.equal(env.SHUTDOWN_TIMEOUT_MS.value, "20000");
                assert.equal(spec.terminationGracePeriodSeconds, 30);
                assert.ok(spec.terminationGracePeriodSeconds > (Number(env.SHUTDOWN_TIMEOUT_MS.value) + Number(env.SHUTDOWN_DELAY_MS.value)) / 1000);
            });

            it("mounts the password and the AUTH token as files; no variable carries them", () => {
                for (const r of [oneInWorkload(b(), DEPLOYMENT), oneOfTheApp(b(), JOB)]) {
                    const spec = podSpec(r);
                    const c = spec.containers[0];
                    const env = envOf(c);
                    assert.equal(env.DATABASE_PASSWORD, undefined);
                    assert.equal(env.REDIS_AUTH_TOKEN, undefined);
                    const refs = c.env.filter((e: any) => e.valueFrom).map((e: any) => e.valueFrom.secretKeyRef);
                    assert.deepEqual(refs.map((ref: any) => ref.key), ["DATABASE_HOST", "DATABASE_PORT", "DATABASE_NAME", "DATABASE_USER", "DATABASE_SSL", "REDIS_URL"]);
                    for (const ref of refs) assert.equal(ref.name, "orders-data");
                    for (const e of c.env.filter((x: any) => x.valueFrom)) assert.equal(e.name, e.valueFrom.secretKeyRef.key);

                    const volume = spec.volumes.find((v: any) => v.secret);
                    assert.deepEqual(volume.secret, {
                        secretName: "orders-data",
                        items: [{ key: "DATABASE_PASSWORD", path: "database-password" }, { key: "REDIS_AUTH_TOKEN", path: "redis-auth-token" }],
                        defaultMode: 0o440,
                    });
                    const mount = c.volumeMounts.find((m: any) => m.name === volume.name);
                    assert.equal(mount.subPath, undefined, "a subPath mount never sees a rotated value");
                    const fileOf = (key: string) => `${mount.mountPath}/${volume.secret.items.find((i: any) => i.key === key).path}`;
                    assert.equal(env.DATABASE_PASSWORD_FILE.value, fileOf("DATABASE_PASSWORD"));
                    assert.equal(env.REDIS_AUTH_TOKEN_FILE.value, fileOf("REDIS_AUTH_TOKEN"));
                }
            });

            it("sets only variables app/src/config.ts reads, from the synced Secret's keys, with the stack's values", async () => {
                const names = variablesTheAppReads();
                const c = podSpec(oneInWorkload(b(), DEPLOYMENT)).containers[0];
                for (const e of c.env) assert.ok(names.has(e.name), `the app does not read ${e.name}`);
                for (const e of c.env.filter((x: any) => x.valueFrom)) assert.ok((APP_SECRET_KEYS as readonly string[]).includes(e.valueFrom.secretKeyRef.key));
                const env = envOf(c);
                assert.equal(env.OTEL_EXPORTER_OTLP_ENDPOINT.value, b().platform.observability.otlpHttpEndpoint);
                assert.equal(env.OTEL_EXPORTER_OTLP_ENDPOINT.value, "http://jaeger.observability.svc:4318");
                assert.equal(env.DEPLOYMENT_ENVIRONMENT.value, expected.environment);
                assert.equal(env.OTEL_SERVICE_NAME.value, "orders-service");
                // Prod keeps 10% of root traces (Pulumi.prod.yaml), dev and review every one.
                assert.deepEqual([env.OTEL_TRACES_SAMPLER.value, env.OTEL_TRACES_SAMPLER_ARG.value], ["parentbased_traceidratio", stack === "prod" ? "0.1" : "1"]);
                assert.equal(env.MIGRATE_ON_START.value, "false");
                assert.equal(env.LOG_LEVEL.value, "info");
                const appSecretName = await valueOf(b().platform.externalSecrets.appSecretName);
                assert.equal(appSecretName, "orders-data");
            });

            it("mounts the flag definitions from app/flags/flags.json where FLAGS_FILE points", () => {
                const spec = podSpec(oneInWorkload(b(), DEPLOYMENT));
                const c = spec.containers[0];
                const cm = reveal(oneInWorkload(b(), CONFIG_MAP).inputs);
                assert.equal(cm.metadata.name, "orders-flags");
                const volume = spec.volumes.find((v: any) => v.configMap);
                assert.deepEqual(volume.configMap, { name: "orders-flags" });
                const mount = c.volumeMounts.find((m: any) => m.name === volume.name);
                assert.equal(mount.subPath, undefined, "a subPath mount never sees an edited flag");
                assert.equal(envOf(c).FLAGS_FILE.value, `${mount.mountPath}/flags.json`);
                // The file, with the stack's default variants (platform:app.flags) and nothing else changed.
                const source = JSON.parse(fs.readFileSync(path.join(ROOT, "app", "flags", "flags.json"), "utf8"));
                for (const [key, variant] of Object.entries(expected.flags)) source.flags[key].defaultVariant = variant;
                assert.deepEqual(JSON.parse(cm.data["flags.json"]), source);
            });

            it("deploys the pushed image by digest, built for the nodes' platform; the migration Job runs the same image beside it", async () => {
                const digest = await valueOf(b().platform.appImage.repoDigest);
                const image = b().capture.one(IMAGE);
                const deployment = oneInWorkload(b(), DEPLOYMENT);
                const job = oneOfTheApp(b(), JOB);
                // The pods run the pushed image by digest: the image input comes from the docker
                // Image (a new push changes it and rolls the pods), as <repository>@sha256:<digest>.
                for (const r of [deployment, job]) {
                    assert.ok(r.propertyDependencies.spec?.includes(image.urn), `${r.name}'s spec depends on the docker Image`);
                    assert.match(podSpec(r).containers[0].image,
                        new RegExp(`^123456789012\\.dkr\\.ecr\\.us-east-1\\.amazonaws\\.com/platform-${stack}/orders@sha256:[0-9a-f]{64}$`));
                    assert.equal(podSpec(r).containers[0].image, digest);
                }
                assert.equal(image.inputs.imageName, `${await valueOf(b().platform.appImage.repositoryUrl)}:${b().platform.appImage.tag}`);
                assert.equal(await valueOf(b().platform.appImage.repositoryUrl), `123456789012.dkr.ecr.us-east-1.amazonaws.com/platform-${stack}/orders`);
                assert.equal(image.inputs.build.platform, "linux/amd64");
                assert.equal(image.inputs.build.context, path.join(ROOT, "app"));
                assert.equal(image.inputs.build.dockerfile, path.join(ROOT, "app", "Dockerfile"));
                assert.equal(b().platform.appImage.tag.endsWith("-amd64"), true);

                assert.deepEqual(podSpec(job).containers[0].command, ["node", "dist/migrate.js"]);
                assert.deepEqual(podSpec(job).containers[0].env, podSpec(deployment).containers[0].env);
                assert.equal(podSpec(job).restartPolicy, "Never");
                const jobName = reveal(job.inputs).metadata.name;
                assert.equal(jobName, `orders-migrate-${b().platform.appImage.tag}`);
                assert.ok(jobName.length <= 63, jobName);
                // Side by side: readiness (not the graph) keeps new code from serving before its schema
                // (app/test/migrations.test.ts "keeps readiness at 503 until the schema has this build's version").
                assert.ok(!b().capture.dependsOn(deployment, job), "the Deployment does not wait for the Job");
                assert.equal(podSpec(deployment).containers[0].readinessProbe.httpGet.path, "/health/readiness");
                assert.equal(envOf(podSpec(deployment).containers[0]).MIGRATE_ON_START.value, "false");
            });

            it("lets the autoscaler own the replica count, with the environment's range, rolling with no pod down", () => {
                const deployment = reveal(oneInWorkload(b(), DEPLOYMENT).inputs);
                assert.equal(deployment.metadata.name, "orders");
                assert.equal(deployment.spec.replicas, undefined);
                assert.deepEqual(deployment.spec.selector, { matchLabels: { "app.kubernetes.io/name": "orders" } });
                assert.deepEqual(deployment.spec.strategy, { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: "25%" } });
                assert.deepEqual(deployment.spec.template.spec.containers[0].resources, {
                    requests: { cpu: expected.cpu, memory: expected.memory }, limits: { memory: expected.memory },
                });
                assert.deepEqual(deployment.spec.template.spec.topologySpreadConstraints.map((t: any) => [t.topologyKey, t.maxSkew]),
                    [["topology.kubernetes.io/zone", 1], ["kubernetes.io/hostname", 1]]);
                const hpa = reveal(oneInWorkload(b(), HPA).inputs);
                assert.deepEqual(hpa.spec.scaleTargetRef, expected.scaleTarget === "Rollout"
                    ? { apiVersion: "argoproj.io/v1alpha1", kind: "Rollout", name: "orders" }
                    : { apiVersion: "apps/v1", kind: "Deployment", name: "orders" });
                assert.equal(hpa.spec.minReplicas, expected.minReplicas);
                assert.equal(hpa.spec.maxReplicas, expected.maxReplicas);
                assert.deepEqual(hpa.spec.metrics, [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 70 } } }]);
                assert.equal(hpa.spec.behavior.scaleDown.stabilizationWindowSeconds, 300);
            });

            it("creates every object after the nodes and metrics-server, and all but the Service and Ingress after the ExternalSecret", () => {
                const metricsServer = b().capture.ofType("aws:eks/addon:Addon").find((r) => r.inputs.addonName === "metrics-server")!;
                const externalSecret = b().capture.ofType("kubernetes:external-secrets.io/v1:ExternalSecret")[0];
                const objects = workloadObjects(b()).filter((x) => x.custom);
                // An empty list would pass the loop below.
                assert.deepEqual(objects.map((r) => r.type).sort(), [
                    "kubernetes:core/v1:ServiceAccount", CONFIG_MAP, JOB, DEPLOYMENT, SERVICE, HPA, PDB, SERVICE_MONITOR, ...expected.extra,
                ].sort());
                assert.equal(objects.length, 8 + expected.extra.length);
                const serving = new Set([`platform-${stack}-app-service`, `platform-${stack}-app-ingress`]);
                for (const r of objects) {
                    assert.ok(b().capture.dependsOn(r, metricsServer), `${r.name} after metrics-server`);
                    // The Service and the Ingress (its ALB takes minutes) need the load balancer
                    // controller's webhooks, not the app's secret: they start as soon as the cluster is ready.
                    assert.equal(b().capture.dependsOn(r, externalSecret), !serving.has(r.name), `${r.name} after the ExternalSecret?`);
                }
            });

            it("keeps all but one of the minimum through drains (and blocks no drain with one replica)", () => {
                const pdb = reveal(oneInWorkload(b(), PDB).inputs);
                assert.deepEqual(pdb.spec, { ...expected.budget, selector: { matchLabels: { "app.kubernetes.io/name": "orders" } }, unhealthyPodEvictionPolicy: "AlwaysAllow" });
            });

            it("serves port 80 to 8080 on a ClusterIP Service and is scraped by Prometheus after its CRDs exist", () => {
                const service = reveal(inWorkload(b(), SERVICE).find((r) => reveal(r.inputs).metadata.name === "orders")!.inputs);
                assert.deepEqual(service.spec, {
                    type: "ClusterIP",
                    selector: { "app.kubernetes.io/name": "orders" },
                    ports: [{ name: "http", port: 80, targetPort: "http", protocol: "TCP" }],
                });
                const monitor = inWorkload(b(), SERVICE_MONITOR).find((r) => reveal(r.inputs).metadata.name === "orders")!;
                // A Rollout's stable/canary Services are narrowed to one hash by its controller:
                // its ServiceMonitor scrapes the headless orders-metrics Service (every pod) instead.
                assert.deepEqual(reveal(monitor.inputs).spec, expected.scaleTarget === "Rollout" ? {
                    selector: { matchLabels: { "app.kubernetes.io/name": "orders", "app.kubernetes.io/component": "metrics" } },
                    podTargetLabels: ["rollouts-pod-template-hash"],
                    endpoints: [{ port: "http", path: "/metrics", interval: "30s" }],
                } : {
                    selector: { matchLabels: { "app.kubernetes.io/name": "orders" } },
                    endpoints: [{ port: "http", path: "/metrics", interval: "30s" }],
                });
                const kps = b().capture.ofType(RELEASE).find((r) => r.inputs.name === "kube-prometheus-stack")!;
                assert.ok(b().capture.dependsOn(monitor, kps));
                assert.equal(inWorkload(b(), INGRESS).length, (expected.extra as readonly string[]).includes(INGRESS) ? 1 : 0, "an Ingress only where asked (prod)");
            });

            it("keeps images in an immutable, scanned, encrypted repository that destroy can delete unless protected", () => {
                const repo = b().capture.one(REPOSITORY);
                assert.equal(repo.inputs.name, `platform-${stack}/orders`);
                assert.equal(repo.inputs.imageTagMutability, "IMMUTABLE");
                assert.deepEqual(repo.inputs.imageScanningConfiguration, { scanOnPush: true });
                assert.deepEqual(repo.inputs.encryptionConfigurations, [{ encryptionType: "AES256" }]);
                assert.equal(repo.inputs.forceDelete, !expected.protect);
                assert.equal(repo.protect, expected.protect);
                const policy = JSON.parse(b().capture.one("aws:ecr/lifecyclePolicy:LifecyclePolicy").inputs.policy);
                assert.equal(policy.rules[0].selection.countNumber, expected.untagged);
                // The count rule is the last (dev adds its pr-* rule before it: test/review/host.test.ts).
                assert.equal(policy.rules.at(-1).selection.countNumber, expected.kept);
            });

            it("pushes with ECR credentials kept secret; no plaintext secret in any input of the image or workload", () => {
                const image = b().capture.one(IMAGE);
                // The SDK marks the whole registry block secret once its password is.
                assert.ok(isSecret(image.inputs.registry), "the registry credentials are a secret");
                assert.deepEqual(reveal(image.inputs.registry), {
                    server: reveal(image.inputs.imageName).split(":")[0], username: "AWS", password: "mock-ecr-token",
                });
                const resources = [
                    ...b().capture.descendantsOf(component(b(), "platform:app:AppImage")),
                    ...workloadObjects(b()),
                ];
                assert.equal(resources.length, 3 + 8 + expected.extra.length, "repository, lifecycle policy, image; the Kubernetes objects");
                for (const r of resources) {
                    for (const s of plainStrings(r.inputs)) {
                        assert.ok(!s.includes("mock-ecr-token") && !/^MockSecret/.test(s), `${r.name} carries a plaintext secret`);
                    }
                }
            });

            it("puts every Kubernetes object on the cluster's provider", async () => {
                const providerUrn = await valueOf(b().platform.cluster.provider.urn);
                const objects = workloadObjects(b()).filter((r) => r.type.startsWith("kubernetes:"));
                assert.equal(objects.length, 8 + expected.extra.length);
                for (const o of objects) assert.equal(o.provider.split("::").slice(0, -1).join("::"), providerUrn, o.name);
            });
        });
    }

    describe("options", () => {
        it("builds for linux/arm64 on Graviton nodes, under an -arm64 tag", async () => {
            const { values } = readStackValues("pr-1");
            const cluster = { ...JSON.parse(values["platform:cluster"]), nodes: { instanceTypes: ["m7g.large"] } };
            const b = await buildStack("pr-1", { "platform:cluster": cluster });
            const image = b.capture.one(IMAGE);
            assert.equal(image.inputs.build.platform, "linux/arm64");
            assert.ok(b.platform.appImage.tag.endsWith("-arm64"));
            assert.equal(reveal(oneOfTheApp(b, JOB).inputs).metadata.name, `orders-migrate-${b.platform.appImage.tag}`);
        });

        it("creates an internal ALB Ingress after the load balancer controller when asked", async () => {
            const b = await buildStack("pr-1", { [APP_KEY]: { internalIngress: true } });
            const ingress = oneInWorkload(b, INGRESS);
            const spec = reveal(ingress.inputs);
            assert.equal(spec.metadata.annotations["alb.ingress.kubernetes.io/scheme"], "internal");
            assert.equal(spec.metadata.annotations["alb.ingress.kubernetes.io/target-type"], "ip");
            assert.equal(spec.metadata.annotations["alb.ingress.kubernetes.io/healthcheck-path"], "/health/readiness");
            assert.deepEqual(spec.spec, {
                ingressClassName: "alb",
                rules: [{ http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: "orders", port: { name: "http" } } } }] } }],
            });
            const controller = b.capture.ofType(RELEASE).find((r) => r.inputs.name === "aws-load-balancer-controller")!;
            assert.ok(b.capture.dependsOn(ingress, controller));
        });

        it("sets the new-checkout default variant from config, keeping the targeting", async () => {
            const b = await buildStack("pr-1", { [APP_KEY]: { flags: { "new-checkout": { defaultVariant: "on" } }, logLevel: "debug" } });
            const flags = JSON.parse(reveal(oneInWorkload(b, CONFIG_MAP).inputs).data["flags.json"]);
            assert.equal(flags.flags["new-checkout"].defaultVariant, "on");
            assert.deepEqual(flags.flags["new-checkout"].targeting, { if: [{ starts_with: [{ var: "targetingKey" }, "beta-"] }, "on", null] });
            assert.equal(envOf(podSpec(oneInWorkload(b, DEPLOYMENT)).containers[0]).LOG_LEVEL.value, "debug");
        });
    });

    describe("helpers", () => {
        it("reads the Dockerfile's last numeric USER and refuses root or a name", () => {
            assert.deepEqual(dockerfileUser("FROM a AS build\nUSER 0\nFROM b\nUSER 1000:1000\nCMD x\n"), { uid: 1000, gid: 1000 });
            assert.deepEqual(dockerfileUser("USER 10001\n"), { uid: 10001, gid: 10001 });
            assert.throws(() => dockerfileUser("USER node\n"), /the Dockerfile's last USER = "node"\n {5}rule: a numeric non-root uid\[:gid\]/);
            assert.throws(() => dockerfileUser("USER 0:0\n"), /USER = "0:0"/);
            assert.throws(() => dockerfileUser("FROM x\n"), /USER = \(not set\)/);
        });

        it("names the migration Job within Kubernetes' 63 characters for any tag imageTag makes", () => {
            for (const platform of ["linux/amd64", "linux/arm64"] as const) {
                const name = `orders-migrate-${imageTag("f".repeat(64), platform)}`;
                assert.equal(name, `orders-migrate-${"f".repeat(16)}-${platform.split("/")[1]}`);
                assert.equal(name.length, 37);
                assert.ok(name.length <= 63, name);
                assert.match(name, /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
            }
        });

        it("refuses a flag file without the new-checkout variant", () => {
            assert.throws(() => flagDefinitions(JSON.stringify({ flags: {} }), { "new-checkout": { defaultVariant: "on" } }), /flags\.new-checkout\.variants = \(not set\)\n {5}rule: a new-checkout flag with a "on" variant/);
        });

        it("sizes the grace period and the disruption budget", () => {
            assert.equal(terminationGracePeriodSeconds(20_000, 5_000), 30);
            assert.equal(terminationGracePeriodSeconds(20_500, 0), 26);
            assert.deepEqual(disruptionBudget(1), { maxUnavailable: 1 });
            assert.deepEqual(disruptionBudget(2), { minAvailable: 1 });
            assert.deepEqual(disruptionBudget(5), { minAvailable: 4 });
        });
    });
});
