import * as assert from "node:assert/strict";
import { ROLLOUT_GATE_NAME } from "../../components/delivery/rollout-gate";
import { PROJECT } from "../../components/config";
import { canaryTraffic, rolloutTimeoutSeconds } from "../../components/delivery/rollout";
import { errorRatioQuery, HASH_PLACEHOLDER, p99SecondsQuery, prometheusAddress } from "../../components/delivery/analysis";
import { buildStack, readStackValues, reveal, stackConfig, valueOf, type Built, type CapturedResource } from "../harness";

const APP_KEY = `${PROJECT}:app`;
const ROLLOUT = "kubernetes:argoproj.io/v1alpha1:Rollout";
const TEMPLATE = "kubernetes:argoproj.io/v1alpha1:AnalysisTemplate";
const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const PATCH = "kubernetes:apps/v1:DeploymentPatch";
const SERVICE = "kubernetes:core/v1:Service";
const CONFIG_MAP = "kubernetes:core/v1:ConfigMap";
const INGRESS = "kubernetes:networking.k8s.io/v1:Ingress";
const HPA = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler";
const RELEASE = "kubernetes:helm.sh/v3:Release";

/** Validates with the Argo Rollouts CRD model (@kubernetes-models/argo-rollouts, ESM only), as test/plan/render.test.ts does. */
async function validate(o: { kind: string }): Promise<void> {
    const mod = await import(`@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1/${o.kind}`);
    new mod[o.kind](o).validate();
}

/** A committed stack's app section with `app` over it (buildStack replaces a whole section). */
const appOf = (stack: string, app: Record<string, unknown>) => ({ [APP_KEY]: { ...JSON.parse(readStackValues(stack).values[APP_KEY]), ...app } });
const PROD_CANARY = appOf("prod", {
    internalIngress: true, deliveryStrategy: "canary",
    canary: { steps: [{ weight: 5, pause: "5m" }, { weight: 25, pause: "5m" }, { weight: 50, pause: "10m" }] },
    analysis: { maxErrorRate: 0.01, maxP99Ms: 500, interval: "1m", failureLimit: 1 },
});
const DEV_CANARY = appOf("dev", { deliveryStrategy: "canary", canary: { steps: [{ weight: 50, pause: "2m" }] }, analysis: {} });

const one = (b: Built, type: string): CapturedResource => {
    const found = b.capture.ofType(type);
    assert.equal(found.length, 1, `one ${type}, found ${found.length}`);
    return found[0];
};
/** The release gate's Job (components/delivery/rollout-gate.ts). */
const gateJob = (b: Built) => {
    const jobs = b.capture.ofType("kubernetes:batch/v1:Job").map((j) => reveal(j.inputs)).filter((j) => j.metadata.name === ROLLOUT_GATE_NAME);
    assert.equal(jobs.length, 1, "one release gate");
    return jobs[0];
};
const services = (b: Built) => Object.fromEntries(b.capture.ofType(SERVICE).map((s) => [reveal(s.inputs).metadata.name, reveal(s.inputs)]));

