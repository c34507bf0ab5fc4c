/**
 * Fake `pulumi`, `gh` and `npm` commands on PATH, so the workflows' shell (the scripts in
 * .github/scripts and the run: blocks of the workflow files) runs for real against a scenario:
 * the backend's stacks and tags, the pull requests' states and files. Every call is logged with
 * its arguments; state changes (tags set, stacks destroyed and removed) are written back to the
 * scenario, so a script that reads what it wrote sees it.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ROOT } from "../harness";

export interface Scenario {
    /** Stacks of the project, short names; listed fully qualified (organization/platform/<name>), as the DIY backend does. */
    stacks: Array<{ name: string; updateInProgress?: boolean }>;
    tags?: Record<string, Record<string, string>>;
    /** How many times `pulumi destroy` of a stack fails before it succeeds (Infinity: always). */
    destroyFailures?: Record<string, number>;
    /** Exit status of `pulumi preview` per stack. */
    previewExit?: Record<string, number>;
    /** `pulumi stack ls` fails (no credentials). */
    stackLsFails?: boolean;
    /** Pull request states by number, as the REST API's `state`; absent: the API answers 404. */
    prs?: Record<string, "open" | "closed">;
    /** Files of the pull request, or "fail" when the API call fails. */
    prFiles?: string[] | "fail";
    /** `.config.review.ttlHours` of the plan JSON the fake `npm run plan` writes. */
    planTtlHours?: number;
    /** Stacks whose offline plan fails, on the base branch's checkout (npm --prefix) or this one. */
    planFails?: { base?: string[]; head?: string[] };
}

export interface Call { cmd: string; args: string[] }

const FAKE = String.raw`
const fs = require("node:fs");
const [cmd, ...args] = process.argv.slice(2);
const file = process.env.FAKE_SCENARIO;
const s = JSON.parse(fs.readFileSync(file, "utf8"));
fs.appendFileSync(process.env.FAKE_LOG, JSON.stringify({ cmd, args }) + "\n");
const save = () => fs.writeFileSync(file, JSON.stringify(s));
const opt = (name) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
const has = (...words) => words.every((w, i) => args[i] === w);
const print = (text) => process.stdout.write(text);
const fail = (code, text) => { process.stderr.write(text + "\n"); process.exit(code); };
if (cmd === "pulumi") {
    if (has("stack", "ls")) {
        if (s.stackLsFails) fail(255, "error: could not list stacks: AccessDenied");
        print(JSON.stringify(s.stacks.map((x) => ({ name: "organization/platform/" + x.name, current: false, updateInProgress: !!x.updateInProgress, resourceCount: 3 }))));
    } else if (has("stack", "tag", "get")) {
        const v = s.tags?.[opt("--stack")]?.[args[3]];
        if (v === undefined) fail(255, "error: stack tag '" + args[3] + "' not found for stack '" + opt("--stack") + "'");
        print(v + "\n");
    } else if (has("stack", "tag", "set")) {
        s.tags = s.tags ?? {}; (s.tags[opt("--stack")] ??= {})[args[3]] = args[4]; save();
    } else if (has("stack", "rm")) {
        s.stacks = s.stacks.filter((x) => x.name !== args[2]); save();
    } else if (has("destroy")) {
        const stack = opt("--stack");
        const left = s.destroyFailures?.[stack] ?? 0;
        if (left === "Infinity" || left > 0) {
            if (left !== "Infinity") { s.destroyFailures[stack] = left - 1; save(); }
            fail(255, "error: update failed: namespace pr-x is still Terminating");
        }
        print("Destroying (" + stack + ")\nResources:\n    - 12 deleted\n");
    } else if (has("preview")) {
        const stack = opt("--stack");
        print("Previewing update (" + stack + "):\n  ~ aws:eks/cluster:Cluster update [diff: ~version]\nPolicies:\n    platform-guardrails@v0.1.0 (local: policy)\n");
        process.exit(s.previewExit?.[stack] ?? 0);
    }
    // stack select, config set, login: logged only.
} else if (cmd === "gh") {
    const endpoint = args.find((a) => a.startsWith("repos/"));
    if (args[0] === "api" && /\/pulls\/\d+\/files$/.test(endpoint)) {
        if (s.prFiles === "fail") fail(1, "HTTP 502: Bad Gateway");
        print(s.prFiles.join("\n") + "\n");
    } else if (args[0] === "api" && /\/pulls\/\d+$/.test(endpoint)) {
        const state = s.prs?.[endpoint.split("/").pop()];
        if (!state) fail(1, "gh: Not Found (HTTP 404)");
        print(state + "\n");
    }
    // pr comment: logged only.
} else if (cmd === "npm") {
    // npm [--prefix <base>] run [--silent] plan -- <stack> [--out F] [--diff F] ...: the offline plan.
    const stack = args[args.indexOf("--") + 1];
    const side = args.includes("--prefix") ? "base" : "head";
    if (s.planFails?.[side]?.includes(stack)) fail(1, "Stack \"" + stack + "\" has 1 configuration problem; nothing was created. (" + side + ")");
    const out = opt("--out") ?? ".plan/" + stack + ".json";
    fs.mkdirSync(require("node:path").dirname(out), { recursive: true });
    fs.writeFileSync(out, JSON.stringify({ stack, side, config: { review: { ttlHours: s.planTtlHours } } }));
    if (opt("--diff")) {
        const base = JSON.parse(fs.readFileSync(opt("--diff"), "utf8"));
        fs.writeFileSync(".plan/" + stack + ".diff.md", "#### " + stack + ": head against " + base.side + "\n");
        print("markdown on stdout\n");
    }
}
`;

