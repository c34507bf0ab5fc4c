/**
 * The managed node groups: the node role, a launch template per group kind (IMDSv2 only, encrypted
 * gp3 root volume, the platform's tags on what EC2 launches), one general group per AZ and the
 * optional tainted system group.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { EarlyAddons } from "./addons";
import type { ClusterArgs } from "./cluster";
import { architectureOf, generalGroupSizes, systemGroupSizes, type NodeGroupSizes } from "./config";
import { managedPolicyArn, roleWithPolicies, serviceTrustPolicy } from "../shared/iam";
import { roleNamePrefix } from "./pod-identity";

/** Node label naming a node's group ("general" or "system"). */
export const NODE_GROUP_LABEL = "platform/node-group";

/**
 * The system group's taint: the conventional key cluster add-ons tolerate (CoreDNS does by
 * default), so application pods stay off those nodes.
 */
export const CRITICAL_ADDONS_TAINT = { key: "CriticalAddonsOnly", value: "true" } as const;

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

/** The node groups, general ones first (one per AZ), then the system group if enabled. */
export function nodeGroups(
    scope: pulumi.ComponentResource, name: string, args: ClusterArgs, cluster: aws.eks.Cluster, clusterName: pulumi.Output<string>,
    partition: pulumi.Output<string>, early: EarlyAddons,
): aws.eks.NodeGroup[] {
    const c = args.config;
    // The least a node needs: join the cluster and pull images. No CNI policy (vpc-cni has its
    // own role) and nothing pods could borrow (IMDS hop limit 1 keeps them off the node role).
    const { role: nodeRole, attachments: nodePolicies } = roleWithPolicies(`${name}-node-role`, {
        namePrefix: roleNamePrefix(`${name}-nodes`),
        assumeRolePolicy: serviceTrustPolicy("ec2.amazonaws.com"),
        managedPolicies: Object.fromEntries(["AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryPullOnly"].map((policy) =>
            [`${name}-node-${policy}`, managedPolicyArn(partition, policy)])),
    }, { parent: scope });

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
        }, { parent: scope });
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
        parent: scope,
        // The egress (NAT, routes): nodes pull images and join through it; on destroy, the nodes
        // and everything on them (controllers cleaning up load balancers, volumes) go before it.
        // aws-node's association, not the early add-ons (addons.ts says why).
        dependsOn: [...nodePolicies, early.cniAssociation, ...(args.egress ?? [])],
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
    return [...generalGroups, ...systemGroups];
}
