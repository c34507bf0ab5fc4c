import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as fs from "node:fs";
import * as path from "node:path";
import type { AppConfig } from "./config";
import { APP_BUILD_CONTEXT } from "./image";
import { sized } from "../shared/kubernetes";

/**
 * The app's name: the Deployment, its container, Service and labels. The alert rules and
 * dashboard (observability/) select `deployment="orders"`, `container="orders"`.
 */
export const APP_NAME = "orders";
export const APP_LABELS = { "app.kubernetes.io/name": APP_NAME } as const;
/** The port the app listens on (app/src/config.ts PORT default) and the Service's. */
export const CONTAINER_PORT = 8080;
export const SERVICE_PORT = 80;
export const PORT_NAME = "http";
/** The app's endpoints (app/src/server.ts). */
export const PATHS = { liveness: "/health/liveness", readiness: "/health/readiness", metrics: "/metrics" } as const;

/** Where the flags ConfigMap is mounted (a directory, not subPath: subPath mounts never update). */
export const FLAGS_DIR = "/etc/orders/flags";
export const FLAGS_FILE = `${FLAGS_DIR}/flags.json`;
export const FLAGS_SOURCE = path.join(APP_BUILD_CONTEXT, "flags", "flags.json");

/**
 * The password and the AUTH token are files from the synced Secret, not environment variables:
 * the kubelet updates a Secret volume when ESO re-syncs a rotated value, and the app re-reads the
 * file on every new connection; an environment variable would keep the old value until a restart.
 */
export const SECRETS_DIR = "/var/run/secrets/orders";
export const SECRET_FILES = { DATABASE_PASSWORD: "database-password", REDIS_AUTH_TOKEN: "redis-auth-token" } as const;
/** Keys of the synced Secret given as environment variables (not secret on their own). */
export const SECRET_ENV_KEYS = ["DATABASE_HOST", "DATABASE_PORT", "DATABASE_NAME", "DATABASE_USER", "DATABASE_SSL", "REDIS_URL"] as const;

/**
 * Shutdown timing. On SIGTERM readiness fails at once; the app keeps serving for the delay while
 * the endpoint is removed from the Service and the ALB target group, then drains, and exits by the
 * timeout (counted from SIGTERM). The kubelet's grace period is longer than both, so it never has
 * to SIGKILL a draining pod.
 */
export const SHUTDOWN_DELAY_MS = 5_000;
export const SHUTDOWN_TIMEOUT_MS = 20_000;
export function terminationGracePeriodSeconds(shutdownTimeoutMs: number, shutdownDelayMs: number): number {
    return Math.ceil((shutdownTimeoutMs + shutdownDelayMs) / 1000) + 5;
}

/** The app's database check must answer within READINESS_TIMEOUT_MS; the probe waits longer. */
export const READINESS_TIMEOUT_MS = 1_000;
export const PROBE_TIMEOUT_SECONDS = Math.ceil(READINESS_TIMEOUT_MS / 1000) + 1;

/** How long a migration may run before the Job (and so `pulumi up`) fails. */
export const MIGRATION_DEADLINE_SECONDS = 600;

/** app/flags/flags.json with the `new-checkout` default variant from config. */
export function flagDefinitions(flagsJson: string, newCheckoutDefaultVariant: "on" | "off"): string {
    const doc = JSON.parse(flagsJson);
    const flag = doc.flags?.["new-checkout"];
    if (!flag?.variants || !(newCheckoutDefaultVariant in flag.variants)) {
        throw new Error(`workload: ${FLAGS_SOURCE} has no new-checkout flag with a "${newCheckoutDefaultVariant}" variant`);
    }
    flag.defaultVariant = newCheckoutDefaultVariant;
    return `${JSON.stringify(doc, null, 2)}\n`;
}

/**
 * The PodDisruptionBudget: with one replica, maxUnavailable 1 (a budget that blocks nothing, or
 * node drains and EKS upgrades would hang); with more, all but one of the minimum stay up.
 */
export function disruptionBudget(minReplicas: number): { maxUnavailable: number } | { minAvailable: number } {
    return minReplicas >= 2 ? { minAvailable: minReplicas - 1 } : { maxUnavailable: 1 };
}

/** The container securityContext Pod Security "restricted" admits. */
export const RESTRICTED_CONTAINER_SECURITY = {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" },
};

