/**
 * Namespaces: Pod Security Admission labels and the CIS EKS benchmark's network-policy item. Written
 * for any stack that declares namespaces, including namespace-only review stacks on a shared cluster.
 */
import { resourcePolicy, show, stackPolicy, type PlatformPolicy } from "../lib";

const NAMESPACE = "kubernetes:core/v1:Namespace";
const NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy";
const LEVELS = ["privileged", "baseline", "restricted"];
const ENFORCE = "pod-security.kubernetes.io/enforce";

function namespaceName(r: { name: string; props: any }): string {
    return String(r.props.metadata?.name ?? r.name);
}

export const namespacePolicies: PlatformPolicy[] = [
    resourcePolicy({
        name: "k8s-namespace-pod-security-admission",
        control: "Pod Security Admission; CIS EKS 4.2 (pod security policies)",
        description: "Every namespace states the Pod Security level the API server enforces in it.",
        level: "mandatory",
        scope: "all",
        severity: "high",
        types: [NAMESPACE],
        checks: [{
            id: "enforce-label",
            rule: `metadata.labels["${ENFORCE}"] is one of ${LEVELS.join(", ")}`,
            test: (p) => LEVELS.includes(p.metadata?.labels?.[ENFORCE]) ? undefined
                : `label ${ENFORCE} is ${show(p.metadata?.labels?.[ENFORCE])}: the cluster default (privileged) applies. Fix: label the namespace (components' namespace helper sets restricted).`,
        }],
    }),
    resourcePolicy({
        name: "k8s-namespace-restricted",
        control: "Pod Security Standards restricted (namespace level)",
        description: "Namespaces enforce the restricted Pod Security level.",
        level: "advisory",
        scope: "all",
        reason: "node-agents enforces privileged by design: the node exporter needs hostNetwork, hostPID and hostPath, and Filebeat reads /var/log/containers from the host as root (issue 12 item 12 moved them there; every other namespace is restricted, test/observability/pod-security.test.ts). The finding on node-agents is expected; one anywhere else is not.",
        severity: "medium",
        types: [NAMESPACE],
        checks: [{
            id: "restricted",
            rule: `metadata.labels["${ENFORCE}"] is restricted`,
            test: (p) => p.metadata?.labels?.[ENFORCE] === "restricted" ? undefined
                : `namespace ${show(p.metadata?.name)} enforces ${show(p.metadata?.labels?.[ENFORCE])}. Fix: enforce restricted; a namespace holding only host agents (node exporter, log shipper: the platform's node-agents) needs privileged, and its finding is expected.`,
        }],
    }),
    stackPolicy({
        name: "k8s-namespace-network-policy",
        control: "CIS EKS 4.3.2 (all namespaces have network policies)",
        description: "Every namespace the program declares has at least one NetworkPolicy (a default deny, then what is allowed).",
        level: "mandatory",
        scope: "all",
        severity: "medium",
        checks: [{
            id: "network-policy",
            rule: `each ${NAMESPACE} has a ${NETWORK_POLICY} whose metadata.namespace is its name`,
            test: (resources) => {
                const covered = new Set(resources.filter((r) => r.type === NETWORK_POLICY).map((r) => String(r.props.metadata?.namespace ?? "default")));
                return resources.filter((r) => r.type === NAMESPACE && !covered.has(namespaceName(r)))
                    .map((r) => ({ urn: r.urn, message: `namespace ${namespaceName(r)} has no NetworkPolicy: every pod accepts traffic from every pod in the cluster. Fix: add a default-deny NetworkPolicy and allow what the namespace serves.` }));
            },
        }],
    }),
];
