/**
 * The policy pack's verdict in the offline plan (scripts/plan/evaluate-policy.ts, verdict.ts, the
 * --diff section): the CLI through its real entry (as plan.test.ts runs it), and the evaluation on
 * a mutated captured resource in-process, through the same served pack as test/policy/.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { policyVerdict } from "../../scripts/plan/evaluate-policy";
import { diffVerdicts, formatVerdictDiff } from "../../scripts/plan/diff";
import { formatVerdict, type PolicyVerdict, type Violation } from "../../scripts/plan/verdict";
import { buildStack, type CapturedResource } from "../harness";
import { sharedPack } from "../policy/analyzer";
import { plan } from "./cli";

const OTHER_DEV_ADVISORIES = [
    "rds-non-default-port on platform-dev-database-db",
    "secretsmanager-rotation-enabled on platform-dev-secrets-cache",
    "secretsmanager-rotation-enabled on platform-dev-secrets-database",
    "k8s-namespace-restricted on platform-dev-observability-node-agents-ns",
];
const SKIPPED = [
    "  2 checks skipped at a first preview (a value it reads is unknown until other resources exist; the SDK runs it at pulumi up):",
    "    iam-no-admin-privileges/star-on-star on platform-<s>-external-secrets-operator-policy",
    "    iam-no-service-wildcards/service-wildcard on platform-<s>-external-secrets-operator-policy",
];

/** The verdict block of a plan's output, advisory messages cut after the resource name. */
function verdictBlock(stdout: string): string[] {
    const start = stdout.indexOf("Policy pack platform-guardrails");
    assert.ok(start >= 0, `no verdict in:\n${stdout.slice(-2000)}`);
    const lines = stdout.slice(start).split("\n");
    const end = lines.findIndex((l, i) => i > 0 && !l.startsWith("  "));
    return lines.slice(0, end).map((l) => (/^ {4}\S+ on \S+: /.test(l) ? l.slice(0, l.indexOf(": ")) : l));
}

