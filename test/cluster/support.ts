import * as assert from "node:assert/strict";
import {
    type ClusterArgs,
} from "../../components/cluster/cluster";
import { type PlatformConfig } from "../../components/config";
import { platformTags } from "../../components/shared/tags";
import {
    buildStack, DEPLOYER_ARN, stackConfig, type Built, type CapturedResource,
} from "../harness";

export const EKS = "aws:eks/cluster:Cluster";
export const NODE_GROUP = "aws:eks/nodeGroup:NodeGroup";
export const ADDON = "aws:eks/addon:Addon";
export const ROLE = "aws:iam/role:Role";
export const ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy";
export const ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment";
export const ASSOCIATION = "aws:eks/podIdentityAssociation:PodIdentityAssociation";
export const ACCESS_ENTRY = "aws:eks/accessEntry:AccessEntry";
export const ACCESS_POLICY = "aws:eks/accessPolicyAssociation:AccessPolicyAssociation";
export const RELEASE = "kubernetes:helm.sh/v3:Release";
export const RANDOM_ID = "random:index/randomId:RandomId";
export const LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate";
export const K8S_PROVIDER = "pulumi:providers:kubernetes";
export const CLUSTER_KEY = "platform:cluster";

export const POD_IDENTITY_TRUST = {
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { Service: "pods.eks.amazonaws.com" }, Action: ["sts:AssumeRole", "sts:TagSession"] }],
};

/** The resource options the cluster tests check (protect, ignoreChanges, deleteBeforeReplace), by resource name. */
export interface Options { protect?: boolean; ignoreChanges: string[]; deleteBeforeReplace: boolean }

/** buildStack plus the resource options of every registration, by resource name (the shared build's capture records them). */
export async function buildWithOptions(stack: string, overrides: Record<string, unknown> = {}): Promise<Built & { options: Map<string, Options> }> {
    const built = await buildStack(stack, overrides);
    const options = new Map<string, Options>(built.capture.resources.map((r) => [r.name, {
        protect: r.protect, ignoreChanges: [...r.ignoreChanges], deleteBeforeReplace: r.deleteBeforeReplace,
    }]));
    return { ...built, options };
}

export const eks = (b: Built) => b.capture.one(EKS);
/** The EKS name: the component's name and the RandomId's 3 bytes (the mock's hex "0a1b2c"). */
export const clusterNameOf = (stack: string) => `platform-${stack}-cluster-0a1b2c`;
/** The general node groups, one per AZ, in AZ order. */
export const generalGroups = (b: Built) => b.capture.ofType(NODE_GROUP)
    .filter((g) => /-general-\d+$/.test(g.name))
    .sort((x, y) => Number(x.name.split("-").pop()) - Number(y.name.split("-").pop()));
/**
 * Every node group of a build, after checking there are exactly `count` of them (a loop over the
 * groups would pass over none): one general group per AZ, plus the system group where enabled.
 */
export const nodeGroupsOf = (b: Built, count: number) => {
    const groups = b.capture.ofType(NODE_GROUP);
    assert.equal(groups.length, count, `${b.config.stack}: ${count} node groups`);
    return groups;
};
export const addon = (b: Built, addonName: string) => {
    const found = b.capture.ofType(ADDON).filter((a) => a.inputs.addonName === addonName);
    assert.equal(found.length, 1, `one ${addonName} add-on`);
    return found[0];
};
export const release = (b: Built, releaseName: string) => {
    const found = b.capture.ofType(RELEASE).filter((r) => r.inputs.name === releaseName);
    assert.equal(found.length, 1, `one ${releaseName} release`);
    return found[0];
};
export const association = (b: Built, serviceAccount: string) => {
    const found = b.capture.ofType(ASSOCIATION).filter((a) => a.inputs.serviceAccount === serviceAccount);
    assert.equal(found.length, 1, `one association for ${serviceAccount}`);
    return found[0];
};
/** The role a resource's `role`/`roleArn` input points at, through its property dependencies. */
export const roleOf = (b: Built, r: CapturedResource, property: string) => {
    const roles = (r.propertyDependencies[property] ?? []).map((urn) => b.capture.byUrn(urn)).filter((x) => x.type === ROLE);
    assert.equal(roles.length, 1, `${r.name}.${property} comes from one role`);
    return roles[0];
};
export const attachmentsOf = (b: Built, role: CapturedResource) =>
    b.capture.ofType(ATTACHMENT).filter((a) => a.propertyDependencies.role?.includes(role.urn)).map((a) => a.inputs.policyArn).sort();
export const clusterResources = (b: Built) => b.capture.descendantsOf(b.capture.one("platform:cluster:Cluster"));
export const ADMINS = ["arn:aws:iam::123456789012:role/platform-admins", "arn:aws:iam::123456789012:user/alice"];
export const VARIANT = {
    deployerPrincipalArn: DEPLOYER_ARN,
    version: "1.36",
    publicAccessCidrs: ["203.0.113.0/24", "198.51.100.7/32"],
    adminPrincipalArns: ADMINS,
    nodes: { instanceTypes: ["m7g.large"] },
    systemNodes: { enabled: true, instanceTypes: ["t4g.medium"] },
    addonVersions: { coredns: "v1.12.4-eksbuild.1" },
};
/** Chart values that put a controller on the system node group. */
export const SYSTEM_PLACEMENT = {
    nodeSelector: { "platform/node-group": "system" },
    tolerations: [{ key: "CriticalAddonsOnly", operator: "Equal", value: "true", effect: "NoSchedule" }],
};
export const privateSubnetIds = (stack: string, count: number) => [...Array(count).keys()].map((i) => `platform-${stack}-network-private-${i}-id`);
/** ClusterArgs for direct calls of validateClusterArgs: the review defaults, with overrides. */
export function clusterArgs(over: Partial<ClusterArgs>, nodes: Partial<PlatformConfig["cluster"]["nodes"]> = {}): ClusterArgs {
    const config = stackConfig("pr-1").cluster;
    return {
        config: { ...config, nodes: { ...config.nodes, ...nodes } }, region: "us-east-1", vpcId: "vpc-1",
        privateSubnetIds: ["a", "b"], publicSubnetIds: ["c", "d"], protect: false, tags: {}, ...over,
    };
}
/** The platform's tags of a stack, as the AWS provider's default tags carry them. */
export const tagsOf = (b: Built) => platformTags(b.config);
