/**
 * What fences a review namespace on the shared cluster: the namespace itself (Pod Security
 * restricted, labelled with its pull request), a ResourceQuota and LimitRange sized for one app
 * pod, its migration Job, one PostgreSQL instance and one Valkey, and NetworkPolicies (deny by
 * default; allow DNS, traffic inside the namespace, the ALB and Prometheus to the app, the app to
 * the trace collector, and the CloudNativePG operator to its instance).
 */
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { dnsEgressRule, namespaceByName, tcpPorts } from "../shared/network-policy";

/** The labels every object of a review namespace carries, and the namespace's selector. */
export function reviewLabels(stack: string): Record<string, string> {
    const pr = /^pr-(\d+)$/.exec(stack)?.[1];
    return {
        "app.kubernetes.io/part-of": "review-environment",
        "platform.review/stack": stack,
        ...(pr !== undefined ? { "platform.review/pull-request": pr } : {}),
    };
}

/**
 * The namespace's ceiling: the app (1 to maxReplicas pods of the app's request, plus a migration
 * Job and a surge pod during a rollout), PostgreSQL and Valkey, with room for one of each being
 * replaced. Requests equal limits for memory everywhere (the LimitRange fills in what a container
 * omits), so the quota's requests and limits are the same figures.
 */
export const REVIEW_QUOTA = {
    cpuRequests: "2",
    memory: "3Gi",
    pods: "10",
    persistentVolumeClaims: "2",
    storage: "4Gi",
    services: "6",
    loadBalancerServices: "0",
    nodePortServices: "0",
} as const;

/** Defaults for a container that says nothing (operators' pods do), and the largest one allowed. */
export const REVIEW_LIMITS = {
    defaultRequest: { cpu: "50m", memory: "128Mi" },
    default: { memory: "128Mi" },
    max: { cpu: "1", memory: "1Gi" },
} as const;

export interface IsolationArgs {
    /** The namespace's name: the stack name (pr-<number>). */
    readonly namespace: string;
    readonly labels: Record<string, string>;
    /** Where the ALB's traffic comes from (target-type ip: its nodes in the VPC): the VPC's CIDR. */
    readonly albSourceCidr: pulumi.Input<string>;
    /** The shared observability namespace (Prometheus scrapes from it, Jaeger receives in it). */
    readonly observabilityNamespace: pulumi.Input<string>;
    /** The CloudNativePG operator's namespace (it calls the instance's status port). */
    readonly operatorNamespace: pulumi.Input<string>;
    /** Label selector of the app's pods. */
    readonly appSelector: Record<string, string>;
    /** Label selector of the PostgreSQL instance pods. */
    readonly databaseSelector: Record<string, string>;
    /** The app's container port and the OTLP/HTTP port of the collector. */
    readonly appPort: number;
    readonly otlpPort: number;
}

/** The NetworkPolicies of a review namespace, by name: spec only (namespace and labels are added). */
export function reviewNetworkPolicies(a: IsolationArgs): Record<string, k8s.types.input.networking.v1.NetworkPolicySpec> {
    return {
        "default-deny": { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
        "allow-dns-and-namespace": {
            podSelector: {},
            policyTypes: ["Ingress", "Egress"],
            ingress: [{ from: [{ podSelector: {} }] }],
            egress: [
                { to: [{ podSelector: {} }] },
                dnsEgressRule(),
            ],
        },
        "allow-app": {
            podSelector: { matchLabels: a.appSelector },
            policyTypes: ["Ingress", "Egress"],
            ingress: [
                // The review ALB (target-type ip) and Prometheus (its ServiceMonitor scrape), on the app's port only.
                { from: [{ ipBlock: { cidr: a.albSourceCidr } }, namespaceByName(a.observabilityNamespace)], ports: tcpPorts(a.appPort) },
            ],
            egress: [{ to: [namespaceByName(a.observabilityNamespace)], ports: tcpPorts(a.otlpPort) }],
        },
        "allow-database-operator": {
            podSelector: { matchLabels: a.databaseSelector },
            policyTypes: ["Ingress", "Egress"],
            // The operator reads the instance manager's status (8000) and connects to PostgreSQL.
            ingress: [{ from: [namespaceByName(a.operatorNamespace)], ports: tcpPorts(8000, 5432) }],
            // The instance manager watches its Cluster through the Kubernetes API (EKS's endpoint
            // ENIs are in the VPC; the API server's address is not a pod selector).
            egress: [{ ports: tcpPorts(443) }],
        },
    };
}

/** The namespace and its fences; every later object of the stack depends on the namespace. */
export function isolation(name: string, a: IsolationArgs, opts: pulumi.CustomResourceOptions) {
    const ns = new k8s.core.v1.Namespace(`${name}-namespace`, {
        metadata: {
            name: a.namespace,
            labels: {
                ...a.labels,
                "pod-security.kubernetes.io/enforce": "restricted",
                "pod-security.kubernetes.io/warn": "restricted",
                "pod-security.kubernetes.io/audit": "restricted",
            },
        },
    }, opts);
    const inNs = { ...opts, dependsOn: [ns] };
    const metadata = (n: string) => ({ name: n, namespace: ns.metadata.name, labels: a.labels });
    const q = REVIEW_QUOTA;
    const quota = new k8s.core.v1.ResourceQuota(`${name}-quota`, {
        metadata: metadata("review"),
        spec: {
            hard: {
                "requests.cpu": q.cpuRequests,
                "requests.memory": q.memory,
                "limits.memory": q.memory,
                pods: q.pods,
                persistentvolumeclaims: q.persistentVolumeClaims,
                "requests.storage": q.storage,
                services: q.services,
                "services.loadbalancers": q.loadBalancerServices,
                "services.nodeports": q.nodePortServices,
            },
        },
    }, inNs);
    const limits = new k8s.core.v1.LimitRange(`${name}-limits`, {
        metadata: metadata("review"),
        spec: { limits: [{ type: "Container", ...REVIEW_LIMITS }] },
    }, inNs);
    const policies = Object.entries(reviewNetworkPolicies(a)).map(([policy, spec]) =>
        new k8s.networking.v1.NetworkPolicy(`${name}-${policy}`, { metadata: metadata(policy), spec }, inNs));
    return { namespace: ns, quota, limits, policies };
}
