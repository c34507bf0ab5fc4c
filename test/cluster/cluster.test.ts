import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { validateIdentityPolicy, validateTrustPolicy } from "@cloud-copilot/iam-policy";
import {
    adminsDuplicatingCreator, amiTypeFor, principalOfCaller, validateClusterArgs, } from "../../components/cluster/cluster";
import { CLUSTER_AUTOSCALER_IMAGE_TAGS } from "../../components/cluster/cluster-services";
import { EKS_VERSIONS } from "../../components/cluster/config";
import { roleNamePrefix } from "../../components/cluster/pod-identity";
import {
    ACCOUNT_ID, buildStack, isSecret, reveal, valueOf,
    type Built, } from "../harness";

import { NODE_GROUP, ADDON, ROLE, ROLE_POLICY, ACCESS_ENTRY, ACCESS_POLICY, RANDOM_ID, LAUNCH_TEMPLATE, K8S_PROVIDER, CLUSTER_KEY, POD_IDENTITY_TRUST, Options, buildWithOptions, eks, clusterNameOf, generalGroups, nodeGroupsOf, addon, release, roleOf, attachmentsOf, clusterResources, ADMINS, VARIANT, SYSTEM_PLACEMENT, privateSubnetIds, clusterArgs, tagsOf } from "./support";

