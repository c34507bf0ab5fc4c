import * as assert from "node:assert/strict";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { CHARTS } from "../../components/shared/charts";
import {
    buildStack, ROOT, valueOf,
    type Built,
} from "../harness";

import { ROLE_POLICY, POD_IDENTITY_TRUST, eks, clusterNameOf, nodeGroupsOf, addon, release, association, roleOf, SYSTEM_PLACEMENT, tagsOf } from "./support";

describe("cluster services", () => {
    let dev: Built;
    let prod: Built;
    let review: Built;

    before(async () => {
        dev = await buildStack("dev");
        prod = await buildStack("prod");
        review = await buildStack("pr-1");
    });

    it("installs the AWS Load Balancer Controller from the pinned chart with cluster, region and VPC set", () => {
        for (const b of [dev, prod]) {
            const r = release(b, "aws-load-balancer-controller");
            assert.equal(r.inputs.chart, "aws-load-balancer-controller");
            assert.deepEqual(r.inputs.repositoryOpts, { repo: "https://aws.github.io/eks-charts" });
            assert.equal(r.inputs.version, "3.5.0");
            assert.equal(r.inputs.namespace, "kube-system");
            assert.equal(r.inputs.timeout, 600);
            assert.equal(r.inputs.atomic, true);
            assert.deepEqual(r.inputs.values, {
                clusterName: clusterNameOf(b.config.stack),
                region: "us-east-1",
                vpcId: `platform-${b.config.stack}-network-vpc-id`,
                serviceAccount: { create: true, name: "aws-load-balancer-controller" },
                replicaCount: 2,
                podDisruptionBudget: { maxUnavailable: 1 },
                // The provider's default tags do not reach the ALBs, NLBs, target groups and
                // security groups the controller creates (values.yaml v3.5.0: defaultTags).
                defaultTags: tagsOf(b),
                // Its Service webhook (failurePolicy Fail) would intercept every Service create.
                enableServiceMutatorWebhook: false,
                resources: { requests: { cpu: "50m", memory: "128Mi" }, limits: { memory: "256Mi" } },
                ...(b === prod ? SYSTEM_PLACEMENT : {}),
            });
            const a = association(b, "aws-load-balancer-controller");
            assert.equal(a.inputs.namespace, "kube-system");
            assert.equal(a.inputs.clusterName, clusterNameOf(b.config.stack));
        }
        assert.deepEqual(CHARTS.awsLoadBalancerController, {
            repo: "https://aws.github.io/eks-charts", chart: "aws-load-balancer-controller", version: "3.5.0",
        });
    });

    it("gives the controller exactly its published IAM policy, small enough for an inline policy", () => {
        const a = association(dev, "aws-load-balancer-controller");
        const role = roleOf(dev, a, "roleArn");
        assert.deepEqual(JSON.parse(role.inputs.assumeRolePolicy), POD_IDENTITY_TRUST);
        const inline = dev.capture.ofType(ROLE_POLICY).filter((p) => p.propertyDependencies.role?.includes(role.urn));
        assert.equal(inline.length, 1);
        const file = fs.readFileSync(path.join(ROOT, "components/cluster/policies/aws-load-balancer-controller.json"));
        // The committed file is the controller's published policy of v3.5.0 (docs/install/iam_policy.json), byte for byte.
        assert.equal(createHash("sha256").update(file).digest("hex"), "16f232c9d9f79366fe949c4550ad517a202380058a9e48d45a4e215044a20a6a");
        const committed = JSON.parse(file.toString("utf8"));
        const policy = JSON.parse(inline[0].inputs.policy);
        assert.deepEqual(policy, committed);
        assert.equal(policy.Statement.length, 16);
        // What the controller cannot work without, whatever the file says.
        const allows = (action: string) => policy.Statement.filter((st: any) => st.Effect === "Allow" && [st.Action].flat().includes(action));
        for (const action of [
            "iam:CreateServiceLinkedRole", "ec2:DescribeAvailabilityZones", "ec2:DescribeSubnets", "ec2:CreateSecurityGroup",
            "ec2:AuthorizeSecurityGroupIngress", "ec2:DeleteSecurityGroup", "elasticloadbalancing:CreateLoadBalancer",
            "elasticloadbalancing:CreateTargetGroup", "elasticloadbalancing:CreateListener", "elasticloadbalancing:DeleteLoadBalancer",
            "elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets", "elasticloadbalancing:AddTags",
        ]) assert.ok(allows(action).length > 0, action);
        // Load balancers and target groups are created, and tagged at creation, only with the cluster's tag.
        assert.ok(allows("elasticloadbalancing:CreateLoadBalancer").every((st: any) =>
            st.Condition?.Null?.["aws:RequestTag/elbv2.k8s.aws/cluster"] === "false"));
        assert.deepEqual(allows("elasticloadbalancing:AddTags").filter((st: any) => st.Condition?.StringEquals)
            .map((st: any) => st.Condition), [{
            StringEquals: { "elasticloadbalancing:CreateAction": ["CreateTargetGroup", "CreateLoadBalancer"] },
            Null: { "aws:RequestTag/elbv2.k8s.aws/cluster": "false" },
        }]);
        // IAM counts inline role policies up to 10,240 characters (without whitespace).
        assert.ok(JSON.stringify(committed).length <= 10_240);
    });

    it("installs the cluster autoscaler discovering this cluster's node groups in this region", () => {
        for (const b of [dev, prod]) {
            const r = release(b, "cluster-autoscaler");
            assert.equal(r.inputs.chart, "cluster-autoscaler");
            assert.deepEqual(r.inputs.repositoryOpts, { repo: "https://kubernetes.github.io/autoscaler" });
            assert.equal(r.inputs.version, "9.59.0");
            assert.equal(r.inputs.namespace, "kube-system");
            assert.equal(r.inputs.timeout, 300);
            const v = r.inputs.values;
            assert.equal(v.cloudProvider, "aws");
            assert.equal(v.awsRegion, "us-east-1");
            assert.deepEqual(v.autoDiscovery, { clusterName: clusterNameOf(b.config.stack) });
            assert.deepEqual(v.rbac, { serviceAccount: { create: true, name: "cluster-autoscaler" } });
            assert.equal(association(b, "cluster-autoscaler").inputs.namespace, "kube-system");
        }
    });

    it("lets the autoscaler remove nodes whose pods have emptyDir volumes (issue 12 item 7)", () => {
        // The app mounts an emptyDir at /tmp, and so do chart pods: with the autoscaler's default
        // skip-nodes-with-local-storage=true no node running one is ever scaled down.
        for (const b of [dev, prod, review]) {
            const v = release(b, "cluster-autoscaler").inputs.values;
            assert.deepEqual(v.extraArgs, {
                "balance-similar-node-groups": true,
                expander: "least-waste",
                "skip-nodes-with-local-storage": false,
            });
        }
    });

    it("sizes both controllers: requests and a memory limit, never the charts' empty default (issue 12 item 9)", () => {
        for (const b of [dev, prod, review]) {
            assert.deepEqual(release(b, "aws-load-balancer-controller").inputs.values.resources,
                { requests: { cpu: "50m", memory: "128Mi" }, limits: { memory: "256Mi" } });
            assert.deepEqual(release(b, "cluster-autoscaler").inputs.values.resources,
                { requests: { cpu: "100m", memory: "300Mi" }, limits: { memory: "600Mi" } });
        }
    });

    it("lets the autoscaler scale only the node groups EKS tagged as this cluster's", () => {
        const a = association(dev, "cluster-autoscaler");
        const role = roleOf(dev, a, "roleArn");
        const inline = dev.capture.ofType(ROLE_POLICY).filter((p) => p.propertyDependencies.role?.includes(role.urn));
        assert.equal(inline.length, 1);
        const policy = JSON.parse(inline[0].inputs.policy);
        // kubernetes/autoscaler cloudprovider/aws/README.md, "Full Cluster Autoscaler Features Policy".
        assert.deepEqual(policy, {
            Version: "2012-10-17",
            Statement: [
                {
                    Sid: "Discover",
                    Effect: "Allow",
                    Action: [
                        "autoscaling:DescribeAutoScalingGroups",
                        "autoscaling:DescribeAutoScalingInstances",
                        "autoscaling:DescribeLaunchConfigurations",
                        "autoscaling:DescribeScalingActivities",
                        "ec2:DescribeImages",
                        "ec2:DescribeInstanceTypes",
                        "ec2:DescribeLaunchTemplateVersions",
                        "ec2:GetInstanceTypesFromInstanceRequirements",
                        "eks:DescribeNodegroup",
                    ],
                    Resource: "*",
                },
                {
                    Sid: "ScaleOwnNodeGroups",
                    Effect: "Allow",
                    Action: ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"],
                    Resource: "*",
                    Condition: { StringEquals: { "aws:ResourceTag/k8s.io/cluster-autoscaler/platform-dev-cluster-0a1b2c": "owned" } },
                },
            ],
        });
    });

    it("installs the controllers after the nodes and their roles, so they are deleted first", () => {
        for (const [b, count] of [[dev, 3], [prod, 4], [review, 2]] as const) {
            for (const [name, serviceAccount] of [["aws-load-balancer-controller", "aws-load-balancer-controller"], ["cluster-autoscaler", "cluster-autoscaler"]]) {
                const r = release(b, name);
                for (const ng of nodeGroupsOf(b, count)) assert.ok(b.capture.dependsOn(r, ng), `${name} after ${ng.name}`);
                assert.ok(b.capture.dependsOn(r, addon(b, "coredns")), `${name} after coredns`);
                assert.ok(b.capture.dependsOn(r, association(b, serviceAccount)), `${name} after its Pod Identity association`);
                assert.ok(b.capture.dependsOn(r, eks(b)));
            }
        }
    });

    it("lists both releases as servicesReady", async () => {
        const urns = await Promise.all(dev.platform.cluster.servicesReady.map((r) => valueOf(r.urn)));
        assert.deepEqual(urns, [release(dev, "aws-load-balancer-controller").urn, release(dev, "cluster-autoscaler").urn]);
    });
});
