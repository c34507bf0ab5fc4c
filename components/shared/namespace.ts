import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

/** Pod Security Admission levels (https://kubernetes.io/docs/concepts/security/pod-security-standards/). */
export type PodSecurityLevel = "restricted" | "baseline" | "privileged";

/**
 * A namespace with Pod Security Admission enforced at the given level. Application namespaces use
 * `restricted`; only agents that need host access (node exporter, log shippers) get `privileged`.
 */
export function namespace(name: string, args: { name: string; podSecurity: PodSecurityLevel }, opts: pulumi.CustomResourceOptions): k8s.core.v1.Namespace {
    return new k8s.core.v1.Namespace(name, {
        metadata: {
            name: args.name,
            labels: {
                "pod-security.kubernetes.io/enforce": args.podSecurity,
                "pod-security.kubernetes.io/warn": args.podSecurity,
                "pod-security.kubernetes.io/audit": args.podSecurity,
            },
        },
    }, opts);
}
