import * as assert from "node:assert/strict";
import {
    validateClusterArgs,
} from "../../components/cluster/cluster";
import { CLUSTER_AUTOSCALER_IMAGE_TAGS } from "../../components/cluster/cluster-services";
import { EKS_VERSIONS } from "../../components/cluster/config";
import {
    ACCOUNT_ID, buildStack, DEPLOYER_ARN, type Built,
} from "../harness";

import { ROLE_POLICY, ACCESS_ENTRY, ACCESS_POLICY, K8S_PROVIDER, RANDOM_ID, CLUSTER_KEY, Options, buildWithOptions, eks, clusterNameOf, release, roleOf, attachmentsOf, ADMINS, VARIANT, privateSubnetIds, clusterArgs } from "./support";

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

        it("authenticates with access entries only and gives the creator no implicit admin (issue 12, item 5)", () => {
            for (const b of [dev, prod, review]) {
                assert.deepEqual(eks(b).inputs.accessConfig, { authenticationMode: "API", bootstrapClusterCreatorAdminPermissions: false });
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
            assert.deepEqual(validateClusterArgs("x".repeat(94), clusterArgs({})), [{
                key: "cluster component name",
                value: "x".repeat(94),
                rule: "1-93 letters, digits, - or _, starting with a letter or digit (EKS allows 100 with the 6-character suffix); got 94 characters",
                fix: "name the Cluster component with at most 93 such characters (its name is <project>-<stack>-cluster: a shorter stack name)",
            }]);
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
            for (const [b, azs] of [[dev, 3], [review, 2]] as const) {
                assert.deepEqual(eks(b).inputs.vpcConfig, {
                    subnetIds: privateSubnetIds(b.config.stack, azs),
                    endpointPrivateAccess: true,
                    endpointPublicAccess: true,
                    publicAccessCidrs: ["0.0.0.0/0"],
                }, b.config.stack);
            }
            // Prod: the private endpoint only (issue 12, item 6).
            assert.deepEqual(eks(prod).inputs.vpcConfig, {
                subnetIds: privateSubnetIds("prod", 3),
                endpointPrivateAccess: true,
                endpointPublicAccess: false,
            });
        });

        it("sends a narrowed CIDR list as configured", () => {
            assert.deepEqual(eks(variant).inputs.vpcConfig.publicAccessCidrs, ["203.0.113.0/24", "198.51.100.7/32"]);
        });

        it("turns the public endpoint off without sending CIDRs (EKS would default them to 0.0.0.0/0)", async () => {
            const b = await buildStack("pr-1", { [CLUSTER_KEY]: { endpointPublicAccess: false, publicAccessCidrs: [], deployerPrincipalArn: DEPLOYER_ARN } });
            assert.deepEqual(eks(b).inputs.vpcConfig, {
                subnetIds: privateSubnetIds("pr-1", 2),
                endpointPrivateAccess: true,
                endpointPublicAccess: false,
            });
        });
    });

    describe("access", () => {
        it("gives the configured deployer, and only it, an admin entry when no other admin is configured (issue 12, item 5)", () => {
            const deployers = { dev: "arn:aws:iam::123456789012:role/platform-ci-dev-deploy", prod: "arn:aws:iam::123456789012:role/platform-ci-prod-deploy", "pr-1": DEPLOYER_ARN };
            for (const b of [dev, prod, review]) {
                const arn = deployers[b.config.stack as keyof typeof deployers];
                assert.deepEqual(b.capture.ofType(ACCESS_ENTRY).map((e) => [e.name, e.inputs.principalArn, e.inputs.type]),
                    [[`platform-${b.config.stack}-cluster-deployer`, arn, "STANDARD"]]);
                assert.deepEqual(b.capture.ofType(ACCESS_POLICY).map((p) => [p.inputs.principalArn, p.inputs.policyArn, p.inputs.accessScope]),
                    [[arn, "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy", { type: "cluster" }]]);
            }
        });

        it("gives the deployer and each configured admin one entry with the cluster-admin policy, and nobody else", () => {
            const b = variant;
            const principals = [DEPLOYER_ARN, ...ADMINS];
            const entries = b.capture.ofType(ACCESS_ENTRY);
            assert.deepEqual(entries.map((e) => [e.inputs.principalArn, e.inputs.type, e.inputs.clusterName]),
                principals.map((arn) => [arn, "STANDARD", clusterNameOf("pr-1")]));
            const policies = b.capture.ofType(ACCESS_POLICY);
            assert.deepEqual(policies.map((p) => [p.inputs.principalArn, p.inputs.policyArn, p.inputs.accessScope]),
                principals.map((arn) => [arn, "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy", { type: "cluster" }]));
            // Each association waits for its entry (associating a policy to a missing entry fails).
            policies.forEach((p, i) => assert.ok(b.capture.dependsOn(p, entries[i])));
            // The node role gets no entry from us (EKS adds its EC2_LINUX entry), nor does the caller.
            const nodeRoleArn = `arn:aws:iam:us-east-1:${ACCOUNT_ID}:platform-pr-1-cluster-node-role`;
            assert.ok(!entries.some((e) => e.inputs.principalArn === nodeRoleArn || /ci-deployer/.test(e.inputs.principalArn)));
        });

        it("makes the Kubernetes provider, and so every Kubernetes object, wait for every entry and association (issue 12, item 4)", () => {
            for (const b of [dev, variant]) {
                const provider = b.capture.one(K8S_PROVIDER);
                const access = [...b.capture.ofType(ACCESS_ENTRY), ...b.capture.ofType(ACCESS_POLICY)];
                assert.equal(access.length, b === variant ? 6 : 2);
                for (const a of access) assert.ok(provider.dependencies.includes(a.urn), `provider -> ${a.name}`);
                // On destroy, every Kubernetes object goes before the access that authorises its delete.
                const objects = b.capture.resources.filter((r) => r.type.startsWith("kubernetes:"));
                assert.ok(objects.length > 10);
                for (const o of objects) for (const a of access) assert.ok(b.capture.dependsOn(o, a), `${o.name} -> ${a.name}`);
            }
        });
    });

});
