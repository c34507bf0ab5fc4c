/**
 * The cluster layer's main component: an EKS cluster with everything workloads and the
 * observability stack need, built in named steps — control plane (control-plane.ts), early
 * add-ons, node groups (node-groups.ts), add-ons that need nodes (addons.ts), the Kubernetes
 * provider and default StorageClass, and the cluster services (cluster-services.ts).
 */
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { kubernetesServiceCidr } from "../network/cidr";
import { earlyAddons, lateAddons, type LateAddons } from "./addons";
import { argoRollouts } from "./argo-rollouts";
import { eckOperator } from "./eck-operator";
import { ClusterServices } from "./cluster-services";
import { architectureOf, type ClusterConfig } from "./config";
import { adminAccess, CLUSTER_NAME_SUFFIX_BYTES, controlPlane } from "./control-plane";
import { CRITICAL_ADDONS_TAINT, imagePlatformFor, NODE_GROUP_LABEL, nodeGroups } from "./node-groups";
import { volumeWait } from "../shared/destroy-steps";
import { awsAccount } from "../shared/tags";
import { InputError, type ConfigProblem } from "../config/engine";

export { CLUSTER_NAME_SUFFIX_BYTES, CONTROL_PLANE_LOG_TYPES } from "./control-plane";
export { amiTypeFor, CRITICAL_ADDONS_TAINT, imagePlatformFor, NODE_GROUP_LABEL, NODE_TAGGED_RESOURCE_TYPES } from "./node-groups";

/** The default StorageClass every PersistentVolumeClaim without a class gets. */
export const DEFAULT_STORAGE_CLASS = "gp3-encrypted";

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
     * The network's egress (NAT, routes): the node groups (and so everything on the nodes) are
     * created after it and, on destroy, deleted before it, so controllers can still reach AWS APIs
     * to clean up what they created. The control plane does not wait for it.
     */
    readonly egress?: pulumi.Input<pulumi.Resource>[];
    /**
     * The platform's tags (the AWS provider's default tags). The provider cannot put them on what
     * others create: nodes and their volumes and network interfaces (launch template), EBS volumes
     * of PersistentVolumeClaims (EBS CSI driver) and load balancers (load balancer controller).
     */
    readonly tags: Readonly<Record<string, string>>;
    /** Install the Argo Rollouts controller (a canary or blue-green app strategy needs it). */
    readonly argoRollouts?: boolean;
    /**
     * Install the ECK operator (eck-operator.ts) for the Elastic resources of `managedNamespace`
     * (the observability stack's logs); `vpcCidr` for its NetworkPolicies.
     */
    readonly eckOperator?: { readonly managedNamespace: string; readonly vpcCidr: string; readonly previousParent?: { readonly name: string; readonly type: string } };
}

/** Problems with args a caller passed without parseConfig (parseConfig reports the same rules). */
export function validateClusterArgs(name: string, args: ClusterArgs): ConfigProblem[] {
    const problems: ConfigProblem[] = [];
    const nodesKey = (k: string) => `platform:cluster.nodes.${k}`;
    // CreateCluster: 1-100 characters, starts with a letter or digit, then letters, digits, - and _;
    // the EKS name is this name, "-" and the random suffix.
    const maxLength = 100 - 1 - 2 * CLUSTER_NAME_SUFFIX_BYTES;
    if (!/^[0-9A-Za-z][A-Za-z0-9_-]*$/.test(name) || name.length > maxLength) {
        problems.push({
            key: "cluster component name", value: name,
            rule: `1-${maxLength} letters, digits, - or _, starting with a letter or digit (EKS allows 100 with the ${2 * CLUSTER_NAME_SUFFIX_BYTES}-character suffix); got ${name.length} characters`,
            fix: `name the Cluster component with at most ${maxLength} such characters (its name is <project>-<stack>-cluster: a shorter stack name)`,
        });
    }
    if (args.privateSubnetIds.length < 2) {
        problems.push({ key: "platform:network.availabilityZoneCount", value: args.privateSubnetIds.length, rule: "EKS needs private subnets in at least 2 AZs (the value is the private subnets passed)", fix: "pulumi config set --path 'platform:network.availabilityZoneCount' 2" });
    }
    if (args.publicSubnetIds.length < 2) {
        problems.push({ key: "platform:network.availabilityZoneCount", value: args.publicSubnetIds.length, rule: "an internet-facing ALB needs public subnets in at least 2 AZs (the value is the public subnets passed)", fix: "pulumi config set --path 'platform:network.availabilityZoneCount' 2" });
    }
    const n = args.config.nodes;
    if (n.minSizePerAz > n.maxSizePerAz || n.desiredSizePerAz < n.minSizePerAz || n.desiredSizePerAz > n.maxSizePerAz) {
        problems.push({
            key: nodesKey("desiredSizePerAz"), value: n.desiredSizePerAz,
            rule: `minSizePerAz <= desiredSizePerAz <= maxSizePerAz; got ${n.minSizePerAz} <= ${n.desiredSizePerAz} <= ${n.maxSizePerAz}`,
            fix: `pulumi config set --path '${nodesKey("minSizePerAz")}' ${Math.min(n.minSizePerAz, n.maxSizePerAz)} && pulumi config set --path '${nodesKey("desiredSizePerAz")}' ${Math.min(n.minSizePerAz, n.maxSizePerAz)}`,
        });
    }
    if (new Set(n.instanceTypes.map(architectureOf)).size > 1) {
        problems.push({
            key: nodesKey("instanceTypes"), value: n.instanceTypes,
            rule: "instance types of one architecture (one AMI type per node group)",
            fix: `pulumi config rm --path '${nodesKey("instanceTypes")}' && pulumi config set --path '${nodesKey("instanceTypes")}[0]' ${n.instanceTypes[0]}`,
        });
    }
    return problems;
}

