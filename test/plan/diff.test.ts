import * as assert from "node:assert/strict";
import { criticalPath } from "../../scripts/plan/critical-path";
import { changedPaths, diffPlans, formatDiff, withoutStack } from "../../scripts/plan/diff";
import { readPlan } from "../../scripts/plan/model";
import { loadUsage } from "../../scripts/plan/usage";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { plan, res, stackPlan } from "./helpers";

const H = 730;

describe("plan diff (scripts/plan/diff.ts)", function () {
    this.timeout(60_000);

    it("lists changed input paths, nested and by index, and whole values where the shapes differ", () => {
        assert.deepEqual(changedPaths({ a: 1, b: { c: [1, 2], d: "x" } }, { a: 1, b: { c: [1, 3], d: "y" }, e: true }), ["b.c[1]", "b.d", "e"]);
        assert.deepEqual(changedPaths({ list: [1] }, { list: [1, 2] }), ["list"]);
        assert.deepEqual(changedPaths({ a: 1 }, { a: 1 }), []);
        // A ConfigMap's JSON document is compared by content, under a key with a dot in it.
        const flags = (v: string) => ({ data: { "flags.json": JSON.stringify({ flags: { "new-checkout": { defaultVariant: v, variants: { on: true, off: false } } } }, null, 2) } });
        assert.deepEqual(changedPaths(flags("off"), flags("on")), ['data["flags.json"].flags.new-checkout.defaultVariant']);
        assert.deepEqual(changedPaths({ data: { "a.b": "x" } }, { data: { "a.b": "y" } }), ['data["a.b"]']);
    });

    it("matches resources across the stack name only where it is a whole word", () => {
        assert.equal(withoutStack("dev", "urn:pulumi:dev::platform::aws:ec2/vpc:Vpc::platform-dev-network-vpc"), "urn:pulumi:<stack>::platform::aws:ec2/vpc:Vpc::platform-<stack>-network-vpc");
        assert.equal(withoutStack("dev", "platform-dev-cluster-devices"), "platform-<stack>-cluster-devices");
    });

    it("reports a review stack's change: the added Ingress, the changed cache node type, and the cost and time deltas", async () => {
        const base = await stackPlan("pr-1");
        const head = await stackPlan("pr-1", { "platform:cache": { nodeType: "cache.m7g.large" }, "platform:app": { internalIngress: true } });
        const d = diffPlans(base, head, (s) => loadUsage(s));
        assert.deepEqual(d.added.map((r) => r.type), ["kubernetes:networking.k8s.io/v1:Ingress"]);
        assert.deepEqual(d.removed, []);
        // The app's ingress policy admits the ALB's subnets once there is an ALB (issue 12 item 13).
        assert.deepEqual(d.changed.map((c) => [c.name, c.keys]), [["platform-pr-1-app-netpol-allow-app-ingress", ["spec.ingress"]], ["platform-pr-1-cache-valkey", ["nodeType"]]]);
        assert.deepEqual(d.changed[1].details, [{ key: "nodeType", before: '"cache.t4g.micro"', after: '"cache.m7g.large"' }]);
        const costDelta = d.cost.after.totalUsd - d.cost.before.totalUsd;
        assert.ok(Math.abs(costDelta - ((0.1264 - 0.0128) * H + 0.0225 * H + 0.008 * H)) < 1e-9, String(costDelta));
        assert.equal(d.time.upBefore, criticalPath(base, "up").totalMin);
        assert.equal(d.time.upAfter, criticalPath(head, "up").totalMin);

        const md = formatDiff(d, "`main.json` (pr-1)");
        assert.match(md, /^### Offline plan diff: `pr-1` against `main\.json` \(pr-1\)\n/);
        assert.match(md, /\*\*1 to add, 2 to change, 0 to delete\.\*\* Monthly cost \$270\.24 → \$375\.43 \(\+\$105\.19\)\./);
        assert.match(md, /\| `kubernetes:networking\.k8s\.io\/v1:Ingress` \| `platform-pr-1-app-ingress` \|/);
        assert.match(md, /\| `aws:elasticache\/replicationGroup:ReplicationGroup` \| `platform-pr-1-cache-valkey` \| `nodeType` \|/);
        assert.match(md, /\| Cache \(platform-<stack>-cache\) \| \$10\.34 \| \$93\.27 \| \+\$82\.93 \|/);
        assert.match(md, /\| AppImage \(platform-<stack>-app-image\) \| \$0\.13 \| \$0\.13 \| ±0 \|/);
    });

    it("matches a moved resource to its old URN through its alias: one change, not a delete and a create", () => {
        const old = res("kubernetes:helm.sh/v3:Release", "platform-t-observability-eck-operator", { chart: "eck-operator" });
        const moved = { ...res("kubernetes:helm.sh/v3:Release", "platform-t-cluster-eck-operator", { chart: "eck-operator" }), aliases: [old.urn] };
        const d = diffPlans(plan("t", [old]), plan("t", [moved]), (st) => loadUsage(st));
        assert.deepEqual([d.added, d.removed], [[], []]);
        assert.deepEqual(d.changed.map((c) => [c.name, c.keys]), [["platform-t-cluster-eck-operator", ["(moved from platform-t-observability-eck-operator)"]]]);
        // Without the alias it is what Pulumi would do: create the new one, delete the old one.
        const replaced = diffPlans(plan("t", [old]), plan("t", [{ ...moved, aliases: undefined }]), (st) => loadUsage(st));
        assert.deepEqual([replaced.added.length, replaced.removed.length, replaced.changed.length], [1, 1, 0]);
    });

    it("shows secrets masked and reports ordering changes as keys", () => {
        const a = res("aws:elasticache/replicationGroup:ReplicationGroup", "rg", { authToken: "[secret]", nodeType: "cache.t4g.micro" });
        const b = res("aws:elasticache/replicationGroup:ReplicationGroup", "rg", { authToken: "plain-now", nodeType: "cache.t4g.micro" }, { dependencies: [res("aws:kms/key:Key", "k").urn] });
        const key = res("aws:kms/key:Key", "k");
        const d = diffPlans(plan("t", [a, key]), plan("t", [b, key]), (s) => loadUsage(s));
        assert.deepEqual(d.changed.map((c) => c.keys), [["authToken", "(dependencies)"]]);
        assert.deepEqual(d.changed[0].details, [{ key: "authToken", before: '"[secret]"', after: '"plain-now"' }]);
        assert.doesNotMatch(formatDiff(d, "base"), /4dabf18193072939515e22adb298388d/);
    });

    it("refuses a missing file and a JSON file that is not a plan, saying how to make one", () => {
        assert.throws(() => readPlan("/nonexistent/main.json"), /^Error: no plan file \/nonexistent\/main\.json: write one with npm run plan -- <stack> --out \/nonexistent\/main\.json$/);
        const file = path.join(os.tmpdir(), `not-a-plan-${process.pid}.json`);
        fs.writeFileSync(file, JSON.stringify({ hello: "world" }));
        try {
            assert.throws(() => readPlan(file), /is not a plan written by scripts\/plan\.ts \(needs "stack" and "resources"\)/);
        } finally {
            fs.rmSync(file);
        }
    });

    it("says so when nothing changed", async () => {
        const p = await stackPlan("pr-1");
        const md = formatDiff(diffPlans(p, p, (s) => loadUsage(s)), "itself");
        assert.match(md, /\*\*0 to add, 0 to change, 0 to delete\.\*\* Monthly cost \$270\.24 → \$270\.24 \(±0\)\. Critical path: up 17\.6 min → 17\.6 min \(±0\)/);
        assert.doesNotMatch(md, /#### (Added|Removed|Changed)/);
    });
});
