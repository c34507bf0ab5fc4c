/**
 * The logging half of the observability stack, as pure value builders (tested without a cluster):
 * Elastic Cloud on Kubernetes (ECK) operator, then the `eck-stack` chart with Elasticsearch,
 * Kibana, Logstash and a Filebeat DaemonSet as ECK resources, and the ILM policy that bounds how
 * long logs are kept.
 *
 * Log path: Filebeat (DaemonSet, every node, in the node-agents namespace: node-agents.ts) reads
 * /var/log/containers → Logstash (beats input on
 * 5044; parses the orders service's JSON lines into `app.*`) → Elasticsearch data stream
 * `logs-kubernetes-default` over HTTPS, as its own user `logstash-writer` (create_doc and
 * auto_configure on that data stream only). Every client has its own least-privilege user
 * (elasticsearch-users.ts, ECK's file realm and roles in `spec.auth`); none uses `elastic`.
 *
 * Chart facts (elastic/cloud-on-k8s tag v3.5.0, deploy/eck-stack):
 * - eck-stack renders `eck-elasticsearch.nodeSets` verbatim into the Elasticsearch resource; the data
 *   volume claim must be called `elasticsearch-data` or ECK adds its own 1 GiB default claim.
 * - a Logstash service `<name>` is exposed as `<logstash fullname>-ls-<name>`.
 * - Logstash has no `elasticsearchRefs`: an association would make ECK create its own user with
 *   the broad `eck_logstash_user_role` (manage/write/read on logs-*, metrics-*, traces-*, ...;
 *   pkg/controller/elasticsearch/user/roles.go). The pipeline reads ES_URL, ES_USER, ES_PASSWORD and
 *   the CA file from its pod template instead.
 * - `eck-elasticsearch.auth` is rendered verbatim as the Elasticsearch `spec.auth`
 *   (charts/eck-elasticsearch/templates/elasticsearch.yaml).
 * - Beats: exactly one of daemonSet/deployment; ECK names the DaemonSet `<name>-beat-filebeat`.
 */
import type { ObservabilityConfig } from "./config";
import { sized } from "../shared/kubernetes";
import { ECK_MANAGED_PORTS } from "../cluster/eck-operator";
import { ES_CLIENT_USERS, ES_INDICES, ES_PASSWORD_VAR, elasticsearchAuth, esPasswordEnv } from "./elasticsearch-users";

/**
 * The Elastic Stack version of every ECK resource (eck-stack 0.20.0's default). Upgrades are one-way.
 * The marker comment below is read by renovate.json's regex manager (keep it directly above).
 */
// renovate: datasource=docker depName=docker.elastic.co/elasticsearch/elasticsearch
export const ELASTIC_STACK_VERSION = "9.5.0";

/** Names fixed by the eck-stack values below and by ECK's naming of what it generates. */
export const ELASTICSEARCH = {
    /** The Elasticsearch resource (eck-stack's fullnameOverride). */
    name: "elasticsearch",
    /** ECK's HTTPS service: `<name>-es-http`. */
    httpService: "elasticsearch-es-http",
    /** ECK's generated superuser password: Secret `<name>-es-elastic-user`, key `elastic` (operators only; no client uses it). */
    userSecret: "elasticsearch-es-elastic-user",
    user: "elastic",
    /** ECK's self-signed HTTP CA (public part only): Secret `<name>-es-http-certs-public`, key `ca.crt`. */
    caSecret: "elasticsearch-es-http-certs-public",
    caKey: "ca.crt",
    /** ECK requires this claim name for the data volume (else it adds a default 1 GiB one). */
    dataClaim: "elasticsearch-data",
} as const;

/**
 * How every client pod of the stack (the ILM Job, Logstash, Jaeger and its index cleaner) reaches
 * Elasticsearch: its own user's password in ES_PASSWORD_VAR (esPasswordEnv(client); Grafana gets
 * its Secret key through its chart's `envValueFrom`), and ECK's CA mounted at ES_CA_DIR.
 * Where ECK's HTTP CA (ELASTICSEARCH.caSecret) is mounted; the certificate is ES_CA_FILE. */
export const ES_CA_DIR = "/es-ca";
export const ES_CA_FILE = `${ES_CA_DIR}/${ELASTICSEARCH.caKey}`;
/** The pod volume of that CA. */
export const ES_CA_VOLUME = "es-ca";
export function esCaVolume() {
    return { name: ES_CA_VOLUME, secret: { secretName: ELASTICSEARCH.caSecret } };
}
/** The container mount of esCaVolume() at ES_CA_DIR. */
export function esCaMount() {
    return { name: ES_CA_VOLUME, mountPath: ES_CA_DIR, readOnly: true };
}

