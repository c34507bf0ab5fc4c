import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

/** Pod Security Admission levels (https://kubernetes.io/docs/concepts/security/pod-security-standards/). */
export type PodSecurityLevel = "restricted" | "baseline" | "privileged";

/**
 * A namespace with Pod Security Admission enforced at the given level. Application namespaces use
 * `restricted`; only agents that need host access (node exporter, log shippers) get `privileged`.
 */
export function namespace(name: string, args: { name: string; podSecurity: PodSecurityLevel; labels?: Record<string, string> }, opts: pulumi.CustomResourceOptions): k8s.core.v1.Namespace {
    return new k8s.core.v1.Namespace(name, {
        metadata: {
            name: args.name,
            labels: {
                ...args.labels,
                "pod-security.kubernetes.io/enforce": args.podSecurity,
                "pod-security.kubernetes.io/warn": args.podSecurity,
                "pod-security.kubernetes.io/audit": args.podSecurity,
            },
        },
    }, opts);
}

/**
 * The AWS Load Balancer Controller's pod mutating webhook adds a target-health readiness gate to
 * the pods of this namespace that back an `ip` target group: a pod counts Ready only once the ALB
 * health check passes, so a rollout never removes the old pods before the new ones take traffic.
 * The webhook's failurePolicy is Fail: no pod of a labelled namespace is admitted while the
 * controller is down, so everything in such a namespace must depend on the controller (Cluster.ready).
 */
export const POD_READINESS_GATE_LABEL = { "elbv2.k8s.aws/pod-readiness-gate-inject": "enabled" } as const;
