import * as assert from "node:assert/strict";
import { eckOperatorNetworkPolicies } from "../../components/cluster/eck-operator";
import { nodeAgentsNetworkPolicies, observabilityNetworkPolicies } from "../../components/observability/network-policies";
import type { NetworkPolicySpec } from "../../components/shared/network-policy";
import { buildStack, reveal, type Built } from "../harness";
import { OBS_KEY, observabilitySection } from "./support";

const NETPOL = "kubernetes:networking.k8s.io/v1:NetworkPolicy";
const VPC = { ipBlock: { cidr: "10.20.0.0/16" } };
/** The `kubernetes` Service's ClusterIP: what in-cluster clients dial (shared/network-policy.ts apiServerEgressRule). */
const API_SERVICE = { ipBlock: { cidr: "172.20.0.1/32" } };
const KUBE_SYSTEM = { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } } };

describe("observability network policies (issue 12 item 13)", () => {
    it("denies everything, then allows DNS, the namespace itself, the API server, ECK, OTLP from the app, Filebeat from node-agents to Logstash, scrapes and the webhook", () => {
        const p = observabilityNetworkPolicies({ vpcCidr: "10.20.0.0/16", apiServiceCidr: "172.20.0.1/32", appNamespace: "orders", nodeAgentsNamespace: "node-agents", alertReceiver: false, internalIngress: false });
        assert.deepEqual(p, [
            { name: "default-deny", spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] } },
            { name: "allow-dns", spec: { podSelector: {}, policyTypes: ["Egress"], egress: [{
                to: [{ ...KUBE_SYSTEM, podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }],
                ports: [{ protocol: "UDP", port: 53 }, { protocol: "TCP", port: 53 }],
            }] } },
            { name: "allow-within-namespace", spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"], ingress: [{ from: [{ podSelector: {} }] }], egress: [{ to: [{ podSelector: {} }] }] } },
            { name: "allow-api-server", spec: { podSelector: {}, policyTypes: ["Egress"], egress: [{ to: [API_SERVICE, VPC], ports: [{ protocol: "TCP", port: 443 }] }] } },
            { name: "allow-eck-operator", spec: { podSelector: {}, policyTypes: ["Ingress"], ingress: [{ from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "elastic-system" } } }] }] } },
            { name: "allow-otlp-from-app", spec: {
                podSelector: { matchLabels: { "app.kubernetes.io/instance": "jaeger" } }, policyTypes: ["Ingress"],
                ingress: [{ from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "orders" } } }, { namespaceSelector: { matchLabels: { "app.kubernetes.io/part-of": "review-environment" } } }], ports: [{ protocol: "TCP", port: 4317 }, { protocol: "TCP", port: 4318 }] }],
            } },
            { name: "allow-logs-from-node-agents", spec: {
                podSelector: { matchLabels: { "logstash.k8s.elastic.co/name": "logstash" } }, policyTypes: ["Ingress"],
                // Filebeat's pods, not the namespace: node-exporter there is on the host network (node IPs).
                ingress: [{ from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "node-agents" } }, podSelector: { matchLabels: { "beat.k8s.elastic.co/name": "filebeat" } } }], ports: [{ protocol: "TCP", port: 5044 }] }],
            } },
            { name: "allow-prometheus-scrapes", spec: {
                podSelector: { matchLabels: { "app.kubernetes.io/name": "prometheus" } }, policyTypes: ["Egress"],
                egress: [{ to: [{ namespaceSelector: {} }] }, { to: [VPC], ports: [{ protocol: "TCP", port: 9100 }, { protocol: "TCP", port: 10250 }] }],
            } },
            { name: "allow-operator-webhook", spec: {
                podSelector: { matchLabels: { app: "kube-prometheus-stack-operator" } }, policyTypes: ["Ingress"],
                ingress: [{ from: [VPC], ports: [{ protocol: "TCP", port: 10250 }] }],
            } },
        ]);
    });

    it("lets Alertmanager reach its receiver over HTTPS outside the VPC, and the internal ALB reach Grafana and Kibana, only when configured", () => {
        const p = observabilityNetworkPolicies({ vpcCidr: "10.20.0.0/16", apiServiceCidr: "172.20.0.1/32", appNamespace: "orders", nodeAgentsNamespace: "node-agents", alertReceiver: true, internalIngress: true });
        assert.deepEqual(p.slice(9), [
            { name: "allow-alertmanager-receiver", spec: {
                podSelector: { matchLabels: { "app.kubernetes.io/name": "alertmanager" } }, policyTypes: ["Egress"],
                egress: [{ to: [{ ipBlock: { cidr: "0.0.0.0/0", except: ["10.20.0.0/16"] } }], ports: [{ protocol: "TCP", port: 443 }] }],
            } },
            { name: "allow-alb-grafana", spec: { podSelector: { matchLabels: { "app.kubernetes.io/name": "grafana" } }, policyTypes: ["Ingress"], ingress: [{ from: [VPC], ports: [{ protocol: "TCP", port: 3000 }] }] } },
            { name: "allow-alb-kibana", spec: { podSelector: { matchLabels: { "kibana.k8s.elastic.co/name": "kibana" } }, policyTypes: ["Ingress"], ingress: [{ from: [VPC], ports: [{ protocol: "TCP", port: 5601 }] }] } },
        ]);
    });

    it("node-agents: deny, DNS, then Filebeat to the API server and to Logstash's beats port only (the node exporter is on the host network: no policy applies to it)", () => {
        const FILEBEAT = { matchLabels: { "beat.k8s.elastic.co/name": "filebeat" } };
        assert.deepEqual(nodeAgentsNetworkPolicies({ vpcCidr: "10.20.0.0/16", apiServiceCidr: "172.20.0.1/32", observabilityNamespace: "observability" }).slice(2), [
            { name: "allow-api-server", spec: { podSelector: FILEBEAT, policyTypes: ["Egress"], egress: [{ to: [API_SERVICE, VPC], ports: [{ protocol: "TCP", port: 443 }] }] } },
            { name: "allow-filebeat-to-logstash", spec: {
                podSelector: FILEBEAT, policyTypes: ["Egress"],
                egress: [{ to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "observability" } }, podSelector: { matchLabels: { "logstash.k8s.elastic.co/name": "logstash" } } }], ports: [{ protocol: "TCP", port: 5044 }] }],
            } },
        ]);
    });

    describe("in the stacks", () => {
        let dev: Built;
        before(async () => { dev = await buildStack("dev", { [OBS_KEY]: { ...observabilitySection("dev"), internalIngress: true } }); });

        const inNamespace = (ns: string) => dev.capture.ofType(NETPOL).filter((p) => reveal(p.inputs.metadata.namespace) === ns)
            .sort((a, b) => a.inputs.metadata.name.localeCompare(b.inputs.metadata.name));
        const sameAs = (ns: string, expected: NetworkPolicySpec[]) => {
            const pols = inNamespace(ns);
            const sorted = [...expected].sort((a, b) => a.name.localeCompare(b.name));
            assert.deepEqual(pols.map((p) => [p.inputs.metadata.name, reveal(p.inputs.spec)]), sorted.map((p) => [p.name, p.spec]));
        };

        it("creates each namespace's policies there, with the stack's VPC CIDR: observability 12 (dev's canary: Prometheus admits the Argo Rollouts analysis), node-agents 4, elastic-system 3", () => {
            const cidr = dev.config.network.cidrBlock;
            sameAs("observability", observabilityNetworkPolicies({ vpcCidr: cidr, apiServiceCidr: "172.20.0.1/32", appNamespace: "orders", nodeAgentsNamespace: "node-agents", alertReceiver: dev.config.observability.alertReceiver !== "none", internalIngress: true, rolloutsNamespace: "argo-rollouts" }));
            sameAs("node-agents", nodeAgentsNetworkPolicies({ vpcCidr: cidr, apiServiceCidr: "172.20.0.1/32", observabilityNamespace: "observability" }));
            sameAs("elastic-system", eckOperatorNetworkPolicies({ vpcCidr: cidr, apiServiceCidr: "172.20.0.1/32", managedNamespace: "observability" }));
            assert.deepEqual(["observability", "node-agents", "elastic-system"].map((ns) => inNamespace(ns).length), [12, 4, 3]);
        });

        it("every one is a valid NetworkPolicy (kubernetes-models) with a default deny of both directions first", async () => {
            // ESM module: its types are not the point here, its schema validation is.
            const { NetworkPolicy }: any = await import("kubernetes-models/networking.k8s.io/v1/NetworkPolicy");
            assert.throws(() => new NetworkPolicy({ metadata: { name: "bad" }, spec: { podSelector: {}, policyTypes: ["Sideways"] } }).validate(), /policyTypes\/0 must be equal to one of the allowed values/);
            for (const ns of ["observability", "node-agents", "elastic-system"]) {
                const pols = inNamespace(ns);
                for (const p of pols) new NetworkPolicy({ metadata: reveal(p.inputs.metadata), spec: reveal(p.inputs.spec) }).validate();
                assert.deepEqual(reveal(pols.find((p) => p.inputs.metadata.name === "default-deny")!.inputs.spec), { podSelector: {}, policyTypes: ["Ingress", "Egress"] });
            }
        });
    });
});
