/**
 * The EKS control plane: its name (with a random suffix), role, secrets-encryption key, log group,
 * the cluster itself, and the cluster-admin access entries of the configured principals.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { ClusterArgs } from "./cluster";
import { logGroupSweep } from "../shared/destroy-steps";
import { managedPolicyArn, roleWithPolicies, serviceTrustPolicy } from "../shared/iam";
import { roleNamePrefix } from "./pod-identity";

/** Control-plane log types shipped to CloudWatch Logs (EKS user guide, "Control plane logs"). */
export const CONTROL_PLANE_LOG_TYPES = ["api", "audit", "authenticator"] as const;

/** Random bytes of the EKS cluster name's suffix (hex: twice as many characters). */
export const CLUSTER_NAME_SUFFIX_BYTES = 3;

/** The control plane and what it is made with, for the steps that follow. */
export interface ControlPlane {
    readonly cluster: aws.eks.Cluster;
    /** The cluster's name, known before the cluster exists (the log group and node groups use it). */
    readonly clusterName: pulumi.Output<string>;
}

/** The control plane: the first step of Cluster. Children are parented to `scope`. */
export function controlPlane(scope: pulumi.ComponentResource, name: string, args: ClusterArgs, partition: pulumi.Output<string>): ControlPlane {
    const c = args.config;
    const parent = { parent: scope };
    // The log group must exist before the cluster, so the cluster's name is chosen here, not
    // auto-named. It ends in a random suffix kept in state: EKS re-creates
    // /aws/eks/<name>/cluster from log events that arrive after Pulumi deleted the group, and a
    // recreated stack reusing the name would fail with ResourceAlreadyExistsException
    // (terraform-aws-modules/terraform-aws-eks#920, #2486). Protected with the cluster: a new
    // suffix would replace the cluster.
    const nameSuffix = new random.RandomId(`${name}-name-suffix`, { byteLength: CLUSTER_NAME_SUFFIX_BYTES }, { parent: scope, protect: args.protect });
    const clusterName = pulumi.interpolate`${name}-${nameSuffix.hex}`;

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
    }, { parent: scope, protect: args.protect });
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
    // not create one that never expires. EKS still recreates it from late events after the
    // cluster is deleted: the sweep, deleted after the cluster and this group, removes it again.
    const logGroupName = pulumi.interpolate`/aws/eks/${clusterName}/cluster`;
    const sweep = logGroupSweep(`${name}-log-sweep`, { logGroupNames: [logGroupName], region: args.region }, parent);
    const logGroup = new aws.cloudwatch.LogGroup(`${name}-control-plane-logs`, {
        name: logGroupName,
        retentionInDays: c.logRetentionDays,
    }, { parent: scope, dependsOn: [sweep] });

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
            // No implicit admin for whoever created the cluster: the deployer's entry is explicit
            // (cluster.deployerPrincipalArn, see adminAccess), so admin access does not depend on
            // who ran the first `up` (issue 12, item 5). Changing this replaces the cluster.
            bootstrapClusterCreatorAdminPermissions: false,
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
        parent: scope,
        protect: args.protect,
        // Not on the egress: the control plane's ENIs need no NAT; the node groups wait for it instead.
        dependsOn: [logGroup, clusterPolicy, keyPolicy],
        // The name is kept across replacements (the suffix lives in state): the old cluster
        // must be gone before the new one can take it.
        deleteBeforeReplace: true,
    });
    return { cluster, clusterName };
}

/**
 * Cluster-admin access entries: the deployer's (`cluster.deployerPrincipalArn`) and the other
 * configured admins'. Returned so the Kubernetes provider (and every destroy-time step that calls
 * the API) depends on them: on destroy they go last, after every Kubernetes object (issue 12,
 * item 4); deleted first, every later Kubernetes delete would fail with 401/403.
 */
export function adminAccess(scope: pulumi.ComponentResource, name: string, cluster: aws.eks.Cluster, c: Pick<ClusterArgs["config"], "deployerPrincipalArn" | "adminPrincipalArns">, partition: pulumi.Output<string>): pulumi.Resource[] {
    const principals: [string, string][] = [
        [`${name}-deployer`, c.deployerPrincipalArn],
        ...c.adminPrincipalArns.map((arn, i): [string, string] => [`${name}-admin-${i}`, arn]),
    ];
    return principals.flatMap(([entryName, principalArn]) => {
        const entry = new aws.eks.AccessEntry(entryName, {
            clusterName: cluster.name,
            principalArn,
            type: "STANDARD",
        }, { parent: scope });
        const association = new aws.eks.AccessPolicyAssociation(entryName, {
            clusterName: cluster.name,
            principalArn: entry.principalArn,
            policyArn: pulumi.interpolate`arn:${partition}:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy`,
            accessScope: { type: "cluster" },
        }, { parent: scope });
        return [entry, association];
    });
}
