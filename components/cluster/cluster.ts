import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { ClusterServices } from "./cluster-services";
import { architectureOf, EKS_ADDONS, generalGroupSizes, systemGroupSizes, type ClusterConfig, type EksAddonKey, type NodeGroupSizes } from "./config";
import { managedPolicyArn, roleWithPolicies, serviceTrustPolicy } from "../shared/iam";
import { POD_IDENTITY_TRUST_POLICY, roleNamePrefix } from "./pod-identity";
import { awsAccount } from "../shared/tags";

/** Control-plane log types shipped to CloudWatch Logs (EKS user guide, "Control plane logs"). */
export const CONTROL_PLANE_LOG_TYPES = ["api", "audit", "authenticator"] as const;

/** Node label naming a node's group ("general" or "system"). */
export const NODE_GROUP_LABEL = "platform/node-group";

/**
 * The system group's taint: the conventional key cluster add-ons tolerate (CoreDNS does by
 * default), so application pods stay off those nodes.
 */
export const CRITICAL_ADDONS_TAINT = { key: "CriticalAddonsOnly", value: "true" } as const;

/** The default StorageClass every PersistentVolumeClaim without a class gets. */
export const DEFAULT_STORAGE_CLASS = "gp3-encrypted";

/** Random bytes of the EKS cluster name's suffix (hex: twice as many characters). */
export const CLUSTER_NAME_SUFFIX_BYTES = 3;

/** The resource types EC2 tags at launch from the node launch templates. */
export const NODE_TAGGED_RESOURCE_TYPES = ["instance", "volume", "network-interface"] as const;

/** AL2023 is the only supported EKS-optimized Amazon Linux (AL2 reached end of support). */
export function amiTypeFor(instanceTypes: readonly string[]): "AL2023_x86_64_STANDARD" | "AL2023_ARM_64_STANDARD" {
    return architectureOf(instanceTypes[0]) === "arm64" ? "AL2023_ARM_64_STANDARD" : "AL2023_x86_64_STANDARD";
}

/** The Docker platform images must be built for to run on the nodes. */
export function imagePlatformFor(instanceTypes: readonly string[]): "linux/arm64" | "linux/amd64" {
    return architectureOf(instanceTypes[0]) === "arm64" ? "linux/arm64" : "linux/amd64";
}

export interface ClusterArgs {
    /** The validated `cluster` section of the stack config. */
    readonly config: ClusterConfig;
    /** AWS region (plain: it goes into the kubeconfig and the controllers' values). */
    readonly region: string;
    readonly vpcId: pulumi.Input<string>;
    /** Subnets of the nodes and of the control plane's network interfaces (at least 2 AZs). */
    readonly privateSubnetIds: pulumi.Input<string>[];
    /**
     * Subnets of internet-facing load balancers. The AWS Load Balancer Controller finds them by
     * their `kubernetes.io/role/elb` tag (set by Network); the count is checked here because an ALB
     * needs subnets in at least two AZs.
     */
    readonly publicSubnetIds: pulumi.Input<string>[];
    /**
     * The top-level safety knob: EKS deletion protection, Pulumi `protect` on the cluster and its
     * secrets key, a 30-day key deletion window; when false the Kubernetes provider deletes
     * unreachable objects so a half-deleted review cluster does not wedge `pulumi destroy`.
     */
    readonly protect: boolean;
    /**
     * The network's egress (NAT, routes): the cluster is created after it and, on destroy, deleted
     * before it, so controllers can still reach AWS APIs to clean up what they created.
     */
    readonly egress?: pulumi.Input<pulumi.Resource>[];
    /**
     * The platform's tags (the AWS provider's default tags). The provider cannot put them on what
     * others create: nodes and their volumes and network interfaces (launch template), EBS volumes
     * of PersistentVolumeClaims (EBS CSI driver) and load balancers (load balancer controller).
     */
    readonly tags: Readonly<Record<string, string>>;
}

