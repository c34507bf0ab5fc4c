/**
 * The review namespace's own backing services: PostgreSQL as a one-instance CloudNativePG
 * `Cluster` on a small encrypted gp3 volume, Valkey as one Deployment without persistence behind
 * a generated AUTH token, and the app's Secret (the keys of the platform's APP_SECRET_KEYS that
 * are not secret, plus the Valkey token; the database password stays in CNPG's `<cluster>-app`).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { RESTRICTED_CONTAINER_SECURITY } from "../delivery/pod";
import { sized } from "../shared/kubernetes";

/** The CNPG Cluster's name: its Services are `<name>-rw`/`-ro`/`-r`, its app Secret `<name>-app`. */
export const DATABASE_CLUSTER_NAME = "db";
/** CNPG's defaults for bootstrap.initdb: the app database and its owner are both `app`. */
export const DATABASE = { name: "app", user: "app", port: 5432 } as const;
/** The Secret CNPG generates for the owner (keys username, password, host, port, dbname, uri). */
export const DATABASE_APP_SECRET = `${DATABASE_CLUSTER_NAME}-app`;
export const DATABASE_STORAGE_GIB = 1;
/**
 * Valkey, from the project's own image (not bitnami's: frozen in bitnamilegacy since 2025), built
 * from github.com/valkey-io/valkey-container 8.0/alpine/Dockerfile and pushed by its CI under the
 * tags its generate-stackbrew-library.sh lists (for 8.0.2: 8.0.2-alpine, 8.0-alpine, 8-alpine,
 * alpine, 8.0.2-alpine3.21, ...). The most specific one pins Valkey and Alpine both.
 */
export const VALKEY_IMAGE = "docker.io/valkey/valkey:8.0.2-alpine3.21";
/**
 * The image's `valkey` user: `addgroup -S -g 1000 valkey; adduser -S -G valkey -u 999 valkey`
 * (8.0/alpine/Dockerfile: "alpine already has a gid 999, so we'll use the next id"). Numeric, so
 * runAsNonRoot can check it; /data is owned by it.
 */
export const VALKEY_USER = { uid: 999, gid: 1000 } as const;
export const VALKEY_NAME = "valkey";
export const VALKEY_PORT = 6379;
export const VALKEY_LABELS = { "app.kubernetes.io/name": VALKEY_NAME } as const;
/** The label CNPG puts on its instance pods. */
export const DATABASE_POD_LABELS = { "cnpg.io/cluster": DATABASE_CLUSTER_NAME } as const;
/** The app's Secret in a review namespace. */
export const APP_SECRET_NAME = "orders-review";

export interface BackingServicesArgs {
    readonly namespace: pulumi.Input<string>;
    readonly labels: Record<string, string>;
    /** The shared cluster's default encrypted gp3 StorageClass (its `storageClassName` output). */
    readonly storageClassName: pulumi.Input<string>;
}

/** The CNPG Cluster spec: one instance, no backups (a review database is disposable). */
export function databaseClusterSpec(storageClassName: pulumi.Input<string>) {
    return {
        instances: 1,
        // PostgreSQL 17, as RDS runs it (platform:database.engineVersion).
        imageName: "ghcr.io/cloudnative-pg/postgresql:17.6",
        bootstrap: { initdb: { database: DATABASE.name, owner: DATABASE.user } },
        storage: { size: `${DATABASE_STORAGE_GIB}Gi`, storageClass: storageClassName },
        resources: sized({ cpu: "100m", memoryMiB: 512 }),
        // Nothing to keep: the PVC goes with the Cluster.
        enablePDB: false,
    };
}

/**
 * PostgreSQL, Valkey and the app's Secret. Pulumi waits for the Cluster's Ready condition
 * (`pulumi.com/waitFor`), so the migration Job starts against a running database.
 */
export function backingServices(name: string, a: BackingServicesArgs, opts: pulumi.CustomResourceOptions) {
    const meta = (n: string, extra: Record<string, string> = {}) => ({ name: n, namespace: a.namespace, labels: { ...a.labels, ...extra } });
    const database = new k8s.apiextensions.CustomResource(`${name}-database`, {
        apiVersion: "postgresql.cnpg.io/v1",
        kind: "Cluster",
        metadata: {
            ...meta(DATABASE_CLUSTER_NAME),
            annotations: { "pulumi.com/waitFor": "condition=Ready", "pulumi.com/timeoutSeconds": "600" },
        },
        spec: databaseClusterSpec(a.storageClassName),
    }, opts);

    const token = new random.RandomPassword(`${name}-valkey-token`, { length: 32, special: false }, { parent: opts.parent, dependsOn: opts.dependsOn });
    const appSecret = new k8s.core.v1.Secret(`${name}-app-secret`, {
        metadata: meta(APP_SECRET_NAME),
        type: "Opaque",
        stringData: {
            DATABASE_HOST: `${DATABASE_CLUSTER_NAME}-rw`,
            DATABASE_PORT: String(DATABASE.port),
            DATABASE_NAME: DATABASE.name,
            DATABASE_USER: DATABASE.user,
            // CNPG serves TLS with its own CA: encrypted, not verified (like the platform's "require").
            DATABASE_SSL: "require",
            REDIS_URL: `redis://${VALKEY_NAME}:${VALKEY_PORT}`,
            REDIS_AUTH_TOKEN: token.result,
        },
    }, opts);

    const valkey = new k8s.apps.v1.Deployment(`${name}-valkey`, {
        metadata: meta(VALKEY_NAME, VALKEY_LABELS),
        spec: {
            replicas: 1,
            selector: { matchLabels: VALKEY_LABELS },
            strategy: { type: "Recreate" },
            template: {
                metadata: { labels: { ...a.labels, ...VALKEY_LABELS } },
                spec: {
                    automountServiceAccountToken: false,
                    securityContext: { runAsNonRoot: true, runAsUser: VALKEY_USER.uid, runAsGroup: VALKEY_USER.gid, seccompProfile: { type: "RuntimeDefault" } },
                    containers: [{
                        name: VALKEY_NAME,
                        image: VALKEY_IMAGE,
                        // No persistence: a restart empties the cache, which the app tolerates, and
                        // nothing is written to /data under the read-only root filesystem. `command`
                        // replaces the image's ENTRYPOINT (docker-entrypoint.sh), whose only root-only
                        // step (chown of /data, setpriv to valkey) is skipped for a non-root user anyway.
                        command: ["valkey-server", "--save", "", "--appendonly", "no", "--requirepass", "$(VALKEY_PASSWORD)"],
                        env: [{ name: "VALKEY_PASSWORD", valueFrom: { secretKeyRef: { name: appSecret.metadata.name, key: "REDIS_AUTH_TOKEN" } } }],
                        ports: [{ name: "valkey", containerPort: VALKEY_PORT }],
                        readinessProbe: { tcpSocket: { port: VALKEY_PORT }, periodSeconds: 5 },
                        resources: sized({ cpu: "50m", memoryMiB: 128 }),
                        securityContext: { ...RESTRICTED_CONTAINER_SECURITY, runAsUser: VALKEY_USER.uid, runAsGroup: VALKEY_USER.gid },
                    }],
                },
            },
        },
    }, opts);
    const valkeyService = new k8s.core.v1.Service(`${name}-valkey-service`, {
        metadata: meta(VALKEY_NAME, VALKEY_LABELS),
        spec: { type: "ClusterIP", selector: VALKEY_LABELS, ports: [{ name: "valkey", port: VALKEY_PORT, targetPort: "valkey" }] },
    }, opts);
    return { database, appSecret, valkey, valkeyService, token };
}
