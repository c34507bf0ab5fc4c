/**
 * Delivery of Alertmanager's receiver URL (issue 12, item 10): the URL lives in a Secrets Manager
 * secret named by `platform:observability.alertReceiverSecretsManagerName`, and External Secrets
 * syncs it into the Kubernetes Secret ALERT_RECEIVER_SECRET (key `url`) that Alertmanager mounts.
 * The URL never passes through Pulumi (the ExternalSecret names the secret, it does not carry it).
 *
 * A missing secret fails `pulumi preview` and `pulumi up` before anything is created: the secret is
 * read (DescribeSecret, the `aws.secretsmanager.getSecret` data source) for the IAM policy's ARN,
 * and a failed read becomes a configuration error naming the key, the value, the rule and the fix.
 * A secret that exists but cannot be synced (no value, access denied) fails `up` too: the
 * ExternalSecret is awaited until its Ready condition is True (`pulumi.com/waitFor`, @pulumi/kubernetes
 * >= 4.18; pinned 4.34.2), and kube-prometheus-stack (Alertmanager) installs only after it.
 *
 * Why a second External Secrets controller: the data layer's controller runs with
 * `--namespace=<app namespace>` (scopedOperatorValues): its Pod Identity credentials serve only the
 * app's namespace, and the pinned chart 2.9.0 takes one `scopedNamespace` (deploy/charts/external-
 * secrets/values.yaml, templates/deployment.yaml `--namespace`; multi-namespace mode came after
 * helm-chart-2.9.0). A SecretStore cannot use another role through `auth.jwt.serviceAccountRef`
 * with Pod Identity (docs/provider/aws-access.md at helm-chart-2.9.0: "serviceAccountRef cannot be
 * used together with EKS Pod Identity"). So a second release of the same chart, scoped to the
 * observability namespace, with its own service account and role that may read only this one
 * secret: no CRDs (the data layer's release installs them), no webhook, no cert controller
 * (`installCRDs`, `webhook.create`, `certController.create`); with `scopedRBAC` every RBAC object
 * is a Role(Binding) in the observability namespace, so nothing cluster-scoped is shared.
 */
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CHARTS } from "../shared/charts";
import { helmRelease } from "../shared/helm";
import { sized } from "../shared/kubernetes";
import { InputError, type ConfigProblem } from "../config/engine";
import { PodIdentityRole } from "../cluster/pod-identity";
import { ESO_API_VERSION, ESO_NAMESPACE, scopedOperatorValues } from "../data/external-secrets";

/** The Kubernetes Secret Alertmanager mounts (alertmanagerSpec.secrets), with the URL under `url`. */
export const ALERT_RECEIVER_SECRET = "alertmanager-receiver";
export const ALERT_RECEIVER_URL_KEY = "url";
/** The second controller: release and service account in the External Secrets namespace. */
export const ALERT_RECEIVER_OPERATOR = { release: "external-secrets-observability", serviceAccount: "external-secrets-observability" } as const;
/** How often the URL is re-read (a rotated webhook reaches Alertmanager without an `up`). */
export const ALERT_RECEIVER_REFRESH = "1h";
/** How long `up` waits for the first sync before it fails. */
export const ALERT_RECEIVER_SYNC_TIMEOUT = "5m";
export const ALERT_RECEIVER_CONFIG_KEY = "platform:observability.alertReceiverSecretsManagerName";

/** The first non-empty text of a failed read (an Error's message, or a gRPC error's details). */
function describeCause(cause: unknown): string {
    const c = cause as { message?: unknown; details?: unknown } | undefined;
    const text = [c?.message, c?.details].find((t) => typeof t === "string" && t.trim() !== "") ?? String(cause);
    return String(text).split("\n")[0];
}

/**
 * The error `preview` and `up` stop with when the secret cannot be read (it does not exist in the
 * stack's region, or the deployer may not describe it).
 */
export function missingAlertReceiverSecret(name: string, region: string, cause: unknown): InputError {
    const why = describeCause(cause);
    const problem: ConfigProblem = {
        key: ALERT_RECEIVER_CONFIG_KEY,
        value: name,
        rule: `an existing Secrets Manager secret in ${region} whose SecretString is the receiver URL (reading it failed: ${why})`,
        fix: `aws secretsmanager create-secret --region ${region} --name '${name}' --secret-string 'https://hooks.slack.com/services/...'  # or set the key to the existing secret's name`,
    };
    return new InputError("observability", [problem]);
}

/**
 * The secret's description (DescribeSecret), read at preview and up: every resource here takes an
 * input from it (the policy and the ExternalSecret its ARN), so a failed read stops the run with
 * missingAlertReceiverSecret's error before any of them is created.
 */
export function alertReceiverSecretLookup(name: string, region: string, parent: pulumi.Resource): pulumi.Output<aws.secretsmanager.GetSecretResult> {
    return pulumi.output(aws.secretsmanager.getSecret({ name }, { parent })
        .catch((err: unknown) => { throw missingAlertReceiverSecret(name, region, err); }));
}

