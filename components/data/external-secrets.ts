import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CHARTS } from "../shared/charts";
import { refreshIntervalMinutes, type SecretsConfig } from "./config";
import { helmRelease } from "../shared/helm";
import { sized } from "../shared/kubernetes";
import { namespace, POD_READINESS_GATE_LABEL } from "../shared/namespace";
import { PodIdentityRole } from "../cluster/pod-identity";
import { InputError } from "../config/engine";
import { externalSecretsNetworkPolicies } from "./network-policies";

/** The operator's namespace, release and service account (the Pod Identity association names it). */
export const ESO_NAMESPACE = "external-secrets";
export const ESO_SERVICE_ACCOUNT = "external-secrets";

/** The only API version external-secrets 2.x serves (v1beta1 is gone). */
export const ESO_API_VERSION = "external-secrets.io/v1";

/**
 * The keys of the app's Kubernetes Secret: the environment variable names app/src/config.ts reads
 * (DATABASE_PASSWORD and REDIS_AUTH_TOKEN are best mounted as files and given as *_FILE, so a
 * rotated value reaches the running process on its next reconnect).
 */
export const APP_SECRET_KEYS = [
    "DATABASE_HOST", "DATABASE_PORT", "DATABASE_NAME", "DATABASE_USER", "DATABASE_PASSWORD", "DATABASE_SSL",
    "REDIS_URL", "REDIS_AUTH_TOKEN",
] as const;

/**
 * The chart values that confine the operator to the app's namespace (chart 2.9.0,
 * deploy/charts/external-secrets/values.yaml and templates/deployment.yaml + rbac.yaml at tag
 * helm-chart-2.9.0). Why: a SecretStore with no auth block authenticates with the controller's own
 * Pod Identity credentials, so an unscoped controller would serve the database and cache secrets
 * to a SecretStore in any namespace. `scopedNamespace` runs the controller with
 * `--namespace=<app namespace>` (it reconciles nothing elsewhere); `scopedRBAC` turns its
 * ClusterRole(Binding)s into a Role(Binding) in that namespace and passes
 * `--enable-cluster-store-reconciler=false`, `--enable-cluster-external-secret-reconciler=false`
 * and `--enable-cluster-push-secret-reconciler=false`; the three `process*` values say the same
 * explicitly and drop those kinds from the Role's rules.
 */
export function scopedOperatorValues(appNamespace: string) {
    return {
        scopedNamespace: appNamespace,
        scopedRBAC: true,
        processClusterStore: false,
        processClusterExternalSecret: false,
        processClusterPushSecret: false,
    };
}

export interface ExternalSecretsArgs {
    /** The validated `secrets` section of the stack config (refreshInterval). */
    readonly config: SecretsConfig;
    readonly clusterName: pulumi.Input<string>;
    /** AWS region of the secrets (plain: the SecretStore and the kms:ViaService condition name it). */
    readonly region: string;
    /** The app's namespace, created here with Pod Security "restricted". */
    readonly appNamespace: string;
    /** The app's connection settings for PostgreSQL (components/data/secrets.ts). */
    readonly databaseSecretArn: pulumi.Input<string>;
    /** The RDS-managed secret with the master user's `username` and `password`. */
    readonly databasePasswordSecretArn: pulumi.Input<string>;
    /** The app's connection settings and AUTH token for Valkey. */
    readonly cacheSecretArn: pulumi.Input<string>;
    /** The KMS keys those secrets are encrypted with. */
    readonly kmsKeyArns: readonly pulumi.Input<string>[];
    /**
     * What every Kubernetes object here waits for and outlives on destroy (Cluster.ready). An
     * argument, not an option: a component's own dependsOn does not reach its children.
     */
    readonly dependsOn: pulumi.Input<pulumi.Resource>[];
    /** The VPC's CIDR: the API server's endpoint ENIs call the operator's webhook from it (network-policies.ts). */
    readonly vpcCidr: string;
}

