/**
 * Guard rails that hold for every stack, whatever a future change to the components does: a
 * second line behind the components' own defaults. Run them on a real deployment with
 * `pulumi preview --policy-pack policy` (policy/index.ts builds the pack); the test suite evaluates
 * them offline against the captured resources of the dev, prod and review stacks.
 *
 * This module only declares the policies: constructing a PolicyPack starts a gRPC server.
 */
import type { ReportViolation, ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";

type Check = (props: Record<string, any>, report: ReportViolation) => void;

function forType(types: string[], check: Check) {
    return (args: ResourceValidationArgs, report: ReportViolation) => {
        if (types.includes(args.type)) check(args.props, report);
    };
}

function policy(name: string, description: string, types: string[], check: Check): ResourceValidationPolicy {
    return { name, description, enforcementLevel: "mandatory", validateResource: forType(types, check) };
}

const WORLD = ["0.0.0.0/0", "::/0"];
/** Ports that may face the internet (load balancers only). */
const PUBLIC_PORTS = new Set([80, 443]);

export const policies: ResourceValidationPolicy[] = [
    policy("rds-encrypted-private", "RDS instances are encrypted at rest with KMS and not publicly accessible.",
        ["aws:rds/instance:Instance"], (p, report) => {
            if (p.storageEncrypted !== true) report("storageEncrypted must be true");
            if (!p.kmsKeyId) report("kmsKeyId must name a customer-managed KMS key");
            if (p.publiclyAccessible === true) report("publiclyAccessible must be false");
            if (p.deletionProtection === true && p.skipFinalSnapshot === true) report("a protected instance keeps a final snapshot");
        }),
    policy("rds-no-extended-support", "RDS engines do not fall into paid extended support silently.",
        ["aws:rds/instance:Instance"], (p, report) => {
            if (p.engineLifecycleSupport !== "open-source-rds-extended-support-disabled") {
                report('engineLifecycleSupport must be "open-source-rds-extended-support-disabled"');
            }
        }),
    policy("elasticache-encrypted", "ElastiCache replication groups encrypt in transit and at rest, with an auth token.",
        ["aws:elasticache/replicationGroup:ReplicationGroup"], (p, report) => {
            if (p.transitEncryptionEnabled !== true) report("transitEncryptionEnabled must be true");
            if (p.atRestEncryptionEnabled === false || (p.atRestEncryptionEnabled === undefined && p.engine !== "valkey")) {
                report("atRestEncryptionEnabled must be true");
            }
            if (!p.authToken) report("authToken must be set");
        }),
    policy("eks-standard-support", "EKS clusters use standard support only and encrypt Kubernetes secrets with KMS.",
        ["aws:eks/cluster:Cluster"], (p, report) => {
            if (p.upgradePolicy?.supportType !== "STANDARD") report('upgradePolicy.supportType must be "STANDARD" (extended support bills 6x)');
            if (!p.encryptionConfig?.resources?.includes("secrets")) report("encryptionConfig must cover secrets");
            if (p.accessConfig?.authenticationMode !== "API") report('accessConfig.authenticationMode must be "API"');
        }),
    policy("no-world-ingress", "Security groups admit the internet only on 80 and 443.",
        ["aws:ec2/securityGroup:SecurityGroup", "aws:ec2/securityGroupRule:SecurityGroupRule", "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"],
        (p, report) => {
            const rules = p.ingress ?? (p.type === undefined || p.type === "ingress" ? [p] : []);
            for (const r of rules) {
                const sources = [...(r.cidrBlocks ?? []), ...(r.ipv6CidrBlocks ?? []), r.cidrIpv4, r.cidrIpv6].filter(Boolean);
                if (!sources.some((s: string) => WORLD.includes(s))) continue;
                const from = r.fromPort ?? 0;
                const to = r.toPort ?? 65535;
                if (r.protocol === "-1" || from !== to || !PUBLIC_PORTS.has(from)) {
                    report(`ingress from the internet on ${r.protocol} ${from}-${to}: only 80 and 443 may face it`);
                }
            }
        }),
    policy("secrets-kms", "Secrets Manager secrets are encrypted with a customer-managed KMS key.",
        ["aws:secretsmanager/secret:Secret"], (p, report) => {
            if (!p.kmsKeyId) report("kmsKeyId must be set");
        }),
    policy("kms-rotation", "KMS keys rotate.", ["aws:kms/key:Key"], (p, report) => {
        if (p.enableKeyRotation !== true) report("enableKeyRotation must be true");
    }),
    policy("log-retention", "CloudWatch log groups expire (never-expire logs grow cost forever).",
        ["aws:cloudwatch/logGroup:LogGroup"], (p, report) => {
            if (!p.retentionInDays) report("retentionInDays must be set");
        }),
    policy("helm-pinned", "Helm releases pin an exact chart version from an explicit repository.",
        ["kubernetes:helm.sh/v3:Release"], (p, report) => {
            if (!/^\d+\.\d+\.\d+$/.test(p.version ?? "")) report(`version must be an exact semver, got ${JSON.stringify(p.version)}`);
            if (!p.repositoryOpts?.repo) report("repositoryOpts.repo must be set");
            if (!p.name) report("name must be set (otherwise every service name gets a random suffix)");
        }),
    policy("ebs-encrypted", "Node root volumes are encrypted.", ["aws:ec2/launchTemplate:LaunchTemplate"], (p, report) => {
        for (const m of p.blockDeviceMappings ?? []) {
            if (m.ebs && String(m.ebs.encrypted) !== "true") report(`${m.deviceName}: ebs.encrypted must be true`);
        }
        if (p.metadataOptions && p.metadataOptions.httpTokens !== "required") report("metadataOptions.httpTokens must be required (IMDSv2)");
    }),
];
