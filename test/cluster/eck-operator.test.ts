import * as assert from "node:assert/strict";
import { ECK_OPERATOR_NAMESPACE, eckOperatorNetworkPolicies } from "../../components/cluster/eck-operator";
import { buildStack, reveal, type Built } from "../harness";

const RELEASE = "kubernetes:helm.sh/v3:Release";
const ADDON = "aws:eks/addon:Addon";
const VPC = { ipBlock: { cidr: "10.20.0.0/16" } };
/** The `kubernetes` Service's ClusterIP: what in-cluster clients dial (shared/network-policy.ts apiServerEgressRule). */
const API_SERVICE = { ipBlock: { cidr: "172.20.0.1/32" } };

describe("the ECK operator (components/cluster/eck-operator.ts)", function () {
    this.timeout(60_000);

    it("elastic-system: deny, DNS, then the webhook from the VPC, the API server, and Elasticsearch, Kibana and Logstash's APIs in the managed namespace", () => {
        assert.deepEqual(eckOperatorNetworkPolicies({ vpcCidr: "10.20.0.0/16", apiServiceCidr: "172.20.0.1/32", managedNamespace: "observability" }).slice(2), [
            { name: "allow-operator", spec: {
                podSelector: {}, policyTypes: ["Ingress", "Egress"],
                ingress: [{ from: [VPC], ports: [{ protocol: "TCP", port: 9443 }] }],
                egress: [
                    { to: [API_SERVICE, VPC], ports: [{ protocol: "TCP", port: 443 }] },
                    { to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "observability" } } }], ports: [{ protocol: "TCP", port: 9200 }, { protocol: "TCP", port: 5601 }, { protocol: "TCP", port: 9600 }] },
                ],
            } },
        ]);
    });

    describe("in the stacks", () => {
        let dev: Built;
        let prod: Built;
        before(async () => {
            dev = await buildStack("dev");
            prod = await buildStack("prod");
        });
        const operatorOf = (b: Built) => b.capture.ofType(RELEASE).find((r) => r.inputs.name === "eck-operator")!;
        const addon = (b: Built, name: string) => b.capture.ofType(ADDON).find((a) => a.inputs.addonName === name)!;

        it("is the cluster layer's, on the cluster's provider, in its restricted namespace", () => {
            for (const b of [dev, prod]) {
                const operator = operatorOf(b);
                assert.equal(b.capture.componentOf(operator).type, "platform:cluster:Cluster");
                assert.equal(operator.inputs.namespace, ECK_OPERATOR_NAMESPACE);
                const provider = b.capture.one("pulumi:providers:kubernetes");
                assert.equal(operator.provider.split("::").slice(0, -1).join("::"), provider.urn);
                const ns = b.capture.ofType("kubernetes:core/v1:Namespace").find((n) => n.inputs.metadata.name === ECK_OPERATOR_NAMESPACE)!;
                assert.equal(ns.inputs.metadata.labels["pod-security.kubernetes.io/enforce"], "restricted");
                assert.ok(b.capture.dependsOn(operator, ns));
                for (const p of b.capture.ofType("kubernetes:networking.k8s.io/v1:NetworkPolicy").filter((x) => reveal(x.inputs.metadata.namespace) === ECK_OPERATOR_NAMESPACE)) {
                    assert.ok(b.capture.dependsOn(operator, p), `the operator starts behind ${p.inputs.metadata.name}`);
                }
            }
        });

        it("starts after the node groups only, not after coredns, the storage or the volume wait (it owns no volume; issue 14)", () => {
            for (const b of [dev, prod]) {
                const operator = operatorOf(b);
                for (const ng of b.capture.ofType("aws:eks/nodeGroup:NodeGroup")) assert.ok(b.capture.dependsOn(operator, ng), ng.name);
                for (const name of ["vpc-cni", "kube-proxy", "eks-pod-identity-agent"]) assert.ok(b.capture.dependsOn(operator, addon(b, name)), name);
                for (const late of [addon(b, "coredns"), addon(b, "aws-ebs-csi-driver"), b.capture.one("kubernetes:storage.k8s.io/v1:StorageClass"), b.capture.one("command:local:Command", "-cluster-volume-wait")]) {
                    assert.ok(!b.capture.dependsOn(operator, late), `the operator does not wait for ${late.name}`);
                }
            }
        });

        it("aliases each of its resources to its URN under the observability component, where it was until issue 14 (moved, not replaced)", () => {
            for (const b of [dev, prod]) {
                const stack = b.config.stack;
                const moved = b.capture.resources.filter((r) => r.aliases.length > 0);
                const was = (type: string, suffix: string) => `urn:pulumi:${stack}::platform::platform:observability:Observability$${type}::platform-${stack}-observability-${suffix}`;
                assert.deepEqual(moved.map((r) => [r.name, r.aliases]).sort(), [
                    [`platform-${stack}-cluster-eck-netpol-allow-dns`, [was("kubernetes:networking.k8s.io/v1:NetworkPolicy", "eck-netpol-allow-dns")]],
                    [`platform-${stack}-cluster-eck-netpol-allow-operator`, [was("kubernetes:networking.k8s.io/v1:NetworkPolicy", "eck-netpol-allow-operator")]],
                    [`platform-${stack}-cluster-eck-netpol-default-deny`, [was("kubernetes:networking.k8s.io/v1:NetworkPolicy", "eck-netpol-default-deny")]],
                    [`platform-${stack}-cluster-eck-ns`, [was("kubernetes:core/v1:Namespace", "eck-ns")]],
                    [`platform-${stack}-cluster-eck-operator`, [was("kubernetes:helm.sh/v3:Release", "eck-operator")]],
                ], stack);
            }
        });

        it("outlives every Elastic resource on destroy: eck-stack and the Beat depend on it, and it goes before the nodes", () => {
            for (const b of [dev, prod]) {
                const operator = operatorOf(b);
                const eckStack = b.capture.ofType(RELEASE).find((r) => r.inputs.name === "eck-stack")!;
                const beat = b.capture.one("kubernetes:beat.k8s.elastic.co/v1beta1:Beat");
                assert.ok(b.capture.dependsOn(eckStack, operator) && b.capture.dependsOn(beat, operator));
                assert.ok(!b.capture.dependsOn(operator, eckStack));
            }
        });
    });
});
