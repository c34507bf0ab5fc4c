import * as assert from "node:assert/strict";
import {
    ACCOUNT_ID, buildStack, valueOf,
    type Built,
} from "../harness";

import { NODE_GROUP, ADDON, CLUSTER_KEY, POD_IDENTITY_TRUST, Options, buildWithOptions, clusterNameOf, nodeGroupsOf, addon, roleOf, attachmentsOf, VARIANT, tagsOf } from "./support";

describe("cluster add-ons", function () {
    // Four uncached platform builds in one hook: 19 s on a loaded 2-core machine, past mocha's 20 s
    // default (the other suites that build stacks set 60 s too).
    this.timeout(60000);
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
            for (const name of ["kube-proxy", "eks-pod-identity-agent", "coredns", "metrics-server"]) {
                assert.equal(addon(dev, name).inputs.configurationValues, undefined, name);
            }
        });

        it("turns on the VPC CNI's network policy agent, without which NetworkPolicies are ignored (issue 12 item 13)", () => {
            for (const b of [dev, prod, review]) {
                assert.deepEqual(JSON.parse(addon(b, "vpc-cni").inputs.configurationValues), { enableNetworkPolicy: "true" }, b.config.stack);
            }
        });

        it("creates coredns, the EBS CSI driver and metrics-server after every node group, the others beside them", () => {
            for (const [b, count] of [[dev, 3], [prod, 4], [review, 2]] as const) {
                const association = b.capture.one("aws:eks/podIdentityAssociation:PodIdentityAssociation", "-cluster-vpc-cni-association");
                for (const ng of nodeGroupsOf(b, count)) {
                    for (const name of AFTER_NODES) assert.ok(b.capture.dependsOn(addon(b, name), ng), `${name} waits for ${ng.name}`);
                    for (const name of EARLY) {
                        assert.ok(!b.capture.dependsOn(addon(b, name), ng), `${name} must not wait for the nodes`);
                        // Issue 14: -1.0 min. The cluster's self-managed aws-node and kube-proxy
                        // network a node that joins first; the add-ons adopt them.
                        assert.ok(!b.capture.dependsOn(ng, addon(b, name)), `${ng.name} starts beside ${name}, not after it`);
                    }
                    // What a node's first aws-node pod needs: the webhook injects credentials only
                    // at pod creation, from an association that exists then.
                    assert.ok(b.capture.dependsOn(ng, association), `${ng.name} waits for aws-node's Pod Identity association`);
                }
                assert.ok(!b.capture.dependsOn(association, addon(b, "vpc-cni")), "the association does not wait for the add-on");
                // Nor the add-on for it: an older stack updates the add-on alone first, to release
                // aws-node's association (pulumi up --target, docs/estimates.md "Upgrading").
                assert.ok(!b.capture.dependsOn(addon(b, "vpc-cni"), association));
                assert.ok(!b.capture.dependsOn(addon(b, "vpc-cni"), addon(b, "eks-pod-identity-agent")));
            }
        });

        it("leaves the early add-ons to DeleteCluster on destroy (deletedWith), so the CNI outlives every pod on the nodes", () => {
            for (const b of [dev, prod, review]) {
                const cluster = b.capture.one("aws:eks/cluster:Cluster");
                for (const name of EARLY) assert.equal(addon(b, name).deletedWith, cluster.urn, `${name} deletedWith the cluster`);
                // The late ones are deleted in order (after what uses them, before the nodes).
                for (const name of AFTER_NODES) assert.equal(addon(b, name).deletedWith, "", name);
            }
        });

        it("gives vpc-cni and the EBS CSI driver their own Pod Identity roles with the least managed policy", () => {
            const ebs = addon(dev, "aws-ebs-csi-driver");
            assert.equal(ebs.inputs.podIdentityAssociations.length, 1);
            assert.equal(ebs.inputs.podIdentityAssociations[0].serviceAccount, "ebs-csi-controller-sa");
            const ebsRole = roleOf(dev, ebs, "podIdentityAssociations");
            assert.equal(ebs.inputs.podIdentityAssociations[0].roleArn, `arn:aws:iam:us-east-1:${ACCOUNT_ID}:${ebsRole.name}`);
            // vpc-cni's is a PodIdentityAssociation of its own, which the node groups wait for.
            const cni = dev.capture.one("aws:eks/podIdentityAssociation:PodIdentityAssociation", "-cluster-vpc-cni-association");
            assert.deepEqual([cni.inputs.namespace, cni.inputs.serviceAccount], ["kube-system", "aws-node"]);
            assert.equal(cni.inputs.clusterName, clusterNameOf(dev.config.stack));
            const cniRole = roleOf(dev, cni, "roleArn");
            assert.equal(cni.inputs.roleArn, `arn:aws:iam:us-east-1:${ACCOUNT_ID}:${cniRole.name}`);
            for (const [role, policy] of [[ebsRole, "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"], [cniRole, "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"]] as const) {
                assert.deepEqual(JSON.parse(role.inputs.assumeRolePolicy), POD_IDENTITY_TRUST);
                assert.deepEqual(attachmentsOf(dev, role), [policy]);
            }
            // The policy is attached before a node's aws-node can ask for it.
            for (const attachment of dev.capture.ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment").filter((a) => a.inputs.role === cniRole.inputs.name || a.name.includes("vpc-cni"))) {
                assert.ok(dev.capture.dependsOn(cni, attachment), attachment.name);
            }
            for (const name of ["vpc-cni", "kube-proxy", "eks-pod-identity-agent", "coredns", "metrics-server"]) {
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

        it("lists every node group, the early add-ons, coredns, the EBS CSI driver, the StorageClass and the volume wait as nodesReady", async () => {
            for (const b of [dev, prod]) {
                const urns = await Promise.all(b.platform.cluster.nodesReady.map((r) => valueOf(r.urn)));
                assert.deepEqual(urns, [
                    ...b.capture.ofType(NODE_GROUP).map((g) => g.urn), ...EARLY.map((name) => addon(b, name).urn),
                    addon(b, "coredns").urn, addon(b, "aws-ebs-csi-driver").urn,
                    b.capture.one("kubernetes:storage.k8s.io/v1:StorageClass").urn,
                    // Issue 12, item 1: the destroy-time wait for the EBS volumes.
                    b.capture.one("command:local:Command", "-cluster-volume-wait").urn,
                ]);
            }
            assert.equal(prod.platform.cluster.nodesReady.length, 4 + 3 + 4, "3 general groups and the system group, the 3 early add-ons, coredns, EBS CSI, StorageClass, volume wait");
        });
    });


});
