import * as pulumi from "@pulumi/pulumi";
import { CHARTS } from "../shared/charts";
import type { ClusterConfig } from "./config";
import { helmRelease } from "../shared/helm";
import { sized } from "../shared/kubernetes";
import { PodIdentityRole } from "./pod-identity";
// The controller's published policy, committed verbatim (see components/cluster/policies/README.md).
import loadBalancerControllerPolicy from "./policies/aws-load-balancer-controller.json";

/** Namespace of both controllers: system-cluster-critical pods, next to the EKS add-ons. */
export const SERVICES_NAMESPACE = "kube-system";
export const LOAD_BALANCER_CONTROLLER_SERVICE_ACCOUNT = "aws-load-balancer-controller";
export const CLUSTER_AUTOSCALER_SERVICE_ACCOUNT = "cluster-autoscaler";

/**
 * The cluster autoscaler's minor must match the cluster's (its scheduler simulation is built from
 * that Kubernetes release). Latest patch per minor: kubernetes/autoscaler tags
 * cluster-autoscaler-1.35.2 and cluster-autoscaler-1.36.1 (2026-07-22).
 */
export const CLUSTER_AUTOSCALER_IMAGE_TAGS: Record<ClusterConfig["version"], string> = {
    "1.35": "v1.35.2",
    "1.36": "v1.36.1",
};

/**
 * Requests and limits of the two controllers (the charts default to `{}`: BestEffort pods, the
 * first evicted on a full node). Sized from their documented footprints: the LBC's reconcilers
 * and caches of Ingresses, Services, Endpoints and pods stay under 200Mi on a cluster this size;
 * the autoscaler's scheduler simulation holds every node and pod (its FAQ: ~300Mi to a few
 * hundred nodes).
 */
export const CLUSTER_SERVICES_RESOURCES = {
    loadBalancerController: { cpu: "50m", memoryMiB: 128, memoryLimitMiB: 256 },
    clusterAutoscaler: { cpu: "100m", memoryMiB: 300, memoryLimitMiB: 600 },
} as const;

/** The published IAM policy document of the AWS Load Balancer Controller (chart's app version). */
export const LOAD_BALANCER_CONTROLLER_POLICY: { Version: string; Statement: unknown[] } = loadBalancerControllerPolicy;

/**
 * The cluster autoscaler's policy: kubernetes/autoscaler cloudprovider/aws/README.md "Full Cluster
 * Autoscaler Features Policy", with the two writes limited to this cluster's node groups (EKS tags
 * a managed node group's Auto Scaling group `k8s.io/cluster-autoscaler/<cluster>=owned`).
 */
export function clusterAutoscalerPolicy(clusterName: string): { Version: string; Statement: Array<Record<string, unknown>> } {
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "Discover",
                Effect: "Allow",
                Action: [
                    "autoscaling:DescribeAutoScalingGroups",
                    "autoscaling:DescribeAutoScalingInstances",
                    "autoscaling:DescribeLaunchConfigurations",
                    "autoscaling:DescribeScalingActivities",
                    "ec2:DescribeImages",
                    "ec2:DescribeInstanceTypes",
                    "ec2:DescribeLaunchTemplateVersions",
                    "ec2:GetInstanceTypesFromInstanceRequirements",
                    "eks:DescribeNodegroup",
                ],
                Resource: "*",
            },
            {
                Sid: "ScaleOwnNodeGroups",
                Effect: "Allow",
                Action: ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"],
                Resource: "*",
                Condition: { StringEquals: { [`aws:ResourceTag/k8s.io/cluster-autoscaler/${clusterName}`]: "owned" } },
            },
        ],
    };
}

export interface ClusterServicesArgs {
    readonly clusterName: pulumi.Input<string>;
    readonly region: string;
    readonly vpcId: pulumi.Input<string>;
    readonly kubernetesVersion: ClusterConfig["version"];
    /** The platform's tags, for the load balancers, target groups and security groups the controller creates. */
    readonly tags: Readonly<Record<string, string>>;
    /** Node group(s) and the add-ons the controllers need: the releases wait for them. */
    readonly nodesReady: pulumi.Input<pulumi.Resource>[];
    /** Where the controllers' pods run (the system node group); anywhere when undefined. */
    readonly placement?: {
        readonly nodeSelector: Record<string, string>;
        readonly tolerations: Array<{ key: string; operator: string; value: string; effect: string }>;
    };
}

/**
 * The controllers that make AWS resources on the cluster's behalf, each with its own Pod Identity
 * role (AL2023 nodes keep pods off the node role):
 * - the AWS Load Balancer Controller (ALBs for Ingresses, NLBs for LoadBalancer Services);
 * - the cluster autoscaler (scales the managed node groups it discovers by tag).
 * Objects that make a controller create AWS resources (Ingress, LoadBalancer Service) depend on
 * `ready`, so Pulumi deletes them while the controller still runs to delete the load balancer: an
 * orphaned ALB and its security group would block deleting the VPC.
 */
