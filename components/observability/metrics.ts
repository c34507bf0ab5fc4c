/**
 * The metrics part of the observability stack: values of kube-prometheus-stack (Prometheus
 * Operator, Prometheus, Alertmanager, Grafana, kube-state-metrics, node exporter), the app's alert
 * rules and its Grafana dashboard (data files under observability/).
 *
 * Chart facts (prometheus-community/helm-charts tag kube-prometheus-stack-88.5.3,
 * charts/kube-prometheus-stack/values.yaml; Grafana subchart grafana-community 12.11.1):
 * - `prometheus.prometheusSpec.<kind>SelectorNilUsesHelmValues` defaults to true: Prometheus then
 *   selects only ServiceMonitors/PodMonitors/rules/probes/scrapeConfigs labelled with this
 *   release. False + empty selectors (and empty namespace selectors) selects them everywhere.
 * - `kubeControllerManager`, `kubeScheduler`, `kubeEtcd` are run by AWS on EKS and cannot be
 *   scraped; `kubeProxy` binds its metrics to 127.0.0.1:10249 in the EKS add-on's configuration
 *   (aws/containers-roadmap#657). Disabling a component also drops its default alert rules
 *   (templates/prometheus/rules-1.14/*.yaml are conditioned on `<component>.enabled`), so no
 *   `*Down` alert fires forever.
 * - `grafana.admin.existingSecret` + `userKey`/`passwordKey`: the admin login comes from a Secret.
 * - Dashboards: the sidecar loads ConfigMaps labelled `grafana_dashboard: "1"` from
 *   `searchNamespace` (ALL). Data sources: `additionalDataSources` (passed through `tpl`).
 * - `grafana.envValueFrom` injects Secret keys as environment variables, which Grafana expands in
 *   provisioned data sources (`$VAR`). Read once at start: a new Elasticsearch CA needs a restart
 *   (ECK_CA_VALIDITY in components/cluster/eck-operator.ts makes that a planned, once-a-decade event).
 * - Alertmanager `config` is merged over the chart's (its inhibit rules stay); `route` and
 *   `receivers` are replaced here. `alertmanagerSpec.secrets` mounts Secrets at
 *   /etc/alertmanager/secrets/<name>/.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import type { ObservabilityConfig } from "./config";
import { sized } from "../shared/kubernetes";
import { InputError } from "../config/engine";
import { ELASTICSEARCH, elasticsearchUrl, NODE_AGENT_PRIORITY_CLASS } from "./logging";
import { ES_CLIENT_USERS, ES_INDICES, ES_PASSWORD_VAR, esPasswordSecretKeyRef } from "./elasticsearch-users";
import { JAEGER } from "./tracing";
import { ALERT_RECEIVER_SECRET, ALERT_RECEIVER_URL_KEY } from "./alert-receiver";

export const KUBE_PROMETHEUS_STACK = {
    release: "kube-prometheus-stack",
    /** `<release>-grafana`, port 80. */
    grafanaService: "kube-prometheus-stack-grafana",
    /** `<release>-prometheus`, port 9090. */
    prometheusService: "kube-prometheus-stack-prometheus",
    /** `<release>-alertmanager`, port 9093. */
    alertmanagerService: "kube-prometheus-stack-alertmanager",
} as const;

/** Keys of the Grafana admin Secret (the chart's defaults for userKey/passwordKey). */
export const GRAFANA_ADMIN_KEYS = { user: "admin-user", password: "admin-password" } as const;

/** Data files (relative to the repository root). */
export const OBSERVABILITY_DIR = path.resolve(__dirname, "..", "..", "observability");
export const ALERT_RULES_FILE = path.join(OBSERVABILITY_DIR, "rules", "app-alerts.yaml");
export const DASHBOARD_FILE = path.join(OBSERVABILITY_DIR, "dashboards", "app.json");
/** The namespace the rules and dashboard select (`namespace="orders"` in every expression). */
export const APP_RULES_NAMESPACE = "orders";

/** Memory and CPU requests of the metrics pods (memory limits equal requests). */
export const METRICS_RESOURCES = {
    prometheusCpu: "200m",
    prometheusOperator: { cpu: "50m", memoryMiB: 128 },
    configReloader: { cpu: "10m", memoryMiB: 32 },
    alertmanager: { cpu: "20m", memoryMiB: 96 },
    grafana: { cpu: "100m", memoryMiB: 256 },
    /** Each of the two Grafana sidecars (dashboards, data sources). */
    grafanaSidecar: { cpu: "20m", memoryMiB: 96 },
    kubeStateMetrics: { cpu: "50m", memoryMiB: 128 },
    /** Per node (DaemonSet). */
    nodeExporter: { cpu: "20m", memoryMiB: 48 },
} as const;