/**
 * The controller's policy: read exactly the one secret, and decrypt only that secret's data keys
 * through Secrets Manager in this region. The KMS condition works for the AWS managed key and for
 * a customer managed key alike: Secrets Manager encrypts with the encryption context
 * `SecretARN=<arn>`, so `kms:EncryptionContext:SecretARN` pins the decrypt to this secret whatever
 * key it uses (the key policy of a CMK must still allow the role, as for any principal).
 */
export function alertReceiverPolicy(region: string, secretArn: pulumi.Input<string>): pulumi.Output<string> {
    return pulumi.jsonStringify({
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "ReadTheAlertReceiverSecret",
                Effect: "Allow",
                Action: ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
                Resource: [secretArn],
            },
            {
                Sid: "DecryptItThroughSecretsManager",
                Effect: "Allow",
                Action: "kms:Decrypt",
                Resource: "*",
                Condition: {
                    StringEquals: {
                        "kms:ViaService": `secretsmanager.${region}.amazonaws.com`,
                        "kms:EncryptionContext:SecretARN": secretArn,
                    },
                },
            },
        ],
    });
}

/** Values of the second external-secrets release (chart 2.9.0; see the header). */
export function alertReceiverOperatorValues(observabilityNamespace: string): Record<string, unknown> {
    const resources = sized({ cpu: "10m", memoryMiB: 64, memoryLimitMiB: 256 });
    return {
        installCRDs: false,
        ...scopedOperatorValues(observabilityNamespace),
        serviceAccount: { create: true, name: ALERT_RECEIVER_OPERATOR.serviceAccount },
        resources,
        webhook: { create: false },
        certController: { create: false },
    };
}

export interface AlertReceiverDeliveryArgs {
    readonly clusterName: pulumi.Input<string>;
    /** The stack's region (the secret's, the SecretStore's and the kms:ViaService condition's). */
    readonly region: string;
    /**
     * The data layer's External Secrets release: its CRDs, its webhook and its namespace (where the
     * second controller runs). On destroy everything here goes before it.
     */
    readonly externalSecretsReady: pulumi.Input<pulumi.Resource>[];
}

/**
 * The Secrets Manager lookup, the controller (role, release), the SecretStore and the awaited
 * ExternalSecret in the observability namespace. Returns the ExternalSecret: kube-prometheus-stack
 * depends on it.
 */
export function alertReceiverDelivery(name: string, args: AlertReceiverDeliveryArgs & {
    readonly secretsManagerName: string;
    readonly namespace: pulumi.Input<string>;
    /** Plain name of that namespace (the controller's --namespace). */
    readonly namespaceName: string;
    /** What the Kubernetes objects wait for: the cluster and the observability namespace. */
    readonly dependsOn: pulumi.Input<pulumi.Resource>[];
}, parent: pulumi.Resource): k8s.apiextensions.CustomResource {
    const secret = alertReceiverSecretLookup(args.secretsManagerName, args.region, parent);
    const role = new PodIdentityRole(`${name}-alert-receiver-eso`, {
        clusterName: args.clusterName,
        namespace: ESO_NAMESPACE,
        serviceAccount: ALERT_RECEIVER_OPERATOR.serviceAccount,
        policy: alertReceiverPolicy(args.region, secret.arn),
    }, { parent });
    const release = helmRelease(`${name}-alert-receiver-eso-chart`, {
        chart: CHARTS.externalSecrets,
        releaseName: ALERT_RECEIVER_OPERATOR.release,
        namespace: ESO_NAMESPACE,
        values: alertReceiverOperatorValues(args.namespaceName),
        timeoutSeconds: 600,
    }, {
        parent,
        // The whole role (association and policy before the pod starts), the namespace its Role
        // goes into, and the data layer's release (CRDs, webhook, the external-secrets namespace).
        dependsOn: [role, ...args.dependsOn, ...args.externalSecretsReady],
    });
    // No auth block: the controller's own Pod Identity credentials (it serves only this namespace).
    const store = new k8s.apiextensions.CustomResource(`${name}-alert-receiver-store`, {
        apiVersion: ESO_API_VERSION,
        kind: "SecretStore",
        metadata: { name: "alert-receiver-secrets-manager", namespace: args.namespace },
        spec: { provider: { aws: { service: "SecretsManager", region: args.region } } },
    }, { parent, dependsOn: [release] });
    return new k8s.apiextensions.CustomResource(`${name}-alert-receiver-secret`, {
        apiVersion: ESO_API_VERSION,
        kind: "ExternalSecret",
        metadata: {
            name: ALERT_RECEIVER_SECRET,
            namespace: args.namespace,
            // `up` waits for the first sync and fails (naming this object) when it does not come.
            annotations: { "pulumi.com/waitFor": "condition=Ready" },
        },
        spec: {
            refreshPolicy: "Periodic",
            refreshInterval: ALERT_RECEIVER_REFRESH,
            secretStoreRef: { name: store.metadata.name, kind: "SecretStore" },
            target: { name: ALERT_RECEIVER_SECRET, creationPolicy: "Owner" },
            // The whole SecretString is the URL.
            data: [{ secretKey: ALERT_RECEIVER_URL_KEY, remoteRef: { key: secret.arn } }],
        },
    }, { parent, dependsOn: [release, store], customTimeouts: { create: ALERT_RECEIVER_SYNC_TIMEOUT, update: ALERT_RECEIVER_SYNC_TIMEOUT } });
}
