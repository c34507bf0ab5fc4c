/**
 * Fixtures for every policy: a compliant resource (or stack) per policy, and for every individual
 * check a variant that breaks exactly that check. checks.test.ts runs each through the served pack
 * and asserts that the variant is reported by that check and by no other check of its policy (other
 * policies may overlap: SSH open to the world is EC2.18, EC2.19 and EC2.53 at once), and that the
 * compliant one is reported by nothing at all.
 */
import type { StackResource } from "./analyzer";

type Props = Record<string, any>;
/** Dotted paths to values; `undefined` deletes the key. Array indices are numbers in the path. */
type Changes = Record<string, unknown>;

export function mutate(base: Props, changes: Changes): Props {
    const out = structuredClone(base);
    for (const [pathText, value] of Object.entries(changes)) {
        const keys = pathText.split(".");
        let cur: any = out;
        for (const k of keys.slice(0, -1)) {
            cur[k] ??= {};
            cur = cur[k];
        }
        const last = keys[keys.length - 1];
        if (value === undefined) delete cur[last];
        else cur[last] = value;
    }
    return out;
}

export interface ResourceFixture {
    readonly kind: "resource";
    readonly type: string;
    readonly pass: Props;
    readonly violations: Record<string, Changes | Props[] | { type: string; props: Props }>;
}

export interface StackFixture {
    readonly kind: "stack";
    readonly pass: StackResource[];
    readonly violations: Record<string, StackResource[]>;
}

const KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/1111";

export const EKS_CLUSTER: Props = {
    name: "c", version: "1.35", roleArn: "arn:aws:iam::123456789012:role/eks",
    accessConfig: { authenticationMode: "API", bootstrapClusterCreatorAdminPermissions: true },
    deletionProtection: true,
    enabledClusterLogTypes: ["api", "audit", "authenticator"],
    encryptionConfig: { provider: { keyArn: KEY_ARN }, resources: ["secrets"] },
    upgradePolicy: { supportType: "STANDARD" },
    vpcConfig: { endpointPrivateAccess: true, endpointPublicAccess: true, publicAccessCidrs: ["203.0.113.0/24"], subnetIds: ["subnet-1", "subnet-2"] },
};
const NODE_GROUP: Props = { amiType: "AL2023_x86_64_STANDARD", clusterName: "c", launchTemplate: { id: "lt-1", version: "1" }, nodeRoleArn: "arn:aws:iam::123456789012:role/n", subnetIds: ["subnet-1"], scalingConfig: { desiredSize: 1, maxSize: 2, minSize: 1 } };
const SG = "aws:ec2/securityGroup:SecurityGroup";
const SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule";
const INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";
const HTTPS_WORLD: Props = { ingress: [{ protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["0.0.0.0/0"] }, { protocol: "tcp", fromPort: 22, toPort: 22, cidrBlocks: ["10.0.0.0/16"] }], vpcId: "vpc-1" };
export const LAUNCH_TEMPLATE: Props = {
    blockDeviceMappings: [{ deviceName: "/dev/xvda", ebs: { encrypted: "true", volumeSize: 20, volumeType: "gp3" } }],
    metadataOptions: { httpEndpoint: "enabled", httpPutResponseHopLimit: 1, httpTokens: "required" },
};
const REPO: Props = { name: "r", imageScanningConfiguration: { scanOnPush: true }, imageTagMutability: "IMMUTABLE" };
export const RDS: Props = {
    engine: "postgres", engineVersion: "17", instanceClass: "db.t4g.micro", allocatedStorage: 20, username: "orders_admin", port: 5433,
    publiclyAccessible: false, storageEncrypted: true, kmsKeyId: KEY_ARN, multiAz: true, monitoringInterval: 60,
    monitoringRoleArn: "arn:aws:iam::123456789012:role/mon", deletionProtection: true, skipFinalSnapshot: false, finalSnapshotIdentifier: "db-final-1",
    enabledCloudwatchLogsExports: ["postgresql", "upgrade"], backupRetentionPeriod: 7, autoMinorVersionUpgrade: true,
    engineLifecycleSupport: "open-source-rds-extended-support-disabled",
};
export const CACHE: Props = {
    engine: "valkey", engineVersion: "8.2", description: "c", nodeType: "cache.t4g.micro", numCacheClusters: 2, replicationGroupId: "c",
    atRestEncryptionEnabled: true, kmsKeyId: KEY_ARN, transitEncryptionEnabled: true, transitEncryptionMode: "required", authToken: "x".repeat(32),
    autoMinorVersionUpgrade: true, automaticFailoverEnabled: true, multiAzEnabled: true, snapshotRetentionLimit: 7, subnetGroupName: "c-subnets",
};
const KMS_KEY: Props = { description: "k", enableKeyRotation: true, deletionWindowInDays: 30 };
const SECRET: Props = { name: "s", kmsKeyId: KEY_ARN, recoveryWindowInDays: 30 };
const doc = (statements: unknown[]) => JSON.stringify({ Version: "2012-10-17", Statement: statements });
const SCOPED = doc([{ Effect: "Allow", Action: ["s3:GetObject"], Resource: "arn:aws:s3:::b/*" }, { Effect: "Deny", Action: "*", Resource: "*" }]);

