/**
 * The EKS add-ons: vpc-cni, kube-proxy and the Pod Identity agent beside the nodes (the nodes wait
 * only for vpc-cni's Pod Identity association); coredns, the EBS CSI driver and metrics-server
 * after them; each AWS-calling one with its own role.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { EKS_ADDONS, type ClusterConfig, type EksAddonKey } from "./config";
import { managedPolicyArn, roleWithPolicies } from "../shared/iam";
import { POD_IDENTITY_TRUST_POLICY, roleNamePrefix } from "./pod-identity";

/** Creates one EKS add-on of the cluster. */
type AddonFactory = (key: EksAddonKey, extra: Partial<aws.eks.AddonArgs>, dependsOn: pulumi.Input<pulumi.Resource>[], options?: pulumi.CustomResourceOptions) => aws.eks.Addon;

function addonFactory(scope: pulumi.ComponentResource, name: string, cluster: aws.eks.Cluster, c: ClusterConfig): AddonFactory {
    const parent = { parent: scope };
    // Unpinned add-ons get EKS's default version for the Kubernetes version, not the newest:
    // with OVERWRITE, a newest-version lookup would upgrade prod's add-ons at any `up`.
    const addonVersion = (key: EksAddonKey): pulumi.Input<string> =>
        c.addonVersions[key] ??
        aws.eks.getAddonVersionOutput({ addonName: EKS_ADDONS[key], kubernetesVersion: c.version, mostRecent: false }, parent).version;
    const addon = (key: EksAddonKey, extra: Partial<aws.eks.AddonArgs>, dependsOn: pulumi.Input<pulumi.Resource>[], options?: pulumi.CustomResourceOptions) =>
        new aws.eks.Addon(`${name}-${EKS_ADDONS[key]}`, {
            clusterName: cluster.name,
            addonName: EKS_ADDONS[key],
            addonVersion: addonVersion(key),
            // With bootstrapSelfManagedAddons the self-managed vpc-cni, kube-proxy and coredns
            // already exist: adopting them needs OVERWRITE (aws v7 removed resolveConflicts).
            resolveConflictsOnCreate: "OVERWRITE",
            resolveConflictsOnUpdate: "OVERWRITE",
            ...extra,
        }, { parent: scope, dependsOn, ...options });
    return addon;
}

/** An IAM role for an EKS add-on's service account (associated by the add-on's podIdentityAssociations). */
function addonRole(scope: pulumi.ComponentResource, name: string, addonName: string, shortName: string, policyArn: pulumi.Input<string>) {
    const { role, attachments: [attachment] } = roleWithPolicies(`${name}-${addonName}-role`, {
        namePrefix: roleNamePrefix(`${name}-${shortName}`),
        assumeRolePolicy: POD_IDENTITY_TRUST_POLICY,
        managedPolicies: { [`${name}-${addonName}-policy`]: policyArn },
    }, { parent: scope });
    return { role, attachment };
}

export interface EarlyAddons {
    readonly podIdentityAgent: aws.eks.Addon;
    readonly vpcCni: aws.eks.Addon;
    readonly kubeProxy: aws.eks.Addon;
    /** aws-node's Pod Identity association: the node groups wait for it (seconds), not for the add-ons. */
    readonly cniAssociation: aws.eks.PodIdentityAssociation;
}

/**
 * vpc-cni, kube-proxy and the Pod Identity agent are DaemonSets, created beside the node groups
 * rather than before them (issue 14: -1.0 min on every chain):
 * - What a node's first pods need from EKS's API is vpc-cni's Pod Identity association for
 *   `kube-system/aws-node`: the Pod Identity webhook injects credentials only when a pod is
 *   created, and the node role has no CNI policy. It is a separate `PodIdentityAssociation` the
 *   node groups depend on, not the add-on's `podIdentityAssociations` (which exists only once the
 *   add-on is).
 * - With `bootstrapSelfManagedAddons` the cluster already runs a self-managed aws-node and
 *   kube-proxy, so a node that joins before the managed add-ons are ACTIVE is networked at once;
 *   the add-ons then adopt them (OVERWRITE). The agent's pod starts beside aws-node on every new
 *   node anyway (also every node the autoscaler adds): until it serves, aws-node exits (ipamd
 *   cannot list the ENIs) and the kubelet restarts it with back-off, with the credentials the
 *   webhook injected at the pod's creation.
 * - `deletedWith` the cluster: `pulumi destroy` does not delete them, DeleteCluster does, after
 *   the node groups. Without it, with nothing depending on them any more, the destroy would
 *   delete the CNI first, while the pods on the nodes are still being deleted.
 */