/** Problems with args a caller passed without parseConfig (parseConfig reports the same rules). */
export function validateClusterArgs(name: string, args: ClusterArgs): string[] {
    const problems: string[] = [];
    // CreateCluster: 1-100 characters, starts with a letter or digit, then letters, digits, - and _;
    // the EKS name is this name, "-" and the random suffix.
    const maxLength = 100 - 1 - 2 * CLUSTER_NAME_SUFFIX_BYTES;
    if (!/^[0-9A-Za-z][A-Za-z0-9_-]*$/.test(name) || name.length > maxLength) {
        problems.push(`cluster name "${name}" must be 1-${maxLength} letters, digits, - or _, starting with a letter or digit (EKS allows 100 with the ${2 * CLUSTER_NAME_SUFFIX_BYTES}-character suffix); got ${name.length} characters`);
    }
    if (args.privateSubnetIds.length < 2) {
        problems.push(`EKS needs subnets in at least 2 AZs; got ${args.privateSubnetIds.length} private subnet(s)`);
    }
    if (args.publicSubnetIds.length < 2) {
        problems.push(`an internet-facing ALB needs subnets in at least 2 AZs; got ${args.publicSubnetIds.length} public subnet(s)`);
    }
    const n = args.config.nodes;
    if (n.minSizePerAz > n.maxSizePerAz || n.desiredSizePerAz < n.minSizePerAz || n.desiredSizePerAz > n.maxSizePerAz) {
        problems.push(`node sizes must satisfy minSizePerAz <= desiredSizePerAz <= maxSizePerAz; got ${n.minSizePerAz} <= ${n.desiredSizePerAz} <= ${n.maxSizePerAz}`);
    }
    if (new Set(n.instanceTypes.map(architectureOf)).size > 1) {
        problems.push(`instance types must share one architecture (one AMI type per node group); got ${n.instanceTypes.join(", ")}`);
    }
    return problems;
}

/**
 * The IAM role ARN an STS caller ARN stands for: EKS maps an assumed-role session to its role, so
 * `arn:aws:sts::1:assumed-role/deployer/session` is the principal `arn:aws:iam::1:role/deployer`
 * (the role path is not in the session ARN, so any path matches).
 */
export function principalOfCaller(callerArn: string): { arnPrefix: string; name: string } {
    const m = /^arn:([\w-]+):sts::(\d{12}):assumed-role\/([^/]+)\/.+$/.exec(callerArn);
    if (m) return { arnPrefix: `arn:${m[1]}:iam::${m[2]}:role/`, name: m[3] };
    const u = /^(arn:[\w-]+:iam::\d{12}:(?:user|role)\/)(?:.*\/)?([^/]+)$/.exec(callerArn);
    if (u) return { arnPrefix: u[1], name: u[2] };
    return { arnPrefix: callerArn, name: "" };
}

/**
 * The admin ARNs that name the identity running `pulumi up`. That identity already is
 * cluster-admin (bootstrapClusterCreatorAdminPermissions) and a second access entry for it fails
 * with 409 ResourceInUseException, so such an ARN is refused before anything is created.
 */
export function adminsDuplicatingCreator(adminArns: readonly string[], callerArn: string): string[] {
    const caller = principalOfCaller(callerArn);
    return adminArns.filter((arn) => {
        if (arn === callerArn) return true;
        if (!caller.name || !arn.startsWith(caller.arnPrefix)) return false;
        return arn.slice(caller.arnPrefix.length).split("/").pop() === caller.name;
    });
}

/**
 * An EKS cluster with everything workloads and the observability stack need:
 * - control plane: pinned version on standard support only, access entries (API mode), secrets
 *   envelope-encrypted with a rotating KMS key, api/audit/authenticator logs into a log group this
 *   component owns, private endpoint on and the public one limited to configured CIDRs;
 * - access: cluster-admin access entries for the configured principals (the creator is admin by
 *   bootstrap and never gets a second entry; the node role's entry is EKS's own);
 * - managed AL2023 node groups, one per AZ in that AZ's private subnet (IMDSv2 only with hop limit
 *   1, encrypted gp3 root volumes, the platform's tags on instances, volumes and network
 *   interfaces) whose desired sizes the cluster autoscaler owns, plus an optional tainted system
 *   group over all AZs for the controllers;
 * - EKS add-ons (vpc-cni, kube-proxy, Pod Identity agent before the nodes; coredns, EBS CSI driver,
 *   metrics-server after them) at EKS's default version for the Kubernetes version unless pinned,
 *   each AWS-calling one with its own Pod Identity role;
 * - a default encrypted gp3 StorageClass;
 * - the Kubernetes provider every Kubernetes object of the program uses;
 * - cluster services (AWS Load Balancer Controller, cluster autoscaler), see ClusterServices.
 */
