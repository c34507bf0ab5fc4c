/**
 * The app's pod: its names and ports, the environment it reads, its volumes (the only writable
 * path, the secrets as files, the flags), Pod Security "restricted", and the serving container's
 * probes and shutdown timing. The migration Job and every deployment strategy run this pod.
 */
import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
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

/** How long a migration may run before its Job (and so `pulumi up`) fails. */
export const MIGRATION_DEADLINE_SECONDS = 600;
/**
 * How long a new image's pods may stay unready: they start beside the migration Job and are ready
 * only once the schema has their migration (app readiness), so the migration's deadline plus the
 * startup probe's minute and a minute of slack. The Deployment's and the Rollout's progress
 * deadlines, and how long Pulumi waits for the Deployment and the Service's endpoints.
 */
export const NEW_PODS_DEADLINE_SECONDS = MIGRATION_DEADLINE_SECONDS + 120;

/** The app's database check must answer within READINESS_TIMEOUT_MS; the probe waits longer. */
export const READINESS_TIMEOUT_MS = 1_000;
export const PROBE_TIMEOUT_SECONDS = Math.ceil(READINESS_TIMEOUT_MS / 1000) + 1;

/** The container securityContext Pod Security "restricted" admits. */
export const RESTRICTED_CONTAINER_SECURITY = {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" },
};

/**
 * Pod Security "restricted" for a pod of the app's image running as its user (the Dockerfile's
 * USER): the pod's securityContext and every container's. The app's pod adds fsGroup (its secret
 * files are group-readable); the release gate's needs none.
 */
export function restrictedSecurity(user: { readonly uid: number; readonly gid: number }) {
    return {
        pod: { runAsNonRoot: true, runAsUser: user.uid, runAsGroup: user.gid, seccompProfile: { type: "RuntimeDefault" } },
        container: { ...RESTRICTED_CONTAINER_SECURITY, runAsUser: user.uid, runAsGroup: user.gid },
    };
}

/** What the app's pod is made of: every container of it runs the same image, environment and mounts. */
export interface AppPod {
    readonly podSecurity: k8s.types.input.core.v1.PodSecurityContext;
    readonly volumes: k8s.types.input.core.v1.Volume[];
    container(containerName: string): k8s.types.input.core.v1.Container;
}

export interface AppPodArgs {
    readonly config: AppConfig;
    readonly environment: string;
    readonly secretName: pulumi.Input<string>;
    readonly image: pulumi.Input<string>;
    readonly imageTag: string;
    readonly otlpEndpoint: pulumi.Input<string>;
    readonly user: { readonly uid: number; readonly gid: number };
    /** The ConfigMap holding flags.json. */
    readonly flagsConfigMapName: pulumi.Input<string>;
    /**
     * Where the database password file comes from when another Secret holds it (a review
     * namespace: CloudNativePG's `<cluster>-app`, key `password`).
     * @default - key DATABASE_PASSWORD of `secretName`
     */
    readonly databasePasswordSecret?: { readonly name: pulumi.Input<string>; readonly key: string };
}

/** The secrets volume: the password and AUTH token files, from one Secret or (password elsewhere) two. */
function secretsVolume(args: AppPodArgs): k8s.types.input.core.v1.Volume {
    // Readable by the pod's fsGroup (the app's gid) only.
    const defaultMode = 0o440;
    const other = args.databasePasswordSecret;
    if (other === undefined) {
        return {
            name: "secrets",
            secret: { secretName: args.secretName, items: Object.entries(SECRET_FILES).map(([key, file]) => ({ key, path: file })), defaultMode },
        };
    }
    return {
        name: "secrets",
        projected: {
            defaultMode,
            sources: [
                { secret: { name: other.name, items: [{ key: other.key, path: SECRET_FILES.DATABASE_PASSWORD }] } },
                { secret: { name: args.secretName, items: [{ key: "REDIS_AUTH_TOKEN", path: SECRET_FILES.REDIS_AUTH_TOKEN }] } },
            ],
        },
    };
}

export function appPod(args: AppPodArgs): AppPod {
    const c = args.config;
    const user = args.user;
    const fromSecret = (key: string): k8s.types.input.core.v1.EnvVar =>
        ({ name: key, valueFrom: { secretKeyRef: { name: args.secretName, key } } });
    const env: k8s.types.input.core.v1.EnvVar[] = [
        ...SECRET_ENV_KEYS.map(fromSecret),
        { name: "DATABASE_PASSWORD_FILE", value: `${SECRETS_DIR}/${SECRET_FILES.DATABASE_PASSWORD}` },
        { name: "REDIS_AUTH_TOKEN_FILE", value: `${SECRETS_DIR}/${SECRET_FILES.REDIS_AUTH_TOKEN}` },
        { name: "OTEL_EXPORTER_OTLP_ENDPOINT", value: args.otlpEndpoint },
        { name: "OTEL_SERVICE_NAME", value: `${APP_NAME}-service` },
        // Root traces kept per stack (platform:app.traceSampleRatio); a sampled caller's are kept.
        { name: "OTEL_TRACES_SAMPLER", value: "parentbased_traceidratio" },
        { name: "OTEL_TRACES_SAMPLER_ARG", value: String(c.traceSampleRatio) },
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
        secretsVolume(args),
        { name: "flags", configMap: { name: args.flagsConfigMapName } },
    ];
    const volumeMounts = [
        { name: "tmp", mountPath: "/tmp" },
        { name: "secrets", mountPath: SECRETS_DIR, readOnly: true },
        { name: "flags", mountPath: FLAGS_DIR, readOnly: true },
    ];
    const security = restrictedSecurity(user);
    const podSecurity = { ...security.pod, fsGroup: user.gid };
    const resources = sized({ cpu: `${c.cpuRequestMillicores}m`, memoryMiB: c.memoryMiB });
    const container = (containerName: string) => ({
        name: containerName,
        image: args.image,
        env,
        volumeMounts,
        resources,
        securityContext: security.container,
    });
    return { podSecurity, volumes, container };
}

/** The serving container: the pod's container with its port and probes. */
export function servingContainer(pod: AppPod): k8s.types.input.core.v1.Container {
    return {
        ...pod.container(APP_NAME),
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
    };
}

/** The serving pods' template: what every strategy (a Deployment today) runs. */
export function servingPodTemplate(pod: AppPod, serviceAccountName: pulumi.Input<string>): k8s.types.input.core.v1.PodTemplateSpec {
    return {
        metadata: { labels: APP_LABELS },
        spec: {
            serviceAccountName,
            automountServiceAccountToken: false,
            securityContext: pod.podSecurity,
            terminationGracePeriodSeconds: terminationGracePeriodSeconds(SHUTDOWN_TIMEOUT_MS, SHUTDOWN_DELAY_MS),
            // Soft spreading: a zone without room must not stop a rollout; the cluster
            // autoscaler adds nodes where pods wait.
            topologySpreadConstraints: [
                { maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: APP_LABELS } },
                { maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: APP_LABELS } },
            ],
            volumes: pod.volumes,
            containers: [servingContainer(pod)],
        },
    };
}
