import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { CHARTS } from "../shared/charts";
import type { ObservabilityConfig } from "./config";
import { helmRelease } from "../shared/helm";
import { awaitTimeouts, sized } from "../shared/kubernetes";
import { namespace, POD_READINESS_GATE_LABEL } from "../shared/namespace";
import {
    eckStackValues, NODE_AGENT_PRIORITY_CLASS, ELASTIC_STACK_VERSION, elasticsearchUrl, esCaMount, esCaVolume, ilmJobScript, KIBANA,
    logsCustomComponentTemplate, logsIlmPolicy, logsIndexSettings,
} from "./logging";
import {
    APP_RULES_NAMESPACE, GRAFANA_ADMIN_KEYS, KUBE_PROMETHEUS_STACK, kubePrometheusStackValues, loadAlertRuleGroups, loadDashboard,
} from "./metrics";
import { JAEGER, jaegerValues, otlpEndpoints } from "./tracing";
import { nodeAgentsNetworkPolicies, observabilityNetworkPolicies } from "./network-policies";
import type { NetworkPolicySpec } from "../shared/network-policy";
import { filebeat, NODE_AGENTS_NAMESPACE } from "./node-agents";
import { elasticsearchUserSecrets, esPasswordEnv, type EsClient } from "./elasticsearch-users";
import { alertReceiverDelivery, type AlertReceiverDeliveryArgs } from "./alert-receiver";
import { InputError } from "../config/engine";

/**
 * Namespaces of the stack: everything in `observability` (restricted), the host agents in
 * NODE_AGENTS_NAMESPACE (privileged: node-agents.ts). The ECK operator the logs need is the
 * cluster layer's (components/cluster/eck-operator.ts, in ECK_OPERATOR_NAMESPACE).
 */
/** How long the logs ILM Job may wait for Elasticsearch and apply the policy before it fails. */
export const LOGS_ILM_DEADLINE_SECONDS = 1800;

export const OBSERVABILITY_NAMESPACE = "observability";

/** How long Helm waits for each release (it rolls back past that: `atomic`). */
export const RELEASE_TIMEOUT_SECONDS = {
    // CRDs, the admission webhook's pre-install hook Job, operator, Prometheus, Grafana: 2-3 min
    // typically; Grafana also waits for the Elasticsearch Secrets ECK generates.
    kubePrometheusStack: 900,
    // In Elasticsearch mode Jaeger v2 pings Elasticsearch once at start and exits on failure; it
    // installs after the ILM Job (which waits for the cluster's health), but the first pull of
    // the image and the index templates it creates still take time on a fresh cluster.
    jaeger: 900,
    // Only custom resources and RBAC: Helm does not wait for Elasticsearch itself.
    eckStack: 600,
} as const;

export interface ObservabilityArgs {
    /** The validated `observability` section of the stack config. */
    readonly config: ObservabilityConfig;
    /** The cluster's default StorageClass (encrypted gp3) for every volume of the stack. */
    readonly storageClassName: string;
    /**
     * What must exist before any release installs and be removed only after they are gone: the
     * nodes, coredns, the EBS CSI driver and StorageClass (Cluster.nodesReady). Not the load
     * balancer controller: its Service mutator webhook is off and its pod webhook selects only
     * namespaces labelled for readiness gates, so no object here but the Ingresses needs it.
     */
    readonly dependsOn: pulumi.Input<pulumi.Resource>[];
    /**
     * What the optional internal Ingresses wait for and are deleted before (Cluster.servicesReady):
     * the load balancer controller, so the ALB it makes is gone before the subnets are.
     */
    readonly ingressDependsOn?: pulumi.Input<pulumi.Resource>[];
    /**
     * The stack's safety knob: Pulumi `protect` on the releases that hold data (kube-prometheus-stack,
     * eck-stack), and their volumes kept when the workloads go. False: everything destroys cleanly.
     */
    readonly protect: boolean;
    /** The VPC's CIDR, for the NetworkPolicies' rules to the API server, nodes and the internal ALB. */
    readonly vpcCidr: string;
    /** The `kubernetes` Service's ClusterIP as a /32 (Cluster.apiServiceCidr): in-cluster clients reach the API server there. */
    readonly apiServiceCidr: pulumi.Input<string>;
    /**
     * What delivering the alert receiver's URL from Secrets Manager needs (alert-receiver.ts):
     * required unless config.alertReceiver is "none".
     */
    readonly alertReceiverDelivery?: AlertReceiverDeliveryArgs;
    /** The Argo Rollouts controller's namespace when the cluster runs it: Prometheus admits its analysis queries. */
    readonly rolloutsNamespace?: string;
    /**
     * The ECK operator's release (Cluster.eckOperatorReady; the cluster layer installs it in
     * ECK_OPERATOR_NAMESPACE): eck-stack and the Beat need its CRDs and webhook, and are deleted
     * before it.
     */
    readonly eckOperatorReady: pulumi.Input<pulumi.Resource>[];
}