export class Cluster extends pulumi.ComponentResource {
    public readonly clusterName: pulumi.Output<string>;
    public readonly provider: k8s.Provider;
    /** Exec-based kubeconfig (`aws eks get-token`): secret, though it holds no credentials. */
    public readonly kubeconfig: pulumi.Output<string>;
    /** The EKS-created cluster security group, attached to the managed nodes and their pods. */
    public readonly clusterSecurityGroupId: pulumi.Output<string>;
    /** Every node group, coredns, the EBS CSI driver and the default StorageClass: workloads depend on these. */
    public readonly nodesReady: pulumi.Resource[];
    /** Load balancer controller and cluster autoscaler releases: Ingresses and LoadBalancer Services depend on these. */
    public readonly servicesReady: pulumi.Resource[];
    /**
     * Everything a component with Kubernetes objects waits for: the nodes (and storage) and the
     * cluster services. Components take it as their `dependsOn` argument and hand it to their
     * children, because a component resource's own dependsOn does not reach its children.
     */
    public readonly ready: pulumi.Resource[];
    public readonly storageClassName: string;
    /** CPU architecture of the general (application) nodes and the image platform that runs on it. */
    public readonly architecture: "arm64" | "x86_64";
    public readonly imagePlatform: "linux/arm64" | "linux/amd64";

