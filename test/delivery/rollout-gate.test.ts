import * as assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as https from "node:https";
import * as os from "node:os";
import * as path from "node:path";
import { PROJECT } from "../../components/config";
import { DATABASE_CLIENT_PODS, SERVING_PODS } from "../../components/delivery/network-policies";
import { ROLLOUT_GATE_EXIT, ROLLOUT_GATE_LABELS, ROLLOUT_GATE_NAME, rolloutGateScript } from "../../components/delivery/rollout-gate";
import { Workload } from "../../components/delivery/workload";
import { NEW_PODS_DEADLINE_SECONDS } from "../../components/delivery/pod";
import { EKS_VERSIONS } from "../../components/cluster/config";
import * as k8s from "@pulumi/kubernetes";
import { rolloutTimeoutSeconds } from "../../components/delivery/rollout";
import { buildStack, envOf, readStackValues, reveal, selects, settle, stackConfig, startCapture, valueOf, type Built, type CapturedResource } from "../harness";

const APP_KEY = `${PROJECT}:app`;
const JOB = "kubernetes:batch/v1:Job";
const GATE = ROLLOUT_GATE_NAME;
const appOf = (stack: string, app: Record<string, unknown>) => ({ [APP_KEY]: { ...JSON.parse(readStackValues(stack).values[APP_KEY]), ...app } });

const gateObjects = (b: Built): CapturedResource[] =>
    b.capture.resources.filter((r) => r.custom && r.type.startsWith("kubernetes:") && reveal(r.inputs).metadata?.labels?.["app.kubernetes.io/name"] === GATE);
const gateOf = (b: Built, type: string): CapturedResource => {
    const found = gateObjects(b).filter((r) => r.type === type);
    assert.equal(found.length, 1, `one ${type} of the release gate`);
    return found[0];
};
const named = (b: Built, type: string, name: string) => b.capture.ofType(type).find((r) => reveal(r.inputs).metadata?.name === name)!;
/** The gate container's variables' values. */
const gateEnv = (job: any): Record<string, string> => Object.fromEntries(Object.entries(envOf(job.spec.template.spec.containers[0])).map(([k, e]) => [k, e.value]));

