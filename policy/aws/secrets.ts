/** Secrets Manager and KMS: AWS FSBP SecretsManager.1/4, KMS.4, KMS.3. */
import { has, resourcePolicy, show, stackPolicy, type PlatformPolicy } from "../lib";

const SECRET = "aws:secretsmanager/secret:Secret";
const ROTATION = "aws:secretsmanager/secretRotation:SecretRotation";

export const secretsPolicies: PlatformPolicy[] = [
    stackPolicy({
        name: "secretsmanager-rotation-enabled",
        control: "AWS FSBP SecretsManager.1",
        description: "Every Secrets Manager secret the program creates has automatic rotation (an aws.secretsmanager.SecretRotation).",
        level: "advisory",
        scope: "all",
        reason: "neither secret rotates today: the database secret holds connection settings only (RDS rotates the master password in its own managed secret), but the cache secret holds the Valkey AUTH token, which nothing rotates. Finding reported to the lead; mandatory once a rotation Lambda (or RBAC users) exists.",
        severity: "medium",
        checks: [{
            id: "rotation",
            rule: "each aws:secretsmanager/secret:Secret has an aws:secretsmanager/secretRotation:SecretRotation whose secretId comes from it",
            test: (resources) => resources.filter((r) => r.type === SECRET)
                .filter((secret) => !resources.some((r) => r.type === ROTATION && (r.propertyDependencies.secretId ?? []).some((d) => d.urn === secret.urn)))
                .map((secret) => ({ urn: secret.urn, message: `secret ${secret.name} has no automatic rotation. Fix: add an aws.secretsmanager.SecretRotation for it.` })),
        }],
    }),
    resourcePolicy({
        name: "secretsmanager-rotation-period",
        control: "AWS FSBP SecretsManager.4",
        description: "Rotated secrets rotate at least every maximumDays (config, default 90, Security Hub's default).",
        level: "mandatory",
        scope: "all",
        severity: "medium",
        configSchema: { properties: { maximumDays: { type: "integer", minimum: 1, maximum: 1000, default: 90, description: "Longest rotation period." } } },
        types: [ROTATION],
        checks: [
            {
                id: "rotation-enabled",
                rule: "rotationEnabled is not false",
                test: (p) => p.rotationEnabled === false ? "rotationEnabled is false. Fix: remove rotationEnabled false (or the SecretRotation and the secret)." : undefined,
            },
            {
                id: "rotation-period",
                rule: "rotationRules.automaticallyAfterDays is at most maximumDays, or rotationRules.scheduleExpression is set",
                test: (p, { config }) => {
                    const max = Number(config.maximumDays ?? 90);
                    if (has(p.rotationRules, "scheduleExpression")) return undefined;
                    const days = Number(p.rotationRules?.automaticallyAfterDays ?? Number.NaN);
                    return days >= 1 && days <= max ? undefined
                        : `rotationRules.automaticallyAfterDays is ${show(p.rotationRules?.automaticallyAfterDays)}, above ${max} or unset. Fix: rotate at least every ${max} days.`;
                },
            },
        ],
    }),
    resourcePolicy({
        name: "secretsmanager-customer-managed-key",
        control: "House rule (encryption; Secrets Manager with a customer-managed KMS key)",
        description: "Secrets are encrypted with the platform's own KMS key, so reading them needs kms:Decrypt on that key too.",
        level: "mandatory",
        scope: "all",
        severity: "medium",
        types: [SECRET],
        checks: [{
            id: "kms-key",
            rule: "kmsKeyId is set",
            test: (p) => has(p, "kmsKeyId") ? undefined : "kmsKeyId is unset: the secret uses aws/secretsmanager, which every principal with secretsmanager:GetSecretValue can decrypt. Fix: pass the secrets KMS key.",
        }],
    }),
    resourcePolicy({
        name: "secretsmanager-recovery-window",
        control: "House rule (prod safety: Secrets Manager recovery window)",
        description: "A deleted prod secret can be restored for at least 7 days.",
        level: "mandatory",
        scope: "prod",
        reason: "review stacks delete secrets at once (0 days) so the next stack of the same pull request can reuse the names.",
        severity: "low",
        types: [SECRET],
        checks: [{
            id: "recovery-window",
            rule: "recoveryWindowInDays is unset (30) or at least 7",
            test: (p) => p.recoveryWindowInDays === undefined || Number(p.recoveryWindowInDays) >= 7 ? undefined
                : `recoveryWindowInDays is ${show(p.recoveryWindowInDays)}. Fix: pulumi config set --path 'platform:secrets.recoveryWindowDays' 30.`,
        }],
    }),
    resourcePolicy({
        name: "kms-key-rotation",
        control: "AWS FSBP KMS.4",
        description: "Customer-managed symmetric KMS keys rotate their key material yearly (or faster).",
        level: "mandatory",
        scope: "all",
        severity: "medium",
        types: ["aws:kms/key:Key"],
        checks: [
            {
                id: "rotation-enabled",
                rule: "enableKeyRotation is true (symmetric keys)",
                test: (p) => String(p.customerMasterKeySpec ?? p.keySpec ?? "SYMMETRIC_DEFAULT") !== "SYMMETRIC_DEFAULT" || p.enableKeyRotation === true ? undefined
                    : `enableKeyRotation is ${show(p.enableKeyRotation)}. Fix: set enableKeyRotation true.`,
            },
            {
                id: "rotation-period",
                rule: "rotationPeriodInDays, when set, is at most 365",
                test: (p) => p.rotationPeriodInDays === undefined || Number(p.rotationPeriodInDays) <= 365 ? undefined
                    : `rotationPeriodInDays is ${show(p.rotationPeriodInDays)}. Fix: rotate at least yearly.`,
            },
        ],
    }),
    resourcePolicy({
        name: "kms-deletion-window",
        control: "AWS FSBP KMS.3 (keys should not be deleted unintentionally)",
        description: "Prod KMS keys wait the longest deletion window (30 days) before their material, and every snapshot and secret it protects, is gone.",
        level: "mandatory",
        scope: "prod",
        reason: "review stacks use short windows; their data is disposable.",
        severity: "high",
        types: ["aws:kms/key:Key"],
        checks: [{
            id: "deletion-window",
            rule: "deletionWindowInDays is unset (30) or 30",
            test: (p) => p.deletionWindowInDays === undefined || Number(p.deletionWindowInDays) >= 30 ? undefined
                : `deletionWindowInDays is ${show(p.deletionWindowInDays)}. Fix: set deletionWindowInDays 30 for protected stacks.`,
        }],
    }),
];