export const KIBANA = { name: "kibana", httpService: "kibana-kb-http", port: ECK_MANAGED_PORTS.kibana } as const;
export const LOGSTASH = { name: "logstash", beatsService: "logstash-ls-beats", beatsPort: 5044 } as const;
export const FILEBEAT = { name: "filebeat" } as const;

/** The data stream the logs land in (Logstash's data_stream_* settings; the writer role names it). */
export const LOGS_DATA_STREAM = ES_INDICES.logs;
/** The ILM policy that deletes old logs, attached to every `logs-*-*` data stream through `logs@custom`. */
export const LOGS_ILM_POLICY = "platform-logs";

/** In-cluster HTTPS URL of Elasticsearch. */
export function elasticsearchUrl(namespace: string): string {
    return `https://${ELASTICSEARCH.httpService}.${namespace}.svc:9200`;
}

/**
 * The PriorityClass of the per-node agents (the log shipper and node-exporter): above every
 * workload (default 0), below the system classes (2e9), so on a full node the scheduler preempts
 * an app pod to place the agent instead of leaving it Pending (a node with no logs or metrics).
 */
export const NODE_AGENT_PRIORITY_CLASS = { name: "platform-node-agent", value: 1_000_000 } as const;

/** Memory and CPU requests of the logging pods (limits equal the memory requests: no overcommit). */
export const LOGGING_RESOURCES = {
    kibana: { cpu: "200m", memoryMiB: 1024 },
    logstash: { cpu: "250m", memoryMiB: 1024 },
    /** Per node (DaemonSet); ECK's own default for a Beat is 300Mi, below it Filebeat is OOM-killed under load. */
    filebeat: { cpu: "50m", memoryMiB: 300 },
    elasticsearchCpu: "500m",
} as const;

/**
 * Pod Security "restricted" for the ECK pods whose defaults fall short (Kibana, Logstash): the
 * Elastic images run as uid 1000 (ECK's defaultFsGroup/defaultFSUser 1000 at v3.5.0).
 */
export const ECK_RESTRICTED_POD_SECURITY = { fsGroup: 1000, runAsUser: 1000, runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } } as const;
export const ECK_RESTRICTED_CONTAINER_SECURITY = { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } } as const;

/** The Logstash pipeline: beats in, the app's JSON lines parsed, a data stream out over TLS. */
export function logstashPipeline(appNamespace: string): string {
    return [
        "input {",
        `  beats { port => ${LOGSTASH.beatsPort} }`,
        "}",
        "filter {",
        "  # The orders service writes one JSON object per line (pino): keep its fields under app.*",
        `  if [kubernetes][namespace] == "${appNamespace}" {`,
        '    json { source => "message" target => "app" skip_on_invalid_json => true }',
        '    if [app][time] { date { match => ["[app][time]", "ISO8601"] } }',
        "  }",
        "}",
        "output {",
        "  elasticsearch {",
        // Logstash expands ${VAR} from the pod's environment (logstashValues' podTemplate).
        '    hosts => [ "${ES_URL}" ]',
        '    user => "${ES_USER}"',
        `    password => "\${${ES_PASSWORD_VAR}}"`,
        `    ssl_certificate_authorities => "${ES_CA_FILE}"`,
        '    data_stream => "true"',
        // Only the one data stream its role may write: an event's own data_stream.* fields must
        // not route it elsewhere (the writer role would refuse it).
        '    data_stream_auto_routing => false',
        `    data_stream_type => "${LOGS_DATA_STREAM.type}"`,
        `    data_stream_dataset => "${LOGS_DATA_STREAM.dataset}"`,
        `    data_stream_namespace => "${LOGS_DATA_STREAM.namespace}"`,
        "  }",
        "}",
        "",
    ].join("\n");
}

export interface EckStackValuesArgs {
    readonly config: ObservabilityConfig;
    /** The default encrypted gp3 class of the cluster. */
    readonly storageClassName: string;
    /** Keep the Elasticsearch volumes when the cluster resource is deleted (the stack's `protect`). */
    readonly protect: boolean;
    /** Namespace of the app whose JSON logs are parsed into fields. */
    readonly appNamespace: string;
    /** The stack's namespace (Logstash's Elasticsearch URL). */
    readonly namespace: string;
}

/** Values of the eck-stack chart (deploy/eck-stack at v3.5.0): one sub-chart per part of the ELK stack. */
export function eckStackValues(args: EckStackValuesArgs): Record<string, unknown> {
    return {
        "eck-elasticsearch": elasticsearchValues(args),
        "eck-kibana": kibanaValues(),
        "eck-logstash": logstashValues(args),
        // The subchart renders the Beat in this release's namespace only: Filebeat (host access)
        // is declared in the privileged node-agents namespace instead (node-agents.ts).
        "eck-beats": { enabled: false },
    };
}

