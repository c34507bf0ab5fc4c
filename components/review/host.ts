/**
 * The host side of shared-mode review environments, on the dev stack: the CloudNativePG operator
 * (every review namespace's PostgreSQL), and the names review stacks read from this stack's
 * outputs (the review ALB's IngressGroup, the operator's namespace).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CHARTS } from "../shared/charts";
import { apiServerEgressRule, operatorNetworkPolicies, tcpPorts, type NetworkPolicySpec } from "../shared/network-policy";
import { helmRelease } from "../shared/helm";
import { namespace } from "../shared/namespace";
import { sized } from "../shared/kubernetes";
import type { ReviewEnvironmentsConfig } from "./config";

export const CNPG_NAMESPACE = "cnpg-system";
/** alb.ingress.kubernetes.io/group.name allows at most 63 characters. */
export const MAX_INGRESS_GROUP_LENGTH = 63;
/** The operator's webhook port (cloudnative-pg 0.29.0 values.yaml webhook.port). */
export const CNPG_WEBHOOK_PORT = 9443;

/**
 * The operator namespace's NetworkPolicies (issue 12 item 13): deny, DNS, then the API server's
 * calls to the webhook (from its endpoint ENIs in the VPC), the operator's calls to the API server,
 * and to each review namespace's instances (status 8000, PostgreSQL 5432), which their own
 * allow-database-operator policy admits (isolation.ts).
 */
export function cnpgOperatorNetworkPolicies(a: { vpcCidr: string; apiServiceCidr: pulumi.Input<string> }): NetworkPolicySpec[] {
    return operatorNetworkPolicies({
        vpcCidr: a.vpcCidr,
        webhookPort: CNPG_WEBHOOK_PORT,
        egress: [
            apiServerEgressRule(a.vpcCidr, a.apiServiceCidr),
            { to: [{ namespaceSelector: { matchLabels: { "app.kubernetes.io/part-of": "review-environment" } } }], ports: tcpPorts(8000, 5432) },
        ],
    });
}

/** The review ALB's IngressGroup: every review namespace's Ingress joins it (one ALB for all). */
export function reviewIngressGroupName(name: string): string {
    const group = `${name}-review`;
    if (group.length > MAX_INGRESS_GROUP_LENGTH) {
        throw new Error(`review host: the IngressGroup name "${group}" has ${group.length} characters, more than the load balancer controller's ${MAX_INGRESS_GROUP_LENGTH}: use a shorter project or stack name`);
    }
    return group;
}

export interface ReviewHostArgs {
    readonly config: ReviewEnvironmentsConfig;
    /** The platform's name (`<project>-<stack>`): the IngressGroup is `<platform>-review`. */
    readonly platformName: string;
    /** The VPC's CIDR (the API server's endpoint ENIs): for the operator namespace's NetworkPolicies. */
    readonly vpcCidr: string;
    /** The `kubernetes` Service's ClusterIP as a /32 (Cluster.apiServiceCidr): in-cluster clients reach the API server there. */
    readonly apiServiceCidr: pulumi.Input<string>;
    /** Installed after these (the nodes, storage, the load balancer controller's webhooks) and removed before them. */
    readonly dependsOn: pulumi.Input<pulumi.Resource>[];
}

/** The CloudNativePG operator and the review ALB group's name; the Kubernetes provider is the cluster's. */
export class ReviewHost extends pulumi.ComponentResource {
    public readonly operatorNamespace: string = CNPG_NAMESPACE;
    /** The IngressGroup name, when a domain is set. */
    public readonly ingressGroup?: string;
    public readonly domain?: string;

    constructor(name: string, args: ReviewHostArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:review:ReviewHost", name, {}, opts);
        const ns = namespace(`${name}-cnpg-namespace`, { name: CNPG_NAMESPACE, podSecurity: "restricted" }, { parent: this, dependsOn: args.dependsOn });
        helmRelease(`${name}-cnpg`, {
            chart: CHARTS.cloudnativePg,
            releaseName: "cnpg",
            namespace: ns.metadata.name,
            timeoutSeconds: 300,
            values: {
                crds: { create: true },
                // Watches every namespace: each review stack's Cluster lives in its own.
                config: { clusterWide: true },
                resources: sized({ cpu: "50m", memoryMiB: 256 }),
            },
        }, { parent: this, dependsOn: [ns, ...args.dependsOn] });
        for (const p of cnpgOperatorNetworkPolicies({ vpcCidr: args.vpcCidr, apiServiceCidr: args.apiServiceCidr })) {
            new k8s.networking.v1.NetworkPolicy(`${name}-netpol-${p.name}`, { metadata: { name: p.name, namespace: ns.metadata.name }, spec: p.spec }, { parent: this, dependsOn: args.dependsOn });
        }
        if (args.config.domain !== "") {
            this.ingressGroup = reviewIngressGroupName(args.platformName);
            this.domain = args.config.domain;
        }
        this.registerOutputs({ operatorNamespace: this.operatorNamespace, ingressGroup: this.ingressGroup });
    }
}