export interface WorkloadArgs {
    /** The validated `app` section of the stack config. */
    readonly config: AppConfig;
    /** DEPLOYMENT_ENVIRONMENT of the pods (config.environment). */
    readonly environment: string;
    /** The app's namespace (Pod Security "restricted"), from ExternalSecrets. */
    readonly namespace: pulumi.Input<string>;
    /** The Secret ESO syncs there (APP_SECRET_KEYS). */
    readonly secretName: pulumi.Input<string>;
    /** The image to run, by digest (AppImage.repoDigest): a new push rolls the pods. */
    readonly image: pulumi.Input<string>;
    /** The image's immutable tag (plain): the migration Job is named after it, so each image migrates once. */
    readonly imageTag: string;
    /** OTLP/HTTP base URL of the trace collector. */
    readonly otlpEndpoint: pulumi.Input<string>;
    /**
     * Created before every object and deleted after them: Cluster.ready (nodes, metrics-server for
     * the HorizontalPodAutoscaler, the load balancer controller for the Ingress) and the
     * ExternalSecret the pods' Secret comes from.
     */
    readonly dependsOn: pulumi.Input<pulumi.Resource>[];
    /** The Prometheus Operator's CRDs (kube-prometheus-stack): the ServiceMonitor needs them. */
    readonly monitoringReady: pulumi.Input<pulumi.Resource>[];
    /** The numeric uid/gid the pods run as: the image's Dockerfile USER (AppImage.user). */
    readonly user: { readonly uid: number; readonly gid: number };
}

/**
 * The app on the cluster, in its namespace, all on the cluster's provider (passed as the
 * `kubernetes` provider of this component):
 * - a ServiceAccount without a token (the app calls no Kubernetes API);
 * - a ConfigMap with the flag definitions, updated in place (the app polls it; no restart);
 * - a migration Job per image (`node dist/migrate.js`), which the Deployment waits for;
 * - a Deployment whose replica count the HorizontalPodAutoscaler owns, Pod Security "restricted",
 *   secrets as files, probes on the app's health endpoints, spread across zones;
 * - a ClusterIP Service (80 → 8080 "http"), a HorizontalPodAutoscaler on CPU, a
 *   PodDisruptionBudget, a ServiceMonitor for Prometheus and optionally an internal ALB Ingress.
 */
export class Workload extends pulumi.ComponentResource {
    /** In-cluster URL of the Service. */
    public readonly serviceUrl: pulumi.Output<string>;
    /** The migration Job's name (`orders-migrate-<tag hash>`). */
    public readonly migrationJobName: string;
    /** The internal ALB's DNS name, when `internalIngress` is on. */
    public readonly ingressHostname?: pulumi.Output<string | undefined>;