describe("progressive delivery (components/delivery/rollout.ts)", function () {
    this.timeout(60_000);

    describe("prod with canary, ALB weights and analysis", () => {
        let b: Built;
        before(async () => { b = await buildStack("prod", PROD_CANARY); });

        it("adopts the Deployment by workloadRef, scaling it down only as the Rollout's pods are available, after it", () => {
            const r = one(b, ROLLOUT);
            const spec = reveal(r.inputs).spec;
            assert.deepEqual(spec.workloadRef, { apiVersion: "apps/v1", kind: "Deployment", name: "orders", scaleDown: "progressively" });
            assert.equal(spec.replicas, undefined, "the HPA owns replicas");
            assert.equal(spec.template, undefined, "the pod template stays in the Deployment");
            assert.ok(b.capture.dependsOn(r, one(b, DEPLOYMENT)), "the Rollout after the Deployment it adopts");
            assert.equal(b.capture.ofType(PATCH).length, 0);
        });

        it("steps 5 → 25 → 50 % through the ALB with stable and canary Services, analysed from the first step", () => {
            const canary = reveal(one(b, ROLLOUT).inputs).spec.strategy.canary;
            assert.deepEqual(canary, {
                stableService: "orders",
                canaryService: "orders-canary",
                trafficRouting: { alb: { ingress: "orders", servicePort: 80, rootService: "orders" } },
                maxUnavailable: 0,
                steps: [
                    { setWeight: 5 }, { pause: { duration: "5m" } },
                    { setWeight: 25 }, { pause: { duration: "5m" } },
                    { setWeight: 50 }, { pause: { duration: "10m" } },
                ],
                analysis: { templates: [{ templateName: "orders-canary" }], args: [{ name: "canary-hash", valueFrom: { podTemplateHashValue: "Latest" } }] },
            });
            assert.equal(canaryTraffic(stackConfig("prod", PROD_CANARY).app), "alb");
            // The Ingress points at the action the controller writes; Pulumi declares no action annotation.
            const ingress = reveal(one(b, INGRESS).inputs);
            assert.deepEqual(ingress.spec.rules[0].http.paths[0].backend, { service: { name: "orders", port: { name: "use-annotation" } } });
            assert.deepEqual(Object.keys(ingress.metadata.annotations).filter((k) => k.includes("actions.")), []);
            const s = services(b);
            assert.deepEqual(Object.keys(s).filter((n) => n.startsWith("orders")).sort(), ["orders", "orders-canary", "orders-metrics"]);
            for (const n of ["orders", "orders-canary"]) assert.deepEqual(s[n].spec.selector, { "app.kubernetes.io/name": "orders" }, `${n}: no hash declared`);
            assert.equal(s["orders-metrics"].spec.clusterIP, "None");
        });

        it("is not awaited itself: its release gate waits for the verdict, for every pause plus slack", () => {
            const meta = reveal(one(b, ROLLOUT).inputs).metadata;
            assert.deepEqual(meta.annotations, { "pulumi.com/skipAwait": "true" });
            // A release whose pods stop progressing is aborted too, so a stuck release ends on stable.
            assert.equal(reveal(one(b, ROLLOUT).inputs).spec.progressDeadlineAbort, true);
            // ...after as long as the new pods may wait for the migration beside them (600 s and 2 min).
            assert.equal(reveal(one(b, ROLLOUT).inputs).spec.progressDeadlineSeconds, 720);
            // (300 + 120) + (300 + 120) + (600 + 120), the first pods' wait for the migration (720 - 120), 600
            assert.equal(gateJob(b).spec.activeDeadlineSeconds, 2760);
        });

        it("targets the Rollout with the HPA", () => {
            assert.deepEqual(reveal(one(b, HPA).inputs).spec.scaleTargetRef, { apiVersion: "argoproj.io/v1alpha1", kind: "Rollout", name: "orders" });
        });

        it("queries the canary's own 5xx ratio and p99 from the platform's Prometheus, with the stack's thresholds", () => {
            const t = reveal(one(b, TEMPLATE).inputs);
            assert.equal(t.metadata.name, "orders-canary");
            assert.deepEqual(t.spec.args, [{ name: "canary-hash" }]);
            assert.deepEqual(t.spec.metrics.map((m: any) => [m.name, m.interval, m.failureLimit, m.successCondition, m.provider.prometheus.address, m.provider.prometheus.query]), [
                ["error-ratio", "1m", 1, "isNaN(result[0]) || result[0] <= 0.01", "http://kube-prometheus-stack-prometheus.observability.svc:9090", errorRatioQuery(HASH_PLACEHOLDER)],
                ["p99-seconds", "1m", 1, "isNaN(result[0]) || result[0] <= 0.5", prometheusAddress(), p99SecondsQuery(HASH_PLACEHOLDER)],
            ]);
            assert.match(t.spec.metrics[0].provider.prometheus.query, /rollouts_pod_template_hash="\{\{args\.canary-hash\}\}"/);
        });

        it("validates the Rollout and the AnalysisTemplate against the Argo Rollouts CRD models", async () => {
            await validate(reveal(one(b, ROLLOUT).inputs));
            await validate(reveal(one(b, TEMPLATE).inputs));
            // The model can fail: a weight as text is refused.
            const bad = reveal(one(b, ROLLOUT).inputs);
            bad.spec.strategy.canary.steps[0] = { setWeight: "five" };
            await assert.rejects(validate(bad));
        });

        it("installs the Argo Rollouts controller in the cluster layer", () => {
            const release = b.capture.ofType(RELEASE).find((r) => r.inputs.name === "argo-rollouts");
            assert.ok(release, "argo-rollouts release");
            assert.equal(release!.inputs.version, "2.41.0");
        });
    });

    describe("dev with a replica-ratio canary", () => {
        let b: Built;
        before(async () => { b = await buildStack("dev", DEV_CANARY); });
        it("splits by pod count: no trafficRouting and no stable/canary Services (the app's Service keeps every pod)", async () => {
            const canary = reveal(one(b, ROLLOUT).inputs).spec.strategy.canary;
            assert.deepEqual(Object.keys(canary).sort(), ["analysis", "maxUnavailable", "steps"]);
            assert.deepEqual(canary.steps, [{ setWeight: 50 }, { pause: { duration: "2m" } }]);
            assert.equal(canaryTraffic(stackConfig("dev", DEV_CANARY).app), "replicas");
            assert.deepEqual(Object.keys(services(b)).filter((n) => n.startsWith("orders")).sort(), ["orders", "orders-metrics"]);
            await validate(reveal(one(b, ROLLOUT).inputs));
        });
    });

    describe("review: rolling", () => {
        let b: Built;
        before(async () => { b = await buildStack("pr-1"); });
        it("has no Rollout and no controller; a DeploymentPatch brings the Deployment to maxReplicas before a removed Rollout goes", () => {
            assert.equal(b.capture.ofType(ROLLOUT).length, 0);
            assert.equal(b.capture.ofType(RELEASE).filter((r) => r.inputs.name === "argo-rollouts").length, 0);
            const patch = one(b, PATCH);
            const p = reveal(patch.inputs);
            assert.deepEqual([p.metadata.name, p.metadata.annotations, p.spec], ["orders", { "pulumi.com/patchForce": "true" }, { replicas: 2 }]);
            assert.ok(b.capture.dependsOn(patch, one(b, DEPLOYMENT)), "patched after the Deployment exists");
        });
    });

    describe("blue-green", () => {
        let b: Built;
        before(async () => {
            b = await buildStack("pr-1", { [APP_KEY]: { deliveryStrategy: "blueGreen", blueGreen: { autoPromotionSeconds: 120, scaleDownDelaySeconds: 60 } } });
        });
        it("switches active and preview Services after the pre-promotion analysis, promoting after autoPromotionSeconds", async () => {
            const r = reveal(one(b, ROLLOUT).inputs);
            assert.deepEqual(r.spec.strategy, {
                blueGreen: {
                    activeService: "orders", previewService: "orders-preview",
                    autoPromotionEnabled: true, autoPromotionSeconds: 120, scaleDownDelaySeconds: 60,
                    prePromotionAnalysis: { templates: [{ templateName: "orders-canary" }], args: [{ name: "canary-hash", valueFrom: { podTemplateHashValue: "Latest" } }] },
                },
            });
            assert.equal(gateJob(b).spec.activeDeadlineSeconds, 120 + 60 + 600 + 600);
            await validate(r);
            assert.ok(services(b)["orders-preview"]);
        });
        it("waits for a manual promotion when autoPromotionSeconds is absent", async () => {
            const manual = await buildStack("pr-1", { [APP_KEY]: { deliveryStrategy: "blueGreen" } });
            const r = reveal(one(manual, ROLLOUT).inputs);
            assert.equal(r.spec.strategy.blueGreen.autoPromotionEnabled, false);
            assert.equal(r.spec.strategy.blueGreen.autoPromotionSeconds, undefined);
            assert.equal(rolloutTimeoutSeconds({ ...stackConfig("pr-1").app, deliveryStrategy: "blueGreen" }), 3600 + 30 + 600 + 600);
        });
        it("reaches the preview colour by port-forward, and by its own host on the internal ALB when one is set", async () => {
            assert.equal(await valueOf(b.platform.outputs.appPreviewPortForward), "kubectl -n orders port-forward svc/orders-preview 8080:80");
            assert.equal(b.platform.outputs.appPreviewUrl, undefined, "no host without blueGreen.previewHost");
            const withHost = await buildStack("pr-1", { [APP_KEY]: { deliveryStrategy: "blueGreen", internalIngress: true, blueGreen: { previewHost: "orders-preview.internal.example.com" } } });
            const ingress = reveal(one(withHost, INGRESS).inputs);
            // The host rule first (the ALB controller keeps the Ingress' order): the catch-all serves the active colour.
            assert.deepEqual(ingress.spec.rules, [
                { host: "orders-preview.internal.example.com", http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: "orders-preview", port: { name: "http" } } } }] } },
                { http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: "orders", port: { name: "http" } } } }] } },
            ]);
            assert.equal(withHost.platform.outputs.appPreviewUrl, "http://orders-preview.internal.example.com");
        });
    });

    describe("a flag change", () => {
        it("changes only the ConfigMap: the pod template, the Rollout and every other object are unchanged", async () => {
            const before = await buildStack("prod", PROD_CANARY);
            const after = await buildStack("prod", { [APP_KEY]: { ...PROD_CANARY[APP_KEY], flags: { "new-checkout": { defaultVariant: "on" } } } });
            const objects = (b: Built) => Object.fromEntries(b.capture.resources.filter((r) => r.type.startsWith("kubernetes:") && r.type !== "kubernetes:core/v1:ConfigMap")
                .map((r) => [`${r.type} ${r.name}`, JSON.stringify(reveal(r.inputs))]));
            assert.deepEqual(objects(after), objects(before));
            assert.deepEqual(reveal(one(after, DEPLOYMENT).inputs).spec.template, reveal(one(before, DEPLOYMENT).inputs).spec.template);
            const flags = (b: Built) => JSON.parse(reveal(b.capture.ofType(CONFIG_MAP).find((c) => reveal(c.inputs).metadata.name === "orders-flags")!.inputs).data["flags.json"]);
            assert.equal(flags(before).flags["new-checkout"].defaultVariant, "off");
            assert.equal(flags(after).flags["new-checkout"].defaultVariant, "on");
        });
    });
});