describe("release gate (components/delivery/rollout-gate.ts)", function () {
    this.timeout(60_000);

    describe("prod (canary at the ALB)", () => {
        let b: Built;
        let job: any;
        before(async () => {
            b = await buildStack("prod");
            job = reveal(gateOf(b, JOB).inputs);
        });

        it("is a Job after the Rollout, the Deployment and the migration, with the rollout's deadline, replaced per release", () => {
            const gate = gateOf(b, JOB);
            const rollout = b.capture.one("kubernetes:argoproj.io/v1alpha1:Rollout");
            const deployment = named(b, "kubernetes:apps/v1:Deployment", "orders");
            const migration = b.capture.ofType(JOB).find((r) => reveal(r.inputs).metadata.labels["app.kubernetes.io/component"] === "migration")!;
            for (const r of [rollout, deployment, migration]) assert.ok(b.capture.dependsOn(gate, r), `the gate after ${r.name}`);
            // Nothing waits for the gate: it ends the release, and a failed one fails `pulumi up`.
            assert.deepEqual(b.capture.resources.filter((r) => r.dependencies.includes(gate.urn)).map((r) => r.name), []);
            assert.equal(job.spec.activeDeadlineSeconds, rolloutTimeoutSeconds(stackConfig("prod").app));
            assert.equal(job.spec.activeDeadlineSeconds, 2760);
            // Longer than every wait inside a release: the first pods' for the migration among them.
            assert.ok(job.spec.activeDeadlineSeconds > NEW_PODS_DEADLINE_SECONDS + 5 * 60 + 5 * 60 + 10 * 60);
            // Pulumi's own wait outlasts the Job's deadline, so the Job's verdict is what it reports.
            assert.deepEqual(gate.customTimeouts, { create: "51m", update: "51m", delete: "" });
            assert.deepEqual([gate.replaceOnChanges, gate.deleteBeforeReplace], [["spec"], true]);
            assert.equal(job.metadata.annotations["pulumi.com/replaceUnready"], "true", "a failed gate is asked again by the next pulumi up");
            // A failed pod fails the Job with BackoffLimitExceeded, which the provider's Job await reports at
            // once (provider/pkg/await/checker/job/check.go); FailJob's reason (PodFailurePolicy) it would
            // not, until its own timeout. Only a drained or evicted pod is replaced.
            assert.equal(job.spec.backoffLimit, 0);
            assert.deepEqual(job.spec.podFailurePolicy.rules, [{ action: "Ignore", onPodConditions: [{ type: "DisruptionTarget" }] }]);
        });

        it("runs the deployed image's node as the image's user, restricted, with a token of its own ServiceAccount", async () => {
            const spec = job.spec.template.spec;
            const [c] = spec.containers;
            assert.equal(c.image, await valueOf(b.platform.appImage.repoDigest));
            assert.deepEqual(c.command, ["node", "-e", rolloutGateScript()]);
            assert.deepEqual(c.securityContext, {
                allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000,
                capabilities: { drop: ["ALL"] }, seccompProfile: { type: "RuntimeDefault" },
            });
            assert.equal(spec.restartPolicy, "Never");
            assert.equal(spec.automountServiceAccountToken, true);
            assert.equal(spec.serviceAccountName, GATE);
            assert.equal(reveal(gateOf(b, "kubernetes:core/v1:ServiceAccount").inputs).automountServiceAccountToken, false, "only the gate's pod mounts the token");
            assert.equal(reveal(named(b, "kubernetes:core/v1:ServiceAccount", "orders").inputs).automountServiceAccountToken, false);
            const env = gateEnv(job);
            assert.deepEqual([env.ROLLOUT_NAMESPACE, env.ROLLOUT_NAME, env.WORKLOAD_NAME], ["orders", "orders", "orders"]);
            assert.equal(env.NODE_EXTRA_CA_CERTS, "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt");
            assert.match(env.RELEASE, /^[0-9a-f]{16}$/);
            assert.deepEqual(c.resources, { requests: { cpu: "10m", memory: "64Mi" }, limits: { memory: "64Mi" } });
        });

        it("may get the app's Rollout and Deployment by name, and nothing else", () => {
            const role = reveal(gateOf(b, "kubernetes:rbac.authorization.k8s.io/v1:Role").inputs);
            assert.deepEqual(role.rules, [
                { apiGroups: ["argoproj.io"], resources: ["rollouts"], resourceNames: ["orders"], verbs: ["get"] },
                { apiGroups: ["apps"], resources: ["deployments"], resourceNames: ["orders"], verbs: ["get"] },
            ]);
            assert.equal(role.metadata.namespace, "orders");
            const binding = reveal(gateOf(b, "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding").inputs);
            assert.deepEqual(binding.roleRef, { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: GATE });
            assert.deepEqual(binding.subjects, [{ kind: "ServiceAccount", name: GATE, namespace: "orders" }]);
        });

        it("reaches the API server on 443 (the kubernetes Service's ClusterIP it dials, and the endpoint's ENIs in the VPC) and nothing of the app's: no app Service, budget or policy selects its pod", async () => {
            const policy = reveal(gateOf(b, "kubernetes:networking.k8s.io/v1:NetworkPolicy").inputs);
            // The mocked EKS cluster's service range is 172.20.0.0/16: the kubernetes Service is its first host.
            assert.equal(await valueOf(b.platform.cluster.apiServiceCidr), "172.20.0.1/32");
            assert.deepEqual(policy.spec, {
                podSelector: { matchLabels: ROLLOUT_GATE_LABELS }, policyTypes: ["Egress"],
                egress: [{ to: [{ ipBlock: { cidr: "172.20.0.1/32" } }, { ipBlock: { cidr: stackConfig("prod").network.cidrBlock } }], ports: [{ protocol: "TCP", port: 443 }] }],
            });
            const pod = job.spec.template.metadata.labels;
            assert.ok(selects(policy.spec.podSelector, pod));
            assert.ok(!selects(SERVING_PODS, pod) && !selects(DATABASE_CLIENT_PODS, pod), "no PostgreSQL, Valkey or OTLP egress");
            const selectors = [
                ...b.capture.ofType("kubernetes:core/v1:Service").map((s) => reveal(s.inputs)).filter((s) => s.metadata.namespace === "orders").map((s) => ({ name: s.metadata.name, selector: { matchLabels: s.spec.selector } })),
                ...b.capture.ofType("kubernetes:policy/v1:PodDisruptionBudget").map((p) => reveal(p.inputs)).filter((p) => p.metadata.namespace === "orders").map((p) => ({ name: p.metadata.name, selector: p.spec.selector })),
            ];
            assert.ok(selectors.length >= 4, selectors.map((s) => s.name).join());
            for (const s of selectors) assert.ok(!selects(s.selector, pod), `${s.name} selects the gate's pod`);
        });

        it("validates the Job, Role, RoleBinding and NetworkPolicy against the Kubernetes models", async () => {
            const models: Record<string, string> = {
                [JOB]: "batch/v1/Job", "kubernetes:rbac.authorization.k8s.io/v1:Role": "rbac.authorization.k8s.io/v1/Role",
                "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding": "rbac.authorization.k8s.io/v1/RoleBinding",
                "kubernetes:networking.k8s.io/v1:NetworkPolicy": "networking.k8s.io/v1/NetworkPolicy",
            };
            for (const [type, model] of Object.entries(models)) {
                const kind = model.split("/").pop()!;
                const mod: any = await import(`kubernetes-models/${model}`);
                new mod[kind](reveal(gateOf(b, type).inputs)).validate();
            }
        });
    });

    describe("one gate per release", () => {
        const release = async (app: Record<string, unknown>) => gateEnv(reveal(gateOf(await buildStack("dev", appOf("dev", app)), JOB).inputs)).RELEASE;
        let base: string;
        before(async () => { base = await release({}); });

        it("a new pod template (here the log level) or new canary steps is a new release: the Job is replaced and waits again", async () => {
            assert.notEqual(await release({ logLevel: "debug" }), base);
            assert.notEqual(await release({ canary: { steps: [{ weight: 10, pause: "1m" }] } }), base);
        });

        it("a flag change is not: it reaches the pods through the ConfigMap, with no rollout to wait for", async () => {
            const flags = JSON.parse(readStackValues("dev").values[APP_KEY]).flags;
            assert.equal(await release({ flags: { ...flags, "new-checkout": { defaultVariant: "off" } } }), base);
            assert.equal(await release({}), base, "and the same config is the same release");
        });

        it("runs on every EKS version the config admits: podFailurePolicy is a Job field from Kubernetes 1.31 (GA)", () => {
            for (const v of EKS_VERSIONS) assert.ok(Number(v.split(".")[1]) >= 31 && v.startsWith("1."), `EKS ${v}`);
        });

        it("has no gate where there is no Rollout (rolling, review stacks)", async () => {
            assert.deepEqual(gateObjects(await buildStack("pr-1")), []);
            assert.deepEqual(gateObjects(await buildStack("dev", appOf("dev", { deliveryStrategy: "rolling", canary: undefined, analysis: undefined }))), []);
        });

        it("refuses a canary Workload without the API server's addresses, naming them, before creating anything", async () => {
            const capture = await startCapture("pr-1");
            const provider = new k8s.Provider("gate-test", { kubeconfig: "{}" });
            assert.throws(() => new Workload("w", {
                config: { ...stackConfig("dev").app }, environment: "dev", namespace: "orders", secretName: "orders-data", image: "img@sha256:0", imageTag: "t",
                otlpEndpoint: "http://jaeger:4318", dependsOn: [], monitoringReady: [], user: { uid: 1000, gid: 1000 },
            }, { providers: { kubernetes: provider } }), (e: Error) => {
                assert.match(e.message, /vpcCidr and apiServiceCidr arguments/);
                assert.match(e.message, /pass config\.network\.cidrBlock and cluster\.apiServiceCidr \(components\/platform\.ts\)/);
                return true;
            });
            await settle();
            assert.deepEqual(capture.resources.filter((r) => r.type.startsWith("kubernetes:") && r.type !== "pulumi:providers:kubernetes").map((r) => r.type), []);
        });
    });

    describe("the gate's program, run by node against an API server over TLS", () => {
        let dir: string;
        let server: https.Server;
        let port: number;
        /** What the fake API server answers next, per object; each GET of a path shifts its queue (the last answer stays). */
        let answers: Record<"rollouts" | "deployments", Array<{ status: number; body?: unknown; served?: () => void }>>;
        let seen: Array<{ path: string; authorization: string | undefined }>;
        let RolloutStatus: any;
        const tokenFile = () => path.join(dir, "token");

        before(async () => {
            dir = fs.mkdtempSync(path.join(os.tmpdir(), "rollout-gate-"));
            // A CA of the test's own, trusted only through NODE_EXTRA_CA_CERTS, as the cluster's is in the pod.
            const made = spawnSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
                "-subj", "/CN=kubernetes", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", path.join(dir, "key.pem"), "-out", path.join(dir, "ca.crt")], { encoding: "utf8" });
            assert.equal(made.status, 0, made.stderr);
            server = https.createServer({ key: fs.readFileSync(path.join(dir, "key.pem")), cert: fs.readFileSync(path.join(dir, "ca.crt")) }, (req, res) => {
                seen.push({ path: req.url!, authorization: req.headers.authorization });
                const kind = req.url!.startsWith("/apis/argoproj.io/v1alpha1/namespaces/orders/rollouts/orders") ? "rollouts"
                    : req.url === "/apis/apps/v1/namespaces/orders/deployments/orders" ? "deployments" : undefined;
                if (kind === undefined) { res.writeHead(404).end("not found"); return; }
                const queue = answers[kind];
                const answer = queue.length > 1 ? queue.shift()! : queue[0];
                answer.served?.();
                res.writeHead(answer.status, { "content-type": "application/json" }).end(JSON.stringify(answer.body ?? { kind: "Status", code: answer.status }));
            });
            await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
            port = (server.address() as { port: number }).port;
        });
        after(() => {
            server.close();
            fs.rmSync(dir, { recursive: true, force: true });
        });
        beforeEach(async () => {
            seen = [];
            fs.writeFileSync(tokenFile(), "token-1\n");
            ({ RolloutStatus } = await import("@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1/RolloutStatus"));
        });
        afterEach(() => {
            // Every status the fake server answered is one the Argo Rollouts CRD admits (its schema:
            // observedGeneration and workloadObservedGeneration are strings, abort a boolean...), so the
            // gate is tested on the controller's field names and types, not on a copy of them.
            for (const queue of Object.values(answers)) {
                for (const a of queue) if ((a.body as any)?.status) new RolloutStatus((a.body as any).status).validate();
            }
        });

        const rollout = (generation: number, status: Record<string, unknown>) => ({ status: 200, body: { metadata: { name: "orders", generation }, status } });
        const deployment = (generation: number) => ({ status: 200, body: { metadata: { name: "orders", generation } } });
        const released = { observedGeneration: "5", workloadObservedGeneration: "8", phase: "Healthy", currentPodHash: "new", stableRS: "new" };

        /** Runs the gate until it exits (or `untilMs` passes: then it is killed and `code` is null). */
        function gate(env: Record<string, string> = {}, untilMs = 20_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
            return new Promise((resolve) => {
                const child = spawn(process.execPath, ["-e", rolloutGateScript()], {
                    env: {
                        PATH: process.env.PATH, KUBERNETES_SERVICE_HOST: "127.0.0.1", KUBERNETES_SERVICE_PORT: String(port),
                        NODE_EXTRA_CA_CERTS: path.join(dir, "ca.crt"), TOKEN_FILE: tokenFile(), POLL_SECONDS: "0.02",
                        ROLLOUT_NAMESPACE: "orders", ROLLOUT_NAME: "orders", WORKLOAD_NAME: "orders", ...env,
                    },
                });
                let stdout = "";
                let stderr = "";
                child.stdout.on("data", (d) => (stdout += d));
                child.stderr.on("data", (d) => (stderr += d));
                const timer = setTimeout(() => child.kill(), untilMs);
                child.on("exit", (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
            });
        }

        it("does not take the previous revision's Healthy for the new one: waits for the spec, then the Deployment's template, then the steps", async () => {
            answers = {
                rollouts: [
                    // Right after pulumi up's patch: the previous revision's status, generation not yet observed.
                    ...Array(5).fill(rollout(5, { ...released, observedGeneration: "4", currentPodHash: "old", stableRS: "old" })),
                    // The spec observed, not yet the Deployment's new template (the annotation's generation 7, the Deployment at 8).
                    ...Array(5).fill(rollout(5, { ...released, workloadObservedGeneration: "7", currentPodHash: "old", stableRS: "old" })),
                    ...Array(3).fill(rollout(5, { ...released, phase: "Paused", message: "CanaryPauseStep", currentStepIndex: 1, currentPodHash: "new", stableRS: "old" })),
                    rollout(5, released),
                ],
                deployments: [deployment(8)],
            };
            const run = await gate();
            assert.equal(run.code, ROLLOUT_GATE_EXIT.healthy, run.stderr + run.stdout);
            assert.deepEqual(run.stdout.trim().split("\n"), [
                "rollout orders/orders: Progressing - waiting for the controller to observe the Rollout's spec (generation 5) (revision old, stable old)",
                "rollout orders/orders: Progressing - waiting for the controller to observe the Deployment's template (generation 8) (revision old, stable old)",
                "rollout orders/orders: Paused step 1 - CanaryPauseStep (revision new, stable old)",
                "rollout orders/orders: Healthy (revision new, stable new)",
                "released: revision new is Healthy",
            ]);
            assert.equal(seen.filter((s) => s.path.includes("/rollouts/")).length, 14, "it read every state the controller went through");
            assert.ok(seen.every((s) => s.authorization === "Bearer token-1"));
        });

        it("waits while the rollout is unpausing (controllerPause set, its pause conditions cleared), as the kubectl plugin does", async () => {
            answers = {
                rollouts: [...Array(4).fill(rollout(5, { ...released, controllerPause: true, pauseConditions: [] })), rollout(5, released)],
                deployments: [deployment(8)],
            };
            const run = await gate();
            assert.equal(run.code, ROLLOUT_GATE_EXIT.healthy, run.stderr + run.stdout);
            assert.match(run.stdout, /^rollout orders\/orders: Progressing - waiting for the rollout to unpause/m);
            assert.equal(seen.filter((s) => s.path.includes("/rollouts/")).length, 5, "not released on the unpausing states' Healthy");
        });

        it("fails at once on Degraded (an abort), naming the rollout, the controller's message and the command that shows more", async () => {
            answers = {
                rollouts: [rollout(5, { ...released, phase: "Degraded", abort: true, message: "RolloutAborted: Rollout aborted update to revision 9: Metric \"error-ratio\" assessed Failed", currentPodHash: "new", stableRS: "old" })],
                deployments: [deployment(8)],
            };
            const run = await gate();
            assert.equal(run.code, ROLLOUT_GATE_EXIT.degraded);
            assert.equal(run.stderr.trim(), "release failed: rollout orders/orders is Degraded (RolloutAborted: Rollout aborted update to revision 9: Metric \"error-ratio\" assessed Failed); the controller aborted it: the stable revision old serves. Details: kubectl argo rollouts get rollout orders -n orders");
            assert.equal(seen.filter((s) => s.path.includes("/rollouts/")).length, 1);
            // Degraded without an abort (an invalid spec, say): the gate says so rather than that the stable version serves.
            answers = { rollouts: [rollout(5, { ...released, phase: "Degraded", message: "InvalidSpec: The Rollout \"orders\" is invalid", currentPodHash: "new", stableRS: "old" })], deployments: [deployment(8)] };
            const invalid = await gate();
            assert.equal(invalid.code, ROLLOUT_GATE_EXIT.degraded);
            assert.match(invalid.stderr, /is Degraded \(InvalidSpec: The Rollout "orders" is invalid\); the controller has not aborted it\./);
        });

        it("retries the API's errors and re-reads its token (the kubelet rotates it); stops with exit 2 when RBAC refuses", async () => {
            // The token changes on disk while the first answer (an error) is on its way.
            answers = { rollouts: [{ status: 503, served: () => fs.writeFileSync(tokenFile(), "token-2\n") }, { status: 500 }, rollout(5, released)], deployments: [deployment(8)] };
            const run = await gate();
            assert.equal(run.code, ROLLOUT_GATE_EXIT.healthy, run.stderr + run.stdout);
            assert.match(run.stdout, /rollout gate: GET \/apis\/argoproj.io\/v1alpha1\/namespaces\/orders\/rollouts\/orders answered 503; retrying/);
            assert.deepEqual([...new Set(seen.map((s) => s.authorization))], ["Bearer token-1", "Bearer token-2"]);

            answers = { rollouts: [{ status: 403, body: { kind: "Status", reason: "Forbidden" } }], deployments: [deployment(8)] };
            const refused = await gate();
            assert.equal(refused.code, ROLLOUT_GATE_EXIT.refused);
            assert.match(refused.stderr, /^rollout gate: GET \/apis\/argoproj.io\/v1alpha1\/namespaces\/orders\/rollouts\/orders answered 403: .*Forbidden.* \(its ServiceAccount, Role and RoleBinding are components\/delivery\/rollout-gate.ts\)$/m);
        });

        it("trusts the API server only through the pod's CA (NODE_EXTRA_CA_CERTS): without it, no verdict", async () => {
            answers = { rollouts: [rollout(5, released)], deployments: [deployment(8)] };
            const run = await gate({ NODE_EXTRA_CA_CERTS: "" }, 1_500);
            assert.equal(run.code, null, "still waiting when killed");
            assert.match(run.stdout, /rollout gate: fetch failed; retrying/);
            assert.equal(seen.length, 0);
        });
    });
});
