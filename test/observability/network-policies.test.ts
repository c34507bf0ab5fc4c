import * as assert from "node:assert/strict";
import { observabilityNetworkPolicies } from "../../components/observability/network-policies";
import { buildStack, reveal, type Built } from "../harness";
import { OBS_KEY, observabilitySection } from "./support";

const NETPOL = "kubernetes:networking.k8s.io/v1:NetworkPolicy";
const VPC = { ipBlock: { cidr: "10.20.0.0/16" } };
const KUBE_SYSTEM = { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } } };

describe("observability network policies (issue 12 item 13)", () => {
    it("denies everything, then allows DNS, the namespace itself, the API server, ECK, OTLP from the app, scrapes and the webhook", () => {
        const p = observabilityNetworkPolicies({ vpcCidr: "10.20.0.0/16", appNamespace: "orders", alertReceiver: false, internalIngress: false });
        assert.deepEqual(p, [
            { name: "default-deny", spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] } },
            { name: "allow-dns", spec: { podSelector: {}, policyTypes: ["Egress"], egress: [{
                to: [{ ...KUBE_SYSTEM, podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }],
                ports: [{ protocol: "UDP", port: 53 }, { protocol: "TCP", port: 53 }],
            }] } },
            { name: "allow-within-namespace", spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"], ingress: [{ from: [{ podSelector: {} }] }], egress: [{ to: [{ podSelector: {} }] }] } },
            { name: "allow-api-server", spec: { podSelector: {}, policyTypes: ["Egress"], egress: [{ to: [VPC], ports: [{ protocol: "TCP", port: 443 }] }] } },
            { name: "allow-eck-operator", spec: { podSelector: {}, policyTypes: ["Ingress"], ingress: [{ from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "elastic-system" } } }] }] } },
            { name: "allow-otlp-from-app", spec: {
                podSelector: { matchLabels: { "app.kubernetes.io/instance": "jaeger" } }, policyTypes: ["Ingress"],
                ingress: [{ from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "orders" } } }, { namespaceSelector: { matchLabels: { "app.kubernetes.io/part-of": "review-environment" } } }], ports: [{ protocol: "TCP", port: 4317 }, { protocol: "TCP", port: 4318 }] }],
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
        const p = observabilityNetworkPolicies({ vpcCidr: "10.20.0.0/16", appNamespace: "orders", alertReceiver: true, internalIngress: true });
        assert.deepEqual(p.slice(8), [
            { name: "allow-alertmanager-receiver", spec: {
                podSelector: { matchLabels: { "app.kubernetes.io/name": "alertmanager" } }, policyTypes: ["Egress"],
                egress: [{ to: [{ ipBlock: { cidr: "0.0.0.0/0", except: ["10.20.0.0/16"] } }], ports: [{ protocol: "TCP", port: 443 }] }],
            } },
            { name: "allow-alb-grafana", spec: { podSelector: { matchLabels: { "app.kubernetes.io/name": "grafana" } }, policyTypes: ["Ingress"], ingress: [{ from: [VPC], ports: [{ protocol: "TCP", port: 3000 }] }] } },
            { name: "allow-alb-kibana", spec: { podSelector: { matchLabels: { "kibana.k8s.elastic.co/name": "kibana" } }, policyTypes: ["Ingress"], ingress: [{ from: [VPC], ports: [{ protocol: "TCP", port: 5601 }] }] } },
        ]);
    });

    describe("in the stacks", () => {
        let dev: Built;
        before(async () => { dev = await buildStack("dev", { [OBS_KEY]: { ...observabilitySection("dev"), internalIngress: true } }); });

        it("creates each policy in the observability namespace with the stack's VPC CIDR", async () => {
            const pols = dev.capture.ofType(NETPOL).sort((a, b) => a.inputs.metadata.name.localeCompare(b.inputs.metadata.name));
            const cidr = dev.config.network.cidrBlock;
            const expected = observabilityNetworkPolicies({ vpcCidr: cidr, appNamespace: "orders", alertReceiver: dev.config.observability.alertReceiver !== "none", internalIngress: true });
            expected.sort((a, b) => a.name.localeCompare(b.name));
            assert.deepEqual(pols.map((p) => p.inputs.metadata.name), expected.map((p) => p.name));
            assert.equal(pols.length, 10);
            for (const [i, p] of pols.entries()) {
                assert.equal(reveal(p.inputs.metadata.namespace), "observability");
                assert.deepEqual(reveal(p.inputs.spec), expected[i].spec);
            }
        });
    });
});
