/**
 * The tracing part of the observability stack: values of the `jaeger` chart 4.x (Jaeger v2, one
 * all-in-one Deployment built on the OpenTelemetry Collector).
 *
 * Chart facts (jaegertracing/helm-charts tag jaeger-4.11.1, charts/jaeger):
 * - `userconfig` replaces the whole Jaeger configuration (ConfigMap `user-config`, `--config`);
 *   the 3.x keys `allInOne`, `provisionDataStore`, `collector`, `query` no longer exist and would
 *   be ignored silently.
 * - the Service is named after the release (`jaeger.fullname`: release name when it contains the
 *   chart name): `jaeger`, with ports otlp-grpc 4317, otlp-http 4318, http-query 16686,
 *   internal-metrics 8888. There is no `jaeger-collector` Service in 4.x.
 * - probes hit `/status` on 13133: the healthcheckv2 extension must listen there.
 * - `storage.elasticsearch` only feeds the maintenance CronJobs (esIndexCleaner) through the
 *   `elasticsearch.env` helper: `url` → ES_SERVER_URLS, `user` → ES_USERNAME; `tls.enabled` is read
 *   only together with `tls.insecure` (→ ES_TLS_SKIP_HOST_VERIFY), so it is not set here: TLS and the
 *   CA reach the cleaner through its own `extraEnv`. The Jaeger server reads its Elasticsearch
 *   settings from `userconfig` alone.
 * - `jaeger.extraEnv`/`extraVolumes`/`extraVolumeMounts` reach the Jaeger container.
 * Config keys (jaegertracing/jaeger v2.19.0, internal/storage/elasticsearch/config/config.go):
 * `server_urls`, `auth.basic.{username,password}`, `tls.{insecure,ca_file}`,
 * `indices.<spans|services|dependencies|sampling>.{shards,replicas}`; `memory.max_traces`.
 */
import type { ObservabilityConfig } from "./config";
import { sized } from "../shared/kubernetes";
import { ELASTICSEARCH, ES_CA_FILE, ES_CA_VOLUME, esCaMount, esCaVolume, elasticsearchUrl } from "./logging";
import { ES_CLIENT_USERS, ES_PASSWORD_VAR, esPasswordEnv } from "./elasticsearch-users";

export const JAEGER = {
    release: "jaeger",
    /** The chart's Service: named after the release. */
    service: "jaeger",
    otlpGrpcPort: 4317,
    otlpHttpPort: 4318,
    queryPort: 16686,
    metricsPort: 8888,
    /** Traces kept by the in-memory store (bounded so the pod's memory is too). */
    memoryMaxTraces: 20000,
} as const;

export const TRACING_RESOURCES = {
    jaeger: { cpu: "100m", memory: { memory: 512, elasticsearch: 256 } },
    esIndexCleaner: { cpu: "50m", memoryMiB: 64 },
} as const;

/** Jaeger v2's own configuration (an OpenTelemetry Collector config with Jaeger's extensions). */
export function jaegerUserConfig(config: ObservabilityConfig, namespace: string): Record<string, unknown> {
    const replicas = config.elasticsearchNodeCount > 1 ? 1 : 0;
    const index = { shards: 1, replicas };
    const backend = config.jaegerStorage === "elasticsearch"
        ? {
            elasticsearch: {
                server_urls: [elasticsearchUrl(namespace)],
                // Its own writer user (elasticsearch-users.ts), not `elastic`.
                auth: { basic: { username: ES_CLIENT_USERS.jaeger.user, password: `\${env:${ES_PASSWORD_VAR}}` } },
                tls: { insecure: false, ca_file: ES_CA_FILE },
                indices: { spans: index, services: index, dependencies: index, sampling: index },
            },
        }
        : { memory: { max_traces: JAEGER.memoryMaxTraces } };
    return {
        service: {
            extensions: ["jaeger_storage", "jaeger_query", "healthcheckv2"],
            pipelines: { traces: { receivers: ["otlp"], processors: ["batch"], exporters: ["jaeger_storage_exporter"] } },
            telemetry: {
                resource: { "service.name": "jaeger" },
                metrics: { level: "detailed", readers: [{ pull: { exporter: { prometheus: { host: "0.0.0.0", port: JAEGER.metricsPort } } } }] },
                logs: { level: "info" },
            },
        },
        extensions: {
            healthcheckv2: { use_v2: true, http: { endpoint: "0.0.0.0:13133" } },
            jaeger_query: { storage: { traces: "primary_store" } },
            jaeger_storage: { backends: { primary_store: backend } },
        },
        // The collector's receivers listen on localhost unless told otherwise.
        receivers: {
            otlp: {
                protocols: {
                    grpc: { endpoint: `0.0.0.0:${JAEGER.otlpGrpcPort}` },
                    http: { endpoint: `0.0.0.0:${JAEGER.otlpHttpPort}` },
                },
            },
        },
        processors: { batch: {} },
        exporters: { jaeger_storage_exporter: { trace_storage: "primary_store" } },
    };
}

