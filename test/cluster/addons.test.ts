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

        it("creates coredns, the EBS CSI driver and metrics-server after every node group, the others before", () => {
            for (const [b, count] of [[dev, 3], [prod, 4], [review, 2]] as const) {
                for (const ng of nodeGroupsOf(b, count)) {
                    for (const name of AFTER_NODES) assert.ok(b.capture.dependsOn(addon(b, name), ng), `${name} waits for ${ng.name}`);
                    for (const name of EARLY) {
                        assert.ok(!b.capture.dependsOn(addon(b, name), ng), `${name} must not wait for the nodes`);
                        assert.ok(b.capture.dependsOn(ng, addon(b, name)), `${ng.name} starts with ${name} in place`);
                    }
                }
                // vpc-cni's pods get their credentials from the Pod Identity agent, which runs on
                // the nodes: both are in place before any node group (above), and the add-ons
                // themselves are created side by side.
                assert.ok(!b.capture.dependsOn(addon(b, "vpc-cni"), addon(b, "eks-pod-identity-agent")));
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

        it("lists every node group, coredns, the EBS CSI driver, the StorageClass and the volume wait as nodesReady", async () => {
            for (const b of [dev, prod]) {
                const urns = await Promise.all(b.platform.cluster.nodesReady.map((r) => valueOf(r.urn)));
                assert.deepEqual(urns, [
                    ...b.capture.ofType(NODE_GROUP).map((g) => g.urn), addon(b, "coredns").urn, addon(b, "aws-ebs-csi-driver").urn,
                    b.capture.one("kubernetes:storage.k8s.io/v1:StorageClass").urn,
                    // Issue 12, item 1: the destroy-time wait for the EBS volumes.
                    b.capture.one("command:local:Command", "-cluster-volume-wait").urn,
                ]);
            }
            assert.equal(prod.platform.cluster.nodesReady.length, 4 + 4, "3 general groups and the system group, coredns, EBS CSI, StorageClass, volume wait");
        });
    });


});
