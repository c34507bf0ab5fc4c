/**
 * Issue 12 item 12: every pod the program makes, in each namespace, against the Pod Security level
 * that namespace enforces, with the policy pack's own checks (policy/kubernetes/pod-security.ts
 * podSecurityFindings). Pods come from the Kubernetes objects the program declares (podOf, as the
 * pack reads them), from the Beat it declares, and from its Helm releases as their charts and
 * operators build them at the pinned versions (chart-pods.ts).
 */
import * as assert from "node:assert/strict";
import { podSecurityFindings } from "../../policy/kubernetes/pod-security";
import { podOf, WORKLOAD_TYPES } from "../../policy/kubernetes/workloads";
import { NODE_AGENTS_NAMESPACE } from "../../components/observability/node-agents";
import { buildReviewUnderMocks, buildStack, reveal, stackConfig, type Capture } from "../harness";
import { beatPods, helmMerge, releasePods, type ModelledPod } from "./chart-pods";
import { NAMESPACE, RELEASE, valuesOf } from "./support";

const BEAT = "kubernetes:beat.k8s.elastic.co/v1beta1:Beat";
const ENFORCE = "pod-security.kubernetes.io/enforce";

/** Every pod of a captured stack, with where it comes from and its namespace. */
function podsOf(capture: Capture): ModelledPod[] {
    const declared = capture.resources.filter((r) => WORKLOAD_TYPES.includes(r.type)).flatMap((r) => {
        const pod = podOf(r.type, reveal(r.inputs));
        return pod ? [{ source: `${r.type.split(":")[2]}/${r.name}`, namespace: String(reveal(r.inputs.metadata?.namespace)), pod }] : [];
    });
    const beats = capture.ofType(BEAT).flatMap((r) => beatPods(r.name, String(reveal(r.inputs.metadata.namespace)), reveal(r.inputs.spec)));
    const charts = capture.ofType(RELEASE).flatMap((r) => releasePods({
        chart: r.inputs.chart, name: r.inputs.name, namespace: String(reveal(r.inputs.namespace)), values: reveal(r.inputs.values) ?? {},
    }));
    return [...declared, ...beats, ...charts];
}

/** The enforced level of each namespace the stack declares. */
function levels(capture: Capture): Map<string, string> {
    return new Map(capture.ofType(NAMESPACE).map((n) => [String(n.inputs.metadata.name), String(n.inputs.metadata.labels?.[ENFORCE])]));
}

/** What admission would refuse: "<namespace> <source>: <policy/check>: <message>". Pods in undeclared namespaces other than kube-system are refused too. */
function refusals(capture: Capture): string[] {
    const level = levels(capture);
    return podsOf(capture).flatMap((p) => {
        if (p.namespace === "kube-system") return [];
        const l = level.get(p.namespace);
        if (!l) return [`${p.namespace} ${p.source}: namespace not declared by the program (no Pod Security level)`];
        return podSecurityFindings(p.pod, l as "restricted" | "baseline" | "privileged").map((f) => `${p.namespace} ${p.source}: ${f}`);
    });
}

