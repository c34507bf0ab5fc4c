/**
 * S3, for the Pulumi state bucket the bootstrap project creates: AWS FSBP S3.1/S3.8 (block public
 * access), S3.5 (TLS only), S3.14 (versioning), S3.17 (SSE-KMS). The platform stacks create no
 * bucket; these apply wherever the pack runs on one.
 */
import { asArray, parseJson, resourcePolicy, show, stackPolicy, type PlatformPolicy } from "../lib";

const BUCKET = "aws:s3/bucket:Bucket";
const PAB = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock";
const VERSIONING = "aws:s3/bucketVersioning:BucketVersioning";
const SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration";
const BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy";
const PAB_FLAGS = ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"];

/** A Deny on aws:SecureTransport false (Security Hub S3.5's accepted form). */
function deniesInsecureTransport(policy: unknown): boolean {
    return asArray<any>(parseJson<any>(policy)?.Statement).some((s) => s.Effect === "Deny"
        && String(s.Condition?.Bool?.["aws:SecureTransport"]) === "false");
}

export const s3Policies: PlatformPolicy[] = [
    resourcePolicy({
        name: "s3-block-public-access",
        control: "AWS FSBP S3.1, S3.8",
        description: "Bucket-level Block Public Access has all four settings on.",
        level: "mandatory",
        scope: "all",
        severity: "high",
        types: [PAB],
        checks: PAB_FLAGS.map((flag) => ({
            id: flag,
            rule: `${flag} is true`,
            test: (p: any) => p[flag] === true ? undefined : `${flag} is ${show(p[flag])}. Fix: set ${flag} true.`,
        })),
    }),
    resourcePolicy({
        name: "s3-versioning",
        control: "AWS FSBP S3.14",
        description: "Buckets keep every version of their objects (a bad state write can be rolled back).",
        level: "mandatory",
        scope: "all",
        severity: "low",
        types: [VERSIONING],
        checks: [{
            id: "versioning-enabled",
            rule: "versioningConfiguration.status is Enabled",
            test: (p) => p.versioningConfiguration?.status === "Enabled" ? undefined
                : `versioningConfiguration.status is ${show(p.versioningConfiguration?.status)}. Fix: set it to "Enabled".`,
        }],
    }),
    resourcePolicy({
        name: "s3-kms-encryption",
        control: "AWS FSBP S3.17",
        description: "Buckets encrypt objects by default with a KMS key.",
        level: "mandatory",
        scope: "all",
        severity: "medium",
        types: [SSE],
        checks: [{
            id: "sse-kms",
            rule: "every rule's applyServerSideEncryptionByDefault.sseAlgorithm is aws:kms or aws:kms:dsse",
            test: (p) => {
                const rules = asArray<any>(p.rules);
                if (rules.length === 0) return "rules is empty. Fix: add a rule with applyServerSideEncryptionByDefault { sseAlgorithm: \"aws:kms\", kmsMasterKeyId }.";
                return rules.filter((r) => !["aws:kms", "aws:kms:dsse"].includes(r.applyServerSideEncryptionByDefault?.sseAlgorithm))
                    .map((r) => `sseAlgorithm is ${show(r.applyServerSideEncryptionByDefault?.sseAlgorithm)}. Fix: use "aws:kms" with the state key.`);
            },
        }],
    }),
    resourcePolicy({
        name: "s3-tls-only",
        control: "AWS FSBP S3.5",
        description: "Bucket policies deny requests that do not use TLS.",
        level: "mandatory",
        scope: "all",
        severity: "medium",
        types: [BUCKET_POLICY],
        checks: [{
            id: "secure-transport",
            rule: "the policy has a Deny statement with Condition Bool aws:SecureTransport \"false\"",
            test: (p) => deniesInsecureTransport(p.policy) ? undefined
                : "the bucket policy has no Deny on aws:SecureTransport false. Fix: add { Effect: \"Deny\", Principal: \"*\", Action: \"s3:*\", Resource: [bucket, bucket/*], Condition: { Bool: { \"aws:SecureTransport\": \"false\" } } }.",
        }],
    }),
    stackPolicy({
        name: "s3-bucket-guarded",
        control: "AWS FSBP S3.1/S3.8, S3.5, S3.14, S3.17",
        description: "Every bucket the program creates has its Block Public Access, versioning, default encryption and TLS-only policy resources.",
        level: "mandatory",
        scope: "all",
        severity: "high",
        checks: ([[PAB, "public-access-block", "aws.s3.BucketPublicAccessBlock"], [VERSIONING, "versioning", "aws.s3.BucketVersioning"],
            [SSE, "encryption", "aws.s3.BucketServerSideEncryptionConfiguration"], [BUCKET_POLICY, "tls-policy", "aws.s3.BucketPolicy"]] as const)
            .map(([type, id, cls]) => ({
                id,
                rule: `each ${BUCKET} has a ${type} whose bucket comes from it`,
                test: (resources: any[]) => resources.filter((r) => r.type === BUCKET)
                    .filter((b) => !resources.some((r) => r.type === type && (r.propertyDependencies.bucket ?? []).some((d: any) => d.urn === b.urn)))
                    .map((b) => ({ urn: b.urn, message: `bucket ${b.name} has no ${cls}. Fix: add one with bucket set from this bucket.` })),
            })),
    }),
];