/**
 * Metrics, traces and logs of the platform's app, sized by config:
 * - kube-prometheus-stack: Prometheus (selects ServiceMonitors, PodMonitors and rules from every
 *   namespace; persistent gp3 volume), Alertmanager (receiver from config), Grafana (admin from a
 *   Pulumi-generated Secret; Prometheus, Jaeger and Elasticsearch data sources; the app dashboard
 *   from a ConfigMap), plus the app's PrometheusRule;
 * - Jaeger v2 receiving OTLP at `otlpHttpEndpoint`, storing in memory or in Elasticsearch;
 * - ECK: Elasticsearch, Kibana, Logstash and a Filebeat DaemonSet, with an ILM retention policy.
 * The app it watches is the one in namespace APP_RULES_NAMESPACE ("orders"): the alert rules, their
 * promtool tests and the dashboard (observability/) select it, and Logstash parses its JSON logs.
 * Kubernetes objects use the provider from `opts.providers.kubernetes`. Nothing here is needed by
 * the data tier or the app to start, so nothing outside should depend on it except what reads
 * its CRDs (`crdsReady`).
 */
export class Observability extends pulumi.ComponentResource {
    public readonly namespace: string;
    /** OTLP/HTTP endpoint for the app's trace exporter (OTEL_EXPORTER_OTLP_ENDPOINT). */
    public readonly otlpHttpEndpoint: string;
    /** The Secret holding Grafana's admin login (keys admin-user, admin-password); never an output value. */
    public readonly grafanaAdminSecretName: string;
    /** kubectl commands that open the UIs on localhost. */
    public readonly portForwardCommands: Readonly<Record<"grafana" | "prometheus" | "alertmanager" | "jaeger" | "kibana", string>>;
    /** Depend on these before creating ServiceMonitors, PodMonitors or PrometheusRules (their CRDs). */
    public readonly crdsReady: pulumi.Resource[];
    /** The PriorityClass of the node agents; what runs them (kube-prometheus-stack, the Beat) depends on it. */
    private nodeAgentPriority!: pulumi.Resource;
    /** The host agents' namespace; what puts objects there (kube-prometheus-stack, the Beat) depends on it. */
    private nodeAgentsNamespace!: pulumi.Resource;
    /** Each Elasticsearch client's user Secret and the roles Secret (elasticsearch-users.ts): eck-stack and each client wait for theirs. */
    private esUsers!: Record<EsClient | "roles", pulumi.Resource>;
    /** The awaited ExternalSecret of the alert receiver's URL (alert-receiver.ts); Alertmanager's release waits for it. */
    private alertReceiverSecret?: pulumi.Resource;

