/**
 * The per-node agents that need host access, in a namespace of their own (issue 12 item 12): the
 * node exporter (host network and PID, the node's /, /proc and /sys as hostPath volumes) and
 * Filebeat (root, the node's /var/log/containers and /var/log/pods as hostPath volumes). Pod
 * Security "baseline" refuses both (host namespaces, hostPath), so their namespace is the only one
 * of the platform that is `privileged`; `observability` itself is `restricted`.
 *
 * How each gets there, at the pinned chart versions:
 * - node exporter: kube-prometheus-stack 88.5.3 passes `prometheus-node-exporter.namespaceOverride`
 *   to its subchart (prometheus-node-exporter 4.56.1, templates/_helpers.tpl
 *   `prometheus-node-exporter.namespace`), which puts the DaemonSet, Service, ServiceAccount and
 *   ServiceMonitor there. Prometheus selects ServiceMonitors in every namespace (metrics.ts).
 * - Filebeat: eck-stack 0.20.0's eck-beats subchart renders the Beat, its ServiceAccount and
 *   ClusterRoleBinding subject in the release's namespace and has no namespace override
 *   (elastic/cloud-on-k8s v3.5.0 deploy/eck-stack/charts/eck-beats/templates/beats.yaml), so the
 *   subchart is off and the Beat is declared here, with the RBAC the subchart would have made. It
 *   ships to Logstash (`output.logstash`), not to Elasticsearch: no `elasticsearchRef`, so ECK makes
 *   no cross-namespace association (no user, no CA Secret to copy). The ECK operator watches every
 *   namespace (eck-operator's `managedNamespaces` is left empty) and reconciles the Beat here.
 */
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { sized } from "../shared/kubernetes";
import { ELASTIC_STACK_VERSION, FILEBEAT, LOGGING_RESOURCES, LOGSTASH, NODE_AGENT_PRIORITY_CLASS } from "./logging";

/** The namespace of the host agents (Pod Security `privileged`). */
export const NODE_AGENTS_NAMESPACE = "node-agents";

/** The Beat's API (ECK 3.5.0 serves beat.k8s.elastic.co/v1beta1). */
export const BEAT_API_VERSION = "beat.k8s.elastic.co/v1beta1";

/** Logstash's beats Service as Filebeat reaches it from the agents' namespace. */
export function logstashBeatsHost(observabilityNamespace: string): string {
    return `${LOGSTASH.beatsService}.${observabilityNamespace}.svc:${LOGSTASH.beatsPort}`;
}

/** What Filebeat reads through the API server (autodiscover's kubernetes provider and metadata). */
export const FILEBEAT_CLUSTER_ROLE_RULES = [
    { apiGroups: [""], resources: ["namespaces", "pods", "nodes"], verbs: ["get", "watch", "list"] },
    { apiGroups: ["apps"], resources: ["replicasets"], verbs: ["get", "list", "watch"] },
    { apiGroups: ["batch"], resources: ["jobs"], verbs: ["get", "list", "watch"] },
];

