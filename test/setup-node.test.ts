/**
 * scripts/setup-node.sh: the README's first command sources it on a machine whose Node is another
 * version, and .ci/run sources it too. Run for real in sh (dash on Debian and Ubuntu) and bash,
 * against fake `node` and `npm` commands, so no test downloads anything.
 */
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { ROOT } from "./harness";

const SCRIPT = path.join(ROOT, "scripts", "setup-node.sh");
const NVMRC = fs.readFileSync(path.join(ROOT, ".nvmrc"), "utf8").trim();
const FIRST_COMMAND = ". scripts/setup-node.sh && npm ci && npm run plan -- dev";

interface Sandbox {
    readonly dir: string;
    readonly bin: string;
    readonly home: string;
    readonly toolchain: string;
}

function sandbox(): Sandbox {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "setup-node-"));
    const bin = path.join(dir, "bin");
    const home = path.join(dir, "home");
    fs.mkdirSync(bin);
    fs.mkdirSync(home);
    // Only what the script needs besides node and npm, so a missing npm is really missing.
    for (const tool of ["tr", "dirname", "cat"]) {
        const found = ["/usr/bin", "/bin"].map((d) => path.join(d, tool)).find((p) => fs.existsSync(p));
        assert.ok(found, tool);
        fs.symlinkSync(found, path.join(bin, tool));
    }
    return { dir, bin, home, toolchain: path.join(dir, "toolchain") };
}

function executable(file: string, text: string): void {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, `#!/bin/sh\n${text}\n`, { mode: 0o755 });
}

/** A `node` that prints this version. */
const fakeNode = (file: string, version: string) => executable(file, `echo v${version}`);

/** An `npm` that records its folder and arguments, and installs a fake node where --prefix says. */
function fakeNpm(s: Sandbox, installs: string): void {
    executable(path.join(s.bin, "npm"), [
        `[ "$1" = "--version" ] && { echo 11.0.0; exit 0; }`,
        `echo "$PWD" > "${s.dir}/npm.log"; for a in "$@"; do echo "$a" >> "${s.dir}/npm.log"; done`,
        `while [ $# -gt 0 ]; do [ "$1" = "--prefix" ] && prefix=$2; shift; done`,
        `/bin/mkdir -p "$prefix/node_modules/.bin"`,
        `printf '#!/bin/sh\\necho v${installs}\\n' > "$prefix/node_modules/.bin/node"; /bin/chmod +x "$prefix/node_modules/.bin/node"`,
    ].join("\n"));
}

function run(shell: string, s: Sandbox, command: string, cwd = ROOT) {
    // By absolute path: PATH holds only the sandbox's commands.
    const r = spawnSync(`/bin/${shell}`, ["-c", command], {
        cwd, encoding: "utf8",
        env: { PATH: s.bin, HOME: s.home, NODE_TOOLCHAIN_DIR: s.toolchain },
    });
    return { status: r.status, stdout: r.stdout.trim(), stderr: r.stderr.trim() };
}

const npmLog = (s: Sandbox) => fs.readFileSync(path.join(s.dir, "npm.log"), "utf8").trim().split("\n");

