/**
 * The Argo Rollouts controller (official argo/argo-rollouts chart, CHARTS.argoRollouts): runs the
 * app's canary and blue-green Rollouts (components/delivery/rollout.ts). Installed by the cluster
 * layer only when a strategy needs it (`platform:cluster.argoRollouts`, default: when
 * `platform:app.deliveryStrategy` is not "rolling").
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { CHARTS } from "../shared/charts";
import { helmRelease } from "../shared/helm";
import { sized } from "../shared/kubernetes";
import { PodIdentityRole } from "./pod-identity";
import { awsApiEgressRules, denyAllButOne, PROMETHEUS_PODS, PROMETHEUS_PORT, tcpPorts, type NetworkPolicySpec } from "../shared/network-policy";

/** The controller's metrics port (values.yaml `controller.containerPorts.metrics`, argo-helm argo-rollouts-2.41.0). */
export const ARGO_ROLLOUTS_METRICS_PORT = 8090;

/**
 * The controller's namespace NetworkPolicies: deny everything, then
 * - egress TCP 443 to any address: the API server (its private endpoint ENIs in the VPC) and the
 *   Elastic Load Balancing API for target-group verification (public, through NAT; AWS publishes no
 *   range a policy could name), and the Pod Identity agent for its credentials;
 * - egress to Prometheus on 9090: the controller itself runs the AnalysisRuns' queries
 *   (no pod of the app's namespace does);
 * - ingress from Prometheus on the metrics port (rollout_info, analysis_run_*).
 */
export function argoRolloutsNetworkPolicies(): NetworkPolicySpec[] {
    return denyAllButOne("allow-controller", {
        ingress: [{ from: [PROMETHEUS_PODS], ports: tcpPorts(ARGO_ROLLOUTS_METRICS_PORT) }],
        egress: [...awsApiEgressRules(), { to: [PROMETHEUS_PODS], ports: tcpPorts(PROMETHEUS_PORT) }],
    });
}

/** Its own namespace (Pod Security "restricted": the chart's default security contexts meet it). */
export const ARGO_ROLLOUTS_NAMESPACE = "argo-rollouts";
export const ARGO_ROLLOUTS_SERVICE_ACCOUNT = "argo-rollouts";

/**
 * Target-group verification (`controller.awsVerifyTargetGroup`): before a canary step counts, the
 * controller checks the ALB's target group really holds the new pods. It reads the load balancer,
 * nothing else (docs/features/traffic-management/alb.md, "Zero-Downtime Updates with AWS
 * TargetGroup Verification").
 */
export const ARGO_ROLLOUTS_POLICY = {
    Version: "2012-10-17",
    Statement: [{
        Sid: "VerifyTargetGroups",
        Effect: "Allow",
        Action: ["elasticloadbalancing:DescribeTargetGroups", "elasticloadbalancing:DescribeLoadBalancers", "elasticloadbalancing:DescribeListeners", "elasticloadbalancing:DescribeRules", "elasticloadbalancing:DescribeTags", "elasticloadbalancing:DescribeTargetHealth"],
        Resource: "*",
    }],
};

/** The labels of the chart's metrics Service (templates/controller/metrics-service.yaml, _helpers.tpl). */
export const ARGO_ROLLOUTS_METRICS_LABELS = {
    "app.kubernetes.io/component": "rollouts-controller",
    "app.kubernetes.io/name": "argo-rollouts",
    "app.kubernetes.io/instance": "argo-rollouts",
} as const;

export interface ArgoRolloutsArgs {
    readonly clusterName: pulumi.Input<string>;
    readonly region: string;
    /** Nodes and the cluster services (the load balancer controller the ALB canary drives). */
    readonly dependsOn: pulumi.Input<pulumi.Resource>[];
    readonly placement?: { readonly nodeSelector: Record<string, string>; readonly tolerations: unknown[] };
    /** The cluster's Kubernetes provider (the Cluster component is not one of its providers' parents). */
    readonly provider: k8s.Provider;
}

/** The chart's values (values.yaml at argo-helm argo-rollouts-2.41.0). */
export function argoRolloutsValues(region: string, placement?: ArgoRolloutsArgs["placement"]): Record<string, unknown> {
    return {
        // The CRDs come with the chart and stay on uninstall: deleting them would delete every Rollout.
        installCRDs: true,
        keepCRDs: true,
        // The chart's podSecurityContext (runAsNonRoot) and containerSecurityContext (no privilege
        // escalation, drop ALL, read-only root, RuntimeDefault seccomp) are restricted-compliant;
        // set here so an upstream default change shows in a diff.
        podSecurityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
        containerSecurityContext: {
            allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true,
            capabilities: { drop: ["ALL"] }, seccompProfile: { type: "RuntimeDefault" },
        },
        serviceAccount: { create: true, name: ARGO_ROLLOUTS_SERVICE_ACCOUNT },
        controller: {
            // Leader election: one active, one standby.
            replicas: 2,
            resources: sized({ cpu: "50m", memoryMiB: 256 }),
            // The metrics Service (rollout_info, rollout_phase, analysis_run_*). The chart's own
            // ServiceMonitor stays off: the cluster layer installs before the Prometheus Operator's
            // CRDs exist (observability), and helm would fail on the unknown kind. The delivery
            // layer declares the ServiceMonitor for ARGO_ROLLOUTS_METRICS_LABELS after those CRDs.
            metrics: { enabled: true, serviceMonitor: { enabled: false } },
            awsVerifyTargetGroup: true,
            extraArgs: ["--aws-region", region],
            ...(placement ? { nodeSelector: placement.nodeSelector, tolerations: placement.tolerations } : {}),
        },
        dashboard: { enabled: false },
        notifications: { secret: { create: false } },
    };
}

/** The controller's namespace, Pod Identity role (target-group verification) and release. */
export function argoRollouts(parent: pulumi.Resource, name: string, args: ArgoRolloutsArgs): k8s.helm.v3.Release {
    const namespace = new k8s.core.v1.Namespace(`${name}-argo-rollouts-ns`, {
        metadata: {
            name: ARGO_ROLLOUTS_NAMESPACE,
            labels: { "pod-security.kubernetes.io/enforce": "restricted", "pod-security.kubernetes.io/warn": "restricted" },
        },
    }, { parent, provider: args.provider, dependsOn: args.dependsOn });
    const role = new PodIdentityRole(`${name}-argo-rollouts`, {
        clusterName: args.clusterName,
        namespace: ARGO_ROLLOUTS_NAMESPACE,
        serviceAccount: ARGO_ROLLOUTS_SERVICE_ACCOUNT,
        policy: JSON.stringify(ARGO_ROLLOUTS_POLICY),
    }, { parent });
    const policies = argoRolloutsNetworkPolicies().map((p) => new k8s.networking.v1.NetworkPolicy(`${name}-argo-rollouts-${p.name}`, {
        metadata: { name: p.name, namespace: namespace.metadata.name },
        spec: p.spec,
    }, { parent, provider: args.provider, dependsOn: args.dependsOn }));
    return helmRelease(`${name}-argo-rollouts`, {
        chart: CHARTS.argoRollouts,
        releaseName: "argo-rollouts",
        namespace: namespace.metadata.name,
        timeoutSeconds: 300,
        values: argoRolloutsValues(args.region, args.placement),
    }, { parent, provider: args.provider, dependsOn: [namespace, role, ...policies, ...args.dependsOn] });
}
