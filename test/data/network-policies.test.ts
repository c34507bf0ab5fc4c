import * as assert from "node:assert/strict";
import { externalSecretsNetworkPolicies } from "../../components/data/network-policies";
import { buildStack, reveal } from "../harness";

const NETPOL = "kubernetes:networking.k8s.io/v1:NetworkPolicy";

describe("External Secrets Operator network policies (issue 12 item 13)", () => {
    it("denies everything, then DNS, the webhook from the VPC, HTTPS out (Secrets Manager, the API server) and the Pod Identity agent", () => {
        const p = externalSecretsNetworkPolicies({ vpcCidr: "10.20.0.0/16" });
        assert.deepEqual(p.map((x) => x.name), ["default-deny", "allow-dns", "allow-operator"]);
        assert.deepEqual(p[0].spec, { podSelector: {}, policyTypes: ["Ingress", "Egress"] });
        assert.deepEqual(p[2].spec, {
            podSelector: {},
            policyTypes: ["Ingress", "Egress"],
            ingress: [{ from: [{ ipBlock: { cidr: "10.20.0.0/16" } }], ports: [{ protocol: "TCP", port: 10250 }] }],
            egress: [
                { to: [{ ipBlock: { cidr: "0.0.0.0/0" } }], ports: [{ protocol: "TCP", port: 443 }] },
                { to: [{ ipBlock: { cidr: "169.254.170.23/32" } }], ports: [{ protocol: "TCP", port: 80 }] },
            ],
        });
    });

    it("creates them in the operator's namespace with the stack's VPC CIDR, valid for kubernetes-models", async () => {
        const dev = await buildStack("dev");
        const pols = dev.capture.ofType(NETPOL).filter((r) => reveal(r.inputs.metadata.namespace) === "external-secrets");
        const byName = (a: [string, unknown], b: [string, unknown]) => a[0].localeCompare(b[0]);
        assert.deepEqual(pols.map((r): [string, unknown] => [r.inputs.metadata.name, reveal(r.inputs.spec)]).sort(byName),
            externalSecretsNetworkPolicies({ vpcCidr: dev.config.network.cidrBlock }).map((x): [string, unknown] => [x.name, x.spec]).sort(byName));
        const { NetworkPolicy }: any = await import("kubernetes-models/networking.k8s.io/v1/NetworkPolicy");
        for (const r of pols) new NetworkPolicy({ metadata: reveal(r.inputs.metadata), spec: reveal(r.inputs.spec) }).validate();
    });
});