export function validateExternalSecretsArgs(args: ExternalSecretsArgs): void {
    if (refreshIntervalMinutes(args.config.refreshInterval) === undefined) {
        throw new InputError("external-secrets", [{ key: "platform:secrets.refreshInterval", value: args.config.refreshInterval, rule: 'a duration from 1m to 24h in minutes or hours, such as "5m" or "1h"', fix: "pulumi config set --path 'platform:secrets.refreshInterval' 5m" }]);
    }
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(args.appNamespace) || args.appNamespace.length > 63) {
        throw new InputError("external-secrets", [{ key: "appNamespace argument", value: args.appNamespace, rule: "a Kubernetes namespace name (RFC 1123 label: 1-63 lowercase letters, digits or -, starting and ending with a letter or digit)", fix: "pass the app's namespace name, such as \"app\"" }]);
    }
}

/**
 * The least privilege the operator needs: read exactly these secrets, and decrypt with their keys
 * only through Secrets Manager in this region.
 */
export function externalSecretsPolicy(region: string, secretArns: readonly pulumi.Input<string>[], kmsKeyArns: readonly pulumi.Input<string>[]): pulumi.Output<string> {
    return pulumi.jsonStringify({
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "ReadTheAppSecrets",
                Effect: "Allow",
                Action: ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
                Resource: [...secretArns],
            },
            {
                Sid: "DecryptThroughSecretsManager",
                Effect: "Allow",
                Action: "kms:Decrypt",
                Resource: [...kmsKeyArns],
                Condition: { StringEquals: { "kms:ViaService": `secretsmanager.${region}.amazonaws.com` } },
            },
        ],
    });
}

/**
 * Delivery of the data tier's credentials to pods: the External Secrets Operator (its own Pod
 * Identity role, allowed to read only the app's secrets) syncs them into one Kubernetes Secret in
 * the app's namespace and re-reads them every `refreshInterval`, so a password RDS rotates reaches
 * running pods without a `pulumi up`. The operator is confined to the app's namespace
 * (scopedOperatorValues): no other namespace can borrow its role. No secret value passes through
 * Pulumi here: the ExternalSecret names secrets, it does not carry them.
 */
export class ExternalSecrets extends pulumi.ComponentResource {
    /** The app's namespace (Pod Security "restricted"); workloads deploy into it. */
    public readonly appNamespace: pulumi.Output<string>;
    /** The Kubernetes Secret with APP_SECRET_KEYS. */
    public readonly appSecretName: pulumi.Output<string>;
    public readonly roleArn: pulumi.Output<string>;
    /** The operator's release; the ExternalSecret and SecretStore depend on it (its CRDs). */
    public readonly release: k8s.helm.v3.Release;
    /** The ExternalSecret; a workload that needs the Secret at start depends on it. */
    public readonly externalSecret: k8s.apiextensions.CustomResource;