export class ClusterServices extends pulumi.ComponentResource {
    public readonly ready: pulumi.Resource[];

    constructor(name: string, args: ClusterServicesArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:cluster:ClusterServices", name, {}, opts);
        const parent = { parent: this };
        // nodeSelector and tolerations are top-level values in both charts (values.yaml at the pinned tags).
        const placement = args.placement ? { nodeSelector: args.placement.nodeSelector, tolerations: args.placement.tolerations } : {};

        // -- AWS Load Balancer Controller ---------------------------------------------------------
        const lbcRole = new PodIdentityRole(`${name}-lbc`, {
            clusterName: args.clusterName,
            namespace: SERVICES_NAMESPACE,
            serviceAccount: LOAD_BALANCER_CONTROLLER_SERVICE_ACCOUNT,
            policy: JSON.stringify(LOAD_BALANCER_CONTROLLER_POLICY),
        }, parent);
        const lbc = helmRelease(`${name}-aws-load-balancer-controller`, {
            chart: CHARTS.awsLoadBalancerController,
            releaseName: "aws-load-balancer-controller",
            namespace: SERVICES_NAMESPACE,
            timeoutSeconds: 600,
            values: {
                clusterName: args.clusterName,
                // IMDS is one hop away from pods (hop limit 1): region and VPC cannot be
                // discovered from instance metadata, so they are set.
                region: args.region,
                vpcId: args.vpcId,
                serviceAccount: { create: true, name: LOAD_BALANCER_CONTROLLER_SERVICE_ACCOUNT },
                replicaCount: 2,
                podDisruptionBudget: { maxUnavailable: 1 },
                // The provider's default tags do not reach what the controller creates.
                defaultTags: args.tags,
                // The Service mutator webhook intercepts every Service create (failurePolicy Fail):
                // with the controller down, no Service of any chart could be created. Off, a
                // LoadBalancer Service is the controller's only with spec.loadBalancerClass
                // service.k8s.aws/nlb (values.yaml at v3.5.0: enableServiceMutatorWebhook).
                enableServiceMutatorWebhook: false,
                // values.yaml at v3.5.0: resources (top level).
                resources: sized(CLUSTER_SERVICES_RESOURCES.loadBalancerController),
                ...placement,
            },
        }, { parent: this, dependsOn: [...args.nodesReady, lbcRole] });

        // -- Cluster autoscaler -------------------------------------------------------------------
        const caRole = new PodIdentityRole(`${name}-cluster-autoscaler`, {
            clusterName: args.clusterName,
            namespace: SERVICES_NAMESPACE,
            serviceAccount: CLUSTER_AUTOSCALER_SERVICE_ACCOUNT,
            policy: pulumi.output(args.clusterName).apply((n) => JSON.stringify(clusterAutoscalerPolicy(n))),
        }, parent);
        const autoscaler = helmRelease(`${name}-cluster-autoscaler`, {
            chart: CHARTS.clusterAutoscaler,
            releaseName: "cluster-autoscaler",
            namespace: SERVICES_NAMESPACE,
            timeoutSeconds: 300,
            values: {
                cloudProvider: "aws",
                awsRegion: args.region,
                // Finds the Auto Scaling groups tagged k8s.io/cluster-autoscaler/enabled and
                // k8s.io/cluster-autoscaler/<cluster> (EKS tags managed node groups so).
                autoDiscovery: { clusterName: args.clusterName },
                fullnameOverride: "cluster-autoscaler",
                rbac: { serviceAccount: { create: true, name: CLUSTER_AUTOSCALER_SERVICE_ACCOUNT } },
                image: { tag: CLUSTER_AUTOSCALER_IMAGE_TAGS[args.kubernetesVersion] },
                extraArgs: {
                    "balance-similar-node-groups": true,
                    expander: "least-waste",
                    // Every pod of the platform mounts an emptyDir (the app's /tmp, chart scratch
                    // and config volumes): with the default (true) no node running any of them is
                    // ever scaled down. All of them are scratch, rebuilt on the next node; the
                    // data lives on EBS claims, which the autoscaler still handles by zone, and
                    // PodDisruptionBudgets still bound evictions.
                    "skip-nodes-with-local-storage": false,
                },
                // values.yaml at cluster-autoscaler-chart-9.59.0: resources (top level).
                resources: sized(CLUSTER_SERVICES_RESOURCES.clusterAutoscaler),
                ...placement,
            },
        }, { parent: this, dependsOn: [...args.nodesReady, caRole] });

        this.ready = [lbc, autoscaler];
        this.registerOutputs({});
    }
}