/**
 * An EKS cluster with everything workloads and the observability stack need:
 * - control plane: pinned version on standard support only, access entries (API mode), secrets
 *   envelope-encrypted with a rotating KMS key, api/audit/authenticator logs into a log group this
 *   component owns, private endpoint on and the public one limited to configured CIDRs;
 * - access: cluster-admin access entries for the deployer and the configured admins (the creator
 *   gets no implicit admin; the node role's entry is EKS's own), which the provider waits for;
 * - managed AL2023 node groups, one per AZ in that AZ's private subnet (IMDSv2 only with hop limit
 *   1, encrypted gp3 root volumes, the platform's tags on instances, volumes and network
 *   interfaces) whose desired sizes the cluster autoscaler owns, plus an optional tainted system
 *   group over all AZs for the controllers;
 * - EKS add-ons (vpc-cni, kube-proxy, Pod Identity agent beside the nodes; coredns, EBS CSI driver,
 *   metrics-server after them) at EKS's default version for the Kubernetes version unless pinned,
 *   each AWS-calling one with its own Pod Identity role;
 * - a default encrypted gp3 StorageClass;
 * - the Kubernetes provider every Kubernetes object of the program uses;
 * - cluster services (AWS Load Balancer Controller, cluster autoscaler), see ClusterServices;
 * - the operators higher layers ask for: Argo Rollouts (argo-rollouts.ts), ECK (eck-operator.ts).
 */
export class Cluster extends pulumi.ComponentResource {
    public readonly clusterName: pulumi.Output<string>;
    public readonly provider: k8s.Provider;
    /** Exec-based kubeconfig (`aws eks get-token`): secret, though it holds no credentials. */
    public readonly kubeconfig: pulumi.Output<string>;
    /** The EKS-created cluster security group, attached to the managed nodes and their pods. */
    public readonly clusterSecurityGroupId: pulumi.Output<string>;
    /** Every node group, coredns, the EBS CSI driver, the default StorageClass and the destroy-time volume wait: workloads depend on these. */
    public readonly nodesReady: pulumi.Resource[];
    /** Load balancer controller and cluster autoscaler releases: Ingresses and LoadBalancer Services depend on these. */
    public readonly servicesReady: pulumi.Resource[];
    /**
     * Everything a component with Kubernetes objects waits for: the nodes (and storage) and the
     * cluster services. Components take it as their `dependsOn` argument and hand it to their
     * children, because a component resource's own dependsOn does not reach its children.
     */
    public readonly ready: pulumi.Resource[];
    /**
     * The Argo Rollouts controller's release (empty when no strategy needs it): only Rollouts and
     * AnalysisTemplates wait for it (its CRDs), so the rest of the app does not; they are deleted
     * before it, while it still runs.
     */
    public readonly rolloutsReady: pulumi.Resource[];
    /**
     * The ECK operator's release (empty when not installed): the Elastic custom resources wait for
     * it (its CRDs and webhook) and are deleted before it.
     */
    public readonly eckOperatorReady: pulumi.Resource[];
    public readonly storageClassName: string;
    /**
     * The `kubernetes` Service's ClusterIP as a /32, from the service range EKS assigned
     * (kubernetesNetworkConfig.serviceIpv4Cidr): the NetworkPolicies' API server rule needs it.
     */
    public readonly apiServiceCidr: pulumi.Output<string>;
    /** CPU architecture of the general (application) nodes and the image platform that runs on it. */
    public readonly architecture: "arm64" | "x86_64";
    public readonly imagePlatform: "linux/arm64" | "linux/amd64";

