import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { validateIdentityPolicy, validateTrustPolicy } from "@cloud-copilot/iam-policy";
import { roleNamePrefix } from "../../components/cluster/pod-identity";
import {
    buildStack, isSecret, MOCK_OUTPUTS, readStackValues, reveal, valueOf,
    type Built,
} from "../harness";

import { ROLE, ROLE_POLICY, K8S_PROVIDER, POD_IDENTITY_TRUST, Options, buildWithOptions, eks, clusterNameOf, clusterResources } from "./support";

describe("cluster", () => {
    let dev: Built & { options: Map<string, Options> };
    let prod: Built & { options: Map<string, Options> };
    let review: Built & { options: Map<string, Options> };

    before(async () => {
        dev = await buildWithOptions("dev");
        prod = await buildWithOptions("prod");
        review = await buildWithOptions("pr-1");
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
                // Dev and prod run canary: the Argo Rollouts controller, its namespace and policies.
                const rollouts = b.config.app.deliveryStrategy === "rolling" ? [] : [
                    "kubernetes:core/v1:Namespace argo-rollouts", "kubernetes:helm.sh/v3:Release argo-rollouts",
                    "kubernetes:networking.k8s.io/v1:NetworkPolicy allow-controller", "kubernetes:networking.k8s.io/v1:NetworkPolicy allow-dns", "kubernetes:networking.k8s.io/v1:NetworkPolicy default-deny",
                ];
                // The ECK operator the observability stack's logs need: its namespace, policies and release.
                const eck = [
                    "kubernetes:core/v1:Namespace elastic-system", "kubernetes:helm.sh/v3:Release eck-operator",
                    "kubernetes:networking.k8s.io/v1:NetworkPolicy allow-dns", "kubernetes:networking.k8s.io/v1:NetworkPolicy allow-operator", "kubernetes:networking.k8s.io/v1:NetworkPolicy default-deny",
                ];
                assert.deepEqual(own.map((o) => `${o.type} ${o.inputs.metadata?.name ?? o.inputs.name}`).sort(), [
                    ...rollouts,
                    ...eck,
                    "kubernetes:helm.sh/v3:Release aws-load-balancer-controller",
                    "kubernetes:helm.sh/v3:Release cluster-autoscaler",
                    "kubernetes:storage.k8s.io/v1:StorageClass gp3-encrypted",
                ].sort(), b.config.stack);
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
                // Six of the cluster, and the Argo Rollouts controller's (target-group verification) on these canary stacks.
                assert.equal(roles.length, 7);
                for (const role of roles) {
                    const doc = JSON.parse(reveal(role.inputs.assumeRolePolicy));
                    assert.deepEqual(validateTrustPolicy(doc), [], role.name);
                }
                const podIdentity = roles.filter((r) => JSON.parse(r.inputs.assumeRolePolicy).Statement[0].Principal.Service === "pods.eks.amazonaws.com");
                assert.deepEqual(podIdentity.map((r) => r.name.replace(`platform-${b.config.stack}-cluster-`, "")).sort(), [
                    "argo-rollouts-role", "aws-ebs-csi-driver-role", "services-cluster-autoscaler-role", "services-lbc-role", "vpc-cni-role",
                ]);
                for (const r of podIdentity) assert.deepEqual(JSON.parse(r.inputs.assumeRolePolicy), POD_IDENTITY_TRUST);
            }
        });

        it("registers only valid identity policies", () => {
            for (const b of [dev, prod]) {
                const policies = clusterResources(b).filter((r) => r.type === ROLE_POLICY);
                // + the Argo Rollouts controller's (ARGO_ROLLOUTS_POLICY) on these canary stacks.
                assert.equal(policies.length, 4);
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
                    "argo-rollouts-role": "platform-dev-cluster-argo-rollouts-",
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

describe("the API server's address in NetworkPolicies (Cluster.apiServiceCidr)", function () {
    this.timeout(60_000);

    it("follows the service range EKS assigned (kubernetesNetworkConfig), in every namespace's API server rule", async () => {
        const mock = MOCK_OUTPUTS["aws:eks/cluster:Cluster"];
        // A VPC outside 10.0.0.0/8 gets 10.100.0.0/16 from EKS: the rules must follow the cluster, not a constant.
        // (Its own config, so this build is not the suites' shared dev build.)
        MOCK_OUTPUTS["aws:eks/cluster:Cluster"] = (name, inputs) => ({ ...mock(name, inputs), kubernetesNetworkConfig: { ipFamily: "ipv4", serviceIpv4Cidr: "10.100.0.0/16" } });
        const network = JSON.parse(readStackValues("dev").values["platform:network"]);
        let b: Built;
        try {
            b = await buildStack("dev", { "platform:network": { ...network, cidrBlock: "192.168.0.0/16" } });
        } finally {
            MOCK_OUTPUTS["aws:eks/cluster:Cluster"] = mock;
        }
        assert.equal(await valueOf(b.platform.cluster.apiServiceCidr), "10.100.0.1/32");
        const apiRules = b.capture.ofType("kubernetes:networking.k8s.io/v1:NetworkPolicy")
            .flatMap((p) => ((reveal(p.inputs).spec.egress ?? []) as any[]).map((rule) => ({ ns: reveal(p.inputs).metadata.namespace, rule })))
            .filter((r) => r.rule.ports?.some((x: any) => x.port === 443) && r.rule.to?.some((t: any) => t.ipBlock?.cidr === b.config.network.cidrBlock));
        // CloudNativePG's operator (review hosting), observability (every pod), node-agents (Filebeat),
        // elastic-system (the ECK operator), orders (the release gate).
        assert.deepEqual([...new Set(apiRules.map((r) => r.ns))].sort(), ["cnpg-system", "elastic-system", "node-agents", "observability", "orders"]);
        for (const r of apiRules) assert.deepEqual(r.rule.to[0], { ipBlock: { cidr: "10.100.0.1/32" } }, r.ns);
    });
});