    constructor(name: string, args: ClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:cluster:Cluster", name, {}, opts);
        const problems = validateClusterArgs(name, args);
        if (problems.length > 0) throw new Error(`cluster ${name}: ${problems.join("; ")}`);

        const c = args.config;
        const parent = { parent: this };
        const partition = awsAccount(this).partition;
        this.architecture = architectureOf(c.nodes.instanceTypes[0]);
        this.imagePlatform = imagePlatformFor(c.nodes.instanceTypes);

        // The log group must exist before the cluster, so the cluster's name is chosen here, not
        // auto-named. It ends in a random suffix kept in state: EKS re-creates
        // /aws/eks/<name>/cluster from log events that arrive after Pulumi deleted the group, and a
        // recreated stack reusing the name would fail with ResourceAlreadyExistsException
        // (terraform-aws-modules/terraform-aws-eks#920, #2486). Protected with the cluster: a new
        // suffix would replace the cluster.
        const nameSuffix = new random.RandomId(`${name}-name-suffix`, { byteLength: CLUSTER_NAME_SUFFIX_BYTES }, { parent: this, protect: args.protect });
        const clusterName = pulumi.interpolate`${name}-${nameSuffix.hex}`;

        // -- Control plane ------------------------------------------------------------------------
        // Every role of the cluster has a namePrefix that fits IAM's 64 characters whatever the
        // stack's name (see roleNamePrefix).
        const { role: clusterRole, attachments: [clusterPolicy] } = roleWithPolicies(`${name}-cluster-role`, {
            namePrefix: roleNamePrefix(`${name}-eks`),
            assumeRolePolicy: serviceTrustPolicy("eks.amazonaws.com", { tagSession: true }),
            managedPolicies: { [`${name}-cluster-policy`]: managedPolicyArn(partition, "AmazonEKSClusterPolicy") },
        }, parent);

        // Envelope encryption of Secrets with a customer key. Losing the key makes every Secret in
        // etcd unreadable, so it is protected with the cluster and rotates yearly.
        const secretsKey = new aws.kms.Key(`${name}-secrets-key`, {
            description: pulumi.interpolate`Envelope encryption of Kubernetes Secrets in EKS cluster ${clusterName}`,
            enableKeyRotation: true,
            deletionWindowInDays: args.protect ? 30 : 7,
        }, { parent: this, protect: args.protect });
        // The cluster role uses the key (terraform-aws-eks' cluster_encryption policy: the least EKS needs).
        const keyPolicy = new aws.iam.RolePolicy(`${name}-cluster-encryption`, {
            role: clusterRole.id,
            policy: pulumi.jsonStringify({
                Version: "2012-10-17",
                Statement: [{
                    Effect: "Allow",
                    Action: ["kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey"],
                    Resource: secretsKey.arn,
                }],
            }),
        }, parent);

        // EKS writes to /aws/eks/<name>/cluster; created here first (with a retention) so EKS does
        // not create one that never expires and survives `pulumi destroy`.
        const logGroup = new aws.cloudwatch.LogGroup(`${name}-control-plane-logs`, {
            name: pulumi.interpolate`/aws/eks/${clusterName}/cluster`,
            retentionInDays: c.logRetentionDays,
        }, parent);

        const cluster = new aws.eks.Cluster(`${name}-eks`, {
            name: clusterName,
            version: c.version,
            roleArn: clusterRole.arn,
            // Standard support only: EXTENDED (the default) bills $0.60/h instead of $0.10/h after
            // standard support ends; STANDARD upgrades the control plane automatically instead.
            upgradePolicy: { supportType: "STANDARD" },
            accessConfig: {
                // Access entries only (the default CONFIG_MAP would need the aws-auth ConfigMap).
                authenticationMode: "API",
                // The identity running `pulumi up` gets cluster-admin, or it could not manage the
                // cluster's Kubernetes objects; no second entry may name it (409).
                bootstrapClusterCreatorAdminPermissions: true,
            },
            // The default add-ons are installed and then adopted by the EKS add-ons below
            // (resolveConflictsOnCreate OVERWRITE). Changing this replaces the cluster.
            bootstrapSelfManagedAddons: true,
            encryptionConfig: { resources: ["secrets"], provider: { keyArn: secretsKey.arn } },
            enabledClusterLogTypes: [...CONTROL_PLANE_LOG_TYPES],
            vpcConfig: {
                subnetIds: args.privateSubnetIds,
                endpointPrivateAccess: true,
                endpointPublicAccess: c.endpointPublicAccess,
                // EKS defaults to 0.0.0.0/0 when public access is on and no CIDR is given: always
                // send the configured list (parseConfig requires one when the endpoint is public).
                ...(c.endpointPublicAccess ? { publicAccessCidrs: c.publicAccessCidrs } : {}),
            },
            deletionProtection: args.protect,
            tags: { Name: clusterName },
        }, {
            parent: this,
            protect: args.protect,
            dependsOn: [logGroup, clusterPolicy, keyPolicy, ...(args.egress ?? [])],
            // The name is kept across replacements (the suffix lives in state): the old cluster
            // must be gone before the new one can take it.
            deleteBeforeReplace: true,
        });
        this.clusterName = cluster.name;
        this.clusterSecurityGroupId = cluster.vpcConfig.apply((v) => v.clusterSecurityGroupId);

        // -- Access -------------------------------------------------------------------------------
        this.createAdminAccess(name, cluster, c.adminPrincipalArns, partition);

        // -- Early add-ons (no nodes needed) ------------------------------------------------------
        // vpc-cni, kube-proxy and the Pod Identity agent are DaemonSets: with no node yet they are
        // healthy (zero pods wanted), and the nodes need the CNI to become Ready, so the node group
        // waits for them (and is deleted before them).
        // Unpinned add-ons get EKS's default version for the Kubernetes version, not the newest:
        // with OVERWRITE, a newest-version lookup would upgrade prod's add-ons at any `up`.
        const addonVersion = (key: EksAddonKey): pulumi.Input<string> =>
            c.addonVersions[key] ??
            aws.eks.getAddonVersionOutput({ addonName: EKS_ADDONS[key], kubernetesVersion: c.version, mostRecent: false }, parent).version;
        const addon = (key: EksAddonKey, extra: Partial<aws.eks.AddonArgs>, dependsOn: pulumi.Input<pulumi.Resource>[]) =>
            new aws.eks.Addon(`${name}-${EKS_ADDONS[key]}`, {
                clusterName: cluster.name,
                addonName: EKS_ADDONS[key],
                addonVersion: addonVersion(key),
                // With bootstrapSelfManagedAddons the self-managed vpc-cni, kube-proxy and coredns
                // already exist: adopting them needs OVERWRITE (aws v7 removed resolveConflicts).
                resolveConflictsOnCreate: "OVERWRITE",
                resolveConflictsOnUpdate: "OVERWRITE",
                ...extra,
            }, { parent: this, dependsOn });

        const podIdentityAgent = addon("podIdentityAgent", {}, []);
        // vpc-cni calls EC2 for pod IPs: its own role (the node role has no CNI policy).
        const cniRole = this.addonRole(name, "vpc-cni", "vpc-cni", managedPolicyArn(partition, "AmazonEKS_CNI_Policy"));
        const vpcCni = addon("vpcCni", {
            podIdentityAssociations: [{ roleArn: cniRole.role.arn, serviceAccount: "aws-node" }],
        }, [podIdentityAgent, cniRole.attachment]);
        const kubeProxy = addon("kubeProxy", {}, []);

        // -- Nodes --------------------------------------------------------------------------------
        // The least a node needs: join the cluster and pull images. No CNI policy (vpc-cni has its
        // own role) and nothing pods could borrow (IMDS hop limit 1 keeps them off the node role).
        const { role: nodeRole, attachments: nodePolicies } = roleWithPolicies(`${name}-node-role`, {
            namePrefix: roleNamePrefix(`${name}-nodes`),
            assumeRolePolicy: serviceTrustPolicy("ec2.amazonaws.com"),
            managedPolicies: Object.fromEntries(["AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryPullOnly"].map((policy) =>
                [`${name}-node-${policy}`, managedPolicyArn(partition, policy)])),
        }, parent);

        // The general groups run the applications, one per AZ in that AZ's private subnet: an EBS
        // volume lives in one AZ, and the autoscaler can only add a node where a pending pod's
        // volume is by scaling that AZ's group (kubernetes/autoscaler cloudprovider/aws/README.md,
        // "Common Notes and Gotchas": an ASG per AZ with --balance-similar-node-groups). The
        // optional system group, tainted, runs the cluster-critical pods that tolerate the taint;
        // they keep no volumes, so one group spans all AZs.
        const tagsNamed = (groupName: pulumi.Input<string>) => ({ ...args.tags, Name: groupName });
        const launchTemplateFor = (key: "general" | "system", diskSizeGiB: number) => {
            const groupName = pulumi.interpolate`${clusterName}-${key}`;
            return new aws.ec2.LaunchTemplate(`${name}-${key}-nodes`, {
                description: pulumi.interpolate`${key} managed nodes of EKS cluster ${clusterName}: IMDSv2 only, encrypted gp3 root volume`,
                // IMDSv2 only, one hop: pods (one hop further) cannot reach the node's credentials.
                metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 },
                // AL2023's root device, sized and encrypted here rather than left to the AMI's 20 GiB
                // default and the account's EBS encryption setting.
                blockDeviceMappings: [{
                    deviceName: "/dev/xvda",
                    ebs: { volumeSize: diskSizeGiB, volumeType: "gp3", encrypted: "true", deleteOnTermination: "true" },
                }],
                // No vpcSecurityGroupIds: EKS then attaches the cluster security group to the nodes,
                // which is what clusterSecurityGroupId promises the data tier.
                // The provider's default tags reach the template itself, not what EC2 launches from it.
                tagSpecifications: NODE_TAGGED_RESOURCE_TYPES.map((resourceType) => ({ resourceType, tags: tagsNamed(groupName) })),
                updateDefaultVersion: true,
            }, parent);
        };
        const nodeGroup = (
            logicalName: string,
            groupName: pulumi.Input<string>,
            key: "general" | "system",
            launchTemplate: aws.ec2.LaunchTemplate,
            subnetIds: pulumi.Input<string>[],
            instanceTypes: string[],
            capacityType: string,
            sizes: NodeGroupSizes,
            taints: aws.types.input.eks.NodeGroupTaint[],
        ) => new aws.eks.NodeGroup(logicalName, {
            clusterName: cluster.name,
            version: cluster.version,
            nodeRoleArn: nodeRole.arn,
            subnetIds,
            amiType: amiTypeFor(instanceTypes),
            instanceTypes,
            capacityType,
            scalingConfig: { minSize: sizes.minSize, desiredSize: sizes.desiredSize, maxSize: sizes.maxSize },
            launchTemplate: { id: launchTemplate.id, version: launchTemplate.latestVersion.apply((v) => String(v)) },
            updateConfig: { maxUnavailable: 1 },
            labels: { [NODE_GROUP_LABEL]: key },
            ...(taints.length > 0 ? { taints } : {}),
            tags: { Name: groupName },
        }, {
            parent: this,
            dependsOn: [...nodePolicies, vpcCni, kubeProxy, podIdentityAgent],
            // The cluster autoscaler owns the desired size after creation.
            ignoreChanges: ["scalingConfig.desiredSize"],
        });