const pvc = (storageClassName: string, sizeGiB: number) => ({
    volumeClaimTemplate: {
        spec: { storageClassName, accessModes: ["ReadWriteOnce"], resources: { requests: { storage: `${sizeGiB}Gi` } } },
    },
});

/** Alertmanager's routing: everything to the configured receiver, Watchdog/InfoInhibitor to nowhere. */
export function alertmanagerConfig(config: ObservabilityConfig): Record<string, unknown> {
    const secretDir = `/etc/alertmanager/secrets/${ALERT_RECEIVER_SECRET}`;
    const receivers: Record<string, unknown>[] = [{ name: "null" }];
    if (config.alertReceiver === "slack") {
        receivers.push({
            name: "slack",
            slack_configs: [{ api_url_file: `${secretDir}/${ALERT_RECEIVER_URL_KEY}`, channel: config.alertSlackChannel, send_resolved: true }],
        });
    } else if (config.alertReceiver === "webhook") {
        receivers.push({ name: "webhook", webhook_configs: [{ url_file: `${secretDir}/${ALERT_RECEIVER_URL_KEY}`, send_resolved: true }] });
    }
    return {
        route: {
            group_by: ["namespace", "alertname"],
            group_wait: "30s",
            group_interval: "5m",
            repeat_interval: "12h",
            receiver: config.alertReceiver === "none" ? "null" : config.alertReceiver,
            routes: [
                // Watchdog always fires (proves the pipeline works); InfoInhibitor only inhibits.
                { receiver: "null", matchers: ['alertname = "Watchdog"'] },
                { receiver: "null", matchers: ['alertname = "InfoInhibitor"'] },
            ],
        },
        receivers,
    };
}

/** Grafana data sources besides the chart's Prometheus (uid `prometheus`) and Alertmanager. */
export function grafanaDataSources(namespace: string): Record<string, unknown>[] {
    return [
        {
            name: "Jaeger",
            uid: "jaeger",
            type: "jaeger",
            access: "proxy",
            url: `http://${JAEGER.service}.${namespace}.svc:${JAEGER.queryPort}`,
            editable: false,
        },
        {
            name: "Elasticsearch (logs)",
            uid: "elasticsearch-logs",
            type: "elasticsearch",
            access: "proxy",
            url: elasticsearchUrl(namespace),
            basicAuth: true,
            // Its own reader user (elasticsearch-users.ts), not `elastic`.
            basicAuthUser: ES_CLIENT_USERS.grafana.user,
            editable: false,
            jsonData: {
                index: ES_INDICES.logsReadPattern,
                timeField: "@timestamp",
                logMessageField: "message",
                logLevelField: "app.level",
                tlsAuthWithCACert: true,
            },
            // Expanded by Grafana from the environment (grafana.envValueFrom below).
            secureJsonData: { basicAuthPassword: `$${ES_PASSWORD_VAR}`, tlsCACert: "$ES_CA_CERT" },
        },
    ];
}

export interface KubePrometheusStackValuesArgs {
    readonly config: ObservabilityConfig;
    readonly namespace: string;
    /** The default encrypted gp3 class of the cluster. */
    readonly storageClassName: string;
    /** The Secret with the Grafana admin login (keys GRAFANA_ADMIN_KEYS). */
    readonly grafanaAdminSecretName: string;
    /** Keep Prometheus' volume when its StatefulSet goes (the stack's `protect`). */
    readonly protect: boolean;
    /** The privileged namespace of the host agents, where the node exporter runs. */
    readonly nodeAgentsNamespace: string;
}

