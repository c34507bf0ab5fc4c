/** EKS: AWS FSBP EKS.1/2/3/8 and the CIS Amazon EKS Benchmark's control-plane items. */
import { asArray, has, resourcePolicy, show, WORLD_IPV4, WORLD_IPV6, type PlatformPolicy } from "../lib";

const CLUSTER = ["aws:eks/cluster:Cluster"];
const NODE_GROUP = ["aws:eks/nodeGroup:NodeGroup"];

/** "1.35" -> [1, 35]; undefined when not a major.minor version. */
function version(v: unknown): [number, number] | undefined {
    const m = /^(\d+)\.(\d+)$/.exec(String(v ?? ""));
    return m ? [Number(m[1]), Number(m[2])] : undefined;
}

export const eksPolicies: PlatformPolicy[] = [
    resourcePolicy({
        name: "eks-endpoint-not-public",
        control: "AWS FSBP EKS.1; CIS EKS 5.4.1, 5.4.2",
        description: "The EKS API endpoint is private, or public only to listed CIDRs, and reachable from inside the VPC.",
        level: "advisory",
        scope: "all",
        reason: "the committed dev and prod stacks open the public endpoint to 0.0.0.0/0 on purpose (GitHub-hosted runners have no fixed egress; IAM still authenticates every call, README \"Deploying to AWS\" step 3); finding reported to the lead, to become mandatory once deploys run from fixed egress.",
        severity: "high",
        types: CLUSTER,
        checks: [
            {
                id: "private-access",
                rule: "vpcConfig.endpointPrivateAccess is true (nodes and pods reach the API inside the VPC)",
                test: (p) => p.vpcConfig?.endpointPrivateAccess === true ? undefined
                    : `vpcConfig.endpointPrivateAccess is ${show(p.vpcConfig?.endpointPrivateAccess)}. Fix: set vpcConfig.endpointPrivateAccess true.`,
            },
            {
                id: "public-cidrs",
                rule: "a public endpoint lists publicAccessCidrs, none of them 0.0.0.0/0 or ::/0 (unset means 0.0.0.0/0)",
                test: (p) => {
                    if (p.vpcConfig?.endpointPublicAccess === false) return undefined;
                    const cidrs = asArray<string>(p.vpcConfig?.publicAccessCidrs);
                    const open = cidrs.length === 0 ? [`${WORLD_IPV4} (the default)`] : cidrs.filter((c) => c === WORLD_IPV4 || c === WORLD_IPV6);
                    return open.length === 0 ? undefined
                        : `the public API endpoint is open to ${open.join(", ")}. Fix: set platform:cluster.publicAccessCidrs to the deployers' egress CIDRs, or platform:cluster.endpointPublicAccess false.`;
                },
            },
        ],
    }),
    resourcePolicy({
        name: "eks-supported-version",
        control: "AWS FSBP EKS.2",
        description: "EKS clusters run a Kubernetes version in standard support, and never slide into paid extended support.",
        level: "mandatory",
        scope: "all",
        severity: "high",
        configSchema: {
            properties: {
                oldestSupportedVersion: {
                    type: "string", pattern: "^\\d+\\.\\d+$", default: "1.35",
                    description: "Oldest Kubernetes minor version still in EKS standard support (1.34 leaves it on 2026-12-02); raise it when a version leaves.",
                },
            },
        },
        types: CLUSTER,
        checks: [
            {
                id: "version",
                rule: "version is set (major.minor) and at least oldestSupportedVersion (config, default 1.35)",
                test: (p, { config }) => {
                    const oldest = version(config.oldestSupportedVersion ?? "1.35")!;
                    const v = version(p.version);
                    if (!v) return `version is ${show(p.version)}: pin a major.minor version (unset means whatever EKS picks). Fix: set platform:cluster.version, e.g. "1.35".`;
                    if (v[0] < oldest[0] || (v[0] === oldest[0] && v[1] < oldest[1])) {
                        return `version ${p.version} is older than ${oldest.join(".")}, the oldest version in standard support. Fix: upgrade platform:cluster.version.`;
                    }
                    return undefined;
                },
            },
            {
                id: "standard-support",
                rule: "upgradePolicy.supportType is STANDARD (extended support bills $0.60/h instead of $0.10/h)",
                test: (p) => p.upgradePolicy?.supportType === "STANDARD" ? undefined
                    : `upgradePolicy.supportType is ${show(p.upgradePolicy?.supportType)} (unset means EXTENDED, 6x the price). Fix: set upgradePolicy.supportType "STANDARD".`,
            },
        ],
    }),
    resourcePolicy({
        name: "eks-secrets-encryption",
        control: "AWS FSBP EKS.3; CIS EKS 5.3.1",
        description: "Kubernetes Secrets are envelope-encrypted with a customer-managed KMS key.",
        level: "mandatory",
        scope: "all",
        severity: "high",
        types: CLUSTER,
        checks: [
            {
                id: "secrets-resource",
                rule: "encryptionConfig.resources includes \"secrets\"",
                test: (p) => asArray<string>(p.encryptionConfig?.resources).includes("secrets") ? undefined
                    : `encryptionConfig.resources is ${show(p.encryptionConfig?.resources)}. Fix: set encryptionConfig { resources: ["secrets"], provider: { keyArn } }.`,
            },
            {
                id: "kms-key",
                rule: "encryptionConfig.provider.keyArn names a KMS key",
                test: (p) => has(p.encryptionConfig?.provider, "keyArn") ? undefined
                    : "encryptionConfig.provider.keyArn is unset. Fix: pass the ARN of a customer-managed KMS key with rotation on.",
            },
        ],
    }),
    resourcePolicy({
        name: "eks-audit-logging",
        control: "AWS FSBP EKS.8; CIS EKS 2.1.1",
        description: "The control plane sends audit (and API and authenticator) logs to CloudWatch Logs.",
        level: "mandatory",
        scope: "all",
        severity: "medium",
        types: CLUSTER,
        checks: ["audit", "api", "authenticator"].map((type) => ({
            id: `log-${type}`,
            rule: `enabledClusterLogTypes includes "${type}"`,
            test: (p: any) => asArray<string>(p.enabledClusterLogTypes).includes(type) ? undefined
                : `enabledClusterLogTypes ${show(p.enabledClusterLogTypes)} lacks "${type}". Fix: add "${type}" to enabledClusterLogTypes.`,
        })),
    }),
    resourcePolicy({
        name: "eks-access-entries",
        control: "CIS EKS 5.5.1 (manage cluster users with the EKS access API)",
        description: "Cluster access is granted by EKS access entries only, not by the aws-auth ConfigMap.",
        level: "mandatory",
        scope: "all",
        severity: "medium",
        types: CLUSTER,
        checks: [{
            id: "authentication-mode",
            rule: "accessConfig.authenticationMode is API",
            test: (p) => p.accessConfig?.authenticationMode === "API" ? undefined
                : `accessConfig.authenticationMode is ${show(p.accessConfig?.authenticationMode)} (unset means CONFIG_MAP). Fix: set accessConfig.authenticationMode "API" and grant access with aws.eks.AccessEntry.`,
        }],
    }),
    resourcePolicy({
        name: "eks-deletion-protection",
        control: "House rule (prod safety; EKS deletionProtection)",
        description: "A prod cluster cannot be deleted by a stray destroy.",
        level: "mandatory",
        scope: "prod",
        reason: "dev and review stacks must destroy in one run (platform:protect false).",
        severity: "high",
        types: CLUSTER,
        checks: [{
            id: "deletion-protection",
            rule: "deletionProtection is true",
            test: (p) => p.deletionProtection === true ? undefined
                : `deletionProtection is ${show(p.deletionProtection)}. Fix: pulumi config set platform:protect true.`,
        }],
    }),
    resourcePolicy({
        name: "eks-node-group-hardening",
        control: "CIS EKS 3.x (worker nodes); AWS FSBP EC2.170 via the launch template",
        description: "Managed node groups run a supported AL2023 AMI from the platform's launch template, with no SSH remote access.",
        level: "mandatory",
        scope: "all",
        severity: "medium",
        types: NODE_GROUP,
        checks: [
            {
                id: "no-remote-access",
                rule: "remoteAccess is unset (no SSH key, no port 22 security group)",
                test: (p) => p.remoteAccess === undefined ? undefined
                    : "remoteAccess is set: nodes accept SSH. Fix: remove remoteAccess; use SSM Session Manager or kubectl debug.",
            },
            {
                id: "launch-template",
                rule: "launchTemplate is set (it carries IMDSv2 and the encrypted root volume)",
                // `in` does not read the id, which is unknown at preview until the template exists.
                test: (p) => p.launchTemplate !== undefined && ("id" in p.launchTemplate || "name" in p.launchTemplate) ? undefined
                    : "launchTemplate is unset: the node group gets EKS's default template (IMDSv1 allowed, hop limit 2). Fix: pass the platform's launch template.",
            },
            {
                id: "al2023-ami",
                rule: "amiType is an AL2023 or Bottlerocket type (AL2 is end of support)",
                test: (p) => /^(AL2023_|BOTTLEROCKET_)/.test(String(p.amiType ?? "")) ? undefined
                    : `amiType is ${show(p.amiType)}. Fix: use AL2023_x86_64_STANDARD or AL2023_ARM_64_STANDARD.`,
            },
        ],
    }),
];