/** What Pod Security "restricted" needs beyond the chart's defaults, for the Jaeger pod and the index cleaner. */
const RESTRICTED_POD = { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } } as const;
const RESTRICTED_CONTAINER = { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } } as const;

/** Values of the jaeger chart. */
export function jaegerValues(config: ObservabilityConfig, namespace: string): Record<string, unknown> {
    const es = config.jaegerStorage === "elasticsearch";
    return {
        userconfig: jaegerUserConfig(config, namespace),
        jaeger: {
            replicas: 1,
            resources: sized({ cpu: TRACING_RESOURCES.jaeger.cpu, memoryMiB: TRACING_RESOURCES.jaeger.memory[config.jaegerStorage] }),
            extraEnv: es ? [esPasswordEnv("jaeger")] : [],
            extraVolumes: es ? [esCaVolume()] : [],
            extraVolumeMounts: es ? [esCaMount()] : [],
            // Pod Security "restricted": the chart (4.11.1 values.yaml) sets only the user and groups
            // (10001) on the pod and nothing on the container; Helm merges these over them.
            podSecurityContext: RESTRICTED_POD,
            securityContext: RESTRICTED_CONTAINER,
        },
        storage: {
            type: "elasticsearch",
            // Only the maintenance CronJob reads these (ES_USERNAME): the cleaner's own user.
            elasticsearch: { url: elasticsearchUrl(namespace), user: ES_CLIENT_USERS.jaegerCleaner.user },
        },
        // Trace retention: the chart's CronJob deletes daily indices older than the retention.
        esIndexCleaner: es
            ? {
                enabled: true,
                numberOfDays: config.traceRetentionDays,
                schedule: "55 23 * * *",
                resources: sized(TRACING_RESOURCES.esIndexCleaner),
                // The chart's defaults are `runAsUser: 1000` on pod and container only (see above).
                podSecurityContext: RESTRICTED_POD,
                securityContext: RESTRICTED_CONTAINER,
                // es-index-cleaner reads ES_* variables for its --es.* flags (viper, "." → "_").
                extraEnv: [
                    esPasswordEnv("jaegerCleaner"),
                    { name: "ES_TLS_ENABLED", value: "true" },
                    { name: "ES_TLS_CA", value: ES_CA_FILE },
                ],
                // The chart's own secret-mount format (one file by subPath) rather than esCaVolume()/esCaMount().
                extraSecretMounts: [{
                    name: ES_CA_VOLUME,
                    secretName: ELASTICSEARCH.caSecret,
                    mountPath: ES_CA_FILE,
                    subPath: ELASTICSEARCH.caKey,
                    readOnly: true,
                }],
            }
            : { enabled: false },
    };
}

/** OTLP endpoints the app exports to (OTLP/HTTP: the app's exporter appends /v1/traces). */
export function otlpEndpoints(namespace: string): { http: string; grpc: string } {
    const host = `${JAEGER.service}.${namespace}.svc`;
    return { http: `http://${host}:${JAEGER.otlpHttpPort}`, grpc: `http://${host}:${JAEGER.otlpGrpcPort}` };
}