/** Elasticsearch: the nodeSets, their resources and data volumes. */
function elasticsearchValues(args: EckStackValuesArgs): Record<string, unknown> {
    const c = args.config;
    const r = LOGGING_RESOURCES;
    return {
        enabled: true,
        fullnameOverride: ELASTICSEARCH.name,
        version: ELASTIC_STACK_VERSION,
        // Review stacks drop their volumes with the cluster; protected stacks keep them.
        volumeClaimDeletePolicy: args.protect ? "DeleteOnScaledownOnly" : "DeleteOnScaledownAndClusterDeletion",
        // The clients' own users and roles (elasticsearch-users.ts).
        auth: elasticsearchAuth(),
        nodeSets: [{
            name: "default",
            count: c.elasticsearchNodeCount,
            // No privileged init container to raise vm.max_map_count: mmap off instead
            // (https://www.elastic.co/guide/en/cloud-on-k8s/current/k8s-virtual-memory.html).
            config: { "node.store.allow_mmap": false },
            // No securityContext on purpose: ECK 3.5.0's defaults for 9.x meet Pod Security
            // "restricted" (pod: fsGroup 1000, seccomp RuntimeDefault; every container: no privilege
            // escalation, drop ALL, runAsNonRoot; nodespec/podspec.go, securitycontext/securitycontext.go),
            // and any securityContext given here would replace them.
            podTemplate: {
                spec: {
                    containers: [{ name: "elasticsearch", resources: sized({ cpu: r.elasticsearchCpu, memoryGiB: c.elasticsearchMemoryGiB }) }],
                    // One node per zone where possible (EBS volumes are zonal).
                    topologySpreadConstraints: [{
                        maxSkew: 1,
                        topologyKey: "topology.kubernetes.io/zone",
                        whenUnsatisfiable: "ScheduleAnyway",
                        labelSelector: { matchLabels: { "elasticsearch.k8s.elastic.co/cluster-name": ELASTICSEARCH.name } },
                    }],
                },
            },
            volumeClaimTemplates: [{
                metadata: { name: ELASTICSEARCH.dataClaim },
                spec: {
                    accessModes: ["ReadWriteOnce"],
                    storageClassName: args.storageClassName,
                    resources: { requests: { storage: `${c.elasticsearchStorageGiB}Gi` } },
                },
            }],
        }],
    };
}

/** Kibana, reading the Elasticsearch cluster. */
function kibanaValues(): Record<string, unknown> {
    const r = LOGGING_RESOURCES;
    return {
        enabled: true,
        fullnameOverride: KIBANA.name,
        version: ELASTIC_STACK_VERSION,
        count: 1,
        elasticsearchRef: { name: ELASTICSEARCH.name },
        podTemplate: {
            spec: {
                // ECK 3.5.0 (pkg/controller/kibana/securitycontext.go) sets runAsUser 1000 but not
                // runAsNonRoot, which Pod Security "restricted" requires. A pod securityContext given
                // here replaces ECK's default one (WithPodSecurityContext applies only when unset),
                // so its fsGroup and seccomp profile are repeated. The containers keep ECK's defaults.
                securityContext: ECK_RESTRICTED_POD_SECURITY,
                containers: [{ name: "kibana", resources: sized(r.kibana) }],
            },
        },
    };
}

/** Logstash: the pipeline from Filebeat to Elasticsearch, its queue volume and heap. */
function logstashValues(args: EckStackValuesArgs): Record<string, unknown> {
    const r = LOGGING_RESOURCES;
    return {
        enabled: true,
        fullnameOverride: LOGSTASH.name,
        version: ELASTIC_STACK_VERSION,
        count: 1,
        // No elasticsearchRefs: its own user instead of ECK's association user (see the header).
        pipelines: [{ "pipeline.id": "main", "config.string": logstashPipeline(args.appNamespace) }],
        services: [{
            name: "beats",
            service: { spec: { type: "ClusterIP", ports: [{ name: "beats", port: LOGSTASH.beatsPort, targetPort: LOGSTASH.beatsPort, protocol: "TCP" }] } },
        }],
        // ECK's default queue volume uses the default class; say which, and its size.
        volumeClaimTemplates: [{
            metadata: { name: "logstash-data" },
            spec: { accessModes: ["ReadWriteOnce"], storageClassName: args.storageClassName, resources: { requests: { storage: "2Gi" } } },
        }],
        podTemplate: {
            spec: {
                // ECK 3.5.0 (pkg/controller/logstash/pod.go, initcontainer.go) sets only fsGroup and
                // seccomp on the pod and `privileged: false` on the init container: not "restricted".
                // Given here, the pod securityContext replaces ECK's; an init container named like
                // ECK's is merged with it (ours as the base: pkg/controller/common/defaults/pod_template.go).
                securityContext: ECK_RESTRICTED_POD_SECURITY,
                initContainers: [{ name: "logstash-internal-init-config", securityContext: ECK_RESTRICTED_CONTAINER_SECURITY }],
                containers: [{
                    name: "logstash",
                    securityContext: ECK_RESTRICTED_CONTAINER_SECURITY,
                    // Heap half the container (ECK's default heap is 1 GiB, too big for 1 GiB).
                    env: [
                        { name: "LS_JAVA_OPTS", value: `-Xms${r.logstash.memoryMiB / 2}m -Xmx${r.logstash.memoryMiB / 2}m` },
                        { name: "ES_URL", value: elasticsearchUrl(args.namespace) },
                        { name: "ES_USER", value: ES_CLIENT_USERS.logstash.user },
                        esPasswordEnv("logstash"),
                    ],
                    resources: sized(r.logstash),
                    volumeMounts: [esCaMount()],
                }],
                volumes: [esCaVolume()],
            },
        },
    };
}