    constructor(name: string, args: ObservabilityArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:observability:Observability", name, {}, opts);
        // Before anything is created.
        if (args.eckOperatorReady.length === 0) {
            throw new InputError("observability", [{
                key: "eckOperatorReady argument", value: [],
                rule: "the ECK operator's release: eck-stack and the Beat need its CRDs and webhook, and are deleted before it",
                fix: "build the Cluster with eckOperator set and pass cluster.eckOperatorReady (components/platform.ts)",
            }]);
        }
        const ns = OBSERVABILITY_NAMESPACE;
        const afterCluster = { parent: this, dependsOn: args.dependsOn };

        // Every pod here meets Pod Security "restricted" (test/observability/pod-security.test.ts
        // checks each chart's pods at its pinned version); the node exporter and Filebeat, which need
        // host access, are in the agents' namespace, the only `privileged` one of the platform.
        // Namespaces wait for the cluster too: on destroy they go before the node groups and the EBS
        // CSI driver, which still have to delete the volumes of the claims Helm leaves behind.
        // With the internal ALB, Grafana and Kibana are its ip targets: readiness gates on. The
        // controller's pod webhook (failurePolicy Fail) then admits every pod here, so the labelled
        // namespace, and so everything in it, waits for the controller (ingressDependsOn).
        const observabilityNs = namespace(`${name}-ns`, {
            name: ns, podSecurity: "restricted", labels: args.config.internalIngress ? POD_READINESS_GATE_LABEL : undefined,
        }, args.config.internalIngress ? { parent: this, dependsOn: [...args.dependsOn, ...(args.ingressDependsOn ?? [])] } : afterCluster);
        const agentsNs = namespace(`${name}-node-agents-ns`, { name: NODE_AGENTS_NAMESPACE, podSecurity: "privileged" }, afterCluster);
        this.nodeAgentsNamespace = agentsNs;
        const nsName = observabilityNs.metadata.name;
        // The node agents' PriorityClass: the releases that run them wait for it (via this dependency).
        const nodeAgentPriority = new k8s.scheduling.v1.PriorityClass(`${name}-node-agent-priority`, {
            metadata: { name: NODE_AGENT_PRIORITY_CLASS.name },
            value: NODE_AGENT_PRIORITY_CLASS.value,
            globalDefault: false,
            preemptionPolicy: "PreemptLowerPriority",
            description: "Per-node log shipper and node-exporter: preempt workloads rather than stay Pending.",
        }, afterCluster);
        this.nodeAgentPriority = nodeAgentPriority;
        // Default deny, then what the stack needs (network-policies.ts), in each of its namespaces.
        const policies = (prefix: string, namespaceName: pulumi.Output<string>, specs: NetworkPolicySpec[]) => {
            for (const p of specs) new k8s.networking.v1.NetworkPolicy(`${prefix}-${p.name}`, { metadata: { name: p.name, namespace: namespaceName }, spec: p.spec }, afterCluster);
        };
        policies(`${name}-netpol`, nsName, observabilityNetworkPolicies({
            vpcCidr: args.vpcCidr, apiServiceCidr: args.apiServiceCidr, appNamespace: APP_RULES_NAMESPACE, nodeAgentsNamespace: NODE_AGENTS_NAMESPACE, rolloutsNamespace: args.rolloutsNamespace,
            alertReceiver: args.config.alertReceiver !== "none", internalIngress: args.config.internalIngress,
        }));
        policies(`${name}-node-agents-netpol`, agentsNs.metadata.name, nodeAgentsNetworkPolicies({ vpcCidr: args.vpcCidr, apiServiceCidr: args.apiServiceCidr, observabilityNamespace: ns }));

        this.grafanaAdminSecretName = "grafana-admin";
        this.esUsers = elasticsearchUserSecrets(name, nsName, afterCluster);
        this.alertReceiverSecret = this.alertReceiver(name, args, nsName, observabilityNs);
        const logs = this.logs(name, args, nsName);
        const kubePrometheusStack = this.metrics(name, args, nsName, logs.eckStack);
        this.traces(name, args, nsName, logs, kubePrometheusStack);
        if (args.config.internalIngress) this.internalIngresses(name, args, nsName, kubePrometheusStack, logs.eckStack);

        const esUrl = elasticsearchUrl(ns);
        this.namespace = ns;
        this.otlpHttpEndpoint = otlpEndpoints(ns).http;
        this.portForwardCommands = {
            grafana: `kubectl -n ${ns} port-forward svc/${KUBE_PROMETHEUS_STACK.grafanaService} 3000:80`,
            prometheus: `kubectl -n ${ns} port-forward svc/${KUBE_PROMETHEUS_STACK.prometheusService} 9090:9090`,
            alertmanager: `kubectl -n ${ns} port-forward svc/${KUBE_PROMETHEUS_STACK.alertmanagerService} 9093:9093`,
            jaeger: `kubectl -n ${ns} port-forward svc/${JAEGER.service} ${JAEGER.queryPort}:${JAEGER.queryPort}`,
            kibana: `kubectl -n ${ns} port-forward svc/${KIBANA.httpService} ${KIBANA.port}:${KIBANA.port}`,
        };
        this.crdsReady = [kubePrometheusStack];
        this.registerOutputs({
            namespace: this.namespace,
            otlpHttpEndpoint: this.otlpHttpEndpoint,
            elasticsearchUrl: esUrl,
            grafanaAdminSecretName: this.grafanaAdminSecretName,
        });
    }

