/**
 * NetworkPolicies of the app's namespace (issue 12 item 13): deny everything, then allow exactly
 * what the app and its migration Job use. Enforced by the VPC CNI's network policy agent
 * (components/cluster/addons.ts turns it on); the agent always admits the pod's own node, so the
 * kubelet's probes need no rule.
 *
 * - DNS: every pod, UDP and TCP 53 to CoreDNS in kube-system.
 * - The ALB (only with `app.internalIngress`): target-type ip, so the ALB's nodes connect to the
 *   pod IPs on the container port from their ENIs in the subnets the controller placed the
 *   internal ALB in (the private subnets, tagged kubernetes.io/role/internal-elb). A NetworkPolicy
 *   cannot select a load balancer or its security group (the API knows pods, namespaces and
 *   CIDRs), so the rule is an ipBlock per private subnet on the container port. With the VPC CNI
 *   pods take their addresses from the same subnets, so this rule also admits any pod of the
 *   cluster on that port, and only that port; fencing off the ALB alone would take Security
 *   Groups for Pods (the ALB's group in the pod's), which the platform does not use.
 * - Prometheus (observability namespace, its pods only) scrapes /metrics on the container port.
 * - The serving pods send OTLP to Jaeger (observability namespace) on 4317/4318, and reach Valkey
 *   on 6379; the serving pods and the migration Job reach PostgreSQL on 5432. RDS and ElastiCache
 *   live in the isolated subnets: ipBlocks of those subnets only (their addresses change on
 *   failover, their subnets do not).
 * - Nothing else: the app calls no Kubernetes or AWS API (no service account token, secrets as
 *   files synced by ESO, the flags ConfigMap mounted as a volume: none needs the network).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { POSTGRES_PORT } from "../data/database";
import { VALKEY_PORT } from "../data/cache";
import { denyAllButDns, namespaceByName as byName, tcpPorts as tcp, type NetworkPolicySpec } from "../shared/network-policy";
import { JAEGER } from "../observability/tracing";
import { APP_LABELS, CONTAINER_PORT } from "./pod";

/** The serving pods: the app's label, without the migration Job's pods. */
export const SERVING_PODS = {
    matchLabels: { ...APP_LABELS },
    matchExpressions: [{ key: "app.kubernetes.io/component", operator: "NotIn", values: ["migration"] }],
};
/** Every pod of the app that talks to PostgreSQL: the serving pods and the migration Job's. */
export const DATABASE_CLIENT_PODS = { matchLabels: { ...APP_LABELS } };
/** Prometheus' pods (prometheus-operator's label on the StatefulSet it makes). */
const PROMETHEUS_PODS = { matchLabels: { "app.kubernetes.io/name": "prometheus" } };

export interface AppNetworkPolicyArgs {
    /** Where the internal ALB's ENIs are (the private subnets' CIDRs); empty: no ALB targets the app. */
    readonly albSourceCidrs: readonly string[];
    /** Prometheus and Jaeger run here. */
    readonly observabilityNamespace: string;
    /** The isolated subnets' CIDRs: RDS PostgreSQL and ElastiCache Valkey. */
    readonly dataSubnetCidrs: readonly string[];
}


/** The policies, in creation order (the default deny first). */
export function appNetworkPolicies(a: AppNetworkPolicyArgs): NetworkPolicySpec[] {
    const dataSubnets = a.dataSubnetCidrs.map((cidr) => ({ ipBlock: { cidr } }));
    return [
        ...denyAllButDns(),
        {
            name: "allow-app-ingress",
            spec: {
                podSelector: SERVING_PODS,
                policyTypes: ["Ingress"],
                ingress: [
                    ...(a.albSourceCidrs.length > 0 ? [{ from: a.albSourceCidrs.map((cidr) => ({ ipBlock: { cidr } })), ports: tcp(CONTAINER_PORT) }] : []),
                    // /metrics is served on the app's port (app/src/server.ts).
                    { from: [{ ...byName(a.observabilityNamespace), podSelector: PROMETHEUS_PODS }], ports: tcp(CONTAINER_PORT) },
                ],
            },
        },
        {
            name: "allow-app-egress",
            spec: {
                podSelector: SERVING_PODS,
                policyTypes: ["Egress"],
                egress: [
                    { to: [{ ...byName(a.observabilityNamespace), podSelector: { matchLabels: { "app.kubernetes.io/instance": JAEGER.release } } }], ports: tcp(JAEGER.otlpGrpcPort, JAEGER.otlpHttpPort) },
                    { to: dataSubnets, ports: tcp(VALKEY_PORT) },
                ],
            },
        },
        {
            name: "allow-database-egress",
            spec: { podSelector: DATABASE_CLIENT_PODS, policyTypes: ["Egress"], egress: [{ to: dataSubnets, ports: tcp(POSTGRES_PORT) }] },
        },
    ];
}

export interface AppNetworkPoliciesArgs extends AppNetworkPolicyArgs {
    /** The app's namespace (ExternalSecrets.appNamespace: an output, so the policies follow it). */
    readonly namespace: pulumi.Input<string>;
}

/**
 * The app namespace's NetworkPolicies, on the cluster's provider (the `kubernetes` provider of
 * this component). The Workload depends on `policies`, so no app pod starts in a half-fenced
 * namespace (a default deny without its allow rules yet).
 */
export class AppNetworkPolicies extends pulumi.ComponentResource {
    public readonly policies: k8s.networking.v1.NetworkPolicy[];

    constructor(name: string, args: AppNetworkPoliciesArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:app:NetworkPolicies", name, {}, opts);
        this.policies = appNetworkPolicies(args).map((p) => new k8s.networking.v1.NetworkPolicy(`${name}-${p.name}`, {
            metadata: { name: p.name, namespace: args.namespace },
            spec: p.spec,
        }, { parent: this }));
        this.registerOutputs({});
    }
}
