/**
 * The observability layer: metrics (kube-prometheus-stack: Prometheus, Alertmanager, Grafana, the
 * app's alert rules and dashboard: metrics.ts), traces (Jaeger v2: tracing.ts), logs (ECK:
 * Elasticsearch, Kibana, Logstash: logging.ts), the host agents in their privileged namespace
 * (Filebeat's Beat, node-agents.ts), the NetworkPolicies of the stack's namespaces
 * (network-policies.ts), their composition and namespaces (observability.ts), and the
 * `platform:observability` config section (config.ts).
 */
export { Observability, OBSERVABILITY_NAMESPACE } from "./observability";
export { APP_RULES_NAMESPACE } from "./metrics";
export { observabilitySchema, type ObservabilityConfig } from "./config";