export const POD_SPEC: Props = {
    automountServiceAccountToken: false,
    securityContext: { runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: "RuntimeDefault" }, sysctls: [{ name: "net.ipv4.tcp_keepalive_time", value: "60" }] },
    containers: [{
        name: "app", image: "r@sha256:0",
        ports: [{ containerPort: 8080 }],
        securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"], add: ["NET_BIND_SERVICE"] }, readOnlyRootFilesystem: true, procMount: "Default", seLinuxOptions: { type: "container_t" } },
    }],
    volumes: [{ name: "tmp", emptyDir: {} }, { name: "cfg", configMap: { name: "c" } }, { name: "data", persistentVolumeClaim: { claimName: "d" } }],
};
export const DEPLOYMENT: Props = { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "d", namespace: "n" }, spec: { selector: { matchLabels: { a: "b" } }, template: { metadata: { labels: { a: "b" } }, spec: POD_SPEC } } };
const DEP = "kubernetes:apps/v1:Deployment";
const C0 = "spec.template.spec.containers.0.securityContext";
const POD = "spec.template.spec.securityContext";

const urn = (type: string, name: string) => `urn:pulumi:test::platform::${type}::${name}`;
function res(type: string, name: string, props: Props, propertyDependencies: Record<string, string[]> = {}): StackResource {
    return { type, name, urn: urn(type, name), props, propertyDependencies };
}
const VPC = res("aws:ec2/vpc:Vpc", "vpc", { cidrBlock: "10.0.0.0/16" });
const FLOW = res("aws:ec2/flowLog:FlowLog", "flow", { trafficType: "ALL", vpcId: "vpc-id" }, { vpcId: [VPC.urn] });
const DEFAULT_SG = res("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", "default-sg", { vpcId: "vpc-id" }, { vpcId: [VPC.urn] });
const ECR_REPO = res("aws:ecr/repository:Repository", "repo", REPO);
const LIFECYCLE = res("aws:ecr/lifecyclePolicy:LifecyclePolicy", "lifecycle", { repository: "r", policy: "{}" }, { repository: [ECR_REPO.urn] });
const SM_SECRET = res("aws:secretsmanager/secret:Secret", "secret", SECRET);
const ROTATION = res("aws:secretsmanager/secretRotation:SecretRotation", "rotation", { secretId: "s", rotationRules: { automaticallyAfterDays: 30 } }, { secretId: [SM_SECRET.urn] });
const BUCKET = res("aws:s3/bucket:Bucket", "state", { bucket: "state" });
const onBucket = (type: string, name: string, props: Props) => res(type, name, { bucket: "state", ...props }, { bucket: [BUCKET.urn] });
const PAB_RES = onBucket("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "pab", { blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true });
const VERSIONING_RES = onBucket("aws:s3/bucketVersioning:BucketVersioning", "versioning", { versioningConfiguration: { status: "Enabled" } });
const SSE_RES = onBucket("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "sse", { rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: KEY_ARN } }] });
const TLS_POLICY = doc([{ Effect: "Deny", Principal: "*", Action: "s3:*", Resource: ["arn:aws:s3:::state", "arn:aws:s3:::state/*"], Condition: { Bool: { "aws:SecureTransport": "false" } } }]);
const POLICY_RES = onBucket("aws:s3/bucketPolicy:BucketPolicy", "policy", { policy: TLS_POLICY });
const NS = res("kubernetes:core/v1:Namespace", "ns", { metadata: { name: "orders", labels: { "pod-security.kubernetes.io/enforce": "restricted" } } });
const NETPOL = res("kubernetes:networking.k8s.io/v1:NetworkPolicy", "deny", { metadata: { name: "default-deny", namespace: "orders" }, spec: { podSelector: {}, policyTypes: ["Ingress"] } });
const provider = (environment: string) => res("pulumi:providers:aws", `aws-${environment}`, { region: "us-east-1", defaultTags: JSON.stringify({ tags: { environment } }) });

const resource = (type: string, pass: Props, violations: ResourceFixture["violations"]): ResourceFixture => ({ kind: "resource", type, pass, violations });
const stack = (pass: StackResource[], violations: StackFixture["violations"]): StackFixture => ({ kind: "stack", pass, violations });
const without = (list: StackResource[], drop: StackResource) => list.filter((r) => r !== drop);

/** Policy name -> its fixture. Violations are evaluated with policy/config/prod.json (every policy on). */
export const FIXTURES: Record<string, ResourceFixture | StackFixture> = {
    "eks-endpoint-not-public": resource("aws:eks/cluster:Cluster", EKS_CLUSTER, {
        "private-access": { "vpcConfig.endpointPrivateAccess": false },
        "public-cidrs": { "vpcConfig.publicAccessCidrs": ["0.0.0.0/0"] },
    }),
    "eks-supported-version": resource("aws:eks/cluster:Cluster", EKS_CLUSTER, { version: { version: "1.33" }, "standard-support": { "upgradePolicy.supportType": "EXTENDED" } }),
    "eks-secrets-encryption": resource("aws:eks/cluster:Cluster", EKS_CLUSTER, { "secrets-resource": { "encryptionConfig.resources": [] }, "kms-key": { "encryptionConfig.provider": {} } }),
    "eks-audit-logging": resource("aws:eks/cluster:Cluster", EKS_CLUSTER, {
        "log-audit": { enabledClusterLogTypes: ["api", "authenticator"] }, "log-api": { enabledClusterLogTypes: ["audit", "authenticator"] }, "log-authenticator": { enabledClusterLogTypes: ["api", "audit"] },
    }),
    "eks-access-entries": resource("aws:eks/cluster:Cluster", EKS_CLUSTER, { "authentication-mode": { "accessConfig.authenticationMode": "API_AND_CONFIG_MAP" } }),
    "eks-deletion-protection": resource("aws:eks/cluster:Cluster", EKS_CLUSTER, { "deletion-protection": { deletionProtection: false } }),
    "eks-node-group-hardening": resource("aws:eks/nodeGroup:NodeGroup", NODE_GROUP, {
        "no-remote-access": { remoteAccess: { ec2SshKey: "k" } }, "launch-template": { launchTemplate: undefined }, "al2023-ami": { amiType: "AL2_x86_64" },
    }),
    "ec2-sg-authorized-ports": resource(SG, HTTPS_WORLD, {
        // The first known false negative: a vpc ingress rule opening everything through ipProtocol "-1".
        "all-protocols": { type: INGRESS_RULE, props: { ipProtocol: "-1", cidrIpv4: "10.0.0.0/8", cidrIpv6: "::/0", securityGroupId: "sg-1" } },
        "unauthorized-port": { "ingress.0.fromPort": 8443, "ingress.0.toPort": 8443 },
    }),
    "ec2-sg-high-risk-ports": resource(INGRESS_RULE, { ipProtocol: "tcp", fromPort: 443, toPort: 443, cidrIpv4: "0.0.0.0/0", securityGroupId: "sg-1" }, {
        "high-risk-port": { type: SG_RULE, props: { type: "ingress", protocol: "tcp", fromPort: 5432, toPort: 5432, ipv6CidrBlocks: ["::/0"], securityGroupId: "sg-1" } },
    }),
    "ec2-sg-remote-admin": resource(SG_RULE, { type: "ingress", protocol: "tcp", fromPort: 22, toPort: 22, cidrBlocks: ["10.0.0.0/8"], securityGroupId: "sg-1" }, {
        "ipv4-admin-ports": { cidrBlocks: ["0.0.0.0/0"] },
        "ipv6-admin-ports": { ipv6CidrBlocks: ["::/0"] },
    }),
    "ec2-default-sg-closed": resource("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", { vpcId: "vpc-1" }, {
        "no-ingress": { ingress: [{ protocol: "-1", fromPort: 0, toPort: 0, self: true }] }, "no-egress": { egress: [{ protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"] }] },
    }),
    "ec2-vpc-guarded": stack([VPC, FLOW, DEFAULT_SG], {
        "flow-log": [VPC, DEFAULT_SG, res(FLOW.type, "flow", { ...FLOW.props, trafficType: "ACCEPT" }, { vpcId: [VPC.urn] })],
        "default-sg-adopted": [VPC, FLOW],
    }),
    "ec2-subnet-no-public-ip": resource("aws:ec2/subnet:Subnet", { vpcId: "vpc-1", cidrBlock: "10.0.0.0/24", mapPublicIpOnLaunch: false }, { "map-public-ip": { mapPublicIpOnLaunch: true } }),
    "ec2-launch-template-imdsv2": resource("aws:ec2/launchTemplate:LaunchTemplate", LAUNCH_TEMPLATE, {
        // The second known false negative: no metadataOptions at all.
        "metadata-options": { metadataOptions: undefined },
        "http-tokens": { "metadataOptions.httpTokens": "optional" },
        "hop-limit": { "metadataOptions.httpPutResponseHopLimit": 2 },
    }),
    "ec2-launch-template-ebs-encrypted": resource("aws:ec2/launchTemplate:LaunchTemplate", LAUNCH_TEMPLATE, {
        "root-volume-declared": { blockDeviceMappings: [] }, "volume-encrypted": { "blockDeviceMappings.0.ebs.encrypted": "false" },
    }),
    "ecr-image-scanning": resource("aws:ecr/repository:Repository", REPO, { "scan-on-push": { "imageScanningConfiguration.scanOnPush": false } }),
    "ecr-tag-immutability": resource("aws:ecr/repository:Repository", REPO, { "immutable-tags": { imageTagMutability: "MUTABLE" } }),
    "ecr-lifecycle-policy": stack([ECR_REPO, LIFECYCLE], { "lifecycle-policy": [ECR_REPO] }),
    "rds-no-public-access": resource("aws:rds/instance:Instance", RDS, { "publicly-accessible": { publiclyAccessible: true } }),
    "rds-storage-encrypted": resource("aws:rds/instance:Instance", RDS, { "storage-encrypted": { storageEncrypted: false }, "customer-managed-key": { kmsKeyId: undefined } }),
    "rds-multi-az": resource("aws:rds/instance:Instance", RDS, { "multi-az": { multiAz: false } }),
    "rds-enhanced-monitoring": resource("aws:rds/instance:Instance", RDS, { "monitoring-interval": { monitoringInterval: 0 } }),
    "rds-deletion-protection": resource("aws:rds/instance:Instance", RDS, { "deletion-protection": { deletionProtection: false }, "final-snapshot": { skipFinalSnapshot: true } }),
    "rds-log-exports": resource("aws:rds/instance:Instance", RDS, { "cloudwatch-logs": { enabledCloudwatchLogsExports: ["postgresql"] } }),
    "rds-automatic-backups": resource("aws:rds/instance:Instance", RDS, { "backup-retention": { backupRetentionPeriod: 3 } }),
    "rds-auto-minor-upgrade": resource("aws:rds/instance:Instance", RDS, { "auto-minor-version-upgrade": { autoMinorVersionUpgrade: false } }),
    "rds-non-default-port": resource("aws:rds/instance:Instance", RDS, { "default-port": { port: 5432 } }),
    "rds-custom-admin-username": resource("aws:rds/instance:Instance", RDS, { "admin-username": { username: "postgres" } }),
    "rds-no-extended-support": resource("aws:rds/instance:Instance", RDS, { "engine-lifecycle-support": { engineLifecycleSupport: "open-source-rds-extended-support" } }),
    "rds-force-ssl": resource("aws:rds/parameterGroup:ParameterGroup", { family: "postgres17", parameters: [{ name: "rds.force_ssl", value: "1" }] }, { "force-ssl": { "parameters.0.value": "0" } }),
    "elasticache-automatic-backups": resource("aws:elasticache/replicationGroup:ReplicationGroup", CACHE, { "snapshot-retention": { snapshotRetentionLimit: 0 } }),
    "elasticache-auto-minor-upgrade": resource("aws:elasticache/replicationGroup:ReplicationGroup", CACHE, { "auto-minor-version-upgrade": { autoMinorVersionUpgrade: false } }),
    "elasticache-automatic-failover": resource("aws:elasticache/replicationGroup:ReplicationGroup", CACHE, { "automatic-failover": { automaticFailoverEnabled: false }, "multi-az": { multiAzEnabled: false } }),
    "elasticache-encrypted-at-rest": resource("aws:elasticache/replicationGroup:ReplicationGroup", CACHE, {
        "at-rest-encryption": { engine: "redis", engineVersion: "7.1", atRestEncryptionEnabled: undefined }, "customer-managed-key": { kmsKeyId: undefined },
    }),
    "elasticache-encrypted-in-transit": resource("aws:elasticache/replicationGroup:ReplicationGroup", CACHE, {
        // authToken needs TLS, so the fixture switches to RBAC user groups to break only this check.
        "transit-encryption": { transitEncryptionEnabled: false, transitEncryptionMode: undefined, authToken: undefined, userGroupIds: ["g"] },
        "transit-mode-required": { transitEncryptionMode: "preferred" },
    }),
    "elasticache-auth": resource("aws:elasticache/replicationGroup:ReplicationGroup", CACHE, { auth: { authToken: undefined } }),
    "elasticache-custom-subnet-group": resource("aws:elasticache/replicationGroup:ReplicationGroup", CACHE, { "subnet-group": { subnetGroupName: "default" } }),
    "secretsmanager-rotation-enabled": stack([SM_SECRET, ROTATION], { rotation: [SM_SECRET] }),
    "secretsmanager-rotation-period": resource("aws:secretsmanager/secretRotation:SecretRotation", { secretId: "s", rotationRules: { automaticallyAfterDays: 30 } }, {
        "rotation-enabled": { rotationEnabled: false }, "rotation-period": { "rotationRules.automaticallyAfterDays": 120 },
    }),
    "secretsmanager-customer-managed-key": resource("aws:secretsmanager/secret:Secret", SECRET, { "kms-key": { kmsKeyId: undefined } }),
    "secretsmanager-recovery-window": resource("aws:secretsmanager/secret:Secret", SECRET, { "recovery-window": { recoveryWindowInDays: 0 } }),
    "kms-key-rotation": resource("aws:kms/key:Key", KMS_KEY, { "rotation-enabled": { enableKeyRotation: false }, "rotation-period": { rotationPeriodInDays: 400 } }),
    "kms-deletion-window": resource("aws:kms/key:Key", KMS_KEY, { "deletion-window": { deletionWindowInDays: 7 } }),
    "iam-no-admin-privileges": resource("aws:iam/rolePolicy:RolePolicy", { role: "r", policy: SCOPED }, {
        // NotAction on "*" grants everything but the listed actions: IAM.1 counts it as "*".
        "star-on-star": { type: "aws:iam/role:Role", props: { assumeRolePolicy: "{}", inlinePolicies: [{ name: "p", policy: doc([{ Effect: "Allow", NotAction: "iam:*", Resource: "*" }]) }] } },
        "administrator-access": { type: "aws:iam/rolePolicyAttachment:RolePolicyAttachment", props: { role: "r", policyArn: "arn:aws:iam::aws:policy/AdministratorAccess" } },
    }),
    "iam-no-service-wildcards": resource("aws:iam/policy:Policy", { policy: SCOPED }, { "service-wildcard": { policy: doc([{ Effect: "Allow", Action: ["s3:*"], Resource: "arn:aws:s3:::b/*" }]) } }),
    "s3-block-public-access": resource(PAB_RES.type, PAB_RES.props, {
        blockPublicAcls: { blockPublicAcls: false }, blockPublicPolicy: { blockPublicPolicy: false }, ignorePublicAcls: { ignorePublicAcls: undefined }, restrictPublicBuckets: { restrictPublicBuckets: false },
    }),
    "s3-versioning": resource(VERSIONING_RES.type, VERSIONING_RES.props, { "versioning-enabled": { "versioningConfiguration.status": "Suspended" } }),
    "s3-kms-encryption": resource(SSE_RES.type, SSE_RES.props, { "sse-kms": { "rules.0.applyServerSideEncryptionByDefault.sseAlgorithm": "AES256" } }),
    "s3-tls-only": resource(POLICY_RES.type, POLICY_RES.props, { "secure-transport": { policy: doc([{ Effect: "Allow", Principal: { AWS: "arn:aws:iam::123456789012:root" }, Action: "s3:GetObject", Resource: "arn:aws:s3:::state/*" }]) } }),
    "s3-bucket-guarded": stack([BUCKET, PAB_RES, VERSIONING_RES, SSE_RES, POLICY_RES], {
        "public-access-block": [BUCKET, VERSIONING_RES, SSE_RES, POLICY_RES],
        versioning: [BUCKET, PAB_RES, SSE_RES, POLICY_RES],
        encryption: [BUCKET, PAB_RES, VERSIONING_RES, POLICY_RES],
        "tls-policy": [BUCKET, PAB_RES, VERSIONING_RES, SSE_RES],
    }),
    "cloudwatch-log-group-expires": resource("aws:cloudwatch/logGroup:LogGroup", { name: "/l", retentionInDays: 400 }, { "retention-set": { retentionInDays: undefined } }),
    "cloudwatch-log-retention-minimum": resource("aws:cloudwatch/logGroup:LogGroup", { name: "/l", retentionInDays: 400 }, { "retention-minimum": { retentionInDays: 90 } }),
    "pss-host-namespaces": resource(DEP, DEPLOYMENT, {
        hostNetwork: { "spec.template.spec.hostNetwork": true }, hostPID: { "spec.template.spec.hostPID": true }, hostIPC: { "spec.template.spec.hostIPC": true },
        "host-process": { [`${C0}.windowsOptions`]: { hostProcess: true } },
    }),
    "pss-privileged": resource(DEP, DEPLOYMENT, { privileged: { [`${C0}.privileged`]: true } }),
    "pss-capabilities": resource(DEP, DEPLOYMENT, { "drop-all": { [`${C0}.capabilities.drop`]: ["NET_RAW"] }, "add-only-net-bind-service": { [`${C0}.capabilities.add`]: ["SYS_ADMIN"] } }),
    "pss-volume-types": resource(DEP, DEPLOYMENT, {
        "host-path": { "spec.template.spec.volumes": [{ name: "logs", hostPath: { path: "/var/log" } }] },
        "volume-type": { "spec.template.spec.volumes": [{ name: "nfs", nfs: { server: "s", path: "/" } }] },
    }),
    "pss-host-ports": resource(DEP, DEPLOYMENT, { "host-port": { "spec.template.spec.containers.0.ports": [{ containerPort: 8080, hostPort: 8080 }] } }),
    "pss-privilege-escalation": resource(DEP, DEPLOYMENT, { "allow-privilege-escalation": { [`${C0}.allowPrivilegeEscalation`]: undefined } }),
    "pss-run-as-non-root": resource(DEP, DEPLOYMENT, { "run-as-non-root": { [`${POD}.runAsNonRoot`]: undefined }, "run-as-user": { [`${C0}.runAsUser`]: 0 } }),
    "pss-seccomp": resource(DEP, DEPLOYMENT, { "seccomp-profile": { [`${POD}.seccompProfile`]: { type: "Unconfined" } } }),
    "pss-baseline-hardening": resource(DEP, DEPLOYMENT, {
        apparmor: { [`${POD}.appArmorProfile`]: { type: "Unconfined" } },
        selinux: { [`${C0}.seLinuxOptions`]: { type: "spc_t" } },
        "proc-mount": { [`${C0}.procMount`]: "Unmasked" },
        sysctls: { [`${POD}.sysctls`]: [{ name: "kernel.msgmax", value: "1" }] },
    }),
    "k8s-namespace-pod-security-admission": resource(NS.type, NS.props, { "enforce-label": { "metadata.labels": {} } }),
    "k8s-namespace-restricted": resource(NS.type, NS.props, { restricted: { "metadata.labels": { "pod-security.kubernetes.io/enforce": "baseline" } } }),
    "k8s-namespace-network-policy": stack([NS, NETPOL], { "network-policy": [NS, res(NETPOL.type, "elsewhere", { ...NETPOL.props, metadata: { name: "d", namespace: "other" } })] }),
    "helm-release-pinned": resource("kubernetes:helm.sh/v3:Release", { name: "r", chart: "c", version: "1.2.3", repositoryOpts: { repo: "https://charts.example.com" }, namespace: "n" }, {
        "exact-version": { version: "~1.2.0" }, repository: { repositoryOpts: undefined }, "release-name": { name: undefined },
    }),
    // Its violations depend on the pack config; checks.test.ts evaluates the dev direction with no config.
    "pack-config-environment": stack([provider("prod")], { environment: [provider("dev")] }),
};

export { without };
