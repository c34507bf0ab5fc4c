/**
 * NetworkPolicies of the observability namespace: deny everything, then allow what the stack
 * needs. Enforced by the VPC CNI's network policy agent (components/cluster/addons.ts turns it
 * on). The agent always allows traffic to and from the pod's own node, so kubelet probes need no
 * rule (aws/aws-network-policy-agent#56, #65).
 *
 * Pod labels relied on (set by the operators or charts at the pinned versions):
 * - Prometheus `app.kubernetes.io/name: prometheus`, Alertmanager `app.kubernetes.io/name: alertmanager`
 *   (prometheus-operator), the operator `app: kube-prometheus-stack-operator` (chart), Grafana
 *   `app.kubernetes.io/name: grafana`, Jaeger `app.kubernetes.io/instance: jaeger` (the same
 *   selector as its ServiceMonitor), Kibana `kibana.k8s.elastic.co/name: kibana`, Logstash
 *   `logstash.k8s.elastic.co/name: logstash` and Filebeat `beat.k8s.elastic.co/name: filebeat`
 *   (ECK 3.5.0, pkg/controller/{kibana,logstash/labels,beat/common}).
 *
 * The node exporter runs on the host network: a NetworkPolicy does not apply to host-network pods
 * (Kubernetes leaves it undefined; the VPC CNI's agent attaches its eBPF programs to pod
 * interfaces, which host-network pods do not have), so the agents' namespace has no rule for it
 * and none could restrict it. Prometheus reaches it at the node's address (`<node IP>:9100`, in
 * the VPC CIDR), which allow-prometheus-scrapes admits, whichever namespace the DaemonSet is in.
 */
import type * as pulumi from "@pulumi/pulumi";
import { apiServerEgressRule, denyAllButDns, namespaceByName, PROMETHEUS_PORT, tcpPorts, type NetworkPolicySpec } from "../shared/network-policy";
import { ECK_OPERATOR_NAMESPACE } from "../cluster/eck-operator";
import { FILEBEAT, KIBANA, LOGSTASH } from "./logging";
import { JAEGER } from "./tracing";

const LOGSTASH_PODS = { matchLabels: { "logstash.k8s.elastic.co/name": LOGSTASH.name } };
const FILEBEAT_PODS = { matchLabels: { "beat.k8s.elastic.co/name": FILEBEAT.name } };
/** The prometheus-operator's admission webhook port (kube-prometheus-stack 88.5.3: prometheusOperator.tls.internalPort). */
export const OPERATOR_WEBHOOK_PORT = 10250;
export const GRAFANA_CONTAINER_PORT = 3000;

const nsSelector = namespaceByName;
const tcp = tcpPorts;

export interface ObservabilityNetworkArgs {
    /** The VPC's CIDR: the EKS API endpoint's ENIs, the nodes, and the internal ALB live in it. */
    readonly vpcCidr: string;
    /** The `kubernetes` Service's ClusterIP as a /32 (Cluster.apiServiceCidr): in-cluster clients reach the API server there. */
    readonly apiServiceCidr: pulumi.Input<string>;
    /** The app's namespace: it sends OTLP to Jaeger. */
    readonly appNamespace: string;
    /** Alertmanager sends to Slack or a webhook (HTTPS to the internet). */
    readonly alertReceiver: boolean;
    /** The internal ALB has Grafana and Kibana as ip targets. */
    readonly internalIngress: boolean;
    /** The host agents' namespace: Filebeat ships to Logstash from it. */
    readonly nodeAgentsNamespace: string;
    /** The Argo Rollouts controller's namespace, when installed: its AnalysisRuns query Prometheus. */
    readonly rolloutsNamespace?: string;
}

