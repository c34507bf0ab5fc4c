import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { ROOT } from "../harness";
import { plan, type Run } from "./cli";
import { stackPlan } from "./helpers";

// The runs start as mocha loads this file (test/plan/cli.ts); each test awaits its own.
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "plan-test-"));
// The full copy (label full-review-stack): the review template with platform:review.mode full.
const fullCopy = path.join(dir, "full-copy.yaml");
const template = parseYaml(fs.readFileSync(path.join(ROOT, ".github", "review-stack.config.yaml"), "utf8"));
template.config["platform:review"] = { ...template.config["platform:review"], mode: "full" };
fs.writeFileSync(fullCopy, stringifyYaml(template));
const badConfig = path.join(dir, "Pulumi.bad.yaml");
fs.writeFileSync(badConfig, [
    "config:",
    "  aws:region: us-east-1",
    "  platform:network:",
    "    availabilityZoneCount: 1",
    "    natGatways: perAz",
].join("\n"));
const base = path.join(dir, "base.json");
let startDiff: (run: Promise<Run>) => void;
const runs: Record<"sharedReview" | "diff" | "badConfig", Promise<Run>> = {
    sharedReview: plan(["pr-7", "--quiet", "--out", path.join(dir, "pr-7.json")]),
    badConfig: plan(["bad", "--config-file", badConfig, "--out", path.join(dir, "bad.json")]),
    // The full copy's run, with a diff (one plan of the stack serves both tests below), started by
    // the hook below once its base is written.
    diff: new Promise<Run>((resolve) => { startDiff = resolve; }),
};

// A root-level hook: it runs before the first test of the whole suite, when no other build is
// under way (builds under mocks are process-global). The diff's base: the same review stack with
// a bigger cache node, as main might have it.
// A failed base build fails the diff's tests only (through their run), not the whole suite: a
// root-level hook that throws would stop every file's tests.
before(async function () {
    this.timeout(90_000);
    try {
        fs.writeFileSync(base, JSON.stringify(await stackPlan("pr-1", { "platform:cache": { nodeType: "cache.m7g.large" } })));
    } catch (e) {
        const failed = Promise.reject(new Error(`the diff's base (pr-1 with a bigger cache node) did not build: ${(e as Error).stack ?? e}`));
        failed.catch(() => undefined); // read by the diff's tests
        startDiff(failed);
        return;
    }
    startDiff(plan(["pr-1", "--quiet", "--out", path.join(dir, "head.json"), "--diff", base, "--config-file", fullCopy]));
});

