/**
 * Building blocks of the platform's NetworkPolicies (every namespace it creates has a default
 * deny and its allow rules: observability/, data/, delivery/ and review/ network policies).
 * Enforced by the VPC CNI's network policy agent (components/cluster/addons.ts turns it on).
 */
import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";

/** A NetworkPolicy's name and spec; its namespace is where the caller creates it. */
export interface NetworkPolicySpec {
    readonly name: string;
    readonly spec: k8s.types.input.networking.v1.NetworkPolicySpec;
}

/** A peer: every pod of the namespace with this name (the label Kubernetes sets on every namespace). */
export function namespaceByName(name: pulumi.Input<string>) {
    return { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": name } } };
}

/** TCP ports of a rule. */
export function tcpPorts(...ports: number[]) {
    return ports.map((port) => ({ protocol: "TCP", port }));
}

/** The egress rule to CoreDNS in kube-system, UDP and TCP 53. */
export function dnsEgressRule() {
    return {
        to: [{ ...namespaceByName("kube-system"), podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }],
        ports: [{ protocol: "UDP", port: 53 }, { protocol: "TCP", port: 53 }],
    };
}

/** Where EKS Pod Identity's agent serves credentials on every node (docs: pod-id-how-it-works). */
export const POD_IDENTITY_AGENT = { cidr: "169.254.170.23/32", port: 80 } as const;

/**
 * Egress to the API server on 443: the `kubernetes` Service's ClusterIP, which in-cluster clients
 * dial (KUBERNETES_SERVICE_HOST), and its private endpoint's ENIs in the VPC. The VPC CNI's policy
 * agent matches a pod's egress before kube-proxy's DNAT, so it sees the ClusterIP, not the ENIs;
 * its controller adds ClusterIPs only for Services with a selector, and `kubernetes` has none
 * (amazon-network-policy-controller-k8s pkg/resolvers/endpoints.go, getMatchingServiceClusterIPs).
 * `kubernetesServiceCidr` is Cluster.apiServiceCidr (network/cidr.ts kubernetesServiceCidr).
 */
export function apiServerEgressRule(vpcCidr: string, kubernetesServiceCidr: pulumi.Input<string>) {
    return { to: [{ ipBlock: { cidr: kubernetesServiceCidr } }, { ipBlock: { cidr: vpcCidr } }], ports: tcpPorts(443) };
}

/**
 * The egress of a controller that calls AWS APIs with Pod Identity credentials: TCP 443 to any
 * address (the API server's private ENIs, and AWS endpoints through NAT, for which AWS publishes
 * no range a policy could name) and the node's Pod Identity agent.
 */
export function awsApiEgressRules() {
    return [
        { to: [{ ipBlock: { cidr: "0.0.0.0/0" } }], ports: tcpPorts(443) },
        { to: [{ ipBlock: { cidr: POD_IDENTITY_AGENT.cidr } }], ports: tcpPorts(POD_IDENTITY_AGENT.port) },
    ];
}

/** Prometheus' web port (prometheus-operator: container and Service port 9090). */
export const PROMETHEUS_PORT = 9090;
/** Prometheus' pods in any namespace (prometheus-operator's label). */
export const PROMETHEUS_PODS = { namespaceSelector: {}, podSelector: { matchLabels: { "app.kubernetes.io/name": "prometheus" } } };

/** The first two policies of a namespace: deny everything in both directions, then DNS for every pod. */
export function denyAllButDns(): NetworkPolicySpec[] {
    return [
        { name: "default-deny", spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] } },
        { name: "allow-dns", spec: { podSelector: {}, policyTypes: ["Egress"], egress: [dnsEgressRule()] } },
    ];
}

/**
 * A single-purpose namespace's policies: deny everything, DNS, then one policy `name` for every pod
 * of the namespace, with these ingress and egress rules (a controller's or an operator's namespace).
 */
export function denyAllButOne(name: string, rules: {
    ingress: k8s.types.input.networking.v1.NetworkPolicyIngressRule[];
    egress: k8s.types.input.networking.v1.NetworkPolicyEgressRule[];
}): NetworkPolicySpec[] {
    return [
        ...denyAllButDns(),
        { name, spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"], ingress: rules.ingress, egress: rules.egress } },
    ];
}

/**
 * The policies of an operator's namespace: deny everything, DNS, then `allow-operator`: the API
 * server's calls to its admission webhook (from the endpoint's ENIs in the VPC) and the operator's
 * own `egress` (the API server, AWS, what it manages).
 */
export function operatorNetworkPolicies(a: {
    vpcCidr: string;
    webhookPort: number;
    egress: k8s.types.input.networking.v1.NetworkPolicyEgressRule[];
}): NetworkPolicySpec[] {
    return denyAllButOne("allow-operator", { ingress: [{ from: [{ ipBlock: { cidr: a.vpcCidr } }], ports: tcpPorts(a.webhookPort) }], egress: a.egress });
}