describe("policy pack verdict in the offline plan", function () {
    this.timeout(180_000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "plan-verdict-"));
    after(() => fs.rmSync(dir, { recursive: true, force: true }));
    // The dev endpoint's public-CIDR finding made mandatory, as a stricter pack config would.
    const strict = path.join(dir, "strict.json");
    fs.writeFileSync(strict, JSON.stringify({ "eks-endpoint-not-public": "mandatory" }));
    // Pack configs the plan must refuse: a policy name with a typo, and YAML instead of JSON.
    const typo = path.join(dir, "typo.json");
    fs.writeFileSync(typo, JSON.stringify({ "eks-endpoint-not-publik": "mandatory" }));
    const notJson = path.join(dir, "not.json");
    fs.writeFileSync(notJson, "eks-endpoint-not-public: mandatory");
    // The runs start as mocha loads this file (test/plan/cli.ts); each test awaits its own.
    const dev = plan(["dev", "--quiet", "--out", path.join(dir, "dev.json")]);
    const prod = plan(["prod", "--quiet", "--out", path.join(dir, "prod.json")]);
    // Against dev's own plan (once that run wrote it): the diff's new and resolved violations.
    const strictRun = dev.then(() => plan(["dev", "--quiet", "--out", path.join(dir, "dev-strict.json"), "--policy-config", strict, "--diff", path.join(dir, "dev.json")]));
    strictRun.catch(() => undefined);
    const refusals = Promise.all([
        plan(["pr-7", "--quiet", "--out", path.join(dir, "typo-plan.json"), "--policy-config", typo]),
        plan(["pr-7", "--quiet", "--out", path.join(dir, "not-plan.json"), "--policy-config", notJson]),
    ]);
    refusals.catch(() => undefined);

    it("dev: 0 mandatory violations, its advisory findings and the checks a first preview skips; exit 0", async () => {
        const run = await dev;
        assert.equal(run.status, 0, run.stderr);
        assert.deepEqual(verdictBlock(run.stdout), [
            "Policy pack platform-guardrails with the pack's default config: 57 policies evaluated on 193 resources; 9 policies disabled by that config (outside prod: the prod-only ones).",
            "  0 mandatory violations",
            "  5 advisory violations:",
            "    eks-endpoint-not-public on platform-dev-cluster-eks",
            ...OTHER_DEV_ADVISORIES.map((a) => `    ${a}`),
            ...SKIPPED.map((l) => l.replace("<s>", "dev")),
        ]);
        const doc = JSON.parse(fs.readFileSync(path.join(dir, "dev.json"), "utf8"));
        assert.equal(doc.policy.configFile, undefined);
        assert.deepEqual([doc.policy.mandatory.length, doc.policy.advisory.length, doc.policy.policiesEvaluated], [0, 5, 57]);
    });

    it("prod: evaluated with policy/config/prod.json (every policy on), 0 mandatory violations; exit 0", async () => {
        const run = await prod;
        assert.equal(run.status, 0, run.stderr);
        const block = verdictBlock(run.stdout);
        assert.deepEqual(block.slice(0, 3), [
            "Policy pack platform-guardrails with policy/config/prod.json: 66 policies evaluated on 215 resources.",
            "  0 mandatory violations",
            "  8 advisory violations:",
        ]);
        assert.deepEqual(block.slice(-3), SKIPPED.map((l) => l.replace("<s>", "prod")));
        assert.ok(block.includes("    rds-enhanced-monitoring on platform-prod-database-db"), "a prod-only advisory policy ran");
    });

    it("a mandatory violation is printed with its policy, resource, URN and message, after everything else, and the plan exits 3", async () => {
        const run = await strictRun;
        assert.equal(run.status, 3, run.stderr);
        assert.deepEqual(verdictBlock(run.stdout).slice(0, 6), [
            `Policy pack platform-guardrails with ${strict}: 57 policies evaluated on 193 resources; 9 policies disabled by that config (outside prod: the prod-only ones).`,
            "  1 mandatory violation (pulumi preview --policy-pack policy fails, and so does this plan):",
            "    eks-endpoint-not-public on platform-dev-cluster-eks",
            "      urn:pulumi:dev::platform::platform:cluster:Cluster$aws:eks/cluster:Cluster::platform-dev-cluster-eks",
            "      [eks-endpoint-not-public/public-cidrs] the public API endpoint is open to 0.0.0.0/0. Fix: set platform:cluster.publicAccessCidrs to the deployers' egress CIDRs, or platform:cluster.endpointPublicAccess false.",
            "  4 advisory violations:",
        ]);
        // Everything else was printed and written before the non-zero exit.
        assert.match(run.stdout, /^Monthly cost estimate: \$/m);
        assert.match(run.stdout, /^Critical path of pulumi destroy: /m);
        const doc = JSON.parse(fs.readFileSync(path.join(dir, "dev-strict.json"), "utf8"));
        assert.deepEqual(doc.policy.mandatory.map((v: Violation) => [v.policy, v.name, v.level]), [["eks-endpoint-not-public", "platform-dev-cluster-eks", "mandatory"]]);
        // The --diff report: the head's verdict, and what changed against dev's plan.
        const md = fs.readFileSync(path.join(dir, "dev-strict.diff.md"), "utf8");
        assert.ok(run.stdout.includes(md));
        assert.match(md, /^#### Policy pack\n\n\*\*1 mandatory violation: this change fails the policy pack\.\*\* 4 advisory violations, 2 checks skipped at a first preview; 57 policies evaluated with `[^`]+strict\.json`\.$/m);
        assert.match(md, /^New violations \(1\):\n\n\| Level \| Policy \| Resource \| Message \|\n\|---\|---\|---\|---\|\n\| mandatory \| `eks-endpoint-not-public` \| `platform-dev-cluster-eks` \| \[eks-endpoint-not-public\/public-cidrs\] /m);
        assert.match(md, /^Resolved violations \(1\):\n\n\| Level \| Policy \| Resource \| Message \|\n\|---\|---\|---\|---\|\n\| advisory \| `eks-endpoint-not-public` \| `platform-dev-cluster-eks` \|/m);
    });

    it("refuses a pack config that names no policy of the pack, or is no JSON, naming the file and the fix, before running the program", async () => {
        const [a, b] = await refusals;
        assert.equal(a.status, 2);
        assert.equal(a.stderr.trim(), "plan: pack config names eks-endpoint-not-publik, which is not a policy of the pack");
        assert.equal(b.status, 2);
        assert.match(b.stderr, new RegExp(`^plan: policy pack config ${notJson.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")} is not JSON \\(.*\\): write it like policy/config/prod\\.json$`, "m"));
        assert.equal(fs.existsSync(path.join(dir, "typo-plan.json")), false, "no plan file without a verdict");
        // Both refused before the program ran (checkPackConfigNames, packConfigFor): nothing printed.
        assert.equal(a.stdout + b.stdout, "");
    });
});