    /** The alert receiver's URL from Secrets Manager (issue 12 item 10), unless alertReceiver is "none". */
    private alertReceiver(name: string, args: ObservabilityArgs, nsName: pulumi.Output<string>, ns: pulumi.Resource): pulumi.Resource | undefined {
        const c = args.config;
        if (c.alertReceiver === "none") return undefined;
        if (!args.alertReceiverDelivery) {
            throw new InputError("observability", [{ key: "alertReceiverDelivery argument", value: undefined, rule: `required while alertReceiver is "${c.alertReceiver}" (the cluster, region and External Secrets release the URL's delivery needs)`, fix: "pass alertReceiverDelivery from the composition (components/platform.ts)" }]);
        }
        return alertReceiverDelivery(name, {
            ...args.alertReceiverDelivery,
            secretsManagerName: c.alertReceiverSecretsManagerName,
            namespace: nsName,
            namespaceName: OBSERVABILITY_NAMESPACE,
            dependsOn: [ns, ...args.dependsOn],
        }, this);
    }

    /** Logs: after the cluster's ECK operator, Elasticsearch, Kibana, Logstash and Filebeat, then the ILM Job. */
    private logs(name: string, args: ObservabilityArgs, nsName: pulumi.Output<string>) {
        const c = args.config;
        const ns = OBSERVABILITY_NAMESPACE;
        const appNamespace = APP_RULES_NAMESPACE;
        const esUrl = elasticsearchUrl(ns);
        const eckOperator = args.eckOperatorReady;
        // The custom resources need the operator's CRDs and webhook; on destroy they go first, so
        // the operator is still there to finish deleting them. Holds the logs: protected with the stack.
        const eckStack = helmRelease(`${name}-eck-stack`, {
            chart: CHARTS.eckStack,
            releaseName: "eck-stack",
            namespace: nsName,
            values: eckStackValues({ config: c, storageClassName: args.storageClassName, protect: args.protect, appNamespace, namespace: ns }),
            timeoutSeconds: RELEASE_TIMEOUT_SECONDS.eckStack,
        }, { parent: this, dependsOn: [...eckOperator, ...Object.values(this.esUsers), ...args.dependsOn], protect: args.protect });
        // Filebeat in the agents' namespace (the chart's eck-beats is off): needs the operator's Beat CRD.
        filebeat(name, {
            namespace: NODE_AGENTS_NAMESPACE,
            observabilityNamespace: ns,
            dependsOn: [...eckOperator, this.nodeAgentPriority, this.nodeAgentsNamespace, ...args.dependsOn],
        }, { parent: this });

        // Log retention: Elasticsearch's API is the only way to define an ILM policy (ECK's
        // StackConfigPolicy needs an Enterprise licence). A Job re-runs whenever the policy changes
        // (its spec changes, so Pulumi replaces it). Pulumi waits for it to complete, and it
        // completes only once the cluster is at least yellow: what Jaeger needs before it starts.
        const logsIlm = new k8s.batch.v1.Job(`${name}-logs-ilm`, {
            metadata: {
                namespace: nsName,
                labels: { "app.kubernetes.io/name": "logs-ilm", "app.kubernetes.io/managed-by": "pulumi" },
                // A failed Job stays failed, and each later `pulumi up` would re-await that same Job
                // (an errored resource is updated with no diff) and fail again at once: with this the
                // provider replaces an unready Job, so the next `up` runs the script again.
                annotations: { "pulumi.com/replaceUnready": "true" },
            },
            spec: {
                backoffLimit: 4,
                activeDeadlineSeconds: LOGS_ILM_DEADLINE_SECONDS,
                template: {
                    spec: {
                        restartPolicy: "OnFailure",
                        securityContext: { runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: "RuntimeDefault" } },
                        containers: [{
                            name: "apply",
                            // The Elasticsearch image (curl included): the same the nodes pull for Elasticsearch.
                            image: `docker.elastic.co/elasticsearch/elasticsearch:${ELASTIC_STACK_VERSION}`,
                            command: ["/bin/bash", "-c", ilmJobScript()],
                            env: [
                                { name: "ES_URL", value: esUrl },
                                esPasswordEnv("logsLifecycle"),
                                { name: "ILM_POLICY", value: JSON.stringify(logsIlmPolicy(c.logRetentionDays)) },
                                { name: "COMPONENT_TEMPLATE", value: JSON.stringify(logsCustomComponentTemplate(c.elasticsearchNodeCount)) },
                                { name: "INDEX_SETTINGS", value: JSON.stringify(logsIndexSettings(c.elasticsearchNodeCount)) },
                            ],
                            resources: sized({ cpu: "10m", memoryMiB: 64, memoryLimitMiB: 128 }),
                            securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
                            volumeMounts: [esCaMount()],
                        }],
                        volumes: [esCaVolume()],
                    },
                },
            },
        }, {
            parent: this,
            // After eck-stack: the Job only retries until Elasticsearch answers (its pod waits for
            // ECK's password and CA Secrets), so starting it earlier gains nothing, and its
            // duration is then Elasticsearch's own start. Jaeger waits for it. Holds nothing: on
            // destroy it goes before eck-stack.
            dependsOn: [eckStack, this.esUsers.logsLifecycle, ...args.dependsOn],
            // Waits for Elasticsearch to come up (minutes after the chart) before it completes. Longer
            // than the Job's deadline, so a Job out of time fails with the provider's [DeadlineExceeded]
            // message rather than a bare timeout of its own.
            customTimeouts: awaitTimeouts(LOGS_ILM_DEADLINE_SECONDS, 5),
        });
        return { eckStack, logsIlm };
    }

    /** Metrics: Grafana's admin Secret, kube-prometheus-stack, the app's alert rules and dashboard. */
    private metrics(name: string, args: ObservabilityArgs, nsName: pulumi.Output<string>, eckStack: k8s.helm.v3.Release): k8s.helm.v3.Release {
        const c = args.config;
        const ns = OBSERVABILITY_NAMESPACE;
        const parent = { parent: this };
        const afterCluster = { parent: this, dependsOn: args.dependsOn };
        const appNamespace = APP_RULES_NAMESPACE;
        const grafanaPassword = new random.RandomPassword(`${name}-grafana-admin`, { length: 32, special: false }, parent);
        const grafanaAdmin = new k8s.core.v1.Secret(`${name}-grafana-admin`, {
            metadata: { name: "grafana-admin", namespace: nsName },
            type: "Opaque",
            stringData: { [GRAFANA_ADMIN_KEYS.user]: "admin", [GRAFANA_ADMIN_KEYS.password]: grafanaPassword.result },
        }, afterCluster);

        const kubePrometheusStack = helmRelease(`${name}-kube-prometheus-stack`, {
            chart: CHARTS.kubePrometheusStack,
            releaseName: KUBE_PROMETHEUS_STACK.release,
            namespace: nsName,
            values: kubePrometheusStackValues({
                config: c,
                namespace: ns,
                storageClassName: args.storageClassName,
                grafanaAdminSecretName: this.grafanaAdminSecretName,
                protect: args.protect,
                nodeAgentsNamespace: NODE_AGENTS_NAMESPACE,
            }),
            timeoutSeconds: RELEASE_TIMEOUT_SECONDS.kubePrometheusStack,
        }, {
            parent: this,
            // Grafana's pod reads the Elasticsearch Secrets (data source credentials and CA) that
            // ECK generates once the Elasticsearch resource exists.
            // The node exporter goes to the agents' namespace, at its PriorityClass.
            dependsOn: [grafanaAdmin, eckStack, this.esUsers.grafana, this.nodeAgentPriority, this.nodeAgentsNamespace, ...(this.alertReceiverSecret ? [this.alertReceiverSecret] : []), ...args.dependsOn],
            // Holds the metrics history (Prometheus' volume) on protected stacks.
            protect: args.protect,
        });

        new k8s.apiextensions.CustomResource(`${name}-app-alerts`, {
            apiVersion: "monitoring.coreos.com/v1",
            kind: "PrometheusRule",
            metadata: { name: `${appNamespace}-alerts`, namespace: nsName, labels: { "app.kubernetes.io/part-of": appNamespace } },
            spec: { groups: loadAlertRuleGroups() },
        }, { parent: this, dependsOn: [kubePrometheusStack] });

        new k8s.core.v1.ConfigMap(`${name}-app-dashboard`, {
            metadata: { name: `${appNamespace}-dashboard`, namespace: nsName, labels: { grafana_dashboard: "1" } },
            data: { [`${appNamespace}.json`]: loadDashboard() },
        }, afterCluster);
        return kubePrometheusStack;
    }

    /** Traces: Jaeger v2 and its ServiceMonitor. */
    private traces(name: string, args: ObservabilityArgs, nsName: pulumi.Output<string>, logs: { eckStack: k8s.helm.v3.Release; logsIlm: k8s.batch.v1.Job }, kubePrometheusStack: k8s.helm.v3.Release): void {
        const c = args.config;
        const ns = OBSERVABILITY_NAMESPACE;
        const { eckStack, logsIlm } = logs;
        const jaeger = helmRelease(`${name}-jaeger`, {
            chart: CHARTS.jaeger,
            releaseName: JAEGER.release,
            namespace: nsName,
            values: jaegerValues(c, ns),
            timeoutSeconds: RELEASE_TIMEOUT_SECONDS.jaeger,
        }, {
            parent: this,
            // In Elasticsearch mode Jaeger needs ECK's Secrets and a cluster that answers: Helm's wait
            // on eck-stack ends as soon as the Elasticsearch resource exists, and Jaeger v2 exits
            // (CrashLoopBackOff, then an atomic rollback) if its one ping at start fails. The ILM
            // Job completes only once the cluster health is yellow. In memory it needs nothing of ELK.
            dependsOn: c.jaegerStorage === "elasticsearch" ? [eckStack, logsIlm, this.esUsers.jaeger, this.esUsers.jaegerCleaner, ...args.dependsOn] : args.dependsOn,
        });
        // The chart has no ServiceMonitor of its own.
        new k8s.apiextensions.CustomResource(`${name}-jaeger-monitor`, {
            apiVersion: "monitoring.coreos.com/v1",
            kind: "ServiceMonitor",
            metadata: { name: "jaeger", namespace: nsName },
            spec: {
                selector: { matchLabels: { "app.kubernetes.io/instance": JAEGER.release, "app.kubernetes.io/component": "all-in-one" } },
                endpoints: [{ port: "internal-metrics", path: "/metrics", interval: "30s" }],
            },
        }, { parent: this, dependsOn: [kubePrometheusStack, jaeger] });
    }

    /** The optional internal ALB for Grafana and Kibana. */
    private internalIngresses(name: string, args: ObservabilityArgs, nsName: pulumi.Output<string>, kubePrometheusStack: k8s.helm.v3.Release, eckStack: k8s.helm.v3.Release): void {
        // Internal scheme: reachable from the VPC (VPN, bastion) only. Created after, and
        // deleted before, the load balancer controller (in args.dependsOn) so the ALB it makes
        // is gone before the subnets are.
        const ingress = (suffix: string, service: string, port: number, annotations: Record<string, string>, after: pulumi.Resource) =>
            new k8s.networking.v1.Ingress(`${name}-${suffix}-ingress`, {
                metadata: {
                    name: suffix,
                    namespace: nsName,
                    annotations: {
                        "alb.ingress.kubernetes.io/scheme": "internal",
                        "alb.ingress.kubernetes.io/target-type": "ip",
                        ...annotations,
                    },
                },
                spec: {
                    ingressClassName: "alb",
                    rules: [{ http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: service, port: { number: port } } } }] } }],
                },
            }, { parent: this, dependsOn: [after, ...args.dependsOn, ...(args.ingressDependsOn ?? [])] });
        ingress("grafana", KUBE_PROMETHEUS_STACK.grafanaService, 80, { "alb.ingress.kubernetes.io/healthcheck-path": "/api/health" }, kubePrometheusStack);
        ingress("kibana", KIBANA.httpService, KIBANA.port, {
            // Kibana serves HTTPS with ECK's self-signed certificate.
            "alb.ingress.kubernetes.io/backend-protocol": "HTTPS",
            "alb.ingress.kubernetes.io/healthcheck-path": "/login",
        }, eckStack);
    }
}
