/**
 * The review-stack lifecycle's shell, run for real (bash, jq, GNU date) against fake `pulumi` and
 * `gh` commands: destroy with retry then stack rm, the hourly sweeper's closed/TTL decisions, the
 * previews, and the workflow steps that decide docs-only and set the review stack's config.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { ROOT } from "../harness";
import { FakeCli, SCRIPTS, type Scenario } from "./fake-cli";

const DESTROY = path.join(SCRIPTS, "destroy-review-stack.sh");
const SWEEP = path.join(SCRIPTS, "sweep-review-stacks.sh");
const PREVIEW = path.join(SCRIPTS, "preview-stack.sh");
const PLAN_DIFF = path.join(SCRIPTS, "plan-diff.sh");

const hoursAgo = (h: number) => new Date(Date.now() - h * 3600_000).toISOString().replace(/\.\d{3}Z$/, "Z");

const workflow = (file: string) => parseYaml(fs.readFileSync(path.join(ROOT, ".github", "workflows", file), "utf8"));
const step = (file: string, job: string, name: string): { run: string } => {
    const found = workflow(file).jobs[job].steps.find((s: { name?: string; id?: string }) => s.name === name || s.id === name);
    assert.ok(found, `${file}: job ${job} has no step ${name}`);
    return found;
};

describe("Review stack scripts (against fake pulumi and gh)", () => {
    let fakes: FakeCli[] = [];
    const fake = (scenario: Scenario) => { const f = new FakeCli(scenario); fakes.push(f); return f; };
    afterEach(() => { fakes.forEach((f) => f.cleanup()); fakes = []; });

    describe("destroy-review-stack.sh", () => {
        it("destroys with --refresh, then removes the stack", () => {
            const f = fake({ stacks: [{ name: "pr-7" }, { name: "dev" }] });
            const r = f.run({ file: DESTROY, args: ["pr-7"] });
            assert.equal(r.status, 0, r.stderr);
            assert.deepEqual(f.pulumi("destroy"), [["--stack", "pr-7", "--refresh", "--yes", "--skip-preview", "--non-interactive", "--color", "never"]]);
            assert.deepEqual(f.pulumi("stack rm"), [["pr-7", "--yes", "--non-interactive"]]);
            assert.deepEqual(f.scenario().stacks.map((s) => s.name), ["dev"]);
            // The stack file destroy needs, from the review template.
            assert.equal(fs.readFileSync(path.join(f.cwd, "Pulumi.pr-7.yaml"), "utf8"), fs.readFileSync(path.join(ROOT, ".github", "review-stack.config.yaml"), "utf8"));
        });

        it("retries a failed destroy, and removes the stack once it destroyed", () => {
            const f = fake({ stacks: [{ name: "pr-7" }], destroyFailures: { "pr-7": 2 } });
            const r = f.run({ file: DESTROY, args: ["pr-7"] });
            assert.equal(r.status, 0, r.stderr);
            assert.equal(f.pulumi("destroy").length, 3);
            assert.match(r.stdout, /failed \(attempt 1 of 3\); retrying in 0s/);
            assert.match(r.stdout, /failed \(attempt 2 of 3\); retrying in 0s/);
            assert.equal(f.pulumi("stack rm").length, 1);
        });

        it("keeps a stack that would not destroy, and fails with the commands that finish the job", () => {
            const f = fake({ stacks: [{ name: "pr-7" }], destroyFailures: { "pr-7": Infinity } });
            const r = f.run({ file: DESTROY, args: ["pr-7"] }, { DESTROY_ATTEMPTS: "2" });
            assert.equal(r.status, 1);
            assert.equal(f.pulumi("destroy").length, 2);
            assert.deepEqual(f.pulumi("stack rm"), []);
            assert.match(r.stderr, /pulumi destroy of pr-7 failed 2 times; .* pulumi destroy --stack pr-7 --refresh && pulumi stack rm pr-7/);
        });

        it("does nothing for a stack that was never deployed", () => {
            const f = fake({ stacks: [{ name: "dev" }] });
            const r = f.run({ file: DESTROY, args: ["pr-9"] });
            assert.equal(r.status, 0, r.stderr);
            assert.match(r.stdout, /Stack pr-9 does not exist/);
            assert.deepEqual(f.pulumi("destroy"), []);
        });

        it("refuses any stack but pr-<number>", () => {
            for (const stack of ["prod", "dev", "pr-", "pr-7; rm -rf /", ""]) {
                const f = fake({ stacks: [{ name: "prod" }, { name: "dev" }] });
                const r = f.run({ file: DESTROY, args: [stack] });
                assert.equal(r.status, 2, stack);
                assert.match(r.stderr, /this script destroys review stacks only \(pr-<number>\)/);
                assert.deepEqual(f.calls("pulumi"), [], stack);
            }
        });

        it("fails, instead of reading 'no stack', when the backend cannot be listed", () => {
            const f = fake({ stacks: [{ name: "pr-7" }], stackLsFails: true });
            const r = f.run({ file: DESTROY, args: ["pr-7"] });
            assert.equal(r.status, 3);
            assert.match(r.stderr, /pulumi stack ls failed: cannot tell whether stack pr-7 exists/);
            assert.deepEqual(f.pulumi("destroy"), []);
        });
    });

    describe("sweep-review-stacks.sh", () => {
        const scenario = (): Scenario => ({
            stacks: [
                { name: "dev" }, { name: "prod" },
                { name: "pr-1" },                           // closed pull request, young
                { name: "pr-2" },                           // open, 100 h old, ttl 72: expired
                { name: "pr-3" },                           // open, 1 h old, ttl 72
                { name: "pr-4" },                           // open, no tags: stamped, kept
                { name: "pr-5", updateInProgress: true },   // closed but a deploy runs: next time
                { name: "pr-6" },                           // open, 100 h old, ttl 200
                { name: "pr-7" },                           // PR unknown (404), 80 h old, ttl 72: expired
                { name: "pr-8" },                           // PR unknown, 10 h old: kept
                { name: "pr-9" },                           // open, ttl tag invalid: never for age
                { name: "pr-10" },                          // open, exactly at its ttl: expired
                { name: "feature-x" },                      // not a review stack
            ],
            prs: { 1: "closed", 2: "open", 3: "open", 4: "open", 5: "closed", 6: "open", 9: "open", 10: "open" },
            tags: {
                "pr-1": { "review:created-at": hoursAgo(1), "review:ttl-hours": "72" },
                "pr-2": { "review:created-at": hoursAgo(100), "review:ttl-hours": "72" },
                "pr-3": { "review:created-at": hoursAgo(1), "review:ttl-hours": "72" },
                "pr-5": { "review:created-at": hoursAgo(1), "review:ttl-hours": "72" },
                "pr-6": { "review:created-at": hoursAgo(100), "review:ttl-hours": "200" },
                "pr-7": { "review:created-at": hoursAgo(80), "review:ttl-hours": "72" },
                "pr-8": { "review:created-at": hoursAgo(10), "review:ttl-hours": "72" },
                "pr-9": { "review:created-at": hoursAgo(500), "review:ttl-hours": "seventy" },
                "pr-10": { "review:created-at": hoursAgo(24), "review:ttl-hours": "24" },
            },
        });

        // One sweep of the scenario, read by the next four tests (each run spawns ~50 fake commands).
        let f: FakeCli;
        let r: ReturnType<FakeCli["run"]>;
        let sweptAt: number;
        before(() => {
            f = new FakeCli(scenario());
            sweptAt = Math.floor(Date.now() / 1000);
            r = f.run({ file: SWEEP });
        });
        after(() => f.cleanup());

        it("destroys the stacks of closed pull requests and those past their ttl, and only those", () => {
            assert.equal(r.status, 0, r.stderr + r.stdout);
            assert.deepEqual(f.pulumi("destroy").map((a) => a[1]), ["pr-1", "pr-2", "pr-7", "pr-10"]);
            assert.deepEqual(f.pulumi("stack rm").map((a) => a[0]), ["pr-1", "pr-2", "pr-7", "pr-10"]);
            assert.deepEqual(f.scenario().stacks.map((s) => s.name), ["dev", "prod", "pr-3", "pr-4", "pr-5", "pr-6", "pr-8", "pr-9", "feature-x"]);
            assert.match(r.stdout, /Sweeping pr-1: pull request #1 is closed\./);
            assert.match(r.stdout, /Sweeping pr-2: older than its time to live \(100 h >= 72 h\)\./);
            assert.match(r.stdout, /Keeping pr-6: pull request #6 is open, age 100 h, time to live 200 h\./);
            assert.match(r.stdout, /cannot read pull request #8 .* only swept for age/);
            assert.match(r.stdout, /pr-9 has no valid review:ttl-hours tag \(got 'seventy'\): not swept for age\. Set it with: pulumi stack tag set review:ttl-hours 72 --stack pr-9/);
            // A stack whose update is in progress is not even looked at.
            assert.ok(!f.calls("pulumi").some((a) => a.includes("pr-5")));
            assert.ok(!f.calls("gh").some((a) => a.some((x) => x.endsWith("/pulls/5"))));
        });

        it("stamps an untagged stack with the time it was first seen", () => {
            const stamp = f.scenario().tags!["pr-4"]["review:created-at"];
            assert.match(stamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
            assert.ok(Math.abs(Date.parse(stamp) / 1000 - sweptAt) < 60, stamp);
            assert.deepEqual(f.pulumi("stack tag set"), [["review:created-at", stamp, "--stack", "pr-4"]]);
        });

        it("tells an open pull request its stack was swept, and a closed one nothing", () => {
            const comments = f.calls("gh").filter((a) => a[0] === "pr" && a[1] === "comment");
            assert.deepEqual(comments.map((a) => a[2]), ["2", "10"]);
            assert.deepEqual(comments[0].slice(3, 5), ["--repo", "acme/platform"]);
            assert.match(comments[0][6], /^The review stack `pr-2` was destroyed by the sweeper: older than its time to live \(100 h >= 72 h\)\. Push a commit to create it again\.$/);
        });

        it("writes a summary row per review stack", () => {
            const rows = fs.readFileSync(f.summaryFile, "utf8").trim().split("\n");
            assert.equal(rows[0], "| Stack | Pull request | Age (h) | TTL (h) | Action |");
            assert.equal(rows.length, 2 + 9);
            assert.ok(rows.includes("| pr-1 | #1 (closed) | 1 | 72 | destroyed: pull request #1 is closed |"), rows.join("\n"));
            assert.ok(rows.includes("| pr-3 | #3 (open) | 1 | 72 | kept |"), rows.join("\n"));
        });

        it("goes on after a failed destroy and fails the run at the end", () => {
            const failing = fake({ stacks: [{ name: "pr-1" }, { name: "pr-2" }], prs: { 1: "closed", 2: "closed" }, destroyFailures: { "pr-1": Infinity } });
            const result = failing.run({ file: SWEEP }, { DESTROY_ATTEMPTS: "1" });
            assert.equal(result.status, 1);
            assert.match(result.stdout, /1 review stack\(s\) could not be destroyed/);
            assert.deepEqual(failing.pulumi("stack rm").map((a) => a[0]), ["pr-2"]);
        });

        it("starts no destroy once its time budget is used, and leaves the stack for the next run", () => {
            const late = fake({ stacks: [{ name: "pr-1" }], prs: { 1: "closed" } });
            const result = late.run({ file: SWEEP }, { SWEEP_BUDGET_MINUTES: "0" });
            assert.equal(result.status, 0, result.stderr);
            assert.deepEqual(late.pulumi("destroy"), []);
            assert.match(result.stdout, /time budget of this run used: pr-1 \(pull request #1 is closed\) is left for the next run/);
        });

        it("fails when the backend cannot be listed, instead of sweeping nothing quietly", () => {
            const broken = fake({ ...scenario(), stackLsFails: true });
            const result = broken.run({ file: SWEEP });
            assert.notEqual(result.status, 0);
            assert.match(result.stderr, /could not list stacks/);
            assert.deepEqual(broken.pulumi("destroy"), []);
        });
    });

    describe("preview-stack.sh", () => {
        it("previews an existing stack with --diff and the policy pack, into the report file", () => {
            const f = fake({ stacks: [{ name: "dev" }], previewExit: { dev: 0 } });
            const r = f.run({ file: PREVIEW, args: ["dev", "out"] });
            assert.equal(r.status, 0, r.stderr);
            assert.deepEqual(f.pulumi("preview"), [["--stack", "dev", "--diff", "--policy-pack", "policy", "--non-interactive", "--color", "never", "--suppress-progress"]]);
            assert.match(fs.readFileSync(path.join(f.cwd, "out", "dev.preview.txt"), "utf8"), /^Previewing update \(dev\):/);
            assert.equal(fs.readFileSync(path.join(f.cwd, "out", "dev.preview.exit"), "utf8"), "0\n");
        });

        it("passes on a failed preview (a policy violation) with its status", () => {
            const f = fake({ stacks: [{ name: "prod" }], previewExit: { prod: 255 } });
            const r = f.run({ file: PREVIEW, args: ["prod", "out"] });
            assert.equal(r.status, 255);
            assert.equal(fs.readFileSync(path.join(f.cwd, "out", "prod.preview.exit"), "utf8"), "255\n");
        });

        it("says a stack does not exist yet instead of failing (before the first deploy)", () => {
            const f = fake({ stacks: [{ name: "dev" }] });
            const r = f.run({ file: PREVIEW, args: ["prod", "out"] });
            assert.equal(r.status, 0, r.stderr);
            assert.deepEqual(f.pulumi("preview"), []);
            assert.match(fs.readFileSync(path.join(f.cwd, "out", "prod.preview.txt"), "utf8"), /^Stack prod does not exist yet: its first deploy creates it/);
        });
    });

    describe("plan-diff.sh", () => {
        const read = (f: FakeCli, file: string) => fs.readFileSync(path.join(f.cwd, "out", file), "utf8");
        const run = (f: FakeCli) => { fs.mkdirSync(path.join(f.cwd, "base")); return f.run({ file: PLAN_DIFF, args: ["base", "out", "pr-7", "dev"] }); };

        it("plans the base branch, then this checkout with --diff against it, per stack", () => {
            const f = fake({ stacks: [] });
            const r = run(f);
            assert.equal(r.status, 0, r.stderr + r.stdout);
            const out = path.join(f.cwd, "out");
            assert.deepEqual(f.calls("npm"), [
                ["--prefix", path.join(f.cwd, "base"), "run", "--silent", "plan", "--", "pr-7", "--quiet", "--out", `${out}/pr-7.base.json`],
                ["run", "--silent", "plan", "--", "pr-7", "--quiet", "--diff", `${out}/pr-7.base.json`],
                ["--prefix", path.join(f.cwd, "base"), "run", "--silent", "plan", "--", "dev", "--quiet", "--out", `${out}/dev.base.json`],
                ["run", "--silent", "plan", "--", "dev", "--quiet", "--diff", `${out}/dev.base.json`],
            ]);
            assert.equal(read(f, "pr-7.diff.md"), "#### pr-7: head against base\n");
            assert.equal(read(f, "dev.diff.exit"), "0\n");
        });

        it("reports a plan that fails on the pull request, with its output, and fails", () => {
            const f = fake({ stacks: [], planFails: { head: ["dev"] } });
            const r = run(f);
            assert.equal(r.status, 1);
            assert.equal(read(f, "dev.diff.md"), "The plan of `dev` fails on this pull request:\n\n```text\nStack \"dev\" has 1 configuration problem; nothing was created. (head)\n```\n");
            assert.equal(read(f, "dev.diff.exit"), "1\n");
            assert.equal(read(f, "pr-7.diff.exit"), "0\n");
        });

        it("says when the base branch cannot be planned, and still checks this checkout", () => {
            const f = fake({ stacks: [], planFails: { base: ["pr-7"] } });
            const r = run(f);
            assert.equal(r.status, 0, r.stderr);
            assert.match(read(f, "pr-7.diff.md"), /^The base branch's plan of `pr-7` failed, so there is no comparison\. Its output:\n\n```text\nStack "pr-7" has 1 configuration problem/);
            assert.deepEqual(f.calls("npm")[1], ["run", "--silent", "plan", "--", "pr-7", "--quiet"]);
            assert.equal(read(f, "pr-7.diff.exit"), "0\n");
        });
    });

    describe("review-stack.yml steps", () => {
        const scope = () => step("review-stack.yml", "scope", "files").run;
        const env = { PR_NUMBER: "7", GH_TOKEN: "t" };

        for (const [files, code] of [
            [["README.md", "docs/observability.md", "app/README.md"], "false"],
            [["docs/runbook-restore-database.md"], "false"],
            [["README.md", "components/network.ts"], "true"],
            [["app/src/server.ts"], "true"],
            [[".github/review-stack.config.yaml"], "true"],
            [["docs/diagram.png", "Pulumi.dev.yaml"], "true"],
            [["mdfile.ts"], "true"],
        ] as Array<[string[], string]>) {
            it(`treats ${files.join(", ")} as ${code === "true" ? "a code change" : "docs only"}`, () => {
                const f = fake({ stacks: [], prFiles: files });
                const r = f.run({ inline: scope() }, env);
                assert.equal(r.status, 0, r.stderr);
                assert.deepEqual(f.outputs(), { code });
                assert.deepEqual(f.calls("gh"), [["api", "--paginate", "repos/acme/platform/pulls/7/files", "--jq", ".[].filename"]]);
            });
        }

        it("deploys when the changed files cannot be listed (the safe side)", () => {
            const f = fake({ stacks: [], prFiles: "fail" });
            const r = f.run({ inline: scope() }, env);
            assert.equal(r.status, 0, r.stderr);
            assert.deepEqual(f.outputs(), { code: "true" });
        });

        const configStep = () => step("review-stack.yml", "deploy", "stack").run;
        const deployEnv = (mode: string) => ({ STACK: "pr-7", REVIEW_MODE: mode, PULUMI_SECRETS_PROVIDER: "awskms://alias/pulumi?region=us-east-1", PULUMI_BACKEND_URL: "s3://state" });

        for (const mode of ["shared", "full"]) {
            it(`creates the stack and sets platform:review.mode ${mode}, the platform stack and the sweeper's tags`, () => {
                const f = fake({ stacks: [{ name: "dev" }, { name: "prod" }], planTtlHours: 48 });
                const r = f.run({ inline: configStep() }, deployEnv(mode));
                assert.equal(r.status, 0, r.stderr + r.stdout);
                assert.deepEqual(f.pulumi("stack select"), [["--create", "pr-7", "--secrets-provider", "awskms://alias/pulumi?region=us-east-1"]]);
                assert.deepEqual(f.pulumi("config set"), [
                    ["--stack", "pr-7", "--path", "platform:review.mode", mode],
                    ["--stack", "pr-7", "--path", "platform:review.platformStack", "organization/platform/dev"],
                ]);
                assert.deepEqual(f.calls("npm"), [["run", "plan", "--", "pr-7", "--config-file", "Pulumi.pr-7.yaml", "--quiet"]]);
                const tags = f.scenario().tags!["pr-7"];
                assert.equal(tags["review:ttl-hours"], "48");
                assert.equal(tags["review:mode"], mode);
                assert.ok(Math.abs(Date.parse(tags["review:created-at"]) - Date.now()) < 60_000, tags["review:created-at"]);
            });
        }

        it("keeps the creation time of a stack that exists (the age counts from the first deploy)", () => {
            const created = hoursAgo(30);
            const f = fake({ stacks: [{ name: "dev" }, { name: "pr-7" }], planTtlHours: 72, tags: { "pr-7": { "review:created-at": created } } });
            const r = f.run({ inline: configStep() }, deployEnv("shared"));
            assert.equal(r.status, 0, r.stderr);
            assert.equal(f.scenario().tags!["pr-7"]["review:created-at"], created);
            assert.ok(!f.pulumi("stack tag set").some((a) => a[0] === "review:created-at"));
        });

        it("refuses to deploy without a dev platform stack to host it", () => {
            const f = fake({ stacks: [{ name: "prod" }], planTtlHours: 72 });
            const r = f.run({ inline: configStep() }, deployEnv("shared"));
            assert.equal(r.status, 1);
            assert.match(r.stdout, /no platform\/dev stack in s3:\/\/state: review environments run on the dev platform; deploy dev first/);
            assert.deepEqual(f.pulumi("stack select"), []);
        });

        it("refuses to deploy a stack the sweeper could not judge (no ttlHours in the plan)", () => {
            const f = fake({ stacks: [{ name: "dev" }] });
            const r = f.run({ inline: configStep() }, deployEnv("shared"));
            assert.equal(r.status, 1);
            assert.match(r.stdout, /\.plan\/pr-7\.json has no numeric config\.review\.ttlHours/);
            assert.ok(!f.pulumi("stack tag set").some((a) => a[0] === "review:ttl-hours"));
        });
    });
});
