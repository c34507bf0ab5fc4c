/**
 * The ECK operator (official eck-operator chart, CHARTS.eckOperator): the Elastic CRDs and the
 * operator that runs the Elasticsearch, Kibana, Logstash and Beat resources the observability
 * layer declares. A cluster-wide operator, so the cluster layer installs it, like Argo Rollouts:
 * as soon as the nodes exist, not after the storage the observability stack's volumes need (it
 * owns no volume). Elasticsearch's first answer, which Jaeger and the ILM Job wait for, is then
 * the eck-stack release plus the cluster's own start, not the operator's install on top (issue 14).
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { CHARTS } from "../shared/charts";
import { helmRelease } from "../shared/helm";
import { sized } from "../shared/kubernetes";
import { namespace as podSecurityNamespace } from "../shared/namespace";
import { apiServerEgressRule, namespaceByName, operatorNetworkPolicies, tcpPorts, type NetworkPolicySpec } from "../shared/network-policy";

/** Where the operator runs (Pod Security "restricted"). */
export const ECK_OPERATOR_NAMESPACE = "elastic-system";
/** How long Helm waits for the release (CRDs and the operator's StatefulSet); `atomic` rolls back past it. */
export const ECK_OPERATOR_RELEASE_TIMEOUT_SECONDS = 600;
/** The ECK operator's validating webhook port (eck-operator 3.5.0 values.yaml webhook.port). */
export const ECK_WEBHOOK_PORT = 9443;
/** The APIs the ECK operator calls: Elasticsearch, Kibana, Logstash (pkg/controller/logstash/network HTTPPort). */
export const ECK_MANAGED_PORTS = { elasticsearch: 9200, kibana: 5601, logstash: 9600 } as const;
/**
 * The operator's requests (the limit equals the memory request). The chart's default limit is
 * 1 GiB; the operator caches every watched object (Secrets, Pods, ...) cluster-wide, so below
 * 512 MiB it is OOM-killed as the cluster grows.
 */
export const ECK_OPERATOR_RESOURCES = { cpu: "100m", memoryMiB: 512 } as const;

/**
 * Lifetime of the CAs ECK generates (the self-signed HTTP CA of Elasticsearch among them). The
 * chart's default is one year (`caValidity: 8760h`, re-issued 24 h before expiry), and a new CA
 * breaks the clients that read the CA once at start: Grafana (the CA is an environment variable
 * provisioned into its data source) and Jaeger (`tls.ca_file` is read when its Elasticsearch
 * client is made; OpenTelemetry's configtls `reload_interval` reloads client certificates, not
 * the CA). Ten years instead, with the planned rotation in docs/observability.md ("Elasticsearch
 * CA"). Leaf certificates keep the one-year default: they are re-issued under the same CA, which
 * clients do not notice. Applies to CAs created after the operator has it (a fresh install).
 */
export const ECK_CA_VALIDITY = { caValidity: "87600h", caRotateBefore: "24h" } as const;

/** Values of the eck-operator chart (deploy/eck-operator/values.yaml at v3.5.0). */
export function eckOperatorValues(): Record<string, unknown> {
    return {
        installCRDs: true,
        // Merged over the chart's `config` map (its other keys keep their defaults).
        config: { ...ECK_CA_VALIDITY },
        resources: sized({ ...ECK_OPERATOR_RESOURCES, cpuLimit: 1 }),
        // The chart's default lacks a seccomp profile, which the `restricted` Pod Security level of
        // the operator's namespace requires.
        podSecurityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
    };
}

/**
 * The operator's namespace: it calls the API server and the APIs of what it manages in the
 * managed namespace (whose allow-eck-operator admits it there), and the API server calls its
 * validating webhook.
 */
export function eckOperatorNetworkPolicies(a: { vpcCidr: string; apiServiceCidr: pulumi.Input<string>; managedNamespace: string }): NetworkPolicySpec[] {
    const p = ECK_MANAGED_PORTS;
    return operatorNetworkPolicies({
        vpcCidr: a.vpcCidr,
        webhookPort: ECK_WEBHOOK_PORT,
        egress: [
            apiServerEgressRule(a.vpcCidr, a.apiServiceCidr),
            { to: [namespaceByName(a.managedNamespace)], ports: tcpPorts(p.elasticsearch, p.kibana, p.logstash) },
        ],
    });
}

export interface EckOperatorArgs {
    /** The VPC's CIDR: the API server's ENIs (which call the webhook) are in it. */
    readonly vpcCidr: string;
    /** The `kubernetes` Service's ClusterIP as a /32 (Cluster.apiServiceCidr): in-cluster clients reach the API server there. */
    readonly apiServiceCidr: pulumi.Input<string>;
    /** The namespace whose Elastic resources the operator manages (its egress reaches their APIs). */
    readonly managedNamespace: string;
    /** The nodes (node groups and the early add-ons): the operator's pod needs somewhere to run. */
    readonly dependsOn: pulumi.Input<pulumi.Resource>[];
    /** The cluster's Kubernetes provider. */
    readonly provider: k8s.Provider;
    /**
     * Where these resources were declared before the cluster layer took them (issue 14): the
     * component (`<project>-<stack>-observability`) whose children they were, under the same names
     * with its name as prefix. Aliased, an existing stack moves them in its state instead of
     * creating a second namespace and release beside the old ones and then deleting the old ones
     * (and with them, the namespace everything is in).
     */
    readonly previousParent?: { readonly name: string; readonly type: string };
}

/** The operator's namespace, its NetworkPolicies and the release. */
export function eckOperator(parent: pulumi.Resource, name: string, args: EckOperatorArgs): k8s.helm.v3.Release {
    const previous = args.previousParent;
    const previousParentUrn = previous ? pulumi.createUrn(previous.name, previous.type) : undefined;
    /** The resource's URN before the move, for a suffix and type. */
    const movedFrom = (suffix: string, type: string) =>
        previous && previousParentUrn ? { aliases: [pulumi.createUrn(`${previous.name}-${suffix}`, type, previousParentUrn)] } : {};
    const opts = { parent, provider: args.provider, dependsOn: args.dependsOn };
    const namespace = podSecurityNamespace(`${name}-eck-ns`, { name: ECK_OPERATOR_NAMESPACE, podSecurity: "restricted" },
        { ...opts, ...movedFrom("eck-ns", "kubernetes:core/v1:Namespace") });
    const policies = eckOperatorNetworkPolicies(args).map((p) =>
        new k8s.networking.v1.NetworkPolicy(`${name}-eck-netpol-${p.name}`, { metadata: { name: p.name, namespace: namespace.metadata.name }, spec: p.spec },
            { ...opts, ...movedFrom(`eck-netpol-${p.name}`, "kubernetes:networking.k8s.io/v1:NetworkPolicy") }));
    return helmRelease(`${name}-eck-operator`, {
        chart: CHARTS.eckOperator,
        releaseName: "eck-operator",
        namespace: namespace.metadata.name,
        values: eckOperatorValues(),
        timeoutSeconds: ECK_OPERATOR_RELEASE_TIMEOUT_SECONDS,
    }, { parent, provider: args.provider, dependsOn: [namespace, ...policies, ...args.dependsOn], ...movedFrom("eck-operator", "kubernetes:helm.sh/v3:Release") });
}