describe("cluster", () => {
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

    describe("control plane", () => {
        it("runs the configured version on standard support only", () => {
            for (const b of [dev, prod, review]) {
                assert.equal(eks(b).inputs.version, "1.35", b.config.stack);
                // EXTENDED (the API default) bills $0.60/h instead of $0.10/h once standard support ends.
                assert.deepEqual(eks(b).inputs.upgradePolicy, { supportType: "STANDARD" });
            }
        });

        it("follows a version bump to 1.36 (and the autoscaler image with it)", () => {
            const b = variant;
            assert.equal(eks(b).inputs.version, "1.36");
            assert.equal(release(b, "cluster-autoscaler").inputs.values.image.tag, "v1.36.1");
            assert.equal(release(dev, "cluster-autoscaler").inputs.values.image.tag, "v1.35.2");
        });

        it("has an autoscaler image of the same Kubernetes minor for every allowed version", () => {
            // The autoscaler's scheduler simulation is that minor's: a tag of another minor is a bug.
            for (const version of EKS_VERSIONS) {
                assert.match(CLUSTER_AUTOSCALER_IMAGE_TAGS[version], new RegExp(`^v${version.replace(".", "\\.")}\\.\\d+$`), version);
            }
        });

        it("authenticates with access entries only and makes the creator admin by bootstrap", () => {
            for (const b of [dev, prod, review]) {
                assert.deepEqual(eks(b).inputs.accessConfig, { authenticationMode: "API", bootstrapClusterCreatorAdminPermissions: true });
            }
        });

        it("envelope-encrypts Secrets with a rotating KMS key the cluster role may use", () => {
            for (const [b, window] of [[dev, 7], [prod, 30], [review, 7]] as const) {
                const key = b.capture.one("aws:kms/key:Key", "-cluster-secrets-key");
                assert.equal(key.inputs.enableKeyRotation, true);
                assert.equal(key.inputs.deletionWindowInDays, window);
                assert.deepEqual(eks(b).inputs.encryptionConfig, {
                    resources: ["secrets"],
                    provider: { keyArn: `arn:aws:kms:us-east-1:${ACCOUNT_ID}:${key.name}` },
                });
                const rolePolicy = b.capture.one(ROLE_POLICY, "-cluster-encryption");
                assert.deepEqual(JSON.parse(rolePolicy.inputs.policy).Statement, [{
                    Effect: "Allow",
                    Action: ["kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey"],
                    Resource: `arn:aws:kms:us-east-1:${ACCOUNT_ID}:${key.name}`,
                }]);
                assert.equal(roleOf(b, rolePolicy, "role").urn, roleOf(b, eks(b), "roleArn").urn);
                assert.ok(eks(b).dependencies.includes(rolePolicy.urn), "the cluster waits for its key permissions");
            }
        });

        it("ships api, audit and authenticator logs to a log group it creates first, with the configured retention", () => {
            for (const [b, days] of [[dev, 14], [prod, 90], [review, 7]] as const) {
                assert.deepEqual(eks(b).inputs.enabledClusterLogTypes, ["api", "audit", "authenticator"]);
                assert.equal(eks(b).inputs.name, clusterNameOf(b.config.stack));
                const logs = b.capture.one("aws:cloudwatch/logGroup:LogGroup", "-control-plane-logs");
                // EKS writes to exactly this name; an EKS-created group would never expire nor be destroyed.
                assert.equal(logs.inputs.name, `/aws/eks/${clusterNameOf(b.config.stack)}/cluster`);
                assert.equal(logs.inputs.retentionInDays, days);
                assert.ok(eks(b).dependencies.includes(logs.urn), "the log group exists before the cluster");
            }
        });

        it("names the cluster with a random suffix kept in state, so a recreated stack never reuses a log group EKS re-created", () => {
            for (const [b, protect] of [[dev, false], [prod, true], [review, false]] as const) {
                const suffix = b.capture.one(RANDOM_ID, "-cluster-name-suffix");
                assert.equal(suffix.inputs.byteLength, 3);
                // A new suffix replaces the cluster: protected with it.
                assert.equal(b.options.get(suffix.name)!.protect, protect, b.config.stack);
                assert.deepEqual(eks(b).propertyDependencies.name, [suffix.urn]);
                const logs = b.capture.one("aws:cloudwatch/logGroup:LogGroup", "-control-plane-logs");
                assert.deepEqual(logs.propertyDependencies.name, [suffix.urn]);
            }
            // CreateCluster allows 100 characters: the longest component name allowed plus "-" and 6 hex digits.
            assert.deepEqual(validateClusterArgs("x".repeat(93), clusterArgs({})), []);
            assert.deepEqual(validateClusterArgs("x".repeat(94), clusterArgs({})), [
                `cluster name "${"x".repeat(94)}" must be 1-93 letters, digits, - or _, starting with a letter or digit (EKS allows 100 with the 6-character suffix); got 94 characters`,
            ]);
        });

        it("is protected exactly when the stack is", () => {
            for (const [b, protect] of [[dev, false], [prod, true], [review, false]] as const) {
                assert.equal(eks(b).inputs.deletionProtection, protect, b.config.stack);
                assert.equal(b.options.get(eks(b).name)!.protect, protect);
                assert.equal(b.options.get(b.capture.one("aws:kms/key:Key", "-cluster-secrets-key").name)!.protect, protect);
                // The name survives a replacement: it cannot be created while the old cluster exists.
                assert.equal(b.options.get(eks(b).name)!.deleteBeforeReplace, true);
            }
        });

        it("assumes its own role with the EKS cluster policy", () => {
            const role = roleOf(dev, eks(dev), "roleArn");
            assert.deepEqual(JSON.parse(role.inputs.assumeRolePolicy).Statement, [
                { Effect: "Allow", Principal: { Service: "eks.amazonaws.com" }, Action: ["sts:AssumeRole", "sts:TagSession"] },
            ]);
            assert.deepEqual(attachmentsOf(dev, role), ["arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"]);
        });
    });

    describe("endpoint", () => {
        it("keeps the private endpoint on and opens the public one only to the configured CIDRs", () => {
            for (const [b, azs] of [[dev, 3], [prod, 3], [review, 2]] as const) {
                assert.deepEqual(eks(b).inputs.vpcConfig, {
                    subnetIds: privateSubnetIds(b.config.stack, azs),
                    endpointPrivateAccess: true,
                    endpointPublicAccess: true,
                    publicAccessCidrs: ["0.0.0.0/0"],
                }, b.config.stack);
            }
        });

        it("sends a narrowed CIDR list as configured", () => {
            assert.deepEqual(eks(variant).inputs.vpcConfig.publicAccessCidrs, ["203.0.113.0/24", "198.51.100.7/32"]);
        });

        it("turns the public endpoint off without sending CIDRs (EKS would default them to 0.0.0.0/0)", async () => {
            const b = await buildStack("pr-1", { [CLUSTER_KEY]: { endpointPublicAccess: false, publicAccessCidrs: [] } });
            assert.deepEqual(eks(b).inputs.vpcConfig, {
                subnetIds: privateSubnetIds("pr-1", 2),
                endpointPrivateAccess: true,
                endpointPublicAccess: false,
            });
        });
    });

    describe("access", () => {
        it("creates no access entry when no admin is configured (creator and node role have EKS's own)", () => {
            for (const b of [dev, prod, review]) {
                assert.equal(b.capture.ofType(ACCESS_ENTRY).length, 0);
                assert.equal(b.capture.ofType(ACCESS_POLICY).length, 0);
            }
        });

        it("gives each configured admin one entry with the cluster-admin policy, and nobody else", () => {
            const b = variant;
            const entries = b.capture.ofType(ACCESS_ENTRY);
            assert.deepEqual(entries.map((e) => [e.inputs.principalArn, e.inputs.type, e.inputs.clusterName]),
                ADMINS.map((arn) => [arn, "STANDARD", clusterNameOf("pr-1")]));
            const policies = b.capture.ofType(ACCESS_POLICY);
            assert.deepEqual(policies.map((p) => [p.inputs.principalArn, p.inputs.policyArn, p.inputs.accessScope]),
                ADMINS.map((arn) => [arn, "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy", { type: "cluster" }]));
            // Each association waits for its entry (associating a policy to a missing entry fails).
            policies.forEach((p, i) => assert.ok(b.capture.dependsOn(p, entries[i])));
            // Neither the node role (EKS adds its EC2_LINUX entry) nor the creator gets an entry from us.
            const nodeRoleArn = `arn:aws:iam:us-east-1:${ACCOUNT_ID}:platform-pr-1-cluster-node-role`;
            assert.ok(!entries.some((e) => e.inputs.principalArn === nodeRoleArn || /ci-deployer/.test(e.inputs.principalArn)));
        });

        it("recognises the creator behind an assumed-role session, a role path or a user", () => {
            const caller = "arn:aws:sts::123456789012:assumed-role/ci-deployer/gh-run-42";
            assert.deepEqual(principalOfCaller(caller), { arnPrefix: "arn:aws:iam::123456789012:role/", name: "ci-deployer" });
            assert.deepEqual(adminsDuplicatingCreator([
                "arn:aws:iam::123456789012:role/ci-deployer",
                "arn:aws:iam::123456789012:role/teams/ci-deployer",
                "arn:aws:iam::123456789012:role/platform-admins",
                "arn:aws:iam::999999999999:role/ci-deployer",
                "arn:aws:iam::123456789012:user/ci-deployer",
            ], caller), ["arn:aws:iam::123456789012:role/ci-deployer", "arn:aws:iam::123456789012:role/teams/ci-deployer"]);
            assert.deepEqual(adminsDuplicatingCreator(
                ["arn:aws:iam::123456789012:user/alice", "arn:aws:iam::123456789012:user/bob"],
                "arn:aws:iam::123456789012:user/alice",
            ), ["arn:aws:iam::123456789012:user/alice"]);
            assert.deepEqual(adminsDuplicatingCreator(ADMINS, caller), []);
        });

        it("refuses, before creating the entry, an admin that is the identity running pulumi", async () => {
            // The refusal is an error inside the entry's principalArn Output: `pulumi preview` fails
            // with it. Under mocks it surfaces as unhandled rejections, collected here instead of
            // by mocha's handler.
            const mochaHandlers = process.listeners("unhandledRejection");
            process.removeAllListeners("unhandledRejection");
            const errors: string[] = [];
            process.on("unhandledRejection", (e) => errors.push(String(e)));
            try {
                const b = await buildStack("pr-1", {
                    [CLUSTER_KEY]: { publicAccessCidrs: ["0.0.0.0/0"], adminPrincipalArns: ["arn:aws:iam::123456789012:role/ci-deployer"] },
                });
                await new Promise((resolve) => setTimeout(resolve, 50));
                assert.equal(b.capture.ofType(ACCESS_ENTRY).length, 0, "no entry is registered");
            } finally {
                process.removeAllListeners("unhandledRejection");
                for (const h of mochaHandlers) process.on("unhandledRejection", h);
            }
            assert.ok(errors.length > 0, "the build fails");
            assert.match(errors[0], /platform:cluster\.adminPrincipalArns\[0\] = arn:aws:iam::123456789012:role\/ci-deployer is the identity running pulumi \(arn:aws:sts::123456789012:assumed-role\/ci-deployer\/session\), which is cluster-admin already/);
            assert.match(errors[0], /pulumi config rm --path 'platform:cluster\.adminPrincipalArns\[0\]'/);
        });
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
                assert.deepEqual(release(b, "cluster-autoscaler").inputs.values.extraArgs, { "balance-similar-node-groups": true, expander: "least-waste" });
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

    describe("add-ons", () => {
        const EARLY = ["vpc-cni", "kube-proxy", "eks-pod-identity-agent"];
        const AFTER_NODES = ["coredns", "aws-ebs-csi-driver", "metrics-server"];

        it("installs the six add-ons at EKS's default version for the cluster's Kubernetes version, adopting the self-managed ones", () => {
            for (const b of [dev, prod]) {
                assert.deepEqual(b.capture.ofType(ADDON).map((a) => a.inputs.addonName).sort(), [
                    "aws-ebs-csi-driver", "coredns", "eks-pod-identity-agent", "kube-proxy", "metrics-server", "vpc-cni",
                ]);
                for (const name of [...EARLY, ...AFTER_NODES]) {
                    const a = addon(b, name);
                    assert.equal(a.inputs.clusterName, clusterNameOf(b.config.stack));
                    // The mock answers "newest-..." for mostRecent: true: the newest would upgrade prod's
                    // add-ons at any `up` (OVERWRITE), so the default is asked for.
                    assert.equal(a.inputs.addonVersion, `default-${name}-for-1.35`);
                    assert.equal(a.inputs.resolveConflictsOnCreate, "OVERWRITE");
                    assert.equal(a.inputs.resolveConflictsOnUpdate, "OVERWRITE");
                }
            }
        });

        it("uses a pinned add-on version from config, and the default for the configured Kubernetes version otherwise", () => {
            const b = variant;
            assert.equal(addon(b, "coredns").inputs.addonVersion, "v1.12.4-eksbuild.1");
            assert.equal(addon(b, "vpc-cni").inputs.addonVersion, "default-vpc-cni-for-1.36");
        });

        it("tags every EBS volume the CSI driver creates with the platform's tags", () => {
            for (const b of [dev, prod, review]) {
                const a = addon(b, "aws-ebs-csi-driver");
                assert.deepEqual(JSON.parse(a.inputs.configurationValues), { controller: { extraVolumeTags: tagsOf(b) } }, b.config.stack);
                // The add-on's schema: keys 1-128 and values up to 256 of [a-zA-Z0-9 _.:/=+-@].
                for (const [k, v] of Object.entries(tagsOf(b))) {
                    assert.match(k, /^[a-zA-Z0-9 _.:/=+\-@]{1,128}$/);
                    assert.match(v, /^[a-zA-Z0-9 _.:/=+\-@]{0,256}$/);
                }
            }
            for (const name of ["vpc-cni", "kube-proxy", "eks-pod-identity-agent", "coredns", "metrics-server"]) {
                assert.equal(addon(dev, name).inputs.configurationValues, undefined, name);
            }
        });

        it("creates coredns, the EBS CSI driver and metrics-server after every node group, the others before", () => {
            for (const [b, count] of [[dev, 3], [prod, 4], [review, 2]] as const) {
                for (const ng of nodeGroupsOf(b, count)) {
                    for (const name of AFTER_NODES) assert.ok(b.capture.dependsOn(addon(b, name), ng), `${name} waits for ${ng.name}`);
                    for (const name of EARLY) {
                        assert.ok(!b.capture.dependsOn(addon(b, name), ng), `${name} must not wait for the nodes`);
                        assert.ok(b.capture.dependsOn(ng, addon(b, name)), `${ng.name} starts with ${name} in place`);
                    }
                }
                // vpc-cni's pods get their credentials from the Pod Identity agent.
                assert.ok(b.capture.dependsOn(addon(b, "vpc-cni"), addon(b, "eks-pod-identity-agent")));
            }
        });

        it("gives vpc-cni and the EBS CSI driver their own Pod Identity roles with the least managed policy", () => {
            for (const [name, serviceAccount, policy] of [
                ["vpc-cni", "aws-node", "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"],
                ["aws-ebs-csi-driver", "ebs-csi-controller-sa", "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"],
            ]) {
                const a = addon(dev, name);
                assert.equal(a.inputs.podIdentityAssociations.length, 1);
                assert.equal(a.inputs.podIdentityAssociations[0].serviceAccount, serviceAccount);
                const role = roleOf(dev, a, "podIdentityAssociations");
                assert.equal(a.inputs.podIdentityAssociations[0].roleArn, `arn:aws:iam:us-east-1:${ACCOUNT_ID}:${role.name}`);
                assert.deepEqual(JSON.parse(role.inputs.assumeRolePolicy), POD_IDENTITY_TRUST);
                assert.deepEqual(attachmentsOf(dev, role), [policy]);
            }
            for (const name of ["kube-proxy", "eks-pod-identity-agent", "coredns", "metrics-server"]) {
                assert.equal(addon(dev, name).inputs.podIdentityAssociations, undefined, `${name} calls no AWS API`);
            }
        });

        it("makes an encrypted gp3 StorageClass the default, bound where the pod lands", () => {
            for (const b of [dev, prod, review]) {
                const sc = b.capture.one("kubernetes:storage.k8s.io/v1:StorageClass");
                assert.deepEqual(sc.inputs.metadata, {
                    name: "gp3-encrypted",
                    annotations: { "storageclass.kubernetes.io/is-default-class": "true" },
                });
                assert.equal(sc.inputs.provisioner, "ebs.csi.aws.com");
                assert.deepEqual(sc.inputs.parameters, { type: "gp3", encrypted: "true", "csi.storage.k8s.io/fstype": "ext4" });
                assert.equal(sc.inputs.volumeBindingMode, "WaitForFirstConsumer");
                assert.equal(sc.inputs.allowVolumeExpansion, true);
                assert.equal(sc.inputs.reclaimPolicy, "Delete");
                assert.equal(b.platform.cluster.storageClassName, "gp3-encrypted");
                assert.ok(b.capture.dependsOn(sc, addon(b, "aws-ebs-csi-driver")));
            }
        });

        it("lists every node group, coredns, the EBS CSI driver and the StorageClass as nodesReady", async () => {
            for (const b of [dev, prod]) {
                const urns = await Promise.all(b.platform.cluster.nodesReady.map((r) => valueOf(r.urn)));
                assert.deepEqual(urns, [
                    ...b.capture.ofType(NODE_GROUP).map((g) => g.urn), addon(b, "coredns").urn, addon(b, "aws-ebs-csi-driver").urn,
                    b.capture.one("kubernetes:storage.k8s.io/v1:StorageClass").urn,
                ]);
            }
            assert.equal(prod.platform.cluster.nodesReady.length, 4 + 3, "3 general groups and the system group");
        });
    });


    describe("kubernetes provider", () => {
        it("builds an exec kubeconfig from the cluster's outputs and keeps it secret", async () => {
            for (const b of [dev, prod]) {
                const provider = b.capture.one(K8S_PROVIDER);
                assert.ok(isSecret(provider.inputs.kubeconfig), "kubeconfig input is secret");
                const kubeconfig = JSON.parse(reveal(provider.inputs.kubeconfig));
                const name = clusterNameOf(b.config.stack);
                assert.deepEqual(kubeconfig, {
                    apiVersion: "v1",
                    kind: "Config",
                    clusters: [{
                        name,
                        cluster: { server: `https://${eks(b).name}.gr7.us-east-1.eks.amazonaws.com`, "certificate-authority-data": "bW9jay1jYQ==" },
                    }],
                    contexts: [{ name, context: { cluster: name, user: name } }],
                    "current-context": name,
                    users: [{
                        name,
                        user: {
                            // Short-lived tokens from the caller's own identity: nothing long-lived in state.
                            exec: {
                                apiVersion: "client.authentication.k8s.io/v1beta1",
                                command: "aws",
                                args: ["eks", "get-token", "--cluster-name", name, "--region", "us-east-1", "--output", "json"],
                                interactiveMode: "Never",
                            },
                        },
                    }],
                });
                assert.ok(b.capture.dependsOn(provider, eks(b)));
                assert.equal(await pulumi.isSecret(b.platform.outputs.kubeconfig), true);
                assert.equal(await valueOf(b.platform.outputs.clusterName), name);
            }
        });

        it("deletes unreachable objects only on unprotected stacks", () => {
            // Provider inputs reach the engine as strings.
            for (const [b, value] of [[dev, "true"], [prod, "false"], [review, "true"]] as const) {
                assert.equal(String(b.capture.one(K8S_PROVIDER).inputs.deleteUnreachable), value, b.config.stack);
            }
        });

        it("is the provider of every Kubernetes object of the program", () => {
            for (const b of [dev, prod, review]) {
                const provider = b.capture.one(K8S_PROVIDER);
                // The cluster's own objects, exactly.
                const own = clusterResources(b).filter((r) => r.type.startsWith("kubernetes:"));
                assert.deepEqual(own.map((o) => `${o.type} ${o.inputs.metadata?.name ?? o.inputs.name}`).sort(), [
                    "kubernetes:helm.sh/v3:Release aws-load-balancer-controller",
                    "kubernetes:helm.sh/v3:Release cluster-autoscaler",
                    "kubernetes:storage.k8s.io/v1:StorageClass gp3-encrypted",
                ], b.config.stack);
                // And every other component's.
                const objects = b.capture.resources.filter((r) => r.type.startsWith("kubernetes:"));
                for (const o of objects) assert.equal(o.provider.split("::").slice(0, -1).join("::"), provider.urn, `${o.type} ${o.name}`);
            }
        });
    });

    describe("IAM documents", () => {
        it("registers only valid trust policies, Pod Identity ones exactly as EKS requires", () => {
            for (const b of [dev, prod]) {
                const roles = clusterResources(b).filter((r) => r.type === ROLE);
                assert.equal(roles.length, 6);
                for (const role of roles) {
                    const doc = JSON.parse(reveal(role.inputs.assumeRolePolicy));
                    assert.deepEqual(validateTrustPolicy(doc), [], role.name);
                }
                const podIdentity = roles.filter((r) => JSON.parse(r.inputs.assumeRolePolicy).Statement[0].Principal.Service === "pods.eks.amazonaws.com");
                assert.deepEqual(podIdentity.map((r) => r.name.replace(`platform-${b.config.stack}-cluster-`, "")).sort(), [
                    "aws-ebs-csi-driver-role", "services-cluster-autoscaler-role", "services-lbc-role", "vpc-cni-role",
                ]);
                for (const r of podIdentity) assert.deepEqual(JSON.parse(r.inputs.assumeRolePolicy), POD_IDENTITY_TRUST);
            }
        });

        it("registers only valid identity policies", () => {
            for (const b of [dev, prod]) {
                const policies = clusterResources(b).filter((r) => r.type === ROLE_POLICY);
                assert.equal(policies.length, 3);
                for (const p of policies) assert.deepEqual(validateIdentityPolicy(JSON.parse(reveal(p.inputs.policy))), [], p.name);
            }
        });

        it("shortens a role name prefix to IAM's 38 characters, keeping the stack's words and the last one", () => {
            assert.equal(roleNamePrefix("platform-dev-cluster-eks"), "platform-dev-cluster-eks-");
            // 37 characters and the "-": fits as it is.
            assert.equal(roleNamePrefix("platform-dev-external-secrets-operat"), "platform-dev-external-secrets-operat-");
            assert.equal(roleNamePrefix("platform-dev-external-secrets-operator"), "platform-dev-external-operator-");
            assert.equal(roleNamePrefix("platform-pr-999999-cluster-services-cluster-autoscaler"), "platform-pr-999999-cluster-autoscaler-");
            assert.equal(roleNamePrefix("x".repeat(80)), `x-${"x".repeat(35)}-`);
            for (const name of ["a-b-c-d-e-f-g-h-i-j-k-l-m-n-o-p-q-r-s-t-u-v-w-x-y-z", `${"y".repeat(50)}-z`, `p-${"q".repeat(60)}`]) {
                assert.ok(roleNamePrefix(name).length <= 38, name);
                assert.match(roleNamePrefix(name), /^[\w+=,.@-]+-$/);
            }
        });

        it("the validator does catch a broken document", () => {
            assert.notDeepEqual(validateIdentityPolicy({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:GetObject" }] }), []);
            assert.notDeepEqual(validateTrustPolicy({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "sts:AssumeRole", Resource: "*" }] }), []);
        });

        it("fits every IAM role name of the program into 64 characters for a review stack pr-999999", async function () {
            this.timeout(30_000);
            // IAM role names are at most 64 characters: Pulumi auto-names a role `<logical name>-<7 hex>`,
            // and the provider appends 26 characters to a namePrefix.
            const b = await buildStack("pr-999999");
            const roles = b.capture.ofType(ROLE);
            assert.deepEqual(roles.map((r) => r.name.replace("platform-pr-999999-", "")).sort(), [
                "cluster-aws-ebs-csi-driver-role", "cluster-cluster-role", "cluster-node-role", "cluster-services-cluster-autoscaler-role",
                "cluster-services-lbc-role", "cluster-vpc-cni-role", "external-secrets-operator-role", "network-flow-logs-role",
            ], "the cluster's six roles and the others are built");
            for (const role of roles) {
                const { name, namePrefix } = role.inputs;
                if (name !== undefined) assert.ok(name.length <= 64, `${role.name}: name ${name} is ${name.length} characters`);
                else if (namePrefix !== undefined) assert.ok(namePrefix.length <= 38, `${role.name}: namePrefix ${namePrefix} is ${namePrefix.length} characters`);
                else assert.ok(role.name.length + 8 <= 64, `${role.name} is ${role.name.length} characters; auto-named it becomes ${role.name.length + 8} (IAM allows 64)`);
            }
        });

        it("gives every role of the cluster (and every Pod Identity role) a namePrefix within IAM's limit for any stack name", async function () {
            this.timeout(30_000);
            const long = await buildStack("pr-123456789012345678901234567890");
            for (const [b, expected] of [
                [dev, {
                    "cluster-role": "platform-dev-cluster-eks-",
                    "node-role": "platform-dev-cluster-nodes-",
                    "vpc-cni-role": "platform-dev-cluster-vpc-cni-",
                    "aws-ebs-csi-driver-role": "platform-dev-cluster-ebs-csi-",
                    "services-lbc-role": "platform-dev-cluster-services-lbc-",
                    // `platform-dev-cluster-services-cluster-autoscaler-` would be 49: words before the last go first.
                    "services-cluster-autoscaler-role": "platform-dev-cluster-autoscaler-",
                }],
                [review, {
                    "cluster-role": "platform-pr-1-cluster-eks-",
                    "node-role": "platform-pr-1-cluster-nodes-",
                    "vpc-cni-role": "platform-pr-1-cluster-vpc-cni-",
                    "aws-ebs-csi-driver-role": "platform-pr-1-cluster-ebs-csi-",
                    "services-lbc-role": "platform-pr-1-cluster-services-lbc-",
                    "services-cluster-autoscaler-role": "platform-pr-1-cluster-autoscaler-",
                }],
                [long, {
                    // A 33-character stack name: cut before the last word.
                    "cluster-role": "platform-pr-123456789012345678901-eks-",
                    "node-role": "platform-pr-1234567890123456789-nodes-",
                    "vpc-cni-role": "platform-pr-123456789012345678901-cni-",
                    "aws-ebs-csi-driver-role": "platform-pr-123456789012345678901-csi-",
                    "services-lbc-role": "platform-pr-123456789012345678901-lbc-",
                    "services-cluster-autoscaler-role": "platform-pr-12345678901234-autoscaler-",
                }],
            ] as const) {
                const prefix = `platform-${b.config.stack}-cluster-`;
                const roles = clusterResources(b).filter((r) => r.type === ROLE);
                assert.deepEqual(Object.fromEntries(roles.map((r) => [r.name.slice(prefix.length), r.inputs.namePrefix])), expected, b.config.stack);
                for (const r of roles) assert.ok(r.inputs.namePrefix.length <= 38, r.inputs.namePrefix);
            }
        });
    });
});