describe("offline plan (scripts/plan.ts)", function () {
    this.timeout(90_000);
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("prints a shared-mode review stack's figures against its targets", async () => {
        const run = await runs.sharedReview;
        assert.equal(run.status, 0, run.stderr);
        assert.match(run.stdout, /^Stack pr-7 \(review\) in us-east-1: 23 resources would be created, in 2 groups\.$/m);
        assert.match(run.stdout, /^Review stack figures \(shared mode\):\n {2}ok {4}resources: 23 \(target <= 25\)\n {2}ok {4}pulumi up: 2\.6 min \(target <= 3 min, image build included\)\n {2}ok {4}pulumi destroy: 1\.4 min \(target <= 2 min\)\n {2}ok {4}monthly cost: \$3\.20 \(target <= \$15\)$/m);
        assert.doesNotMatch(run.stdout, /aws:ec2\/vpc:Vpc|aws:eks\/cluster:Cluster|aws:rds|aws:elasticache|helm\.sh/);
        // The policy pack's verdict (test/plan/verdict.test.ts has dev, prod and a violation).
        assert.match(run.stdout, /^Policy pack platform-guardrails with the pack's default config: 57 policies evaluated on 23 resources; 9 policies disabled by that config \(outside prod: the prod-only ones\)\.\n {2}0 mandatory violations\n {2}0 advisory violations\n {2}0 checks skipped at a first preview /m);
    });

    it("prints the review stack grouped by component and writes the full list as JSON", async () => {
        const out = path.join(dir, "head.json");
        const run = await runs.diff;
        assert.equal(run.status, 0, run.stderr);
        assert.match(run.stdout, /Stack pr-1 \(review\) in us-east-1: \d+ resources would be created/);
        assert.match(run.stdout, /platform-pr-1-network {2}\[platform:network:Network\]/);
        assert.match(run.stdout, /^ +1 {2}aws:ec2\/natGateway:NatGateway$/m);
        assert.match(run.stdout, /natGateways = "single"/);
        const doc = JSON.parse(fs.readFileSync(out, "utf8"));
        assert.equal(doc.stack, "pr-1");
        assert.equal(doc.source, path.relative(ROOT, fullCopy));
        const vpc = doc.resources.find((r: any) => r.type === "aws:ec2/vpc:Vpc");
        assert.equal(vpc.inputs.cidrBlock, "10.0.0.0/16");
        assert.ok(vpc.parent.endsWith("::platform-pr-1-network"));
        const nat = doc.resources.find((r: any) => r.type === "aws:ec2/natGateway:NatGateway");
        // Dependencies are recorded: the NAT gateway waits for its EIP and for the internet gateway.
        const urnOf = (type: string) => doc.resources.find((r: any) => r.type === type).urn;
        assert.ok(nat.dependencies.includes(urnOf("aws:ec2/internetGateway:InternetGateway")));
        assert.ok(nat.dependencies.includes(urnOf("aws:ec2/eip:Eip")));
        // Nothing secret is written in clear: every secret input is masked.
        assert.doesNotMatch(fs.readFileSync(out, "utf8"), /4dabf18193072939515e22adb298388d/);
    });

    it("prints the monthly cost and both critical paths, renders the objects, and diffs against another plan as markdown", async () => {
        // The base (written in before): the same review stack with a bigger cache node.
        const out = path.join(dir, "head.json");
        const run = await runs.diff;
        assert.equal(run.status, 0, run.stderr);
        assert.match(run.stdout, /^Monthly cost estimate: \$270\.24 \(us-east-1, on-demand list prices checked \d{4}-\d{2}-\d{2}, 730 h\/month; usage from scripts\/plan\/usage\.yaml\)$/m);
        assert.match(run.stdout, /^ +\$202\.63 {2}Cluster \(platform-pr-1-cluster\)$/m);
        assert.match(run.stdout, /^ {2}Usage assumptions:\n {4}spotPriceFactor=0\.35, natGateway\.dataProcessedGbPerGatewayMonth=10,/m);
        assert.match(run.stdout, /^Critical path of pulumi up \(empty stack\): 17\.6 min$/m);
        assert.match(run.stdout, /^Critical path of pulumi destroy: \d+\.\d min$/m);
        assert.match(run.stdout, /\(input\) platform-pr-1-cluster-eks \[aws:eks\/cluster:Cluster\] \+9\.5/);
        assert.match(run.stdout, /^Kubernetes objects rendered: \d+ objects and 7 Helm release values under /m);
        assert.match(run.stdout, /^Policy pack platform-guardrails with the pack's default config: 57 policies evaluated on \d+ resources; .*\n {2}0 mandatory violations$/m);
        assert.ok(fs.existsSync(path.join(dir, "head", "orders")), "objects rendered beside the plan file");
        // The diff, on stdout and in <plan>.diff.md.
        const md = fs.readFileSync(path.join(dir, "head.diff.md"), "utf8");
        assert.match(md, /^### Offline plan diff: `pr-1` against `base\.json` \(pr-1\)/);
        assert.match(md, /\*\*0 to add, 1 to change, 0 to delete\.\*\* Monthly cost \$353\.17 → \$270\.24 \(−\$82\.93\)/);
        assert.match(md, /`platform-pr-1-cache-valkey` \| `nodeType` \|/);
        assert.ok(run.stdout.includes(md), "the markdown is printed too");
        // The in-process plans the estimator tests use are what the CLI writes.
        const written = JSON.parse(fs.readFileSync(out, "utf8"));
        assert.deepEqual(written.resources, (await stackPlan("pr-1")).resources);
    });

    it("refuses a bad config with the same messages as pulumi up, creating nothing", async () => {
        const out = path.join(dir, "bad.json");
        const run = await runs.badConfig;
        assert.equal(run.status, 1);
        assert.match(run.stderr, /Stack "bad" has \d+ configuration problems; nothing was created\./);
        assert.match(run.stderr, /platform:network\.availabilityZoneCount = 1/);
        assert.match(run.stderr, /did you mean platform:network\.natGateways\?/);
        assert.equal(fs.existsSync(out), false, "no plan file for a refused config");
    });

    it("is what npm run plan runs", () => {
        const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
        assert.equal(pkg.scripts.plan, "tsx scripts/plan.ts");
    });
});
