import * as assert from "node:assert/strict";
import { denyAllButDns, dnsEgressRule, namespaceByName, tcpPorts } from "../../components/shared/network-policy";

describe("NetworkPolicy building blocks (issue 12 item 13)", () => {
    it("starts every namespace with a default deny of both directions (empty podSelector) and DNS to CoreDNS only", () => {
        assert.deepEqual(denyAllButDns(), [
            { name: "default-deny", spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] } },
            { name: "allow-dns", spec: { podSelector: {}, policyTypes: ["Egress"], egress: [{
                to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } }, podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }],
                ports: [{ protocol: "UDP", port: 53 }, { protocol: "TCP", port: 53 }],
            }] } },
        ]);
        assert.deepEqual(denyAllButDns()[1].spec.egress, [dnsEgressRule()]);
    });

    it("selects a namespace by the name label Kubernetes sets, and lists TCP ports", () => {
        assert.deepEqual(namespaceByName("observability"), { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "observability" } } });
        assert.deepEqual(tcpPorts(4317, 4318), [{ protocol: "TCP", port: 4317 }, { protocol: "TCP", port: 4318 }]);
    });
});