describe("Pod Security: every pod against its namespace's level (issue 12 item 12)", () => {
    for (const stack of ["dev", "prod", "pr-1"]) {
        it(`${stack}: no pod of any namespace is refused by the level the namespace enforces`, async () => {
            const b = await buildStack(stack);
            assert.deepEqual(refusals(b.capture), []);
        });
    }

    it("pr-7 in shared mode (a review namespace on dev's cluster): no pod is refused", async () => {
        const review = await buildReviewUnderMocks(stackConfig("pr-7", { "platform:review": { mode: "shared", platformStack: "organization/platform/dev" } }));
        assert.deepEqual(refusals(review.capture), []);
        assert.ok(podsOf(review.capture).length >= 3, "the app, its migration Job and PostgreSQL are evaluated");
    });

    it("labels the namespaces: observability and elastic-system restricted, node-agents privileged (enforce, warn and audit)", async () => {
        const b = await buildStack("dev");
        const labelsOf = (name: string) => {
            const ns = b.capture.ofType(NAMESPACE).filter((n) => n.inputs.metadata.name === name);
            assert.equal(ns.length, 1, `one Namespace ${name}`);
            return Object.fromEntries(Object.entries(ns[0].inputs.metadata.labels as Record<string, string>).filter(([k]) => k.startsWith("pod-security.kubernetes.io/")));
        };
        const level = (l: string) => ({ "pod-security.kubernetes.io/enforce": l, "pod-security.kubernetes.io/warn": l, "pod-security.kubernetes.io/audit": l });
        assert.deepEqual(labelsOf("observability"), level("restricted"));
        assert.deepEqual(labelsOf("elastic-system"), level("restricted"));
        assert.deepEqual(labelsOf(NODE_AGENTS_NAMESPACE), level("privileged"));
        // The only privileged namespace of the platform.
        assert.deepEqual(b.capture.ofType(NAMESPACE).filter((n) => n.inputs.metadata.labels?.[ENFORCE] !== "restricted").map((n) => n.inputs.metadata.name), [NODE_AGENTS_NAMESPACE]);
    });

    it("puts exactly the two host agents in the privileged namespace, each of which baseline would refuse (so it needs privileged)", async () => {
        const b = await buildStack("dev");
        const agents = podsOf(b.capture).filter((p) => p.namespace === NODE_AGENTS_NAMESPACE);
        assert.deepEqual(agents.map((p) => p.source).sort(), ["beat/platform-dev-observability-filebeat", "kube-prometheus-stack/node-exporter"]);
        const baseline = (source: string) => podSecurityFindings(agents.find((p) => p.source === source)!.pod, "baseline").map((f) => f.split(":")[0]);
        assert.deepEqual(baseline("kube-prometheus-stack/node-exporter"), [
            "pss-host-namespaces/hostNetwork", "pss-host-namespaces/hostPID",
            "pss-volume-types/host-path", "pss-volume-types/host-path", "pss-volume-types/host-path",
        ]);
        assert.deepEqual(baseline("beat/platform-dev-observability-filebeat"), ["pss-volume-types/host-path", "pss-volume-types/host-path"]);
    });

    it("evaluates every pod of the observability namespace, the charts' and operators' included", async () => {
        const b = await buildStack("dev");
        assert.deepEqual(podsOf(b.capture).filter((p) => p.namespace === "observability").map((p) => p.source).sort(), [
            "Job/platform-dev-observability-logs-ilm",
            "eck-stack/elasticsearch-default", "eck-stack/kibana", "eck-stack/logstash",
            "jaeger/es-index-cleaner", "jaeger/jaeger",
            "kube-prometheus-stack/admission-create", "kube-prometheus-stack/admission-patch", "kube-prometheus-stack/alertmanager",
            "kube-prometheus-stack/grafana", "kube-prometheus-stack/kube-state-metrics", "kube-prometheus-stack/operator", "kube-prometheus-stack/prometheus",
        ]);
    });

    describe("the values that make the charts restricted (each finding is what the namespace would refuse without it)", () => {
        const kps = async () => valuesOf(await buildStack("prod"), "kube-prometheus-stack");
        const findingsOf = (chart: string, values: Record<string, any>, source: string) => {
            const p = releasePods({ chart, name: chart, namespace: "observability", values }).find((x) => x.source === `${chart}/${source}`)!;
            return podSecurityFindings(p.pod, "restricted").map((f) => f.split(":")[0]);
        };

        it("Grafana: without initChownData off, its root init container with CHOWN (persistence is on in prod); without testFramework off, the test pod", async () => {
            const v = await kps();
            assert.equal(v.grafana.persistence.enabled, true);
            assert.deepEqual(findingsOf("kube-prometheus-stack", v, "grafana"), []);
            assert.deepEqual(findingsOf("kube-prometheus-stack", helmMerge(v, { grafana: { initChownData: { enabled: true } } }), "grafana"), [
                "pss-capabilities/add-only-net-bind-service", "pss-privilege-escalation/allow-privilege-escalation", "pss-run-as-non-root/run-as-non-root", "pss-run-as-non-root/run-as-user",
            ]);
            assert.deepEqual(findingsOf("kube-prometheus-stack", helmMerge(v, { grafana: { testFramework: { enabled: true } } }), "grafana-test"), [
                "pss-capabilities/drop-all", "pss-privilege-escalation/allow-privilege-escalation", "pss-run-as-non-root/run-as-non-root", "pss-seccomp/seccomp-profile",
            ]);
        });

        it("the node exporter: in the privileged namespace by namespaceOverride; left in the release's namespace, restricted refuses it", async () => {
            const v = await kps();
            assert.equal(v["prometheus-node-exporter"].namespaceOverride, NODE_AGENTS_NAMESPACE);
            const pods = releasePods({ chart: "kube-prometheus-stack", name: "kube-prometheus-stack", namespace: "observability", values: helmMerge(v, { "prometheus-node-exporter": { namespaceOverride: "" } }) });
            const left = pods.find((p) => p.source.endsWith("/node-exporter"))!;
            assert.equal(left.namespace, "observability");
            assert.deepEqual([...new Set(podSecurityFindings(left.pod, "restricted").map((f) => f.split(":")[0]))], [
                "pss-host-namespaces/hostNetwork", "pss-host-namespaces/hostPID", "pss-capabilities/drop-all", "pss-volume-types/host-path",
                "pss-privilege-escalation/allow-privilege-escalation", "pss-seccomp/seccomp-profile",
            ]);
        });

        it("Jaeger and its index cleaner: without the restricted securityContexts, the chart's defaults are refused", async () => {
            const v = valuesOf(await buildStack("prod"), "jaeger");
            assert.deepEqual(findingsOf("jaeger", v, "jaeger"), []);
            const bare = { ...v, jaeger: { ...v.jaeger, podSecurityContext: undefined, securityContext: undefined } };
            delete bare.jaeger.podSecurityContext;
            delete bare.jaeger.securityContext;
            assert.deepEqual(findingsOf("jaeger", bare, "jaeger"), [
                "pss-capabilities/drop-all", "pss-privilege-escalation/allow-privilege-escalation", "pss-run-as-non-root/run-as-non-root", "pss-seccomp/seccomp-profile",
            ]);
        });

        it("Kibana and Logstash: ECK's defaults alone are refused (no runAsNonRoot; Logstash's containers have no securityContext)", async () => {
            const v = valuesOf(await buildStack("prod"), "eck-stack");
            assert.deepEqual(findingsOf("eck-stack", v, "kibana"), []);
            assert.deepEqual(findingsOf("eck-stack", v, "logstash"), []);
            assert.deepEqual(findingsOf("eck-stack", v, "elasticsearch-default"), []);
            const withoutSecurity = (part: Record<string, any>) => {
                const spec = { ...part.podTemplate.spec };
                delete spec.securityContext;
                delete spec.initContainers;
                spec.containers = spec.containers.map(({ securityContext: _s, ...c }: any) => c);
                return { ...part, podTemplate: { spec } };
            };
            const bare = { ...v, "eck-kibana": withoutSecurity(v["eck-kibana"]), "eck-logstash": withoutSecurity(v["eck-logstash"]) };
            assert.deepEqual(findingsOf("eck-stack", bare, "kibana"), ["pss-run-as-non-root/run-as-non-root"]);
            assert.deepEqual(findingsOf("eck-stack", bare, "logstash"), [
                "pss-capabilities/drop-all", "pss-capabilities/drop-all",
                "pss-privilege-escalation/allow-privilege-escalation", "pss-privilege-escalation/allow-privilege-escalation",
                "pss-run-as-non-root/run-as-non-root", "pss-run-as-non-root/run-as-non-root",
            ]);
        });

        it("refuses a release whose chart has no pod model, naming where to add it", () => {
            assert.throws(() => releasePods({ chart: "podinfo", name: "podinfo", namespace: "demo", values: {} }),
                /no pod model for chart podinfo \(release podinfo\): encode its pods' security defaults/);
        });
    });
});
