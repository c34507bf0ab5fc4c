// @ts-check
/**
 * Pull request comments the workflows keep up to date, for actions/github-script:
 *
 *   const pr = require('./.github/scripts/pr-comment.js');
 *   await pr.postPlanComment({ github, context, core, dir: '.review', stacks: ['pr-7', 'dev', 'prod'], previews: ['dev', 'prod'] });
 *
 * Each comment carries a hidden marker (an HTML comment) and is edited in place: a pull request
 * has one plan comment (offline plan diffs and the `pulumi preview --diff` of dev and prod) and
 * one review-environment comment, however often it is pushed to. The pulumi action's own
 * edit-pr-comment keys its comment on "`command` on project/stack", so two stacks would give two
 * comments, and it reads only the first page (30) of comments.
 */
const fs = require("node:fs");
const path = require("node:path");

/** GitHub refuses comment bodies longer than 65536 characters. */
const GITHUB_COMMENT_LIMIT = 65536;

const MARKERS = Object.freeze({
    plan: "<!-- platform:plan -->",
    environment: "<!-- platform:review-environment -->",
});

/**
 * Creates the comment carrying `marker`, or edits it when the bot already wrote one.
 * Only comments written by a bot are candidates: anyone can paste the marker into a comment.
 * With `createIfMissing: false` a missing comment stays missing (say "destroyed" only where
 * something was announced).
 * @param {{ github: any, owner: string, repo: string, issueNumber: number, marker: string, body: string, createIfMissing?: boolean }} args
 * @returns {Promise<{ id: number, action: "created" | "updated" | "skipped" }>}
 */
async function upsertComment({ github, owner, repo, issueNumber, marker, body, createIfMissing = true }) {
    if (!(/** @type {string[]} */ (Object.values(MARKERS))).includes(marker)) throw new Error(`unknown comment marker ${JSON.stringify(marker)}; use one of MARKERS`);
    const full = `${marker}\n${body}`;
    if (full.length > GITHUB_COMMENT_LIMIT) throw new Error(`comment body is ${full.length} characters; GitHub allows ${GITHUB_COMMENT_LIMIT} (render it with renderSections, which truncates)`);
    const comments = await github.paginate(github.rest.issues.listComments, { owner, repo, issue_number: issueNumber, per_page: 100 });
    const mine = comments.find((/** @type {any} */ c) => c.user?.type === "Bot" && typeof c.body === "string" && c.body.startsWith(marker));
    if (mine) {
        await github.rest.issues.updateComment({ owner, repo, comment_id: mine.id, body: full });
        return { id: mine.id, action: "updated" };
    }
    if (!createIfMissing) return { id: 0, action: "skipped" };
    const { data } = await github.rest.issues.createComment({ owner, repo, issue_number: issueNumber, body: full });
    return { id: data.id, action: "created" };
}

/**
 * A fence longer than any run of backticks in `text`, so the text cannot close it.
 * @param {string} text
 * @param {string} [info]
 */