describe("scripts/setup-node.sh", () => {
    const made: Sandbox[] = [];
    const fresh = () => { const s = sandbox(); made.push(s); return s; };
    after(() => { for (const s of made) fs.rmSync(s.dir, { recursive: true, force: true }); });

    it("keeps the Node version in .nvmrc only: the script, README, .ci/run and workflows read it", () => {
        assert.match(NVMRC, /^\d+\.\d+\.\d+$/);
        const script = fs.readFileSync(SCRIPT, "utf8");
        assert.doesNotMatch(script, /\d+\.\d+\.\d+/, "a version literal in the script");
        assert.match(script, /< "\$_psn_root\/\.nvmrc"/);
        const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
        const ci = fs.readFileSync(path.join(ROOT, ".ci", "run"), "utf8");
        for (const [name, text] of [["README.md", readme], [".ci/run", ci], ["scripts/setup-node.sh", script]]) {
            assert.equal(text.includes(NVMRC), false, `${name} repeats the .nvmrc version ${NVMRC}`);
        }
        // The README's first command, literally, as the first line of its newcomer block.
        const block = /## Two commands for a newcomer[\s\S]*?```sh\n([\s\S]*?)```/.exec(readme)![1].split("\n");
        assert.equal(block[0].replace(/\s+#.*$/, ""), FIRST_COMMAND);
        // .ci/run brings Node with the same script before it installs anything with npm.
        const lines = ci.split("\n");
        const sourced = lines.indexOf(". scripts/setup-node.sh");
        assert.ok(sourced > 0, ".ci/run does not source scripts/setup-node.sh");
        assert.ok(sourced < lines.findIndex((l) => l.startsWith("npm ")), ".ci/run runs npm before it has the project's Node");
        // CI's setup-node steps read .nvmrc too.
        const workflows = path.join(ROOT, ".github", "workflows");
        for (const f of fs.readdirSync(workflows).filter((x) => x.endsWith(".yml"))) {
            const wf = parseYaml(fs.readFileSync(path.join(workflows, f), "utf8"));
            for (const job of Object.values<any>(wf.jobs)) {
                for (const step of job.steps ?? []) {
                    if (String(step.uses ?? "").startsWith("actions/setup-node@")) {
                        assert.deepEqual([step.with?.["node-version-file"], step.with?.["node-version"]], [".nvmrc", undefined], f);
                    }
                }
            }
        }
    });

    for (const shell of ["sh", "bash"]) {
        it(`${shell}: installs the .nvmrc Node from the npm registry once, from $HOME, and puts it first on PATH`, () => {
            const s = fresh();
            fakeNode(path.join(s.bin, "node"), "20.19.0");
            fakeNpm(s, NVMRC);
            const r = run(shell, s, `${FIRST_COMMAND.split(" && ")[0]} && node --version && echo "$PATH"`);
            assert.equal(r.status, 0, r.stderr);
            assert.deepEqual(r.stdout.split("\n"), [`v${NVMRC}`, `${s.toolchain}/node_modules/.bin:${s.bin}`]);
            assert.deepEqual(npmLog(s), [s.home, "install", "--prefix", s.toolchain, "--no-save", "--no-package-lock", "--no-audit", "--no-fund", "--no-update-notifier",
                "--loglevel=error", `node@${NVMRC}`]);
            assert.match(r.stderr, new RegExp(`installing Node ${NVMRC.replace(/\./g, "\\.")} from the npm registry into ${s.toolchain} \\(once; found v20\\.19\\.0\\)`));
            assert.match(r.stderr, new RegExp(`node v${NVMRC.replace(/\./g, "\\.")}, npm 11\\.0\\.0$`));
            // The second time it uses the installed Node without calling npm install.
            fs.rmSync(path.join(s.dir, "npm.log"));
            const again = run(shell, s, ". scripts/setup-node.sh && node --version");
            assert.deepEqual([again.status, again.stdout, fs.existsSync(path.join(s.dir, "npm.log"))], [0, `v${NVMRC}`, false]);
        });
    }

    it("changes nothing when the machine's Node is already the .nvmrc version", () => {
        const s = fresh();
        fakeNode(path.join(s.bin, "node"), NVMRC);
        fakeNpm(s, NVMRC);
        const r = run("sh", s, '. scripts/setup-node.sh && echo "$PATH"');
        assert.deepEqual([r.status, r.stdout, fs.existsSync(path.join(s.dir, "npm.log"))], [0, s.bin, false]);
    });

    it("finds .nvmrc from its own path under bash, whatever the current folder", () => {
        const s = fresh();
        fakeNode(path.join(s.bin, "node"), "18.20.0");
        fakeNpm(s, NVMRC);
        const r = run("bash", s, `. ${SCRIPT} && node --version`, s.home);
        assert.deepEqual([r.status, r.stdout], [0, `v${NVMRC}`], r.stderr);
    });

    it("fails without npm, naming what to install, and leaves the calling shell running", () => {
        const s = fresh();
        fakeNode(path.join(s.bin, "node"), "20.19.0");
        const r = run("sh", s, ". scripts/setup-node.sh && echo chained; echo \"shell still here, status $?\"");
        assert.equal(r.status, 0);
        assert.equal(r.stdout, "shell still here, status 1");
        assert.equal(r.stderr, `setup-node: Node ${NVMRC} is needed and npm is not installed to fetch it; install any Node >= 18 with npm (Debian/Ubuntu: sudo apt-get install nodejs npm), then source this again`);
    });

    it("fails when the install fails, and says why", () => {
        const s = fresh();
        fakeNode(path.join(s.bin, "node"), "20.19.0");
        executable(path.join(s.bin, "npm"), "exit 1");
        const r = run("sh", s, ". scripts/setup-node.sh; echo \"status $?\"");
        assert.equal(r.stdout, "status 1");
        assert.match(r.stderr, new RegExp(`npm install node@${NVMRC.replace(/\./g, "\\.")} failed \\(is the npm registry reachable\\?\\)$`));
    });

    it("refuses to run as a command, which could not change the caller's PATH", () => {
        const s = fresh();
        const r = run("sh", s, "/bin/sh scripts/setup-node.sh");
        assert.deepEqual([r.status, r.stderr], [2, "scripts/setup-node.sh changes the PATH of the shell that sources it; run it as: . scripts/setup-node.sh"]);
    });
});
