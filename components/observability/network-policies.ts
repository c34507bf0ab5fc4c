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
 *   selector as its ServiceMonitor), Kibana `kibana.k8s.elastic.co/name: kibana` (ECK).
 */
import type * as k8s from "@pulumi/kubernetes";
import { KIBANA } from "./logging";
import { JAEGER } from "./tracing";

/** Where ECK's operator runs (it calls the Elasticsearch, Kibana and Logstash APIs). */
const ECK_OPERATOR_NAMESPACE = "elastic-system";
/** The prometheus-operator's admission webhook port (kube-prometheus-stack 88.5.3: prometheusOperator.tls.internalPort). */
export const OPERATOR_WEBHOOK_PORT = 10250;
export const GRAFANA_CONTAINER_PORT = 3000;

export interface NetworkPolicySpec {
    readonly name: string;
    readonly spec: k8s.types.input.networking.v1.NetworkPolicySpec;
}

const nsSelector = (name: string) => ({ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": name } } });
const tcp = (...ports: number[]) => ports.map((port) => ({ protocol: "TCP", port }));

export interface ObservabilityNetworkArgs {
    /** The VPC's CIDR: the EKS API endpoint's ENIs, the nodes, and the internal ALB live in it. */
    readonly vpcCidr: string;
    /** The app's namespace: it sends OTLP to Jaeger. */
    readonly appNamespace: string;
    /** Alertmanager sends to Slack or a webhook (HTTPS to the internet). */
    readonly alertReceiver: boolean;
    /** The internal ALB has Grafana and Kibana as ip targets. */
    readonly internalIngress: boolean;
}

/** The policies, in creation order (the default deny first). */
export function observabilityNetworkPolicies(a: ObservabilityNetworkArgs): NetworkPolicySpec[] {
    const vpc = { ipBlock: { cidr: a.vpcCidr } };
    const policies: NetworkPolicySpec[] = [
        { name: "default-deny", spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] } },
        {
            name: "allow-dns",
            spec: {
                podSelector: {},
                policyTypes: ["Egress"],
                egress: [{
                    to: [{ ...nsSelector("kube-system"), podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }],
                    ports: [{ protocol: "UDP", port: 53 }, { protocol: "TCP", port: 53 }],
                }],
            },
        },
        // Grafana to Prometheus, Jaeger and Elasticsearch; Kibana, Logstash, Jaeger and the ILM Job
        // to Elasticsearch; Filebeat to Logstash; Prometheus to the in-namespace exporters.
        {
            name: "allow-within-namespace",
            spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"], ingress: [{ from: [{ podSelector: {} }] }], egress: [{ to: [{ podSelector: {} }] }] },
        },
        // Operators, Grafana's sidecars, kube-state-metrics, Prometheus discovery and Filebeat
        // autodiscover: the API server's private endpoint ENIs are in the VPC.
        { name: "allow-api-server", spec: { podSelector: {}, policyTypes: ["Egress"], egress: [{ to: [vpc], ports: tcp(443) }] } },
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
        // Scrapes in every namespace, and the kubelets and node exporters (host network) of every node.
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