    constructor(name: string, args: WorkloadArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:app:Workload", name, {}, opts);
        const c = args.config;
        if (c.deliveryStrategy !== "rolling") {
            throw new Error(`workload: deliveryStrategy ${JSON.stringify(c.deliveryStrategy)} is not implemented: pulumi config set --path 'platform:app.deliveryStrategy' rolling`);
        }
        const user = args.user;
        const after = { parent: this, dependsOn: args.dependsOn };
        const ns = args.namespace;

        const serviceAccount = new k8s.core.v1.ServiceAccount(`${name}-sa`, {
            metadata: { name: APP_NAME, namespace: ns, labels: APP_LABELS },
            automountServiceAccountToken: false,
        }, after);

        // A fixed name, not auto-named: a changed flag is an in-place update the running pods see
        // within FLAGS_POLL_INTERVAL_MS, not a new ConfigMap and a rollout.
        const flags = new k8s.core.v1.ConfigMap(`${name}-flags`, {
            metadata: { name: `${APP_NAME}-flags`, namespace: ns, labels: APP_LABELS },
            data: { "flags.json": flagDefinitions(fs.readFileSync(FLAGS_SOURCE, "utf8"), c.newCheckoutDefaultVariant) },
        }, after);

        const fromSecret = (key: string): k8s.types.input.core.v1.EnvVar =>
            ({ name: key, valueFrom: { secretKeyRef: { name: args.secretName, key } } });
        const env: k8s.types.input.core.v1.EnvVar[] = [
            ...SECRET_ENV_KEYS.map(fromSecret),
            { name: "DATABASE_PASSWORD_FILE", value: `${SECRETS_DIR}/${SECRET_FILES.DATABASE_PASSWORD}` },
            { name: "REDIS_AUTH_TOKEN_FILE", value: `${SECRETS_DIR}/${SECRET_FILES.REDIS_AUTH_TOKEN}` },
            { name: "OTEL_EXPORTER_OTLP_ENDPOINT", value: args.otlpEndpoint },
            { name: "OTEL_SERVICE_NAME", value: `${APP_NAME}-service` },
            // Traces and logs report the deployed image, not package.json's version.
            { name: "SERVICE_VERSION", value: args.imageTag },
            { name: "DEPLOYMENT_ENVIRONMENT", value: args.environment },
            { name: "LOG_LEVEL", value: c.logLevel },
            { name: "FLAGS_FILE", value: FLAGS_FILE },
            { name: "READINESS_TIMEOUT_MS", value: String(READINESS_TIMEOUT_MS) },
            { name: "SHUTDOWN_DELAY_MS", value: String(SHUTDOWN_DELAY_MS) },
            { name: "SHUTDOWN_TIMEOUT_MS", value: String(SHUTDOWN_TIMEOUT_MS) },
            // The migration Job runs first; replicas never migrate.
            { name: "MIGRATE_ON_START", value: "false" },
        ];
        const volumes: k8s.types.input.core.v1.Volume[] = [
            // The only writable path (readOnlyRootFilesystem).
            { name: "tmp", emptyDir: { sizeLimit: "64Mi" } },
            {
                name: "secrets",
                secret: {
                    secretName: args.secretName,
                    items: Object.entries(SECRET_FILES).map(([key, file]) => ({ key, path: file })),
                    // Readable by the pod's fsGroup (the app's gid) only.
                    defaultMode: 0o440,
                },
            },
            { name: "flags", configMap: { name: flags.metadata.name } },
        ];
        const volumeMounts = [
            { name: "tmp", mountPath: "/tmp" },
            { name: "secrets", mountPath: SECRETS_DIR, readOnly: true },
            { name: "flags", mountPath: FLAGS_DIR, readOnly: true },
        ];
        const podSecurity = {
            runAsNonRoot: true,
            runAsUser: user.uid,
            runAsGroup: user.gid,
            fsGroup: user.gid,
            seccompProfile: { type: "RuntimeDefault" },
        };
        const resources = sized({ cpu: `${c.cpuRequestMillicores}m`, memoryMiB: c.memoryMiB });
        const container = (containerName: string) => ({
            name: containerName,
            image: args.image,
            env,
            volumeMounts,
            resources,
            securityContext: { ...RESTRICTED_CONTAINER_SECURITY, runAsUser: user.uid, runAsGroup: user.gid },
        });

        // One Job per image: named after the tag, so a new image migrates once and an unchanged one
        // never again. Any other change replaces it (a Job's pod template is immutable). Pulumi
        // waits for it to complete; a failed migration stops the rollout.
        this.migrationJobName = `${APP_NAME}-migrate-${args.imageTag}`;
        const migration = new k8s.batch.v1.Job(`${name}-migrate`, {
            metadata: {
                name: this.migrationJobName,
                namespace: ns,
                labels: { ...APP_LABELS, "app.kubernetes.io/component": "migration" },
                // A failed Job would otherwise stay failed: the next `pulumi up` with the same image
                // sees no diff. With this the provider replaces an unready Job, so a database fix
                // followed by `pulumi up` re-runs the migration.
                annotations: { "pulumi.com/replaceUnready": "true" },
            },
            spec: {
                backoffLimit: 2,
                activeDeadlineSeconds: MIGRATION_DEADLINE_SECONDS,
                template: {
                    metadata: { labels: { ...APP_LABELS, "app.kubernetes.io/component": "migration" } },
                    spec: {
                        serviceAccountName: serviceAccount.metadata.name,
                        automountServiceAccountToken: false,
                        restartPolicy: "Never",
                        securityContext: podSecurity,
                        volumes,
                        containers: [{ ...container("migrate"), command: ["node", "dist/migrate.js"] }],
                    },
                },
            },
        }, {
            ...after,
            replaceOnChanges: ["spec"],
            deleteBeforeReplace: true,
            customTimeouts: { create: `${MIGRATION_DEADLINE_SECONDS / 60 + 5}m`, update: `${MIGRATION_DEADLINE_SECONDS / 60 + 5}m` },
        });

        const deployment = new k8s.apps.v1.Deployment(`${name}-deployment`, {
            metadata: { name: APP_NAME, namespace: ns, labels: APP_LABELS },
            spec: {
                // No replicas: the HorizontalPodAutoscaler owns the count (server-side apply leaves a
                // field Pulumi does not set to its owner).
                selector: { matchLabels: APP_LABELS },
                strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: "25%" } },
                revisionHistoryLimit: 5,
                template: {
                    metadata: { labels: APP_LABELS },
                    spec: {
                        serviceAccountName: serviceAccount.metadata.name,
                        automountServiceAccountToken: false,
                        securityContext: podSecurity,
                        terminationGracePeriodSeconds: terminationGracePeriodSeconds(SHUTDOWN_TIMEOUT_MS, SHUTDOWN_DELAY_MS),
                        // Soft spreading: a zone without room must not stop a rollout; the cluster
                        // autoscaler adds nodes where pods wait.
                        topologySpreadConstraints: [
                            { maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: APP_LABELS } },
                            { maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: APP_LABELS } },
                        ],
                        volumes,
                        containers: [{
                            ...container(APP_NAME),
                            ports: [{ name: PORT_NAME, containerPort: CONTAINER_PORT, protocol: "TCP" }],
                            // Up to 60 s to start before liveness applies.
                            startupProbe: {
                                httpGet: { path: PATHS.liveness, port: PORT_NAME },
                                periodSeconds: 2, timeoutSeconds: PROBE_TIMEOUT_SECONDS, failureThreshold: 30,
                            },
                            // Process health only: restarting never fixes a database.
                            livenessProbe: {
                                httpGet: { path: PATHS.liveness, port: PORT_NAME },
                                periodSeconds: 10, timeoutSeconds: PROBE_TIMEOUT_SECONDS, failureThreshold: 3,
                            },
                            // The database within READINESS_TIMEOUT_MS; the probe waits a second longer.
                            readinessProbe: {
                                httpGet: { path: PATHS.readiness, port: PORT_NAME },
                                periodSeconds: 5, timeoutSeconds: PROBE_TIMEOUT_SECONDS, failureThreshold: 2, successThreshold: 1,
                            },
                        }],
                    },
                },
            },
        }, { parent: this, dependsOn: [migration, ...args.dependsOn] });

        const service = new k8s.core.v1.Service(`${name}-service`, {
            metadata: { name: APP_NAME, namespace: ns, labels: APP_LABELS },
            spec: {
                type: "ClusterIP",
                selector: APP_LABELS,
                ports: [{ name: PORT_NAME, port: SERVICE_PORT, targetPort: PORT_NAME, protocol: "TCP" }],
            },
        }, after);

        new k8s.autoscaling.v2.HorizontalPodAutoscaler(`${name}-hpa`, {
            metadata: { name: APP_NAME, namespace: ns, labels: APP_LABELS },
            spec: {
                scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: deployment.metadata.name },
                minReplicas: c.minReplicas,
                maxReplicas: c.maxReplicas,
                metrics: [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: c.targetCpuUtilizationPercent } } }],
                // Scale up at once, down only after 5 minutes of lower load (no flapping).
                behavior: {
                    scaleDown: { stabilizationWindowSeconds: 300, policies: [{ type: "Pods", value: 1, periodSeconds: 60 }] },
                    scaleUp: { stabilizationWindowSeconds: 0 },
                },
            },
        }, after);

        new k8s.policy.v1.PodDisruptionBudget(`${name}-pdb`, {
            metadata: { name: APP_NAME, namespace: ns, labels: APP_LABELS },
            spec: {
                ...disruptionBudget(c.minReplicas),
                selector: { matchLabels: APP_LABELS },
                // A pod that never became ready may be evicted: it must not block a node drain.
                unhealthyPodEvictionPolicy: "AlwaysAllow",
            },
        }, after);

        new k8s.apiextensions.CustomResource(`${name}-monitor`, {
            apiVersion: "monitoring.coreos.com/v1",
            kind: "ServiceMonitor",
            metadata: { name: APP_NAME, namespace: ns, labels: APP_LABELS },
            spec: {
                selector: { matchLabels: APP_LABELS },
                endpoints: [{ port: PORT_NAME, path: PATHS.metrics, interval: "30s" }],
            },
        }, { parent: this, dependsOn: [service, ...args.monitoringReady, ...args.dependsOn] });

        if (c.internalIngress) {
            const ingress = new k8s.networking.v1.Ingress(`${name}-ingress`, {
                metadata: {
                    name: APP_NAME,
                    namespace: ns,
                    labels: APP_LABELS,
                    annotations: {
                        // VPC only; pods as targets, so the ALB follows readiness directly.
                        "alb.ingress.kubernetes.io/scheme": "internal",
                        "alb.ingress.kubernetes.io/target-type": "ip",
                        "alb.ingress.kubernetes.io/healthcheck-path": PATHS.readiness,
                    },
                },
                spec: {
                    ingressClassName: "alb",
                    rules: [{ http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: service.metadata.name, port: { name: PORT_NAME } } } }] } }],
                },
            // dependsOn holds the load balancer controller: the Ingress is deleted before it, so the
            // controller removes the ALB it made before the subnets go.
            }, { parent: this, dependsOn: [service, ...args.dependsOn] });
            this.ingressHostname = ingress.status.apply((s) => s?.loadBalancer?.ingress?.[0]?.hostname);
        }

        this.serviceUrl = pulumi.interpolate`http://${service.metadata.name}.${ns}.svc:${SERVICE_PORT}`;
        this.registerOutputs({ serviceUrl: this.serviceUrl, migrationJobName: this.migrationJobName });
    }
}