/** The ILM policy: roll over daily (or at 10 GB per primary shard), delete after the retention. */
export function logsIlmPolicy(retentionDays: number): Record<string, unknown> {
    return {
        policy: {
            _meta: { description: "Container logs: managed by Pulumi (components/observability/logging.ts)" },
            phases: {
                hot: { actions: { rollover: { max_age: "1d", max_primary_shard_size: "10gb" } } },
                delete: { min_age: `${retentionDays}d`, actions: { delete: {} } },
            },
        },
    };
}

/**
 * `logs@custom`: the component template Elasticsearch's built-in `logs` index template (pattern
 * `logs-*-*`) includes for user settings. Attaches the policy; no replicas on a single node (a
 * replica can never be assigned there and would keep the cluster yellow).
 */
export function logsCustomComponentTemplate(nodeCount: number): Record<string, unknown> {
    return {
        template: {
            settings: {
                "index.lifecycle.name": LOGS_ILM_POLICY,
                "index.number_of_replicas": nodeCount > 1 ? 1 : 0,
            },
        },
        _meta: { description: "Managed by Pulumi (components/observability/logging.ts)" },
    };
}

/**
 * The dynamic index settings of `logs@custom`, also applied to backing indices that exist already:
 * Logstash may create `logs-kubernetes-default` before the Job has PUT the template, and that first
 * index would otherwise never get the policy (never deleted) and keep a replica on one node.
 */
export function logsIndexSettings(nodeCount: number): Record<string, unknown> {
    return (logsCustomComponentTemplate(nodeCount).template as { settings: Record<string, unknown> }).settings;
}

/**
 * The script of the Job that applies the ILM policy and template: waits for the cluster (the Job
 * may start before Elasticsearch is up), PUTs both, then applies the settings to the `logs-*-*`
 * data streams that already exist (none yet: Elasticsearch answers 200 to the wildcard, 404 is
 * tolerated too). Idempotent: PUT replaces. Reads ES_URL, ES_PASSWORD (ES_PASSWORD_VAR), ILM_POLICY,
 * COMPONENT_TEMPLATE and INDEX_SETTINGS from the environment, and the CA from ES_CA_FILE.
 */
export function ilmJobScript(): string {
    return [
        "set -eu",
        `auth="${ES_CLIENT_USERS.logsLifecycle.user}:\${${ES_PASSWORD_VAR}}"`,
        `until curl -sS --fail --cacert ${ES_CA_FILE} -u "$auth" "\${ES_URL}/_cluster/health?wait_for_status=yellow&timeout=30s" >/dev/null; do`,
        '  echo "waiting for Elasticsearch at ${ES_URL}"; sleep 10',
        "done",
        `curl -sS --fail --cacert ${ES_CA_FILE} -u "$auth" -X PUT -H 'Content-Type: application/json' "\${ES_URL}/_ilm/policy/${LOGS_ILM_POLICY}" -d "\${ILM_POLICY}"`,
        "echo",
        `curl -sS --fail --cacert ${ES_CA_FILE} -u "$auth" -X PUT -H 'Content-Type: application/json' "\${ES_URL}/_component_template/logs@custom" -d "\${COMPONENT_TEMPLATE}"`,
        "echo",
        'body=$(mktemp)',
        `code=$(curl -sS -o "$body" -w '%{http_code}' --cacert ${ES_CA_FILE} -u "$auth" -X PUT -H 'Content-Type: application/json' "\${ES_URL}/${ES_INDICES.logsManagedPattern}/_settings" -d "\${INDEX_SETTINGS}")`,
        'cat "$body"; echo',
        'case "$code" in 200|404) ;; *) echo "applying the settings to existing logs-*-* indices failed: HTTP $code"; exit 1 ;; esac',
        "",
    ].join("\n");
}
