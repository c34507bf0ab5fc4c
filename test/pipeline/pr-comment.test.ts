/**
 * .github/scripts/pr-comment.js, the module the workflows' github-script steps require, against a
 * fake Octokit with the calls github-script's `github` client offers (paginate, rest.issues.*,
 * rest.pulls.get).
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ROOT } from "../harness";

interface Section { heading: string; status: "ok" | "failed" | "missing"; kind: "markdown" | "text"; content: string }
interface PrComment {
    GITHUB_COMMENT_LIMIT: number;
    MARKERS: { plan: string; environment: string };
    upsertComment(args: { github: unknown; owner: string; repo: string; issueNumber: number; marker: string; body: string; createIfMissing?: boolean }): Promise<{ id: number; action: string }>;
    renderSections(args: { title: string; intro?: string; sections: Section[]; runUrl: string; limit?: number }): string;
    planSections(args: { dir: string; stacks: string[]; previews?: string[] }): Section[];
    postForkPlanComment(args: { github: unknown; context: unknown; core: unknown; dir: string }): Promise<{ id: number; action: string }>;
    postEnvironmentComment(args: Record<string, unknown>): Promise<{ id: number; action: string }>;
    fenced(text: string, info?: string): string;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const lib: PrComment = require(path.join(ROOT, ".github", "scripts", "pr-comment.js"));

interface Comment { id: number; body: string; user: { type: string; login: string } }

/** The slice of Octokit the module uses; pages of 100 like the API. */
function fakeGithub(comments: Comment[], pr?: { sha: string; repo: string }) {
    const calls: Array<[string, any]> = [];
    let nextId = 1000;
    const github = {
        calls,
        comments,
        paginate: async (method: (p: any) => Promise<{ data: Comment[] }>, params: any) => {
            const all: Comment[] = [];
            for (let page = 1; ; page++) {
                const { data } = await method({ ...params, page });
                all.push(...data);
                if (data.length < params.per_page) return all;
            }
        },
        rest: {
            issues: {
                listComments: async (p: any) => { calls.push(["listComments", p]); return { data: comments.slice((p.page - 1) * p.per_page, p.page * p.per_page) }; },
                updateComment: async (p: any) => { calls.push(["updateComment", p]); comments.find((c) => c.id === p.comment_id)!.body = p.body; return { data: {} }; },
                createComment: async (p: any) => { calls.push(["createComment", p]); const c = { id: nextId++, body: p.body, user: { type: "Bot", login: "github-actions[bot]" } }; comments.push(c); return { data: c }; },
            },
            pulls: {
                get: async (p: any) => { calls.push(["pulls.get", p]); return { data: { number: p.pull_number, head: { sha: pr?.sha, repo: { full_name: pr?.repo } } } }; },
            },
        },
    };
    return github;
}
const core = { info: () => undefined, warnings: [] as string[], warning(m: string) { this.warnings.push(m); } };
const bot = (id: number, body: string): Comment => ({ id, body, user: { type: "Bot", login: "github-actions[bot]" } });
const human = (id: number, body: string): Comment => ({ id, body, user: { type: "User", login: "octocat" } });
const repo = { owner: "acme", repo: "platform" };

