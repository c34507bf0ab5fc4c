import * as assert from "node:assert/strict";
import { CHARTS } from "../../components/shared/charts";
import { CNPG_NAMESPACE, cnpgOperatorNetworkPolicies, reviewIngressGroupName } from "../../components/review/host";
import { buildStack, reveal, valueOf } from "../harness";

describe("review host (the dev stack's side)", () => {
    it("installs the pinned CloudNativePG operator on dev, cluster-wide, after the cluster is ready", async () => {
        const { capture } = await buildStack("dev");
        const release = capture.ofType("kubernetes:helm.sh/v3:Release").find((r) => r.inputs.chart === "cloudnative-pg");
        assert.ok(release, "dev has the cnpg release");
        assert.deepEqual(CHARTS.cloudnativePg, { repo: "https://cloudnative-pg.github.io/charts", chart: "cloudnative-pg", version: "0.29.0" });
        assert.equal(release.inputs.version, "0.29.0");
        assert.equal(release.inputs.repositoryOpts.repo, "https://cloudnative-pg.github.io/charts");
        assert.equal(release.inputs.namespace, "cnpg-system");
        assert.deepEqual(release.inputs.values.config, { clusterWide: true });
        assert.deepEqual(release.inputs.values.crds, { create: true });
        const ns = capture.one("kubernetes:core/v1:Namespace", "-review-host-cnpg-namespace");
        assert.equal(ns.inputs.metadata.labels["pod-security.kubernetes.io/enforce"], "restricted");
        const nodeGroups = capture.ofType("aws:eks/nodeGroup:NodeGroup");
        assert.ok(nodeGroups.length > 0 && nodeGroups.every((n) => capture.dependsOn(release, n)), "after every node group (cluster.ready)");
    });

    it("hosts nothing on prod or a full review copy", async () => {
        for (const stack of ["prod", "pr-1"]) {
            const { capture, platform } = await buildStack(stack);
            assert.equal(capture.ofType("kubernetes:helm.sh/v3:Release").filter((r) => r.inputs.chart === "cloudnative-pg").length, 0, stack);
            assert.equal(platform.outputs.reviewOperatorNamespace, undefined);
            assert.equal(platform.outputs.storageClassName, undefined);
        }
    });

    it("expires dev's pr-* images after 3 days, before the count rule sees them; one policy per repository", async () => {
        const { capture } = await buildStack("dev");
        const policies = capture.ofType("aws:ecr/lifecyclePolicy:LifecyclePolicy");
        assert.equal(policies.length, capture.ofType("aws:ecr/repository:Repository").length);
        const rules = JSON.parse(policies[0].inputs.policy).rules;
        assert.deepEqual(rules.map((r: any) => [r.rulePriority, r.selection.tagStatus, r.selection.tagPatternList, r.selection.countType, r.selection.countNumber]), [
            [1, "untagged", undefined, "sinceImagePushed", 3],
            [2, "tagged", ["pr-*"], "sinceImagePushed", 3],
            [3, "tagged", ["*"], "imageCountMoreThan", 10],
        ]);
        const prod = JSON.parse((await buildStack("prod")).capture.one("aws:ecr/lifecyclePolicy:LifecyclePolicy").inputs.policy).rules;
        assert.deepEqual(prod.map((r: any) => r.rulePriority), [1, 2], "prod keeps its two rules");
    });

    it("exports what review stacks read; the group name only with a domain", async () => {
        const dev = await buildStack("dev", { "platform:reviewEnvironments": { enabled: true, domain: "review.example.com" } });
        assert.equal(await valueOf(dev.platform.outputs.reviewIngressGroup as any), "platform-dev-review");
        assert.equal(await valueOf(dev.platform.outputs.reviewDomain as any), "review.example.com");
        assert.equal((await buildStack("dev")).platform.outputs.reviewIngressGroup, undefined);
    });

    it("refuses an IngressGroup name over the controller's 63 characters", () => {
        assert.equal(reviewIngressGroupName("platform-dev"), "platform-dev-review");
        assert.throws(() => reviewIngressGroupName("p".repeat(57)), /review host: the IngressGroup name "p{57}-review" has 64 characters, more than the load balancer controller's 63/);
    });

    it("fences the operator's namespace: deny, DNS, the webhook from the VPC, the API server, and the review namespaces' instances (issue 12 item 13)", async () => {
        const dev = await buildStack("dev");
        const pols = dev.capture.ofType("kubernetes:networking.k8s.io/v1:NetworkPolicy").filter((r) => reveal(r.inputs.metadata.namespace) === CNPG_NAMESPACE)
            .sort((a, b) => a.inputs.metadata.name.localeCompare(b.inputs.metadata.name));
        const vpc = { ipBlock: { cidr: dev.config.network.cidrBlock } };
        assert.deepEqual(pols.map((r) => r.inputs.metadata.name), ["allow-dns", "allow-operator", "default-deny"]);
        assert.deepEqual(reveal(pols[1].inputs.spec), {
            podSelector: {}, policyTypes: ["Ingress", "Egress"],
            ingress: [{ from: [vpc], ports: [{ protocol: "TCP", port: 9443 }] }],
            egress: [
                { to: [{ ipBlock: { cidr: "172.20.0.1/32" } }, vpc], ports: [{ protocol: "TCP", port: 443 }] },
                { to: [{ namespaceSelector: { matchLabels: { "app.kubernetes.io/part-of": "review-environment" } } }], ports: [{ protocol: "TCP", port: 8000 }, { protocol: "TCP", port: 5432 }] },
            ],
        });
        assert.deepEqual(reveal(pols[0].inputs.spec), cnpgOperatorNetworkPolicies({ vpcCidr: dev.config.network.cidrBlock, apiServiceCidr: "172.20.0.1/32" })[1].spec);
    });
});
