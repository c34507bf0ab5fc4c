import { spawnSync } from "node:child_process";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { END, renderConfigReference, START } from "../scripts/config-docs";
import { buildStack, ROOT } from "./harness";

describe("README", () => {
    const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");

    it("has the config reference generated from the schema (run npm run docs:config)", () => {
        const block = readme.slice(readme.indexOf(START), readme.indexOf(END) + END.length);
        assert.equal(block, renderConfigReference());
    });

    it("names the Node version CI installs, and engines agrees", () => {
        const nvmrc = fs.readFileSync(path.join(ROOT, ".nvmrc"), "utf8").trim();
        const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
        const major = nvmrc.split(".")[0];
        assert.equal(pkg.engines.node, `>=${major}.0.0 <${Number(major) + 1}`);
        const appPkg = JSON.parse(fs.readFileSync(path.join(ROOT, "app", "package.json"), "utf8"));
        assert.equal(appPkg.engines?.node, pkg.engines.node, "app/package.json engines differ from the root's");
        // Every stage's base is the NODE_IMAGE build argument, whose default is Node of .nvmrc.
        const dockerfile = fs.readFileSync(path.join(ROOT, "app", "Dockerfile"), "utf8");
        const froms = dockerfile.match(/^FROM\s+\S+/gm) ?? [];
        assert.ok(froms.length >= 2, "the Dockerfile is multi-stage");
        for (const from of froms) assert.equal(from.replace(/^FROM\s+/, ""), "${NODE_IMAGE}");
        assert.match(dockerfile, new RegExp(`^ARG NODE_IMAGE=node:${nvmrc.replace(/\./g, "\\.")}-bookworm-slim$`, "m"));
        // README, .ci/run and scripts/setup-node.sh take the version from .nvmrc: test/setup-node.test.ts.
    });

    it("requires a Node the pinned @pulumi/pulumi supports (>= 22 from 3.249)", () => {
        const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
        const [major, minor] = String(pkg.dependencies["@pulumi/pulumi"]).replace(/^[^\d]*/, "").split(".").map(Number);
        assert.ok(major > 3 || (major === 3 && minor >= 249), `@pulumi/pulumi ${pkg.dependencies["@pulumi/pulumi"]}`);
        const lowest = /^>=\s*(\d+)\./.exec(pkg.engines.node);
        assert.ok(lowest, `engines.node ${pkg.engines.node} has no lower bound`);
        assert.ok(Number(lowest[1]) >= 22, `engines.node ${pkg.engines.node} admits a Node older than 22`);
    });

    it("pins TypeScript 5.x while Pulumi runs the program through ts-node (TypeScript 7 has no compiler API for it), and type-checks with TypeScript 7", () => {
        const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
        const project = parseYaml(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8"));
        assert.equal(project.runtime.options.typescript, true);
        assert.match(String(pkg.devDependencies.typescript), /^[~^]?5\.\d+\.\d+$/, `typescript ${pkg.devDependencies.typescript}`);
        // The SDK's peer range is what `pulumi up` loads through ts-node (and the closure serializer through require).
        const sdk = JSON.parse(fs.readFileSync(path.join(ROOT, "node_modules", "@pulumi", "pulumi", "package.json"), "utf8"));
        const below = /<\s*(\d+)/.exec(String(sdk.peerDependencies?.typescript));
        assert.ok(below, `@pulumi/pulumi's peer range for typescript: ${sdk.peerDependencies?.typescript}`);
        assert.ok(Number(String(pkg.devDependencies.typescript).replace(/^[~^]/, "").split(".")[0]) < Number(below[1]), `typescript ${pkg.devDependencies.typescript} is outside @pulumi/pulumi's peer range ${sdk.peerDependencies.typescript}`);
        // The gate is TypeScript 7 (the native compiler, about 3x faster here), run by path: both packages name a bin
        // "tsc", and which one npm links in node_modules/.bin is not specified.
        assert.match(String(pkg.devDependencies["typescript-7"]), /^npm:typescript@7\.\d+\.\d+$/);
        assert.match(pkg.scripts.typecheck, /^node node_modules\/typescript-7\/bin\/tsc --noEmit /);
        const installed = JSON.parse(fs.readFileSync(path.join(ROOT, "node_modules", "typescript-7", "package.json"), "utf8"));
        assert.equal(`npm:typescript@${installed.version}`, pkg.devDependencies["typescript-7"], "node_modules/typescript-7 is the pinned version (npm ci)");
        // TypeScript 7 removed moduleResolution node10; nodenext is also what the SDK's runners default to.
        const tsconfig = JSON.parse(fs.readFileSync(path.join(ROOT, "tsconfig.json"), "utf8"));
        assert.deepEqual([tsconfig.compilerOptions.module, tsconfig.compilerOptions.moduleResolution], ["nodenext", "nodenext"]);
    });

    it("documents the two newcomer commands that exist", () => {
        const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
        assert.ok(readme.includes("\n. scripts/setup-node.sh && npm ci && npm run plan -- dev "));
        assert.ok(readme.includes("bash .ci/run"));
        assert.ok(pkg.scripts.plan && pkg.scripts.test);
    });
});

describe("stack outputs", () => {
    it("index.ts exports every platform output, and the README lists each one", async () => {
        const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
        const index = fs.readFileSync(path.join(ROOT, "index.ts"), "utf8");
        // The outputs the composition really returns (prod has them all: its backup plan adds three).
        const names = Object.keys((await buildStack("prod")).platform.outputs);
        assert.ok(names.length >= 20, `found ${names.length} outputs`);
        for (const n of names) {
            assert.match(index, new RegExp(`\\b${n}\\b`), `index.ts does not export ${n}`);
            assert.ok(readme.includes(`\`${n}\``), `README does not list the output ${n}`);
        }
    });
});

describe("paths named in the docs", () => {
    it("names only files that exist under components/ (the house moves; its docs and comments follow)", () => {
        // Every tracked text file outside app/ and test/ (tests hold made-up paths as fixtures).
        const files = spawnSync("git", ["ls-files"], { cwd: ROOT, encoding: "utf8" }).stdout.split("\n")
            .filter((f) => /\.(md|ts|ya?ml|json)$/.test(f) && !/^(app|test)\//.test(f) && !f.endsWith("package-lock.json"));
        assert.ok(files.length > 50, `git ls-files listed ${files.length} files`);
        const missing: string[] = [];
        for (const file of files) {
            const text = fs.readFileSync(path.join(ROOT, file), "utf8");
            for (const m of text.matchAll(/components\/[\w/.-]+\.(?:ts|json)/g)) {
                if (!fs.existsSync(path.join(ROOT, m[0]))) missing.push(`${file}: ${m[0]}`);
            }
        }
        assert.deepEqual(missing, []);
    });
});