/** Values of kube-prometheus-stack. */
export function kubePrometheusStackValues(args: KubePrometheusStackValuesArgs): Record<string, unknown> {
    const c = args.config;
    const r = METRICS_RESOURCES;
    const grafanaPersistence = c.grafanaStorageGiB > 0;
    // Synced from Secrets Manager by alert-receiver.ts; the release waits for it.
    const alertReceiverSecrets = c.alertReceiver === "none" ? [] : [ALERT_RECEIVER_SECRET];
    // Review stacks delete the volume with the StatefulSet, so a destroyed stack leaves no EBS volume.
    const pvcRetention = args.protect
        ? { whenDeleted: "Retain", whenScaled: "Retain" }
        : { whenDeleted: "Delete", whenScaled: "Delete" };
    return {
        // Run by AWS on EKS or not reachable there (see the header).
        kubeControllerManager: { enabled: false },
        kubeScheduler: { enabled: false },
        kubeEtcd: { enabled: false },
        kubeProxy: { enabled: false },
        prometheus: {
            prometheusSpec: {
                serviceMonitorSelectorNilUsesHelmValues: false,
                podMonitorSelectorNilUsesHelmValues: false,
                ruleSelectorNilUsesHelmValues: false,
                probeSelectorNilUsesHelmValues: false,
                scrapeConfigSelectorNilUsesHelmValues: false,
                serviceMonitorSelector: {},
                serviceMonitorNamespaceSelector: {},
                podMonitorSelector: {},
                podMonitorNamespaceSelector: {},
                ruleSelector: {},
                ruleNamespaceSelector: {},
                probeSelector: {},
                probeNamespaceSelector: {},
                scrapeConfigSelector: {},
                scrapeConfigNamespaceSelector: {},
                retention: `${c.prometheusRetentionDays}d`,
                // Stop before the volume is full (a full volume stops ingestion altogether).
                retentionSize: `${Math.floor(c.prometheusStorageGiB * 0.85 * 1024)}MiB`,
                storageSpec: pvc(args.storageClassName, c.prometheusStorageGiB),
                persistentVolumeClaimRetentionPolicy: pvcRetention,
                resources: sized({ cpu: r.prometheusCpu, memoryMiB: c.prometheusMemoryMiB }),
            },
        },
        prometheusOperator: {
            resources: sized(r.prometheusOperator),
            prometheusConfigReloader: { resources: sized(r.configReloader) },
        },
        alertmanager: {
            config: alertmanagerConfig(c),
            alertmanagerSpec: {
                resources: sized(r.alertmanager),
                secrets: alertReceiverSecrets,
                ...(c.alertmanagerStorageGiB > 0 ? { storage: pvc(args.storageClassName, c.alertmanagerStorageGiB) } : {}),
            },
        },
        grafana: {
            admin: {
                existingSecret: args.grafanaAdminSecretName,
                userKey: GRAFANA_ADMIN_KEYS.user,
                passwordKey: GRAFANA_ADMIN_KEYS.password,
            },
            persistence: grafanaPersistence
                ? { enabled: true, type: "pvc", storageClassName: args.storageClassName, accessModes: ["ReadWriteOnce"], size: `${c.grafanaStorageGiB}Gi` }
                : { enabled: false },
            // A ReadWriteOnce volume cannot attach to the new pod while the old one holds it.
            deploymentStrategy: { type: grafanaPersistence ? "Recreate" : "RollingUpdate" },
            resources: sized(r.grafana),
            // Pod Security "restricted" (grafana 12.11.1 values.yaml): the chart's init-chown-data
            // container runs as root with CHOWN whenever persistence is on; the pod's fsGroup 472
            // already gives the volume to Grafana's group. The chart's test pod (a `helm test` hook
            // with an empty securityContext) is never wanted here.
            initChownData: { enabled: false },
            testFramework: { enabled: false },
            sidecar: {
                resources: sized(r.grafanaSidecar),
                dashboards: { enabled: true, label: "grafana_dashboard", labelValue: "1", searchNamespace: "ALL" },
                datasources: { enabled: true, defaultDatasourceEnabled: true, uid: "prometheus" },
            },
            envValueFrom: {
                [ES_PASSWORD_VAR]: { secretKeyRef: esPasswordSecretKeyRef("grafana") },
                ES_CA_CERT: { secretKeyRef: { name: ELASTICSEARCH.caSecret, key: ELASTICSEARCH.caKey } },
            },
            additionalDataSources: grafanaDataSources(args.namespace),
        },
        "kube-state-metrics": { resources: sized(r.kubeStateMetrics) },
        // values.yaml of prometheus-node-exporter (4.56.1, subchart of 88.5.3): priorityClassName;
        // namespaceOverride puts its DaemonSet, Service and ServiceMonitor in the privileged
        // namespace of the host agents (node-agents.ts), so this release's own stays restricted.
        "prometheus-node-exporter": {
            namespaceOverride: args.nodeAgentsNamespace,
            resources: sized(r.nodeExporter),
            priorityClassName: NODE_AGENT_PRIORITY_CLASS.name,
        },
    };
}

/** The app's alert groups (observability/rules/app-alerts.yaml), for a PrometheusRule's spec. */
export function loadAlertRuleGroups(file = ALERT_RULES_FILE): unknown[] {
    const doc = parseYaml(fs.readFileSync(file, "utf8")) as { groups?: unknown[] };
    if (!Array.isArray(doc?.groups) || doc.groups.length === 0) {
        throw new InputError("metrics", [{ key: `${path.relative(process.cwd(), file)} groups`, value: doc?.groups, rule: "a non-empty `groups:` list (Prometheus rule file format)", fix: `add the alert groups under groups: in ${path.relative(process.cwd(), file)}` }]);
    }
    return doc.groups;
}

/** The app dashboard's JSON text (observability/dashboards/app.json), checked to parse. */
export function loadDashboard(file = DASHBOARD_FILE): string {
    const text = fs.readFileSync(file, "utf8");
    JSON.parse(text);
    return text;
}