        const generalTemplate = launchTemplateFor("general", c.nodes.diskSizeGiB);
        const generalGroups = args.privateSubnetIds.map((subnetId, az) => nodeGroup(
            `${name}-general-${az}`, pulumi.interpolate`${clusterName}-general-${az}`, "general", generalTemplate, [subnetId],
            c.nodes.instanceTypes, c.nodes.capacityType, generalGroupSizes(c.nodes), []));
        const systemGroups = c.systemNodes.enabled
            ? [nodeGroup(
                `${name}-system`, pulumi.interpolate`${clusterName}-system`, "system",
                launchTemplateFor("system", c.systemNodes.diskSizeGiB), args.privateSubnetIds,
                c.systemNodes.instanceTypes, c.systemNodes.capacityType, systemGroupSizes(c.systemNodes),
                [{ key: CRITICAL_ADDONS_TAINT.key, value: CRITICAL_ADDONS_TAINT.value, effect: "NO_SCHEDULE" }])]
            : [];
        const nodeGroups = [...generalGroups, ...systemGroups];

        // -- Add-ons that need nodes --------------------------------------------------------------
        // coredns, the EBS CSI controller and metrics-server are Deployments: created before a node
        // exists they sit DEGRADED and the create times out after 20 minutes.
        const coredns = addon("coredns", {}, nodeGroups);
        const ebsRole = this.addonRole(name, "aws-ebs-csi-driver", "ebs-csi", managedPolicyArn(partition, "service-role/AmazonEBSCSIDriverPolicy"));
        const ebsCsi = addon("ebsCsiDriver", {
            podIdentityAssociations: [{ roleArn: ebsRole.role.arn, serviceAccount: "ebs-csi-controller-sa" }],
            // The platform's tags on every volume the driver creates (the add-on's configuration
            // schema: controller.extraVolumeTags).
            configurationValues: JSON.stringify({ controller: { extraVolumeTags: args.tags } }),
        }, [...nodeGroups, ebsRole.attachment, podIdentityAgent]);
        const metricsServer = addon("metricsServer", {}, nodeGroups);

