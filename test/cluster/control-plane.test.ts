import * as assert from "node:assert/strict";
import {
    adminsDuplicatingCreator, principalOfCaller, validateClusterArgs,
} from "../../components/cluster/cluster";
import { CLUSTER_AUTOSCALER_IMAGE_TAGS } from "../../components/cluster/cluster-services";
import { EKS_VERSIONS } from "../../components/cluster/config";
import {
    ACCOUNT_ID, buildStack, type Built,
} from "../harness";

import { ROLE_POLICY, ACCESS_ENTRY, ACCESS_POLICY, RANDOM_ID, CLUSTER_KEY, Options, buildWithOptions, eks, clusterNameOf, release, roleOf, attachmentsOf, ADMINS, VARIANT, privateSubnetIds, clusterArgs } from "./support";

describe("cluster control plane", () => {
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
            assert.deepEqual(validateClusterArgs("x".repeat(94), clusterArgs({})).map((p) => p.rule), [
                "1-93 letters, digits, - or _, starting with a letter or digit (EKS allows 100 with the 6-character suffix); got 94 characters",
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
            assert.match(errors[0], /platform:cluster\.adminPrincipalArns\[0\] = "arn:aws:iam::123456789012:role\/ci-deployer"\n {5}rule: not the identity running pulumi \(arn:aws:sts::123456789012:assumed-role\/ci-deployer\/session\), which is cluster-admin already/);
            assert.match(errors[0], /pulumi config rm --path 'platform:cluster\.adminPrincipalArns\[0\]'/);
        });
    });

});
