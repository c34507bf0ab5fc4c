/**
 * The EKS control plane: its name (with a random suffix), role, secrets-encryption key, log group,
 * the cluster itself, and the cluster-admin access entries of the configured principals.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { ClusterArgs } from "./cluster";
import { managedPolicyArn, roleWithPolicies, serviceTrustPolicy } from "../shared/iam";
import { awsAccount } from "../shared/tags";
import { roleNamePrefix } from "./pod-identity";
import { InputError } from "../config/engine";

/** Control-plane log types shipped to CloudWatch Logs (EKS user guide, "Control plane logs"). */
export const CONTROL_PLANE_LOG_TYPES = ["api", "audit", "authenticator"] as const;

/** Random bytes of the EKS cluster name's suffix (hex: twice as many characters). */
export const CLUSTER_NAME_SUFFIX_BYTES = 3;

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
        parent: scope,
        protect: args.protect,
        // Not the egress: the control plane's ENIs need no NAT (the node groups wait for it).
        dependsOn: [logGroup, clusterPolicy, keyPolicy],
        // The name is kept across replacements (the suffix lives in state): the old cluster
        // must be gone before the new one can take it.
        deleteBeforeReplace: true,
    });
    return { cluster, clusterName };
}

/** Cluster-admin access entries for the configured principals (the creator is admin by bootstrap). */
export function adminAccess(scope: pulumi.ComponentResource, name: string, cluster: aws.eks.Cluster, adminArns: readonly string[], partition: pulumi.Output<string>): void {
    if (adminArns.length === 0) return;
    const callerArn = awsAccount(scope).callerArn;
    adminArns.forEach((arn, i) => {
        // Refuse (at preview) an admin that is the creator: its second entry would fail with 409.
        const principalArn = callerArn.apply((caller) => {
            if (adminsDuplicatingCreator([arn], caller).length > 0) {
                throw new InputError("cluster", [{ key: `platform:cluster.adminPrincipalArns[${i}]`, value: arn, rule: `not the identity running pulumi (${caller}), which is cluster-admin already (bootstrapClusterCreatorAdminPermissions)`, fix: `pulumi config rm --path 'platform:cluster.adminPrincipalArns[${i}]'` }]);
            }
            return arn;
        });
        const entry = new aws.eks.AccessEntry(`${name}-admin-${i}`, {
            clusterName: cluster.name,
            principalArn,
            type: "STANDARD",
        }, { parent: scope });
        new aws.eks.AccessPolicyAssociation(`${name}-admin-${i}`, {
            clusterName: cluster.name,
            principalArn: entry.principalArn,
            policyArn: pulumi.interpolate`arn:${partition}:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy`,
            accessScope: { type: "cluster" },
        }, { parent: scope });
    });
}