/** The policies, in creation order (the default deny first). */
export function observabilityNetworkPolicies(a: ObservabilityNetworkArgs): NetworkPolicySpec[] {
    const vpc = { ipBlock: { cidr: a.vpcCidr } };
    const policies: NetworkPolicySpec[] = [
        ...denyAllButDns(),
        // Grafana to Prometheus, Jaeger and Elasticsearch; Kibana, Logstash, Jaeger and the ILM Job
        // to Elasticsearch; Prometheus to the in-namespace exporters.
        {
            name: "allow-within-namespace",
            spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"], ingress: [{ from: [{ podSelector: {} }] }], egress: [{ to: [{ podSelector: {} }] }] },
        },
        // Operators, Grafana's sidecars, kube-state-metrics and Prometheus discovery: the API
        // server's private endpoint ENIs are in the VPC.
        { name: "allow-api-server", spec: { podSelector: {}, policyTypes: ["Egress"], egress: [apiServerEgressRule(a.vpcCidr, a.apiServiceCidr)] } },
        {
            name: "allow-eck-operator",
            spec: { podSelector: {}, policyTypes: ["Ingress"], ingress: [{ from: [nsSelector(ECK_OPERATOR_NAMESPACE)] }] },
        },
        {
            name: "allow-otlp-from-app",
            spec: {
                podSelector: { matchLabels: { "app.kubernetes.io/instance": JAEGER.release } },
                policyTypes: ["Ingress"],
                // Review environments (components/review/, label app.kubernetes.io/part-of on their
                // namespace) send their traces to this Jaeger too.
                ingress: [{ from: [nsSelector(a.appNamespace), { namespaceSelector: { matchLabels: { "app.kubernetes.io/part-of": "review-environment" } } }], ports: tcp(JAEGER.otlpGrpcPort, JAEGER.otlpHttpPort) }],
            },
        },
        // Filebeat, from the host agents' namespace, to Logstash's beats input only. Its pods by
        // label, not the whole namespace: the policy controller resolves a namespace-only peer to
        // every pod IP there, host-network ones included (node-exporter's are the nodes' addresses),
        // which would open the unauthenticated beats input to any process on any node.
        {
            name: "allow-logs-from-node-agents",
            spec: {
                podSelector: LOGSTASH_PODS,
                policyTypes: ["Ingress"],
                ingress: [{ from: [{ ...nsSelector(a.nodeAgentsNamespace), podSelector: FILEBEAT_PODS }], ports: tcp(LOGSTASH.beatsPort) }],
            },
        },
        // Scrapes in every namespace, and the kubelets and node exporters (host network: node IPs) of every node.
        {
            name: "allow-prometheus-scrapes",
            spec: {
                podSelector: { matchLabels: { "app.kubernetes.io/name": "prometheus" } },
                policyTypes: ["Egress"],
                egress: [{ to: [{ namespaceSelector: {} }] }, { to: [vpc], ports: tcp(9100, 10250) }],
            },
        },
        // The API server calls the operator's admission webhook (PrometheusRule validation).
        {
            name: "allow-operator-webhook",
            spec: {
                podSelector: { matchLabels: { app: "kube-prometheus-stack-operator" } },
                policyTypes: ["Ingress"],
                ingress: [{ from: [vpc], ports: tcp(OPERATOR_WEBHOOK_PORT) }],
            },
        },
    ];
    if (a.rolloutsNamespace) {
        policies.push({
            name: "allow-rollouts-analysis",
            spec: {
                podSelector: { matchLabels: { "app.kubernetes.io/name": "prometheus" } },
                policyTypes: ["Ingress"],
                ingress: [{ from: [nsSelector(a.rolloutsNamespace)], ports: tcp(PROMETHEUS_PORT) }],
            },
        });
    }
    if (a.alertReceiver) {
        policies.push({
            name: "allow-alertmanager-receiver",
            spec: {
                podSelector: { matchLabels: { "app.kubernetes.io/name": "alertmanager" } },
                policyTypes: ["Egress"],
                egress: [{ to: [{ ipBlock: { cidr: "0.0.0.0/0", except: [a.vpcCidr] } }], ports: tcp(443) }],
            },
        });
    }
    if (a.internalIngress) {
        // The ALB's targets are pod IPs: its nodes and health checks come from its subnets in the VPC.
        policies.push(
            { name: "allow-alb-grafana", spec: { podSelector: { matchLabels: { "app.kubernetes.io/name": "grafana" } }, policyTypes: ["Ingress"], ingress: [{ from: [vpc], ports: tcp(GRAFANA_CONTAINER_PORT) }] } },
            { name: "allow-alb-kibana", spec: { podSelector: { matchLabels: { "kibana.k8s.elastic.co/name": KIBANA.name } }, policyTypes: ["Ingress"], ingress: [{ from: [vpc], ports: tcp(KIBANA.port) }] } },
        );
    }
    return policies;
}

/** The host agents' namespace: Filebeat's egress (the node exporter is on the host network: see the header). */
export function nodeAgentsNetworkPolicies(a: { vpcCidr: string; apiServiceCidr: pulumi.Input<string>; observabilityNamespace: string }): NetworkPolicySpec[] {
    return [
        ...denyAllButDns(),
        // Autodiscover watches pods, namespaces and nodes: the API server's endpoint ENIs are in the VPC.
        { name: "allow-api-server", spec: { podSelector: FILEBEAT_PODS, policyTypes: ["Egress"], egress: [apiServerEgressRule(a.vpcCidr, a.apiServiceCidr)] } },
        {
            name: "allow-filebeat-to-logstash",
            spec: {
                podSelector: FILEBEAT_PODS,
                policyTypes: ["Egress"],
                egress: [{ to: [{ ...nsSelector(a.observabilityNamespace), podSelector: LOGSTASH_PODS }], ports: tcp(LOGSTASH.beatsPort) }],
            },
        },
    ];
}
