import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { buildStack, readStackValues, untracedPromiseCalls, type Built } from "./harness";

const NODE_GROUP = "aws:eks/nodeGroup:NodeGroup";

/**
 * Ordering across components, on the captured dependency graph: what makes the first `pulumi up`
 * converge and `pulumi destroy` delete dependents before what they need.
 */
describe("ordering across components", () => {
    const stacks: Record<string, Built> = {};
    before(async () => {
        for (const s of ["dev", "prod", "pr-1"]) stacks[s] = await buildStack(s);
    });

    it("creates every Kubernetes object after every node group (and deletes it before them)", () => {
        for (const b of Object.values(stacks)) {
            const groups = b.capture.ofType(NODE_GROUP);
            assert.ok(groups.length >= b.config.network.availabilityZoneCount);
            const objects = b.capture.resources.filter((r) => r.custom && r.type.startsWith("kubernetes:") && r.type !== "pulumi:providers:kubernetes");
            assert.ok(objects.length >= 25, `${b.config.stack}: only ${objects.length} Kubernetes objects captured`);
            const early = objects.filter((o) => !groups.every((g) => b.capture.dependsOn(o, g))).map((o) => `${o.type} ${o.name}`);
            assert.deepEqual(early, [], `${b.config.stack}: objects that may outlive the nodes on destroy`);
        }
    });

    it("has no dependency cycle", () => {
        for (const b of Object.values(stacks)) {
            for (const r of b.capture.resources) assert.ok(!b.capture.dependencyClosure(r).has(r.urn), `${r.name} depends on itself`);
        }
    });

    it("waits for the synced Secret before the migration Job and the app mount it", () => {
        const b = stacks.dev;
        const externalSecret = b.capture.one("kubernetes:external-secrets.io/v1:ExternalSecret");
        assert.equal(externalSecret.inputs.metadata.annotations["pulumi.com/waitFor"], "condition=Ready");
        const job = b.capture.one("kubernetes:batch/v1:Job", "-migrate");
        const deployment = b.capture.one("kubernetes:apps/v1:Deployment");
        assert.ok(b.capture.dependsOn(job, externalSecret));
        assert.ok(b.capture.dependsOn(deployment, externalSecret));
        // Job and Deployment start together: readiness waits for the schema (components/delivery/workload.ts).
        assert.ok(!b.capture.dependsOn(deployment, job));
    });

    it("re-runs a failed migration on the next pulumi up, and reports the image as the service version", () => {
        const b = stacks.prod;
        const job = b.capture.one("kubernetes:batch/v1:Job", "-migrate");
        assert.equal(job.inputs.metadata.annotations["pulumi.com/replaceUnready"], "true");
        const container = b.capture.one("kubernetes:apps/v1:Deployment").inputs.spec.template.spec.containers[0];
        const version = container.env.find((e: { name: string }) => e.name === "SERVICE_VERSION").value;
        assert.match(version, /^[0-9a-f]{16}-(amd64|arm64)$/);
        assert.equal(job.inputs.metadata.name, `orders-migrate-${version}`);
        assert.ok(String(container.image).includes("@sha256:"), "deployed by digest");
    });
});

describe("the test harness", () => {
    it("builds through the SDK's debuggablePromise it replaced (frame-less traces): the SDK still calls it through its exports object", async () => {
        await buildStack("dev"); // built once per process, here or by an earlier file
        // A dev build tracks about 11,500 promises; 0 means the SDK stopped calling the replaced function
        // (an SDK upgrade that imports it otherwise), and builds are back to twice their time.
        assert.ok(untracedPromiseCalls() > 5000, `${untracedPromiseCalls()} promises through the replaced debuggablePromise`);
    });

    it("reads a stack file again when it changes, and hands out copies of what it parsed", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "harness-"));
        try {
            const file = path.join(dir, "Pulumi.x.yaml");
            fs.writeFileSync(file, "config:\n  aws:region: us-east-1\n  platform:cache:\n    nodeType: cache.t4g.micro\n");
            const first = readStackValues("x", file);
            assert.equal(first.values["platform:cache"], '{"nodeType":"cache.t4g.micro"}');
            first.values["aws:region"] = "changed by a caller";
            assert.equal(readStackValues("x", file).values["aws:region"], "us-east-1");
            // Another version of the file (its size differs): parsed again, not served from the first read.
            fs.writeFileSync(file, "config:\n  aws:region: eu-west-1\n  platform:cache:\n    nodeType: cache.m7g.large\n");
            assert.deepEqual(readStackValues("x", file).values, { "aws:region": "eu-west-1", "platform:cache": '{"nodeType":"cache.m7g.large"}' });
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