        // -- Kubernetes provider ------------------------------------------------------------------
        this.kubeconfig = pulumi.secret(pulumi
            .all([cluster.name, cluster.endpoint, cluster.certificateAuthority])
            .apply(([clusterNameValue, endpoint, ca]) => kubeconfigFor(clusterNameValue, endpoint, ca.data ?? "", args.region)));
        this.provider = new k8s.Provider(`${name}-k8s`, {
            kubeconfig: this.kubeconfig,
            // Review stacks: a cluster already gone must not block destroying the objects on it.
            deleteUnreachable: !args.protect,
            enableServerSideApply: true,
        }, parent);

        // Since 1.30 EKS has no default StorageClass: every PVC without a class stays Pending.
        const storageClass = new k8s.storage.v1.StorageClass(`${name}-gp3`, {
            metadata: {
                name: DEFAULT_STORAGE_CLASS,
                annotations: { "storageclass.kubernetes.io/is-default-class": "true" },
            },
            provisioner: "ebs.csi.aws.com",
            parameters: { type: "gp3", encrypted: "true", "csi.storage.k8s.io/fstype": "ext4" },
            // Bind where the pod is scheduled: an EBS volume lives in one AZ.
            volumeBindingMode: "WaitForFirstConsumer",
            allowVolumeExpansion: true,
            reclaimPolicy: "Delete",
        }, { parent: this, provider: this.provider, dependsOn: [ebsCsi] });
        this.storageClassName = DEFAULT_STORAGE_CLASS;

