import * as assert from "node:assert/strict";
import { ARGO_ROLLOUTS_POLICY, argoRolloutsNetworkPolicies, argoRolloutsValues } from "../../components/cluster/argo-rollouts";
import { PROJECT } from "../../components/config";
import { buildStack, DEPLOYER_ARN, reveal, type Built } from "../harness";

const RELEASE = "kubernetes:helm.sh/v3:Release";
const APP_KEY = `${PROJECT}:app`;

describe("Argo Rollouts controller (components/cluster/argo-rollouts.ts)", function () {
    this.timeout(60_000);

    it("runs restricted-compliant, with its metrics Service, target-group verification in the stack's region, and keeps its CRDs", () => {
        const v = argoRolloutsValues("eu-west-1", { nodeSelector: { role: "system" }, tolerations: [] }) as any;
        assert.equal(v.installCRDs, true);
        assert.equal(v.keepCRDs, true);
        assert.deepEqual(v.containerSecurityContext, {
            allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true,
            capabilities: { drop: ["ALL"] }, seccompProfile: { type: "RuntimeDefault" },
        });
        assert.deepEqual(v.podSecurityContext, { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
        assert.deepEqual(v.controller.metrics, { enabled: true, serviceMonitor: { enabled: false } });
        assert.equal(v.controller.awsVerifyTargetGroup, true);
        assert.deepEqual(v.controller.extraArgs, ["--aws-region", "eu-west-1"]);
        assert.deepEqual(v.controller.nodeSelector, { role: "system" });
        assert.ok(ARGO_ROLLOUTS_POLICY.Statement[0].Action.every((a) => a.startsWith("elasticloadbalancing:Describe")), "read-only");
    });

    it("is installed only when a strategy needs it, or forced by platform:cluster.argoRollouts", async () => {
        const releases = (b: Built) => b.capture.ofType(RELEASE).filter((r) => r.inputs.name === "argo-rollouts");
        assert.equal(releases(await buildStack("pr-1")).length, 0, "rolling: not installed");
        const canary = await buildStack("pr-1", { [APP_KEY]: { deliveryStrategy: "canary" } });
        const [release] = releases(canary);
        assert.ok(release);
        assert.deepEqual([release.inputs.chart, release.inputs.version, release.inputs.repositoryOpts.repo, release.inputs.namespace],
            ["argo-rollouts", "2.41.0", "https://argoproj.github.io/argo-helm", "argo-rollouts"]);
        const ns = canary.capture.ofType("kubernetes:core/v1:Namespace").find((n) => reveal(n.inputs).metadata.name === "argo-rollouts")!;
        assert.equal(reveal(ns.inputs).metadata.labels["pod-security.kubernetes.io/enforce"], "restricted");
        // Its ServiceMonitor comes from the delivery layer, after the Prometheus Operator's CRDs.
        const monitor = canary.capture.ofType("kubernetes:monitoring.coreos.com/v1:ServiceMonitor").find((m) => reveal(m.inputs).metadata.name === "argo-rollouts")!;
        assert.deepEqual(reveal(monitor.inputs).spec.selector.matchLabels, {
            "app.kubernetes.io/component": "rollouts-controller", "app.kubernetes.io/name": "argo-rollouts", "app.kubernetes.io/instance": "argo-rollouts",
        });
        const kps = canary.capture.ofType(RELEASE).find((r) => r.inputs.name === "kube-prometheus-stack")!;
        assert.ok(canary.capture.dependsOn(monitor, kps));
        // The Rollout's namespace label survives the scrape (the alert rules select namespace="orders").
        assert.deepEqual(reveal(monitor.inputs).spec.endpoints, [{ port: "metrics", interval: "30s", honorLabels: true }]);
        const forced = await buildStack("pr-1", { "platform:cluster": { publicAccessCidrs: ["0.0.0.0/0"], deployerPrincipalArn: DEPLOYER_ARN, argoRollouts: true } });
        assert.equal(releases(forced).length, 1, "forced on a rolling stack");
    });

    it("denies its namespace everything but DNS, the API server and AWS (443), the Pod Identity agent, Prometheus' queries and its scrape", async () => {
        const policies = argoRolloutsNetworkPolicies();
        assert.deepEqual(policies.map((p) => p.name), ["default-deny", "allow-dns", "allow-controller"]);
        const prometheus = { namespaceSelector: {}, podSelector: { matchLabels: { "app.kubernetes.io/name": "prometheus" } } };
        assert.deepEqual(policies[2].spec, {
            podSelector: {},
            policyTypes: ["Ingress", "Egress"],
            ingress: [{ from: [prometheus], ports: [{ protocol: "TCP", port: 8090 }] }],
            egress: [
                { to: [{ ipBlock: { cidr: "0.0.0.0/0" } }], ports: [{ protocol: "TCP", port: 443 }] },
                { to: [{ ipBlock: { cidr: "169.254.170.23/32" } }], ports: [{ protocol: "TCP", port: 80 }] },
                { to: [prometheus], ports: [{ protocol: "TCP", port: 9090 }] },
            ],
        });
        const { NetworkPolicy }: any = await import("kubernetes-models/networking.k8s.io/v1/NetworkPolicy");
        for (const p of policies) new NetworkPolicy({ metadata: { name: p.name, namespace: "argo-rollouts" }, spec: p.spec }).validate();
        // And the other side: Prometheus admits the controller's analysis queries (observability layer).
        const dev = await buildStack("dev");
        const admit = dev.capture.ofType("kubernetes:networking.k8s.io/v1:NetworkPolicy").find((n) => reveal(n.inputs).metadata.name === "allow-rollouts-analysis")!;
        assert.deepEqual(reveal(admit.inputs).spec, {
            podSelector: { matchLabels: { "app.kubernetes.io/name": "prometheus" } },
            policyTypes: ["Ingress"],
            ingress: [{ from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "argo-rollouts" } } }], ports: [{ protocol: "TCP", port: 9090 }] }],
        });
    });
});
