import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { criticalPath, edgeSavings, edgesOf } from "../../scripts/plan/critical-path";
import { PlanIndex } from "../../scripts/plan/model";
import { DURATIONS, durationKey } from "../../scripts/plan/durations";
import type { PlanDocument } from "../../scripts/plan/model";
import { PROJECT } from "../../components/config";
import { plan, planOf, res, stackPlan, urn } from "./helpers";
import { buildReviewUnderMocks, stackConfig } from "../harness";

const round = (n: number) => Math.round(n * 100) / 100;

describe("critical paths (scripts/plan/critical-path.ts)", function () {
    this.timeout(60_000);

    describe("the ordering Pulumi's Node SDK gives, observed through the SDK itself", () => {
        // The mock monitor answers a registration only when newResource resolves, as the engine
        // answers only once a resource is created: so the order of newResource calls is the order
        // in which `pulumi up` would start them.
        const events: string[] = [];
        class Group extends pulumi.ComponentResource {
            constructor(name: string, opts?: pulumi.ComponentResourceOptions) {
                super("test:index:Group", name, {}, opts);
                new random.RandomId(`${name}-child`, { byteLength: 4 }, { parent: this });
                this.registerOutputs({});
            }
        }
        let recorded: Record<string, { deps: string[] }> = {};

        before(async () => {
            events.length = 0;
            await pulumi.runtime.setMocks({
                async newResource(args) {
                    events.push(`start ${args.name}`);
                    if (args.custom) await new Promise((r) => setTimeout(r, 30));
                    events.push(`end ${args.name}`);
                    return { id: `${args.name}-id`, state: { ...args.inputs, hex: "00" } };
                },
                call: () => ({}),
            }, PROJECT, "order", false);
            const monitor: any = pulumi.runtime.getMonitor();
            const original = monitor.registerResource.bind(monitor);
            recorded = {};
            monitor.registerResource = (req: any, cb: any) => {
                recorded[req.getName()] = { deps: req.getDependenciesList().map((u: string) => u.split("::").pop()) };
                return original(req, cb);
            };
            const first = new random.RandomId("first", { byteLength: 4 });
            const group = new Group("group", { dependsOn: [first] });
            new random.RandomId("after-group", { byteLength: 4 }, { dependsOn: [group] });
            await (pulumi.runtime as any).waitForRPCs();
        });

        it("starts a component's children only after the component's own dependsOn exist (the parent edge)", () => {
            assert.ok(events.indexOf("start group-child") > events.indexOf("end first"), events.join(", "));
            assert.deepEqual(recorded["group-child"].deps, [], "the child records no dependency of its own: the wait comes from its parent");
            assert.deepEqual(recorded.group.deps, ["first"]);
        });

        it("expands a dependsOn on a component into its custom children, and waits for them", () => {
            assert.deepEqual(recorded["after-group"].deps, ["group-child"]);
            assert.ok(events.indexOf("start after-group") > events.indexOf("end group-child"), events.join(", "));
        });
    });

    describe("the model on a small graph", () => {
        // cluster (9.5) <- group (component, dependsOn cluster) <- node group (3, child of group) <- database (5, dependsOn the node group)
        const cluster = res("aws:eks/cluster:Cluster", "cluster");
        const group = res("test:index:Group", "group", {}, { custom: false, dependencies: [cluster.urn], dependsOn: [cluster.urn] });
        const nodes = res("aws:eks/nodeGroup:NodeGroup", "nodes", {}, { parent: group.urn });
        const db = res("aws:rds/instance:Instance", "db", { multiAz: false }, { dependencies: [nodes.urn] });
        const nat = res("aws:ec2/natGateway:NatGateway", "nat");
        const graph = plan("t", [cluster, group, nodes, db, nat]);

        it("creates each resource after its dependencies, its parent and its provider: the longest chain is the total", () => {
            const up = criticalPath(graph, "up");
            assert.equal(up.totalMin, 9.5 + 3 + 5);
            assert.deepEqual(up.chain.map((s) => [s.name, s.via, s.finishMin]), [
                ["cluster", undefined, 9.5], ["group", "dependsOn", 9.5], ["nodes", "parent", 12.5], ["db", "input", 17.5],
            ]);
        });

        it("destroys in the reverse order with delete durations", () => {
            const down = criticalPath(graph, "destroy");
            assert.equal(down.totalMin, 4 + 4 + 5);
            assert.deepEqual(down.chain.map((s) => s.name), ["db", "nodes", "group", "cluster"]);
        });

        it("takes no time to destroy a retainOnDelete resource (it only leaves the state)", () => {
            const retained = plan("t", [cluster, group, nodes, { ...db, retainOnDelete: true }, nat]);
            assert.equal(criticalPath(retained, "destroy").totalMin, 0 + 4 + 5);
        });

        it("takes no time to destroy a deletedWith resource whose resource the destroy deletes (the engine skips its delete)", () => {
            const withCluster = res("aws:eks/addon:Addon", "cni", {}, { dependencies: [cluster.urn], deletedWith: cluster.urn });
            const down = criticalPath(plan("t", [cluster, withCluster]), "destroy");
            assert.equal(down.totalMin, 5, "only the cluster's own delete");
            const alone = criticalPath(plan("t", [cluster, { ...withCluster, deletedWith: urn("aws:eks/cluster:Cluster", "elsewhere") }]), "destroy");
            assert.equal(alone.totalMin, 0.5 + 5, "a deletedWith resource outside the stack is deleted as usual");
        });

        it("waits for the provider a resource uses", () => {
            const provider = res("pulumi:providers:kubernetes", "k8s", {}, { dependencies: [cluster.urn] });
            const ns = res("kubernetes:core/v1:Namespace", "ns", {}, { provider: `${provider.urn}::k8s-id` });
            const up = criticalPath(plan("t", [cluster, provider, ns]), "up");
            assert.deepEqual(up.chain.map((s) => [s.name, s.via]), [["cluster", undefined], ["k8s", "input"], ["ns", "provider"]]);
            assert.equal(up.totalMin, 9.5 + 0.05);
        });

        it("names the resources it has no duration for instead of guessing", () => {
            const p = criticalPath(plan("t", [res("aws:opensearch/domain:Domain", "search")]), "up");
            assert.deepEqual(p.unknown, ["aws:opensearch/domain:Domain"]);
        });

        it("refuses a cycle, naming a resource on it", () => {
            const a = res("aws:ec2/vpc:Vpc", "a", {}, { dependencies: [urn("aws:ec2/vpc:Vpc", "b")] });
            const b = res("aws:ec2/vpc:Vpc", "b", {}, { dependencies: [a.urn] });
            assert.throws(() => criticalPath(plan("t", [a, b]), "up"), /dependency cycle through urn:pulumi:t::platform::aws:ec2\/vpc:Vpc::/);
        });

        it("says which chain edge would shorten the path and by how much", () => {
            const savings = edgeSavings(graph);
            assert.deepEqual(savings.map((s) => [s.from, s.to, s.kind, s.savedMin]), [
                ["group", "cluster", "dependsOn", 17.5 - 9.5], ["nodes", "group", "parent", 17.5 - 9.5], ["db", "nodes", "input", 17.5 - 12.5],
            ]);
        });
    });

    describe("the committed stacks", () => {
        const plans = new Map<string, PlanDocument>();
        before(async () => {
            for (const stack of ["dev", "prod", "pr-1"]) plans.set(stack, await stackPlan(stack));
            plans.set("pr-1+ingress", await stackPlan("pr-1", { "platform:app": { internalIngress: true }, "platform:observability": { internalIngress: true } }));
        });

        for (const stack of ["dev", "prod", "pr-1", "pr-1+ingress"]) {
            it(`has a duration with a source for every resource of ${stack}`, () => {
                const p = plans.get(stack)!;
                assert.deepEqual(criticalPath(p, "up").unknown, []);
                for (const r of p.resources.filter((x) => x.custom)) assert.ok(DURATIONS[durationKey(r)].source.length > 2, durationKey(r));
            });
        }

        // Today's figures, after the shortening of issue 14 (24.87 min before): the control plane no
        // longer waits for the NAT gateways and routes (the node groups do), vpc-cni not for the
        // Pod Identity agent, the observability releases not for the cluster services (only the
        // Ingresses do). Canary at the ALB (issue 11) had put it at 19.87 min, ending with the ALB
        // Ingress and the Rollout; then (issue 14, second pass) the node groups wait for aws-node's
        // Pod Identity association instead of the early add-ons (-1.0), the ECK operator is the
        // cluster layer's and starts with the nodes, the ILM Job starts after eck-stack (its 2.5 min
        // are Elasticsearch's own start), the Ingress waits for one controller reconcile (1 min,
        // not the ALB's 3 to turn active), and the External Secrets chart no longer waits for its
        // policy (which names the Multi-AZ database's secret). What is left ends with Jaeger.
        it("puts prod's pulumi up at 17.87 min: VPC, subnets, the control plane, aws-node's association, a node group, EBS CSI, then eck-stack, Elasticsearch's start (the ILM Job) and Jaeger", () => {
            const up = criticalPath(plans.get("prod")!, "up");
            assert.equal(round(up.totalMin), 17.87);
            assert.deepEqual(up.chain.filter((s) => s.minutes > 0).map((s) => s.key), [
                "aws:ec2/vpc:Vpc", "aws:ec2/subnet:Subnet", "aws:eks/cluster:Cluster", "aws:eks/podIdentityAssociation:PodIdentityAssociation", "aws:eks/nodeGroup:NodeGroup",
                "aws:eks/addon:Addon", "kubernetes:storage.k8s.io/v1:StorageClass", "command:local:Command", "kubernetes:core/v1:Namespace", "kubernetes:core/v1:Secret",
                "helm:eck-stack", "job:logs-ilm", "helm:jaeger", "kubernetes:monitoring.coreos.com/v1:ServiceMonitor",
            ]);
            assert.ok(!up.chain.some((s) => s.type === "aws:ec2/natGateway:NatGateway"), "the NAT gateway is off the path");
            assert.ok(up.totalMin <= 18, "issue 14's target");
        });

        it("ends prod's app chain (canary at the ALB) under 18 min too: the ALB Ingress, the canary Service, the Rollout and its release gate", () => {
            const p = plans.get("prod")!;
            // The release's verdict: the critical path of the graph of what the gate's Job waits for.
            const index = new PlanIndex(p);
            const rollout = p.resources.find((r) => r.type === "kubernetes:batch/v1:Job" && durationKey(r) === "job:orders-rollout-gate")!;
            const closure = new Set<string>();
            const walk = (urn: string) => {
                if (closure.has(urn)) return;
                closure.add(urn);
                for (const e of edgesOf(index, index.byUrn(urn)!)) walk(e.to);
            };
            walk(rollout.urn);
            const chain = criticalPath({ ...p, resources: p.resources.filter((r) => closure.has(r.urn)) }, "up");
            assert.equal(round(chain.totalMin), 17.64);
            // Bound by the app's secret now: the External Secrets chart, the first sync, the
            // migration Job, the Rollout (not awaited), then its gate's Job, which waits for the
            // controller's Healthy. The ALB Ingress (1 min after the controller) ends first.
            assert.deepEqual(chain.chain.slice(-8).map((s) => s.key), [
                "helm:external-secrets", "kubernetes:external-secrets.io/v1:SecretStore", "kubernetes:external-secrets.io/v1:ExternalSecret",
                "kubernetes:core/v1:ConfigMap", "job:migration", "kubernetes:core/v1:Service", "kubernetes:argoproj.io/v1alpha1:Rollout", "job:orders-rollout-gate",
            ]);
            assert.ok(!chain.chain.some((s) => s.type === "aws:rds/instance:Instance"), "nor does the Multi-AZ database's 15 min reach it");
        });

        // Moved by issue 12 (items 1, 2) from 16.92 min ending with the network: the volume wait
        // sits between the charts and the EBS CSI driver, and the log sweep runs after the cluster.
        // 18.59 until the early add-ons were left to DeleteCluster (deletedWith) and the ECK
        // operator moved to the cluster layer (issue 14).
        it("puts prod's pulumi destroy at 17.66 min: workloads and charts, the volume wait, storage, node group, control plane, then the log sweep", () => {
            const down = criticalPath(plans.get("prod")!, "destroy");
            assert.equal(round(down.totalMin), 17.66);
            assert.deepEqual(down.chain.filter((s) => s.minutes > 0).map((s) => s.name.replace("platform-prod-", "")), [
                "app-monitor", "observability-kube-prometheus-stack", "observability-eck-stack", "observability-es-roles", "observability-ns",
                "cluster-volume-wait", "cluster-gp3", "cluster-aws-ebs-csi-driver", "cluster-general-0", "cluster-vpc-cni-association",
                "cluster-eks", "cluster-control-plane-logs", "cluster-log-sweep",
            ]);
        });

        it("no longer lists the control plane's dependsOn on the network's egress: the cluster starts after the subnets, at 0.2 min", () => {
            const p = plans.get("prod")!;
            assert.equal(edgeSavings(p).find((x) => x.from === "platform-prod-cluster-eks" && x.to === "everything it dependsOn in platform-prod-network"), undefined);
            const eks = criticalPath(p, "up").chain.find((s) => s.name === "platform-prod-cluster-eks")!;
            assert.equal(round(eks.finishMin), round(0.1 + 0.1 + 9.5));
        });

        it("marks which chain edges are an explicit dependsOn (a change may drop them) and which come through an input", () => {
            const kinds = Object.fromEntries(criticalPath(plans.get("prod")!, "up").chain.map((st) => [st.name.replace("platform-prod-", ""), st.via]));
            assert.equal(kinds["cluster-eks"], "input");
            assert.equal(kinds["cluster-general-0"], "dependsOn");
            assert.equal(kinds["cluster-vpc-cni-association"], "input");
            assert.equal(kinds["observability-logs-ilm"], "dependsOn");
        });

        it("puts the Multi-AZ database (15 min) off prod's critical path: it starts with the network, not after the cluster", () => {
            const up = criticalPath(plans.get("prod")!, "up");
            assert.ok(!up.chain.some((s) => s.type === "aws:rds/instance:Instance"));
        });
    });
    // Issue 10: a shared-mode review stack within 3 minutes (4.0 before: image 2.0, then the
    // migration Job 1.0, then the Deployment 1.0).
    describe("a shared-mode review stack (pr-7)", () => {
        let review: PlanDocument;
        before(async () => {
            const built = await buildReviewUnderMocks(stackConfig("pr-7", { "platform:review": { platformStack: "organization/platform/dev" } }));
            review = planOf({ ...built, platform: undefined as never });
        });
        const named = (suffix: string) => review.resources.find((r) => r.name.endsWith(suffix))!;

        it("times the review image as a cached rebuild (cacheFrom dev's image) and dev's own as a full build", async () => {
            assert.equal(durationKey(named("-app-image-image")), "docker:index/image:Image cached");
            assert.equal(DURATIONS["docker:index/image:Image cached"].createMin, 1);
            assert.match(DURATIONS["docker:index/image:Image cached"].source, /^measured 2026-12-01 .*npm ci 24\.0-26\.7 s \+ tsc 11\.9-17\.6 s, at most 41\.6 s/);
            const dev = (await stackPlan("dev")).resources.find((r) => r.type === "docker:index/image:Image")!;
            assert.equal(durationKey(dev), "docker:index/image:Image");
        });

        it("starts the migration Job and the Deployment together, the Deployment's minute covering the Job's", () => {
            const up = criticalPath(review, "up");
            assert.equal(round(up.totalMin), 2.61);
            assert.deepEqual(up.chain.map((s) => s.key), [
                "kubernetes:core/v1:Namespace", "kubernetes:core/v1:LimitRange", "kubernetes:postgresql.cnpg.io/v1:Cluster",
                "kubernetes:core/v1:ConfigMap", "kubernetes:apps/v1:Deployment", "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
            ]);
            const job = named("-app-migrate");
            assert.ok(!named("-app-deployment").dependencies.includes(job.urn), "the Deployment does not wait for the Job");
            // Readiness waits for the schema (app/test/migrations.test.ts), so the Deployment is done only
            // after the Job: its duration must not be shorter than the Job's.
            assert.ok(DURATIONS["kubernetes:apps/v1:Deployment"].createMin >= DURATIONS["job:migration"].createMin);
            assert.equal(round(criticalPath(review, "destroy").totalMin), 1.36);
        });
    });

});