/** The Beat's spec: Filebeat on every node, autodiscovering container logs, shipping to Logstash. */
export function filebeatSpec(observabilityNamespace: string): Record<string, unknown> {
    const r = LOGGING_RESOURCES;
    return {
        type: "filebeat",
        version: ELASTIC_STACK_VERSION,
        // From ECK's config/recipes/beats/filebeat_autodiscover.yaml (v3.5.0), output to Logstash.
        config: {
            "filebeat.autodiscover": {
                providers: [{
                    type: "kubernetes",
                    node: "${NODE_NAME}",
                    hints: {
                        enabled: true,
                        default_config: {
                            type: "filestream",
                            id: "kubernetes-container-logs-${data.kubernetes.pod.name}-${data.kubernetes.container.id}",
                            paths: ["/var/log/containers/*${data.kubernetes.container.id}.log"],
                            parsers: [{ container: {} }],
                            prospector: { scanner: { "fingerprint.enabled": true, symlinks: true } },
                            "file_identity.fingerprint": {},
                        },
                    },
                }],
            },
            // No add_cloud_metadata: it asks EC2's instance metadata service, which pods
            // cannot reach on AL2023 nodes (IMDSv2 hop limit 1, and Filebeat is not on the
            // host network); it would only add timeouts at start.
            processors: [{ add_host_metadata: {} }],
            // Logstash is in the observability namespace: the Service's namespaced name.
            "output.logstash": { hosts: [logstashBeatsHost(observabilityNamespace)] },
        },
        daemonSet: {
            podTemplate: {
                spec: {
                    serviceAccountName: FILEBEAT.name,
                    automountServiceAccountToken: true,
                    priorityClassName: NODE_AGENT_PRIORITY_CLASS.name,
                    // Every node, tainted ones included (the optional system node group is
                    // tainted NoSchedule): their pods' logs matter as much.
                    tolerations: [{ operator: "Exists", effect: "NoSchedule" }],
                    terminationGracePeriodSeconds: 30,
                    containers: [{
                        name: "filebeat",
                        // The container log files on the node are root-owned.
                        securityContext: { runAsUser: 0 },
                        resources: sized(r.filebeat),
                        env: [{ name: "NODE_NAME", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } }],
                        volumeMounts: [
                            { name: "varlogcontainers", mountPath: "/var/log/containers", readOnly: true },
                            { name: "varlogpods", mountPath: "/var/log/pods", readOnly: true },
                        ],
                    }],
                    volumes: [
                        { name: "varlogcontainers", hostPath: { path: "/var/log/containers" } },
                        { name: "varlogpods", hostPath: { path: "/var/log/pods" } },
                    ],
                },
            },
        },
    };
}

export interface FilebeatArgs {
    /** The agents' namespace (created by the caller, privileged). */
    readonly namespace: pulumi.Input<string>;
    /** Where Logstash runs. */
    readonly observabilityNamespace: string;
    /** The ECK operator's release (the Beat CRD and its webhook), the PriorityClass, the cluster. */
    readonly dependsOn: pulumi.Input<pulumi.Resource>[];
}

/**
 * Filebeat as the eck-beats subchart would make it (ServiceAccount, ClusterRole, ClusterRoleBinding,
 * Beat), in the agents' namespace. On destroy the Beat goes before the operator, which deletes the
 * DaemonSet it made.
 */
export function filebeat(name: string, args: FilebeatArgs, opts: { parent: pulumi.Resource }): k8s.apiextensions.CustomResource {
    const after = { ...opts, dependsOn: args.dependsOn };
    const labels = { "app.kubernetes.io/name": FILEBEAT.name, "app.kubernetes.io/part-of": "observability" };
    const account = new k8s.core.v1.ServiceAccount(`${name}-filebeat-sa`, {
        metadata: { name: FILEBEAT.name, namespace: args.namespace, labels },
    }, after);
    const role = new k8s.rbac.v1.ClusterRole(`${name}-filebeat-role`, {
        metadata: { name: `${FILEBEAT.name}-autodiscover`, labels },
        rules: FILEBEAT_CLUSTER_ROLE_RULES,
    }, after);
    const binding = new k8s.rbac.v1.ClusterRoleBinding(`${name}-filebeat-binding`, {
        metadata: { name: `${FILEBEAT.name}-autodiscover`, labels },
        subjects: [{ kind: "ServiceAccount", name: FILEBEAT.name, namespace: args.namespace }],
        roleRef: { kind: "ClusterRole", name: role.metadata.name, apiGroup: "rbac.authorization.k8s.io" },
    }, after);
    return new k8s.apiextensions.CustomResource(`${name}-filebeat`, {
        apiVersion: BEAT_API_VERSION,
        kind: "Beat",
        metadata: {
            name: FILEBEAT.name,
            namespace: args.namespace,
            labels,
            // What the eck-beats chart sets: the Beat runs under the basic licence.
            annotations: { "eck.k8s.elastic.co/license": "basic" },
        },
        spec: filebeatSpec(args.observabilityNamespace),
    }, { ...opts, dependsOn: [...args.dependsOn, account, binding] });
}