        this.nodesReady = [...nodeGroups, coredns, ebsCsi, storageClass];

        // -- Cluster services ---------------------------------------------------------------------
        const services = new ClusterServices(`${name}-services`, {
            clusterName: cluster.name,
            region: args.region,
            vpcId: args.vpcId,
            kubernetesVersion: c.version,
            tags: args.tags,
            // Controllers are installed after the nodes (their pods need somewhere to run) and so
            // are deleted before the nodes and the cluster.
            nodesReady: [...nodeGroups, coredns, metricsServer],
            // With a system group, the controllers run there (and tolerate its taint).
            placement: c.systemNodes.enabled
                ? {
                    nodeSelector: { [NODE_GROUP_LABEL]: "system" },
                    tolerations: [{ key: CRITICAL_ADDONS_TAINT.key, operator: "Equal", value: CRITICAL_ADDONS_TAINT.value, effect: "NoSchedule" }],
                }
                : undefined,
        }, { parent: this, providers: { kubernetes: this.provider } });
        this.servicesReady = services.ready;
        this.ready = [...this.nodesReady, ...this.servicesReady];

        this.registerOutputs({
            clusterName: this.clusterName,
            kubeconfig: this.kubeconfig,
            clusterSecurityGroupId: this.clusterSecurityGroupId,
            storageClassName: this.storageClassName,
        });
    }

    /** An IAM role for an EKS add-on's service account (associated by the add-on's podIdentityAssociations). */
    private addonRole(name: string, addonName: string, shortName: string, policyArn: pulumi.Input<string>) {
        const { role, attachments: [attachment] } = roleWithPolicies(`${name}-${addonName}-role`, {
            namePrefix: roleNamePrefix(`${name}-${shortName}`),
            assumeRolePolicy: POD_IDENTITY_TRUST_POLICY,
            managedPolicies: { [`${name}-${addonName}-policy`]: policyArn },
        }, { parent: this });
        return { role, attachment };
    }

    private createAdminAccess(name: string, cluster: aws.eks.Cluster, adminArns: readonly string[], partition: pulumi.Output<string>): void {
        if (adminArns.length === 0) return;
        const callerArn = awsAccount(this).callerArn;
        adminArns.forEach((arn, i) => {
            // Refuse (at preview) an admin that is the creator: its second entry would fail with 409.
            const principalArn = callerArn.apply((caller) => {
                if (adminsDuplicatingCreator([arn], caller).length > 0) {
                    throw new Error(`platform:cluster.adminPrincipalArns[${i}] = ${arn} is the identity running pulumi (${caller}), which is cluster-admin already (bootstrapClusterCreatorAdminPermissions); remove it: pulumi config rm --path 'platform:cluster.adminPrincipalArns[${i}]'`);
                }
                return arn;
            });
            const entry = new aws.eks.AccessEntry(`${name}-admin-${i}`, {
                clusterName: cluster.name,
                principalArn,
                type: "STANDARD",
            }, { parent: this });
            new aws.eks.AccessPolicyAssociation(`${name}-admin-${i}`, {
                clusterName: cluster.name,
                principalArn: entry.principalArn,
                policyArn: pulumi.interpolate`arn:${partition}:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy`,
                accessScope: { type: "cluster" },
            }, { parent: this });
        });
    }
}

/**
 * A kubeconfig whose user runs `aws eks get-token` (the aws CLI must be on PATH where Pulumi
 * runs): short-lived tokens from the caller's own AWS identity, nothing long-lived in state.
 */
export function kubeconfigFor(clusterName: string, endpoint: string, certificateAuthorityData: string, region: string): string {
    return JSON.stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: clusterName, cluster: { server: endpoint, "certificate-authority-data": certificateAuthorityData } }],
        contexts: [{ name: clusterName, context: { cluster: clusterName, user: clusterName } }],
        "current-context": clusterName,
        users: [{
            name: clusterName,
            user: {
                exec: {
                    apiVersion: "client.authentication.k8s.io/v1beta1",
                    command: "aws",
                    args: ["eks", "get-token", "--cluster-name", clusterName, "--region", region, "--output", "json"],
                    interactiveMode: "Never",
                },
            },
        }],
    });
}