export class FakeCli {
    readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), "fake-cli-"));
    /** The working directory scripts run in: a project root with the review template, nothing else. */
    readonly cwd = path.join(this.dir, "work");
    private readonly bin = path.join(this.dir, "bin");
    private readonly scenarioFile = path.join(this.dir, "scenario.json");
    private readonly logFile = path.join(this.dir, "calls.log");
    readonly summaryFile = path.join(this.dir, "summary.md");
    readonly outputFile = path.join(this.dir, "github-output");

    constructor(scenario: Scenario) {
        fs.mkdirSync(this.bin);
        fs.mkdirSync(path.join(this.cwd, ".github"), { recursive: true });
        fs.copyFileSync(path.join(ROOT, ".github", "review-stack.config.yaml"), path.join(this.cwd, ".github", "review-stack.config.yaml"));
        fs.writeFileSync(path.join(this.dir, "fake.js"), FAKE);
        for (const cmd of ["pulumi", "gh", "npm"]) {
            fs.writeFileSync(path.join(this.bin, cmd), `#!/bin/sh\nexec "${process.execPath}" "${path.join(this.dir, "fake.js")}" ${cmd} "$@"\n`, { mode: 0o755 });
        }
        // JSON has no Infinity: the fake reads the string.
        fs.writeFileSync(this.scenarioFile, JSON.stringify(scenario, (_k, v) => (v === Infinity ? "Infinity" : v)));
        fs.writeFileSync(this.logFile, "");
    }

    /** Runs a bash script file (or, with `inline`, a workflow's run: block the way the runner does: bash -eo pipefail). */
    run(script: { file: string; args?: string[] } | { inline: string }, env: Record<string, string> = {}) {
        const argv = "file" in script
            ? [script.file, ...(script.args ?? [])]
            : ["--noprofile", "--norc", "-eo", "pipefail", this.writeInline(script.inline)];
        const result = spawnSync("bash", argv, {
            cwd: this.cwd,
            encoding: "utf8",
            env: {
                PATH: `${this.bin}:${process.env.PATH}`,
                HOME: this.dir,
                FAKE_SCENARIO: this.scenarioFile,
                FAKE_LOG: this.logFile,
                GITHUB_STEP_SUMMARY: this.summaryFile,
                GITHUB_OUTPUT: this.outputFile,
                GITHUB_REPOSITORY: "acme/platform",
                DESTROY_RETRY_DELAY_SECONDS: "0",
                ...env,
            },
        });
        return { status: result.status, stdout: result.stdout, stderr: result.stderr };
    }

    private writeInline(text: string): string {
        const file = path.join(this.dir, `step-${Date.now()}-${Math.random().toString(36).slice(2)}.sh`);
        fs.writeFileSync(file, text);
        return file;
    }

    calls(cmd?: string): string[][] {
        return fs.readFileSync(this.logFile, "utf8").trim().split("\n").filter(Boolean)
            .map((l) => JSON.parse(l) as Call).filter((c) => !cmd || c.cmd === cmd).map((c) => c.args);
    }

    /** Calls of one pulumi subcommand ("destroy", "stack rm", ...), args after it. */
    pulumi(subcommand: string): string[][] {
        const words = subcommand.split(" ");
        return this.calls("pulumi").filter((a) => words.every((w, i) => a[i] === w)).map((a) => a.slice(words.length));
    }

    scenario(): Scenario {
        return JSON.parse(fs.readFileSync(this.scenarioFile, "utf8"));
    }

    outputs(): Record<string, string> {
        if (!fs.existsSync(this.outputFile)) return {};
        return Object.fromEntries(fs.readFileSync(this.outputFile, "utf8").trim().split("\n").filter(Boolean).map((l) => l.split("=", 2) as [string, string]));
    }

    cleanup(): void {
        fs.rmSync(this.dir, { recursive: true, force: true });
    }
}

export const SCRIPTS = path.join(ROOT, ".github", "scripts");