describe("policy pack verdict on a mutated capture (in-process, the served pack)", function () {
    this.timeout(120_000);

    it("a prod RDS instance made public is a mandatory violation with its URN; the rest is prod's known verdict", async () => {
        const pack = await sharedPack();
        const built = await buildStack("prod");
        const db = built.capture.one("aws:rds/instance:Instance");
        // Captures are shared between suites: mutate a copy.
        const resources: CapturedResource[] = built.capture.resources.map((r) => (r === db ? { ...r, inputs: { ...r.inputs, publiclyAccessible: true } } : r));
        const v = await policyVerdict(pack, resources, "prod");
        assert.deepEqual(v.mandatory, [{
            policy: "rds-no-public-access", level: "mandatory", urn: db.urn, name: db.name,
            message: "[rds-no-public-access/publicly-accessible] publiclyAccessible is true. Fix: set publiclyAccessible false; reach the database from the cluster's security group.",
        }]);
        assert.equal(v.configFile, "policy/config/prod.json");
        assert.equal(v.advisory.length, 8);
        assert.match(formatVerdict(v), /^ {2}1 mandatory violation \(pulumi preview --policy-pack policy fails, and so does this plan\):\n {4}rds-no-public-access on platform-prod-database-db\n {6}urn:pulumi:prod::platform::/m);
    });

    it("matches violations across stacks by name with the stack normalised; says so when the base plan has no verdict", () => {
        const violation = (stack: string, policy: string, level: Violation["level"] = "advisory"): Violation =>
            ({ policy, level, urn: `urn:pulumi:${stack}::platform::t::platform-${stack}-x`, name: `platform-${stack}-x`, message: `[${policy}/c] on platform-${stack}-x` });
        const verdict = (vs: Violation[]): PolicyVerdict => ({
            pack: "platform-guardrails", policiesEvaluated: 57, policiesDisabled: 9, resourcesEvaluated: 1,
            mandatory: vs.filter((x) => x.level === "mandatory"), advisory: vs.filter((x) => x.level === "advisory"), skipped: [],
        });
        const base = verdict([violation("main", "a"), violation("main", "b")]);
        const head = verdict([violation("pr", "a"), violation("pr", "c", "mandatory")]);
        const d = diffVerdicts("main", base, "pr", head);
        assert.deepEqual(d.added.map((x) => x.policy), ["c"]);
        assert.deepEqual(d.removed.map((x) => x.policy), ["b"]);
        assert.deepEqual(diffVerdicts("main", base, "main", base).added, []);
        const none = formatVerdictDiff(diffVerdicts("main", undefined, "pr", head)).join("\n");
        assert.match(none, /_The base plan has no policy verdict \(written before the plan evaluated the pack\): violations are not compared\._/);
        assert.match(none, /^Mandatory violations \(1\):$/m);
    });
});
