/**
 * Every pod template a Kubernetes object can declare, in one shape, so the Pod Security Standards
 * checks are written once and apply to whatever the program (or a namespace-only review stack)
 * declares: Pods, Deployments, ReplicaSets, StatefulSets, DaemonSets, Jobs, CronJobs, Argo
 * Rollouts and CloudNativePG Clusters (whose pods the operator builds from a few spec fields).
 */
import { asArray } from "../lib";

export interface ContainerView {
    readonly name: string;
    /** "containers", "initContainers" or "ephemeralContainers". */
    readonly kind: string;
    readonly securityContext: any;
    readonly ports: any[];
}

export interface PodView {
    readonly spec: any;
    readonly securityContext: any;
    readonly containers: ContainerView[];
    readonly volumes: any[];
    /**
     * The operator fills in restricted-compliant values where the spec leaves them out (CNPG:
     * runAsNonRoot, seccomp RuntimeDefault, allowPrivilegeEscalation false, drop ALL); for plain
     * pod templates Kubernetes' own defaults are not restricted, so an unset field fails.
     */
    readonly secureDefaults: boolean;
}

/** Pulumi type -> where the pod template's spec sits in the object. */
const TEMPLATE_PATHS: Record<string, string[]> = {
    "kubernetes:core/v1:Pod": ["spec"],
    "kubernetes:apps/v1:Deployment": ["spec", "template", "spec"],
    "kubernetes:apps/v1:ReplicaSet": ["spec", "template", "spec"],
    "kubernetes:apps/v1:StatefulSet": ["spec", "template", "spec"],
    "kubernetes:apps/v1:DaemonSet": ["spec", "template", "spec"],
    "kubernetes:batch/v1:Job": ["spec", "template", "spec"],
    "kubernetes:batch/v1:CronJob": ["spec", "jobTemplate", "spec", "template", "spec"],
    "kubernetes:core/v1:ReplicationController": ["spec", "template", "spec"],
    // A Rollout with workloadRef has no template: the referenced Deployment carries it (and is checked).
    "kubernetes:argoproj.io/v1alpha1:Rollout": ["spec", "template", "spec"],
};
export const CNPG_CLUSTER = "kubernetes:postgresql.cnpg.io/v1:Cluster";
export const WORKLOAD_TYPES = [...Object.keys(TEMPLATE_PATHS), CNPG_CLUSTER];

function at(obj: any, path: string[]): any {
    let cur = obj;
    for (const key of path) {
        if (cur === undefined || cur === null) return undefined;
        cur = cur[key];
    }
    return cur;
}

/** The pod of a workload object, or undefined when it declares none (e.g. a Rollout with workloadRef). */
export function podOf(type: string, props: any): PodView | undefined {
    if (type === CNPG_CLUSTER) {
        const spec = props.spec ?? {};
        const pod = { ...(spec.podSecurityContext ?? {}) };
        if (spec.seccompProfile !== undefined) pod.seccompProfile = spec.seccompProfile;
        if (spec.postgresUID !== undefined && pod.runAsUser === undefined) pod.runAsUser = spec.postgresUID;
        return {
            spec: {},
            securityContext: pod,
            containers: [{ name: "postgres", kind: "containers", securityContext: spec.securityContext ?? {}, ports: [] }],
            volumes: [],
            secureDefaults: true,
        };
    }
    const path = TEMPLATE_PATHS[type];
    if (!path) return undefined;
    const spec = at(props, path);
    if (spec === undefined || spec === null) return undefined;
    const containers: ContainerView[] = [];
    for (const kind of ["containers", "initContainers", "ephemeralContainers"]) {
        for (const c of asArray<any>(spec[kind])) containers.push({ name: String(c.name ?? "?"), kind, securityContext: c.securityContext ?? {}, ports: asArray(c.ports) });
    }
    return { spec, securityContext: spec.securityContext ?? {}, containers, volumes: asArray(spec.volumes), secureDefaults: false };
}