export function earlyAddons(scope: pulumi.ComponentResource, name: string, cluster: aws.eks.Cluster, c: ClusterConfig, partition: pulumi.Output<string>): EarlyAddons {
    const addon = addonFactory(scope, name, cluster, c);
    const withCluster = { deletedWith: cluster };
    const podIdentityAgent = addon("podIdentityAgent", {}, [], withCluster);
    // vpc-cni calls EC2 for pod IPs: its own role (the node role has no CNI policy).
    const cniRole = addonRole(scope, name, "vpc-cni", "vpc-cni", managedPolicyArn(partition, "AmazonEKS_CNI_Policy"));
    const cniAssociation = new aws.eks.PodIdentityAssociation(`${name}-vpc-cni-association`, {
        clusterName: cluster.name,
        namespace: "kube-system",
        serviceAccount: "aws-node",
        roleArn: cniRole.role.arn,
    }, { parent: scope, dependsOn: [cniRole.attachment] });
    const vpcCni = addon("vpcCni", {
        // The network policy agent (aws-node's aws-eks-nodeagent container): without it the VPC
        // CNI ignores NetworkPolicies (the add-on's configuration schema: enableNetworkPolicy, a string).
        configurationValues: JSON.stringify({ enableNetworkPolicy: "true" }),
    // Not after the association: nothing orders them (no aws-node pod exists before the nodes,
    // which wait for the association), and a stack created before the association was separate
    // updates this add-on first to release aws-node's association (docs/estimates.md, "Upgrading").
    }, [], withCluster);
    const kubeProxy = addon("kubeProxy", {}, [], withCluster);
    return { podIdentityAgent, vpcCni, kubeProxy, cniAssociation };
}

export interface LateAddons {
    readonly coredns: aws.eks.Addon;
    readonly ebsCsi: aws.eks.Addon;
    readonly metricsServer: aws.eks.Addon;
}

/**
 * coredns, the EBS CSI controller and metrics-server are Deployments: created before a node
 * exists they sit DEGRADED and the create times out after 20 minutes, so they wait for the nodes.
 */
export function lateAddons(
    scope: pulumi.ComponentResource, name: string, cluster: aws.eks.Cluster, c: ClusterConfig, partition: pulumi.Output<string>,
    nodeGroups: aws.eks.NodeGroup[], early: EarlyAddons, tags: Readonly<Record<string, string>>,
): LateAddons {
    const addon = addonFactory(scope, name, cluster, c);
    const coredns = addon("coredns", {}, nodeGroups);
    const ebsRole = addonRole(scope, name, "aws-ebs-csi-driver", "ebs-csi", managedPolicyArn(partition, "service-role/AmazonEBSCSIDriverPolicy"));
    const ebsCsi = addon("ebsCsiDriver", {
        podIdentityAssociations: [{ roleArn: ebsRole.role.arn, serviceAccount: "ebs-csi-controller-sa" }],
        // The platform's tags on every volume the driver creates (the add-on's configuration
        // schema: controller.extraVolumeTags).
        configurationValues: JSON.stringify({ controller: { extraVolumeTags: tags } }),
    }, [...nodeGroups, ebsRole.attachment, early.podIdentityAgent]);
    const metricsServer = addon("metricsServer", {}, nodeGroups);
    return { coredns, ebsCsi, metricsServer };
}