describe("pr-comment.js", () => {
    describe("upsertComment", () => {
        it("creates the comment, with its marker first, when there is none", async () => {
            const github = fakeGithub([human(1, "LGTM")]);
            const r = await lib.upsertComment({ github, ...repo, issueNumber: 7, marker: lib.MARKERS.plan, body: "hello" });
            assert.deepEqual(r, { id: 1000, action: "created" });
            assert.deepEqual(github.calls.at(-1), ["createComment", { ...repo, issue_number: 7, body: "<!-- platform:plan -->\nhello" }]);
        });

        it("edits the bot's comment in place, found on any page, and leaves look-alikes alone", async () => {
            const comments = [
                human(1, "<!-- platform:plan -->\nI pasted the marker"),
                bot(2, "<!-- platform:review-environment -->\nenv"),
                ...Array.from({ length: 150 }, (_, i) => human(10 + i, `comment ${i}`)),
                bot(500, "<!-- platform:plan -->\nold plan"),
            ];
            const github = fakeGithub(comments);
            const r = await lib.upsertComment({ github, ...repo, issueNumber: 7, marker: lib.MARKERS.plan, body: "new plan" });
            assert.deepEqual(r, { id: 500, action: "updated" });
            assert.deepEqual(github.calls.filter(([c]) => c === "listComments").map(([, p]) => p.page), [1, 2]);
            assert.equal(comments.find((c) => c.id === 500)!.body, "<!-- platform:plan -->\nnew plan");
            assert.equal(comments[0].body, "<!-- platform:plan -->\nI pasted the marker");
            assert.ok(!github.calls.some(([c]) => c === "createComment"));
        });

        it("with createIfMissing false, creates nothing", async () => {
            const github = fakeGithub([]);
            const r = await lib.upsertComment({ github, ...repo, issueNumber: 7, marker: lib.MARKERS.environment, body: "gone", createIfMissing: false });
            assert.deepEqual(r, { id: 0, action: "skipped" });
            assert.equal(github.comments.length, 0);
        });

        it("refuses an unknown marker and a body GitHub would refuse", async () => {
            const github = fakeGithub([]);
            await assert.rejects(lib.upsertComment({ github, ...repo, issueNumber: 7, marker: "<!-- x -->", body: "b" }), /unknown comment marker "<!-- x -->"/);
            await assert.rejects(lib.upsertComment({ github, ...repo, issueNumber: 7, marker: lib.MARKERS.plan, body: "x".repeat(65536) }),
                /comment body is 65559 characters; GitHub allows 65536/);
        });
    });

    describe("renderSections", () => {
        const sections: Section[] = [
            { heading: "Offline plan of `pr-7`", status: "ok", kind: "markdown", content: "| added | 3 |" },
            { heading: "preview of `prod`", status: "failed", kind: "text", content: "error: policy violation\n" },
        ];

        it("lists each section's status, then folds each section (failures open)", () => {
            assert.equal(lib.renderSections({ title: "Plan", sections, runUrl: "https://x/run/1" }), [
                "### Plan", "",
                "- ✅ Offline plan of `pr-7`",
                "- ❌ preview of `prod`", "",
                "<details><summary>Offline plan of `pr-7`</summary>", "", "| added | 3 |", "", "</details>", "",
                "<details open><summary>preview of `prod`</summary>", "", "```text", "error: policy violation", "```", "", "</details>", "",
                "[Workflow run](https://x/run/1) (full logs and the plan files as artifacts).",
            ].join("\n"));
        });

        it("fits GitHub's limit by cutting the large sections at a line, and says so", () => {
            const big = Array.from({ length: 5000 }, (_, i) => `  ~ aws:ec2/instance:Instance resource-${i} update [diff: ~tags]`).join("\n");
            const body = lib.renderSections({ title: "Plan", runUrl: "u", sections: [
                { heading: "small", status: "ok", kind: "markdown", content: "tiny" },
                { heading: "dev", status: "ok", kind: "text", content: big },
                { heading: "prod", status: "ok", kind: "text", content: big },
            ] });
            assert.ok(body.length <= lib.GITHUB_COMMENT_LIMIT - 200, String(body.length));
            assert.ok(body.length > 60000, `the budget is used: ${body.length}`);
            assert.equal(body.match(/… truncated \(\d+ more characters\): see the workflow run\./g)?.length, 2);
            assert.match(body, /<summary>small<\/summary>\n\ntiny\n/);
            assert.doesNotMatch(body, /resource-\d+ upd\n/, "cut at line boundaries");
        });

        it("fences text that contains backticks with a longer fence", () => {
            assert.equal(lib.fenced("a ``` b"), "````text\na ``` b\n````");
        });
    });

    describe("planSections", () => {
        let dir: string;
        beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), "plan-sections-")); });
        afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

        it("reads the reports and exit statuses the plan and preview scripts wrote", () => {
            fs.writeFileSync(path.join(dir, "pr-7.diff.md"), "report");
            fs.writeFileSync(path.join(dir, "pr-7.diff.exit"), "0\n");
            fs.writeFileSync(path.join(dir, "dev.preview.txt"), "preview");
            fs.writeFileSync(path.join(dir, "dev.preview.exit"), "255\n");
            const s = lib.planSections({ dir, stacks: ["pr-7", "prod"], previews: ["dev"] });
            assert.deepEqual(s.map((x) => [x.heading, x.status, x.kind, x.content]), [
                ["Offline plan of `pr-7`, against the base branch", "ok", "markdown", "report"],
                ["Offline plan of `prod`, against the base branch", "missing", "markdown", "The offline plan wrote no report: see the workflow run."],
                ["`pulumi preview --diff` of `dev` (with the policy pack)", "failed", "text", "preview"],
            ]);
        });
    });

    describe("postForkPlanComment", () => {
        let dir: string;
        beforeEach(() => {
            dir = fs.mkdtempSync(path.join(os.tmpdir(), "fork-plan-"));
            fs.writeFileSync(path.join(dir, "pr-12.diff.md"), "+ 2 resources <!-- platform:review-environment -->");
            fs.writeFileSync(path.join(dir, "pr-12.diff.exit"), "0");
        });
        afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
        const context = { repo, payload: { workflow_run: { head_sha: "a".repeat(40), head_repository: { full_name: "mallory/platform" }, html_url: "https://github.com/acme/platform/actions/runs/9" } } };
        const meta = (m: unknown) => fs.writeFileSync(path.join(dir, "pull-request.json"), JSON.stringify(m));

        it("posts the fork's report on the pull request that was planned, its markers defused", async () => {
            meta({ number: "12", stacks: ["pr-12", "../../etc/passwd"] });
            const github = fakeGithub([], { sha: "a".repeat(40), repo: "mallory/platform" });
            const r = await lib.postForkPlanComment({ github, context, core, dir });
            assert.equal(r.action, "created");
            const body = github.comments[0].body;
            assert.ok(body.startsWith("<!-- platform:plan -->\n### Offline plan for `aaaaaaaaaaaa` (pull request from a fork)"));
            assert.match(body, /\+ 2 resources &lt;!-- platform:review-environment -->/);
            assert.doesNotMatch(body, /passwd/);
            assert.deepEqual(github.calls[0], ["pulls.get", { ...repo, pull_number: 12 }]);
        });

        it("posts nothing when the pull request's head is not the commit that was planned", async () => {
            meta({ number: 12, stacks: ["pr-12"] });
            for (const pr of [{ sha: "b".repeat(40), repo: "mallory/platform" }, { sha: "a".repeat(40), repo: "acme/platform" }]) {
                const github = fakeGithub([], pr);
                const r = await lib.postForkPlanComment({ github, context, core, dir });
                assert.equal(r.action, "skipped");
                assert.equal(github.comments.length, 0);
            }
        });

        it("refuses an artifact whose pull request number is not one", async () => {
            for (const number of ["12; rm", "-3", "1e3", "", null, " 12"]) {
                meta({ number, stacks: [] });
                await assert.rejects(lib.postForkPlanComment({ github: fakeGithub([]), context, core, dir }), /artifact pull-request.json has number .*; expected a pull request number/, String(number));
            }
        });
    });

    describe("postEnvironmentComment", () => {
        const context = { repo, sha: "c".repeat(40), serverUrl: "https://github.com", runId: 5, payload: { pull_request: { number: 7, head: { sha: "d".repeat(40) } } } };

        it("says how to reach the environment and how to get a full copy", async () => {
            const github = fakeGithub([]);
            await lib.postEnvironmentComment({ github, context, core, issueNumber: 7, stack: "pr-7", mode: "shared", reviewUrl: "https://pr-7.review.example.com",
                portForward: "kubectl -n pr-7 port-forward svc/orders 8080:80" });
            const body = github.comments[0].body;
            assert.match(body, /^<!-- platform:review-environment -->\n### Review environment `pr-7`\n\nMode: \*\*shared\*\* \(a namespace on the shared dev cluster; add the `full-review-stack` label for a full copy\)\./);
            assert.match(body, /URL: https:\/\/pr-7\.review\.example\.com/);
            assert.match(body, /```sh\nkubectl -n pr-7 port-forward svc\/orders 8080:80\n```/);
            assert.match(body, /\[Workflow run\]\(https:\/\/github\.com\/acme\/platform\/actions\/runs\/5\)$/);
        });

        it("marks the environment destroyed in place, and says nothing where none was announced", async () => {
            const github = fakeGithub([bot(3, "<!-- platform:review-environment -->\nold")]);
            await lib.postEnvironmentComment({ github, context, core, issueNumber: 7, stack: "pr-7", destroyed: "the pull request was closed" });
            assert.match(github.comments[0].body, /Destroyed and removed: the pull request was closed\./);
            const none = fakeGithub([]);
            const r = await lib.postEnvironmentComment({ github: none, context, core, issueNumber: 7, stack: "pr-7", destroyed: "the pull request was closed" });
            assert.equal(r.action, "skipped");
            assert.equal(none.comments.length, 0);
        });
    });
});