function fenced(text, info = "text") {
    const longest = Math.max(2, ...Array.from(text.matchAll(/`+/g), (m) => m[0].length));
    const fence = "`".repeat(longest + 1);
    return `${fence}${info}\n${text.replace(/\s+$/, "")}\n${fence}`;
}

/**
 * @typedef {{ heading: string, status: "ok" | "failed" | "missing", kind: "markdown" | "text", content: string }} Section
 */

/**
 * The comment body: a title, a line per section with its status, then each section folded in
 * <details>. Sections share the size budget; a section over its share is cut at a line boundary
 * and says where the full text is.
 * @param {{ title: string, intro?: string, sections: Section[], runUrl: string, limit?: number }} args
 */
function renderSections({ title, intro, sections, runUrl, limit = GITHUB_COMMENT_LIMIT - 200 }) {
    const icon = { ok: "✅", failed: "❌", missing: "⚠️" };
    const head = [`### ${title}`, ...(intro ? ["", intro] : []), "", ...sections.map((s) => `- ${icon[s.status]} ${s.heading}`), ""].join("\n");
    const foot = `\n[Workflow run](${runUrl}) (full logs and the plan files as artifacts).`;
    const wrap = (/** @type {Section} */ s, /** @type {string} */ content) =>
        `<details${s.status === "failed" ? " open" : ""}><summary>${s.heading}</summary>\n\n${s.kind === "text" ? fenced(content) : content}\n\n</details>\n`;
    const overhead = head.length + foot.length + sections.reduce((n, s) => n + wrap(s, "").length + 200, 0);
    let budget = Math.max(0, limit - overhead);
    // Small sections first: what they do not use goes to the larger ones.
    const order = sections.map((s, i) => i).sort((a, b) => sections[a].content.length - sections[b].content.length);
    /** @type {string[]} */
    const rendered = new Array(sections.length);
    order.forEach((index, position) => {
        const share = Math.floor(budget / (sections.length - position));
        const s = sections[index];
        let content = s.content;
        if (content.length > share) {
            const cut = content.lastIndexOf("\n", share);
            content = `${content.slice(0, cut > 0 ? cut : share)}\n… truncated (${s.content.length - (cut > 0 ? cut : share)} more characters): see the workflow run.`;
        }
        budget -= content.length;
        rendered[index] = wrap(s, content);
    });
    return `${head}\n${rendered.join("\n")}${foot}`;
}

/**
 * Reads a file the plan or preview step wrote; a missing file is reported, not thrown.
 * @param {string} file
 * @param {string} fallback
 */
function readOr(file, fallback) {
    return fs.existsSync(file) ? fs.readFileSync(file, "utf8") : fallback;
}

/**
 * Exit status the step recorded next to its output (`<name>.exit`); missing when the step did not run.
 * @param {string} dir
 * @param {string} name
 * @returns {Section["status"]}
 */
function statusOf(dir, name) {
    const file = path.join(dir, `${name}.exit`);
    if (!fs.existsSync(file)) return "missing";
    return fs.readFileSync(file, "utf8").trim() === "0" ? "ok" : "failed";
}

/**
 * The sections of the plan comment from the files .github/scripts/plan-diff.sh and
 * preview-stack.sh write into `dir`: `<stack>.diff.md` (+ `.exit`) and `<stack>.preview.txt` (+ `.exit`).
 * @param {{ dir: string, stacks: string[], previews?: string[] }} args
 * @returns {Section[]}
 */
function planSections({ dir, stacks, previews = [] }) {
    /** @type {Section[]} */
    const sections = stacks.map((stack) => ({
        heading: `Offline plan of \`${stack}\`, against the base branch`,
        status: statusOf(dir, `${stack}.diff`),
        kind: "markdown",
        content: readOr(path.join(dir, `${stack}.diff.md`), "The offline plan wrote no report: see the workflow run."),
    }));
    for (const stack of previews) {
        sections.push({
            heading: `\`pulumi preview --diff\` of \`${stack}\` (with the policy pack)`,
            status: statusOf(dir, `${stack}.preview`),
            kind: "text",
            content: readOr(path.join(dir, `${stack}.preview.txt`), "The preview did not run: see the workflow run."),
        });
    }
    return sections;
}

/** @param {any} context github-script's context */
function runUrlOf(context) {
    return `${context.serverUrl}/${context.repo.owner}/${context.repo.repo}/actions/runs/${context.runId}`;
}

/**
 * The plan comment of a pull request from this repository (review-stack workflow).
 * @param {{ github: any, context: any, core: any, dir: string, stacks: string[], previews: string[] }} args
 */
async function postPlanComment({ github, context, core, dir, stacks, previews }) {
    const issueNumber = context.payload.pull_request.number;
    const body = renderSections({
        title: `Plan for \`${context.payload.pull_request.head.sha.slice(0, 12)}\``,
        intro: "Edited in place on every push. The offline plan runs the program under mocks (no cloud access); the previews read the real dev and prod stacks with the read-only preview role.",
        sections: planSections({ dir, stacks, previews }),
        runUrl: runUrlOf(context),
    });
    const result = await upsertComment({ github, ...context.repo, issueNumber, marker: MARKERS.plan, body });
    core.info(`plan comment ${result.action}: ${result.id}`);
    return result;
}

/**
 * The plan comment of a pull request from a fork (offline-plan-comment workflow, on workflow_run).
 * Everything in the artifact was produced by the fork's code: the pull request number is checked
 * against the run that produced it (same head commit, same head repository) before anything is posted,
 * and the text is shown as the fork's output, never trusted as markers or instructions.
 * @param {{ github: any, context: any, core: any, dir: string }} args
 */
async function postForkPlanComment({ github, context, core, dir }) {
    const run = context.payload.workflow_run;
    const meta = JSON.parse(readOr(path.join(dir, "pull-request.json"), "{}"));
    const issueNumber = Number(meta.number);
    if (!Number.isSafeInteger(issueNumber) || issueNumber <= 0 || String(meta.number) !== String(issueNumber)) {
        throw new Error(`artifact pull-request.json has number ${JSON.stringify(meta.number)}; expected a pull request number`);
    }
    const { data: pr } = await github.rest.pulls.get({ ...context.repo, pull_number: issueNumber });
    if (pr.head.sha !== run.head_sha || pr.head.repo?.full_name !== run.head_repository?.full_name) {
        core.warning(`pull request #${issueNumber} is at ${pr.head.sha} from ${pr.head.repo?.full_name}; the plan is of ${run.head_sha} from ${run.head_repository?.full_name}: not posting (the pull request moved on, or the artifact lies)`);
        return { id: 0, action: "skipped" };
    }
    const stacks = Array.isArray(meta.stacks) ? meta.stacks.filter((/** @type {unknown} */ s) => typeof s === "string" && /^(pr-\d+|dev|prod)$/.test(s)) : [];
    const sections = planSections({ dir, stacks }).map((s) => ({ ...s, content: s.content.replaceAll("<!--", "&lt;!--") }));
    const body = renderSections({
        title: `Offline plan for \`${run.head_sha.slice(0, 12)}\` (pull request from a fork)`,
        intro: "Pull requests from forks get no cloud credentials: no preview and no review stack. This is the offline plan of the pull request's code against the base branch's, produced by the fork's code in a job without secrets. A maintainer can push the branch to this repository for previews and a review environment.",
        sections,
        runUrl: run.html_url,
    });
    const result = await upsertComment({ github, ...context.repo, issueNumber, marker: MARKERS.plan, body });
    core.info(`fork plan comment ${result.action}: ${result.id}`);
    return result;
}

/**
 * The review-environment comment: how to reach pr-<n>, or that it is gone.
 * @param {{ github: any, context: any, core: any, issueNumber: number, stack: string, mode?: string, reviewUrl?: string, portForward?: string, destroyed?: string }} args
 */
async function postEnvironmentComment({ github, context, core, issueNumber, stack, mode, reviewUrl, portForward, destroyed }) {
    const lines = [`### Review environment \`${stack}\``, ""];
    if (destroyed) {
        lines.push(`Destroyed and removed: ${destroyed}. Push a commit (or reopen the pull request) to create it again.`);
    } else {
        lines.push(`Mode: **${mode}** (${mode === "full" ? "a full copy of the platform: its own VPC, cluster and data tier" : "a namespace on the shared dev cluster; add the `full-review-stack` label for a full copy"}).`, "");
        if (reviewUrl) lines.push(`URL: ${reviewUrl}`, "");
        if (portForward) lines.push("From a shell with access to the dev cluster:", "", fenced(portForward, "sh"), "");
        if (!reviewUrl && !portForward) lines.push("The stack exports neither `reviewUrl` nor `reviewPortForward`: see the workflow run.", "");
        lines.push(`Updated for \`${context.payload.pull_request?.head?.sha?.slice(0, 12) ?? context.sha.slice(0, 12)}\`. Destroyed when the pull request closes, or by the hourly sweeper once older than its \`platform:review.ttlHours\`.`);
    }
    lines.push("", `[Workflow run](${runUrlOf(context)})`);
    // A destroyed stack is reported only where its environment was announced (not on docs-only pull requests).
    const result = await upsertComment({ github, ...context.repo, issueNumber, marker: MARKERS.environment, body: lines.join("\n"), createIfMissing: !destroyed });
    core.info(`environment comment ${result.action}: ${result.id}`);
    return result;
}

module.exports = { GITHUB_COMMENT_LIMIT, MARKERS, upsertComment, renderSections, planSections, postPlanComment, postForkPlanComment, postEnvironmentComment, fenced };
