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

/**
 * The fake commands: fake-cli.sh, in POSIX sh, sourced by each command's two-line script with $cmd
 * set (dash starts in about a millisecond; the Node fake it replaces took ~45 ms of CPU per call,
 * and a sweep makes ~50 calls). It reads and changes the scenario as files in $FAKE_SCENARIO
 * (writeState below; readState reads back what the tests check) and logs each call to $FAKE_LOG.
 */
const FAKE = path.join(__dirname, "fake-cli.sh");

/** The scenario as files under `dir` (what FAKE reads and changes). */
function writeState(dir: string, s: Scenario): void {
    const write = (file: string, text: string) => {
        fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
        fs.writeFileSync(path.join(dir, file), text);
    };
    write("stacks", s.stacks.map((x) => `${x.name} ${!!x.updateInProgress}\n`).join(""));
    for (const [stack, tags] of Object.entries(s.tags ?? {})) for (const [k, v] of Object.entries(tags)) write(`tags/${stack}/${k}`, v);
    for (const [stack, n] of Object.entries(s.destroyFailures ?? {})) write(`destroyFailures/${stack}`, `${n}\n`);
    for (const [stack, n] of Object.entries(s.previewExit ?? {})) write(`previewExit/${stack}`, `${n}\n`);
    if (s.stackLsFails) write("stackLsFails", "");
    for (const [n, state] of Object.entries(s.prs ?? {})) write(`prs/${n}`, state);
    if (s.prFiles === "fail") write("prFiles.fail", "");
    else if (s.prFiles) write("prFiles", s.prFiles.map((f) => `${f}\n`).join(""));
    if (s.planTtlHours !== undefined) write("planTtlHours", `${s.planTtlHours}\n`);
    for (const side of ["base", "head"] as const) if (s.planFails?.[side]) write(`planFails/${side}`, s.planFails[side]!.map((x) => `${x}\n`).join(""));
}

/** What the scripts changed that the tests read back: the stacks left (`pulumi stack rm`) and their tags (`pulumi stack tag set`). */
type Changed = Pick<Scenario, "stacks" | "tags">;

/** The stacks and tags as the fake left them (the files writeState wrote, as changed). */
function readState(dir: string): Changed {
    const file = (f: string) => path.join(dir, f);
    const list = (f: string) => (fs.existsSync(file(f)) ? fs.readdirSync(file(f)).sort() : []);
    const s: Changed = {
        stacks: fs.readFileSync(file("stacks"), "utf8").split("\n").filter(Boolean).map((l) => { const [name, busy] = l.split(" "); return busy === "true" ? { name, updateInProgress: true } : { name }; }),
    };
    if (list("tags").length) s.tags = Object.fromEntries(list("tags").map((st) => [st, Object.fromEntries(list(`tags/${st}`).map((k) => [k, fs.readFileSync(file(`tags/${st}/${k}`), "utf8")]))]));
    return s;
}

export class FakeCli {
    readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), "fake-cli-"));
    /** The working directory scripts run in: a project root with the review template, nothing else. */
    readonly cwd = path.join(this.dir, "work");
    private readonly bin = path.join(this.dir, "bin");
    private readonly scenarioDir = path.join(this.dir, "scenario");
    private readonly logFile = path.join(this.dir, "calls.log");
    readonly summaryFile = path.join(this.dir, "summary.md");
    readonly outputFile = path.join(this.dir, "github-output");

    constructor(scenario: Scenario) {
        fs.mkdirSync(this.bin);
        fs.mkdirSync(path.join(this.cwd, ".github"), { recursive: true });
        fs.copyFileSync(path.join(ROOT, ".github", "review-stack.config.yaml"), path.join(this.cwd, ".github", "review-stack.config.yaml"));
        for (const cmd of ["pulumi", "gh", "npm"]) fs.writeFileSync(path.join(this.bin, cmd), `#!/bin/sh\ncmd=${cmd}\n. '${FAKE}'\n`, { mode: 0o755 });
        writeState(this.scenarioDir, scenario);
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
                FAKE_SCENARIO: this.scenarioDir,
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
        const fields = fs.readFileSync(this.logFile, "utf8").split("\0");
        const calls: Call[] = [];
        for (let i = 0; i < fields.length - 1;) {
            const n = Number(fields[i + 1]);
            calls.push({ cmd: fields[i], args: fields.slice(i + 2, i + 2 + n) });
            i += 2 + n;
        }
        return calls.filter((c) => !cmd || c.cmd === cmd).map((c) => c.args);
    }

    /** Calls of one pulumi subcommand ("destroy", "stack rm", ...), args after it. */
    pulumi(subcommand: string): string[][] {
        const words = subcommand.split(" ");
        return this.calls("pulumi").filter((a) => words.every((w, i) => a[i] === w)).map((a) => a.slice(words.length));
    }

    scenario(): Changed {
        return readState(this.scenarioDir);
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