    constructor(name: string, args: ExternalSecretsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:data:ExternalSecrets", name, {}, opts);
        validateExternalSecretsArgs(args);
        const parent = { parent: this };
        // The namespaces carry the cluster dependency; everything Kubernetes here depends on them,
        // so the operator installs after the nodes and cluster services and is deleted before them.
        const afterCluster = { parent: this, dependsOn: args.dependsOn };

        const operatorNamespace = namespace(`${name}-namespace`, { name: ESO_NAMESPACE, podSecurity: "restricted" }, afterCluster);
        for (const p of externalSecretsNetworkPolicies({ vpcCidr: args.vpcCidr })) {
            new k8s.networking.v1.NetworkPolicy(`${name}-netpol-${p.name}`, { metadata: { name: p.name, namespace: operatorNamespace.metadata.name }, spec: p.spec }, afterCluster);
        }
        const role = new PodIdentityRole(`${name}-operator`, {
            clusterName: args.clusterName,
            namespace: ESO_NAMESPACE,
            serviceAccount: ESO_SERVICE_ACCOUNT,
            policy: externalSecretsPolicy(
                args.region,
                [args.databaseSecretArn, args.databasePasswordSecretArn, args.cacheSecretArn],
                args.kmsKeyArns,
            ),
        }, parent);

        // Before the chart: with scopedRBAC the chart puts the operator's Role in this namespace.
        // The app's pods are the ALB's ip targets: readiness gates on (args.dependsOn holds the controller).
        const appNamespace = namespace(`${name}-app-namespace`, {
            name: args.appNamespace, podSecurity: "restricted", labels: POD_READINESS_GATE_LABEL,
        }, afterCluster);

        const resources = sized({ cpu: "10m", memoryMiB: 64, memoryLimitMiB: 256 });
        this.release = helmRelease(`${name}-chart`, {
            chart: CHARTS.externalSecrets,
            releaseName: "external-secrets",
            namespace: operatorNamespace.metadata.name,
            values: {
                installCRDs: true,
                ...scopedOperatorValues(args.appNamespace),
                // A fixed name: the Pod Identity association is for this service account.
                serviceAccount: { create: true, name: ESO_SERVICE_ACCOUNT },
                resources,
                webhook: { resources },
                certController: { resources },
            },
            timeoutSeconds: 600,
        }, {
            parent: this,
            // The role and its association: pods started before the association get no AWS
            // credentials. Not the RolePolicy: it names the database's RDS-managed secret, known
            // only once the database exists (prod, Multi-AZ: 15 min), and the operator calls AWS
            // only to sync, so the ExternalSecret waits for it instead (issue 14: -1.0 min on prod).
            dependsOn: [...role.identity, appNamespace],
        });

        // No auth block: the store uses the operator's own Pod Identity credentials. Only this
        // namespace's stores are served: the operator is scoped to it (scopedOperatorValues).
        const store = new k8s.apiextensions.CustomResource(`${name}-store`, {
            apiVersion: ESO_API_VERSION,
            kind: "SecretStore",
            metadata: { name: "aws-secrets-manager", namespace: appNamespace.metadata.name },
            spec: { provider: { aws: { service: "SecretsManager", region: args.region } } },
        }, { parent: this, dependsOn: [this.release] });

        const fromSecret = (secretKey: (typeof APP_SECRET_KEYS)[number], key: pulumi.Input<string>, property: string) =>
            ({ secretKey, remoteRef: { key, property } });
        const targetName = `${args.appNamespace}-data`;
        this.externalSecret = new k8s.apiextensions.CustomResource(`${name}-app-secret`, {
            apiVersion: ESO_API_VERSION,
            kind: "ExternalSecret",
            metadata: {
                name: targetName,
                namespace: appNamespace.metadata.name,
                // Wait until the operator has synced the Secret: the migration Job and the app
                // mount it, and would sit in CreateContainerConfigError until then.
                annotations: { "pulumi.com/waitFor": "condition=Ready" },
            },
            spec: {
                refreshPolicy: "Periodic",
                refreshInterval: args.config.refreshInterval,
                secretStoreRef: { name: store.metadata.name, kind: "SecretStore" },
                target: { name: targetName, creationPolicy: "Owner" },
                data: [
                    fromSecret("DATABASE_HOST", args.databaseSecretArn, "host"),
                    fromSecret("DATABASE_PORT", args.databaseSecretArn, "port"),
                    fromSecret("DATABASE_NAME", args.databaseSecretArn, "dbname"),
                    fromSecret("DATABASE_SSL", args.databaseSecretArn, "sslmode"),
                    // User and password from the same RDS-managed secret, so a rotation changes both together.
                    fromSecret("DATABASE_USER", args.databasePasswordSecretArn, "username"),
                    fromSecret("DATABASE_PASSWORD", args.databasePasswordSecretArn, "password"),
                    fromSecret("REDIS_URL", args.cacheSecretArn, "url"),
                    fromSecret("REDIS_AUTH_TOKEN", args.cacheSecretArn, "authToken"),
                ],
            },
            // The first sync before the RolePolicy exists fails with AccessDenied (and is retried
            // only after ESO's back-off): the policy first.
        }, { parent: this, dependsOn: [this.release, store, ...role.permissions] });

        this.appNamespace = appNamespace.metadata.name;
        this.appSecretName = pulumi.output(targetName);
        this.roleArn = role.roleArn;
        this.registerOutputs({ appNamespace: this.appNamespace, appSecretName: this.appSecretName, roleArn: this.roleArn });
    }
}