    constructor(name: string, args: ClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:cluster:Cluster", name, {}, opts);
        const problems = validateClusterArgs(name, args);
        if (problems.length > 0) throw new InputError(`cluster ${name}`, problems);

        const c = args.config;
        const partition = awsAccount(this).partition;
        this.architecture = architectureOf(c.nodes.instanceTypes[0]);
        this.imagePlatform = imagePlatformFor(c.nodes.instanceTypes);

        const { cluster, clusterName } = controlPlane(this, name, args, partition);
        this.clusterName = cluster.name;
        this.clusterSecurityGroupId = cluster.vpcConfig.apply((v) => v.clusterSecurityGroupId);
        this.apiServiceCidr = cluster.kubernetesNetworkConfig.apply((k) => kubernetesServiceCidr(k.serviceIpv4Cidr));
        const access = adminAccess(this, name, cluster, c, partition);

        const early = earlyAddons(this, name, cluster, c, partition);
        const groups = nodeGroups(this, name, args, cluster, clusterName, partition, early);
        const late = lateAddons(this, name, cluster, c, partition, groups, early, args.tags);

        this.kubeconfig = pulumi.secret(pulumi
            .all([cluster.name, cluster.endpoint, cluster.certificateAuthority])
            .apply(([clusterNameValue, endpoint, ca]) => kubeconfigFor(clusterNameValue, endpoint, ca.data ?? "", args.region)));
        this.provider = this.kubernetesProvider(name, args.protect, access);
        const storageClass = this.defaultStorageClass(name, late.ebsCsi);
        this.storageClassName = DEFAULT_STORAGE_CLASS;
        // Between the EBS CSI driver (and StorageClass) and every owner of a volume, which waits for
        // `ready`: on destroy the owners go first, this waits until their volumes are deleted, and
        // only then do the driver and the StorageClass go (issue 12, item 1). It calls the API, so
        // it waits for the access entries too; and coredns, which the driver's controller resolves
        // the EC2 endpoint with while it deletes the volumes (no cost on up: both end with the nodes + 1).
        const volumes = volumeWait(`${name}-volume-wait`, { kubeconfig: this.kubeconfig, storageClassName: DEFAULT_STORAGE_CLASS },
            { parent: this, dependsOn: [late.ebsCsi, late.coredns, storageClass, ...access] });
        // The nodes with the early add-ons: a workload's NetworkPolicies are enforced from its first
        // pod (the managed vpc-cni's network policy agent). The add-ons end long before the nodes do.
        const nodes = [...groups, early.vpcCni, early.kubeProxy, early.podIdentityAgent];
        this.nodesReady = [...nodes, late.coredns, late.ebsCsi, storageClass, volumes];

        const services = this.clusterServices(name, args, c, cluster, groups, late);
        this.servicesReady = services.ready;
        // Argo Rollouts, for the app's canary and blue-green strategies (after the cluster services).
        this.rolloutsReady = [];
        if (args.argoRollouts) {
            this.rolloutsReady = [argoRollouts(this, name, {
                clusterName: cluster.name, region: args.region, provider: this.provider, dependsOn: [...this.nodesReady, ...services.ready], placement: c.systemNodes.enabled
                    ? { nodeSelector: { [NODE_GROUP_LABEL]: "system" }, tolerations: [{ key: CRITICAL_ADDONS_TAINT.key, operator: "Equal", value: CRITICAL_ADDONS_TAINT.value, effect: "NoSchedule" }] }
                    : undefined,
            })];
        }
        // The ECK operator after the nodes only (not coredns, the EBS CSI driver, the volume
        // wait): it owns no volume and needs no name resolution to start, and on destroy it goes
        // after the Elastic resources (which depend on it) and before the nodes.
        this.eckOperatorReady = args.eckOperator
            ? [eckOperator(this, name, { ...args.eckOperator, apiServiceCidr: this.apiServiceCidr, provider: this.provider, dependsOn: nodes })]
            : [];
        this.ready = [...this.nodesReady, ...this.servicesReady];

        this.registerOutputs({
            clusterName: this.clusterName,
            kubeconfig: this.kubeconfig,
            clusterSecurityGroupId: this.clusterSecurityGroupId,
            storageClassName: this.storageClassName,
        });
    }

    /** The Kubernetes provider every Kubernetes object of the program uses. */
    private kubernetesProvider(name: string, protect: boolean, access: pulumi.Resource[]): k8s.Provider {
        return new k8s.Provider(`${name}-k8s`, {
            kubeconfig: this.kubeconfig,
            // Review stacks: a cluster already gone must not block destroying the objects on it.
            deleteUnreachable: !protect,
            enableServerSideApply: true,
            // After the access entries, so on destroy they outlive every Kubernetes object.
        }, { parent: this, dependsOn: access });
    }

    /** Since 1.30 EKS has no default StorageClass: every PVC without a class stays Pending. */
    private defaultStorageClass(name: string, ebsCsi: aws.eks.Addon): k8s.storage.v1.StorageClass {
        return new k8s.storage.v1.StorageClass(`${name}-gp3`, {
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
    }

    /** The load balancer controller and the cluster autoscaler, after the nodes. */
    private clusterServices(name: string, args: ClusterArgs, c: ClusterConfig, cluster: aws.eks.Cluster, nodeGroups: aws.eks.NodeGroup[], late: LateAddons): ClusterServices {
        const { coredns, metricsServer } = late;
        return new ClusterServices(`${name}-services`, {
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
