import * as assert from "node:assert/strict";
import {
    amiTypeFor,
} from "../../components/cluster/cluster";
import {
    buildStack, valueOf,
    type Built,
} from "../harness";

import { NODE_GROUP, ROLE_POLICY, LAUNCH_TEMPLATE, CLUSTER_KEY, Options, buildWithOptions, eks, clusterNameOf, generalGroups, nodeGroupsOf, addon, release, roleOf, attachmentsOf, VARIANT, SYSTEM_PLACEMENT, privateSubnetIds, tagsOf } from "./support";

describe("cluster node groups", () => {
    let dev: Built & { options: Map<string, Options> };
    let prod: Built & { options: Map<string, Options> };
    let review: Built & { options: Map<string, Options> };
    /** A review stack with every cluster setting moved off its default (one build for all overrides). */
    let variant: Built;

    before(async () => {
        dev = await buildWithOptions("dev");
        prod = await buildWithOptions("prod");
        review = await buildWithOptions("pr-1");
        variant = await buildStack("pr-1", { [CLUSTER_KEY]: VARIANT });
    });

    describe("nodes", () => {
        it("runs one AL2023 managed group per AZ, each in that AZ's private subnet, with the per-AZ sizes and capacity", () => {
            for (const [b, azs, types, capacity, sizes] of [
                [dev, 3, ["t3.large", "t3a.large", "m5.large", "m6i.large"], "SPOT", { minSize: 1, desiredSize: 1, maxSize: 2 }],
                [prod, 3, ["m7i.large"], "ON_DEMAND", { minSize: 1, desiredSize: 1, maxSize: 3 }],
                [review, 2, ["t3.large"], "ON_DEMAND", { minSize: 1, desiredSize: 1, maxSize: 2 }],
            ] as const) {
                const groups = generalGroups(b);
                assert.deepEqual(groups.map((g) => g.name), [...Array(azs).keys()].map((i) => `platform-${b.config.stack}-cluster-general-${i}`));
                // An EBS volume lives in one AZ: a group per AZ lets the autoscaler add a node where the volume is.
                assert.deepEqual(groups.map((g) => g.inputs.subnetIds), privateSubnetIds(b.config.stack, azs).map((id) => [id]));
                for (const ng of groups) {
                    assert.equal(ng.inputs.amiType, "AL2023_x86_64_STANDARD", b.config.stack);
                    assert.deepEqual(ng.inputs.instanceTypes, types);
                    assert.equal(ng.inputs.capacityType, capacity);
                    assert.deepEqual(ng.inputs.scalingConfig, sizes);
                    assert.equal(ng.inputs.version, "1.35", "nodes follow the control plane's version");
                    // A launch template with a block device mapping excludes the node group's diskSize.
                    assert.equal(ng.inputs.diskSize, undefined);
                    assert.deepEqual(ng.inputs.labels, { "platform/node-group": "general" });
                }
                assert.deepEqual(groups.map((g) => g.inputs.tags), [...Array(azs).keys()].map((i) => ({ Name: `${clusterNameOf(b.config.stack)}-general-${i}` })));
            }
        });

        it("keeps the autoscaler balancing the per-AZ groups", () => {
            for (const b of [dev, prod, review]) {
                assert.equal(release(b, "cluster-autoscaler").inputs.values.extraArgs["balance-similar-node-groups"], true);
            }
        });

        it("lets the cluster autoscaler own the desired size", () => {
            for (const [b, count] of [[dev, 3], [prod, 4], [review, 2]] as const) {
                for (const ng of nodeGroupsOf(b, count)) assert.deepEqual(b.options.get(ng.name)!.ignoreChanges, ["scalingConfig.desiredSize"], ng.name);
            }
        });

        it("picks the ARM AMI and image platform for Graviton types", () => {
            const b = variant;
            for (const ng of generalGroups(b)) assert.equal(ng.inputs.amiType, "AL2023_ARM_64_STANDARD");
            assert.equal(b.platform.cluster.architecture, "arm64");
            assert.equal(b.platform.cluster.imagePlatform, "linux/arm64");
            assert.equal(dev.platform.cluster.imagePlatform, "linux/amd64");
            assert.equal(amiTypeFor(["c7gn.xlarge", "r8g.large"]), "AL2023_ARM_64_STANDARD");
            assert.equal(amiTypeFor(["m7i.large", "c6a.large"]), "AL2023_x86_64_STANDARD");
        });

        it("requires IMDSv2 with one hop and boots from an encrypted gp3 volume of the configured size", () => {
            for (const [b, size] of [[dev, 40], [prod, 80], [review, 40]] as const) {
                const lt = b.capture.one(LAUNCH_TEMPLATE, "-general-nodes");
                assert.deepEqual(lt.inputs.metadataOptions, { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 });
                assert.deepEqual(lt.inputs.blockDeviceMappings, [{
                    deviceName: "/dev/xvda",
                    ebs: { volumeSize: size, volumeType: "gp3", encrypted: "true", deleteOnTermination: "true" },
                }]);
                // Own security groups would replace the cluster security group on the nodes.
                assert.equal(lt.inputs.vpcSecurityGroupIds, undefined);
                assert.equal(lt.inputs.networkInterfaces, undefined);
                // One template for all the AZs' groups.
                for (const ng of generalGroups(b)) assert.deepEqual(ng.inputs.launchTemplate, { id: `${lt.name}-id`, version: "1" });
            }
        });

        it("tags instances, their volumes and network interfaces with the platform's tags (default tags do not reach them)", () => {
            for (const b of [dev, prod, review, variant]) {
                const tags = tagsOf(b);
                assert.deepEqual(Object.keys(tags).sort(), ["environment", "managed-by", "project", "stack"], "what platformTags gives without extra tags");
                for (const key of b === variant ? ["general", "system"] : ["general"]) {
                    const lt = b.capture.one(LAUNCH_TEMPLATE, `-${key}-nodes`);
                    const expected = { ...tags, Name: `${clusterNameOf(b.config.stack)}-${key}` };
                    assert.deepEqual(lt.inputs.tagSpecifications, [
                        { resourceType: "instance", tags: expected },
                        { resourceType: "volume", tags: expected },
                        { resourceType: "network-interface", tags: expected },
                    ], `${b.config.stack} ${key}`);
                }
            }
            assert.equal(tagsOf(prod).environment, "prod");
            assert.equal(tagsOf(prod).stack, "prod");
        });

        it("carries extra tags from config onto the nodes, volumes and load balancers", async () => {
            const b = await buildStack("pr-1", { "platform:tags": { owner: "platform-team" } });
            const lt = b.capture.one(LAUNCH_TEMPLATE, "-general-nodes");
            for (const spec of lt.inputs.tagSpecifications) assert.equal(spec.tags.owner, "platform-team", spec.resourceType);
            assert.equal(JSON.parse(addon(b, "aws-ebs-csi-driver").inputs.configurationValues).controller.extraVolumeTags.owner, "platform-team");
            assert.equal(release(b, "aws-load-balancer-controller").inputs.values.defaultTags.owner, "platform-team");
        });

        it("gives nodes a role that can join and pull images, and nothing pods could borrow", () => {
            const role = roleOf(dev, generalGroups(dev)[0], "nodeRoleArn");
            assert.deepEqual(JSON.parse(role.inputs.assumeRolePolicy).Statement, [
                { Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" },
            ]);
            assert.deepEqual(attachmentsOf(dev, role), [
                "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly",
                "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
            ]);
            assert.equal(dev.capture.ofType(ROLE_POLICY).filter((p) => p.propertyDependencies.role?.includes(role.urn)).length, 0);
            // Every group shares the node role (one EC2_LINUX access entry, made by EKS).
            for (const ng of nodeGroupsOf(dev, 3)) assert.equal(roleOf(dev, ng, "nodeRoleArn").urn, role.urn);
        });

        it("has a system group over all AZs where the stack file enables it (prod) and none elsewhere", () => {
            for (const [b, groups] of [
                [dev, ["general", "general", "general"]],
                [prod, ["general", "general", "general", "system"]],
                [review, ["general", "general"]],
            ] as const) {
                assert.deepEqual(b.capture.ofType(NODE_GROUP).map((g) => g.inputs.labels["platform/node-group"]), groups, b.config.stack);
            }
            const system = prod.capture.one(NODE_GROUP, "-system");
            assert.deepEqual(system.inputs.instanceTypes, ["t3.medium"]);
            assert.equal(system.inputs.amiType, "AL2023_x86_64_STANDARD");
            assert.deepEqual(system.inputs.scalingConfig, { minSize: 2, desiredSize: 2, maxSize: 3 });
            assert.deepEqual(system.inputs.subnetIds, privateSubnetIds("prod", 3));
            assert.deepEqual(release(prod, "cluster-autoscaler").inputs.values.nodeSelector, { "platform/node-group": "system" });
        });

        it("runs an enabled system group tainted for cluster-critical pods, with its own launch template", () => {
            const system = variant.capture.one(NODE_GROUP, "-system");
            assert.equal(variant.capture.ofType(NODE_GROUP).length, 3, "two AZs' general groups and the system group");
            assert.deepEqual(system.inputs.labels, { "platform/node-group": "system" });
            assert.deepEqual(system.inputs.taints, [{ key: "CriticalAddonsOnly", value: "true", effect: "NO_SCHEDULE" }]);
            for (const ng of generalGroups(variant)) assert.equal(ng.inputs.taints, undefined, "application nodes stay untainted");
            assert.equal(system.inputs.amiType, "AL2023_ARM_64_STANDARD");
            assert.deepEqual(system.inputs.instanceTypes, ["t4g.medium"]);
            assert.equal(system.inputs.capacityType, "ON_DEMAND");
            assert.deepEqual(system.inputs.scalingConfig, { minSize: 2, desiredSize: 2, maxSize: 3 });
            assert.deepEqual(system.inputs.subnetIds, privateSubnetIds("pr-1", 2));
            const lt = variant.capture.one(LAUNCH_TEMPLATE, "-system-nodes");
            assert.deepEqual(system.inputs.launchTemplate, { id: `${lt.name}-id`, version: "1" });
            assert.deepEqual(lt.inputs.metadataOptions, { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 });
            assert.equal(lt.inputs.blockDeviceMappings[0].ebs.encrypted, "true");
        });

        it("pins the controllers to the system group, tolerating its taint, and waits for every group", () => {
            const groups = variant.capture.ofType(NODE_GROUP);
            for (const name of ["aws-load-balancer-controller", "cluster-autoscaler"]) {
                const v = release(variant, name).inputs.values;
                assert.deepEqual(v.nodeSelector, SYSTEM_PLACEMENT.nodeSelector, name);
                assert.deepEqual(v.tolerations, SYSTEM_PLACEMENT.tolerations, name);
                for (const g of groups) assert.ok(variant.capture.dependsOn(release(variant, name), g), `${name} waits for ${g.name}`);
                assert.equal(release(dev, name).inputs.values.nodeSelector, undefined);
                assert.equal(release(dev, name).inputs.values.tolerations, undefined);
            }
            for (const name of ["coredns", "aws-ebs-csi-driver", "metrics-server"]) {
                for (const g of groups) assert.ok(variant.capture.dependsOn(addon(variant, name), g), `${name} waits for ${g.name}`);
            }
        });

        it("exposes the EKS cluster security group the nodes carry", async () => {
            assert.equal(await valueOf(dev.platform.cluster.clusterSecurityGroupId), `sg-${eks(dev).name}-cluster`);
        });
    });

});
