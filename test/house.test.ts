// The house by layers (components/): a folder per layer, imports pointing down only, no cycles, and
// test/ mirroring components/. Read from the source files themselves, so a new import that climbs
// a layer, or a component without its test file, fails here.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { ROOT } from "./harness";

const COMPONENTS = path.join(ROOT, "components");

/**
 * Each folder's rank: a module may import modules of its own rank or lower. The config engine and
 * the stack's own settings are building blocks every layer's section uses; the assembled schema,
 * the rules across sections and the guard rails sit above every layer, and the composition on top.
 */
const RANKS: Array<[RegExp, number]> = [
    [/^shared\//, 0],
    [/^config\/(engine|stack)\.ts$/, 0],
    [/^network\//, 1],
    [/^cluster\//, 2],
    [/^data\//, 3],
    [/^observability\//, 4],
    [/^delivery\//, 5],
    [/^review\//, 6],
    [/^config\//, 7],
    [/^platform\.ts$/, 8],
];
const LAYERS = ["shared", "config", "network", "cluster", "data", "observability", "delivery", "review"];

function rankOf(file: string): number {
    const hit = RANKS.find(([re]) => re.test(file));
    assert.ok(hit, `components/${file} is in no layer: put it in one of ${LAYERS.join(", ")}`);
    return hit[1];
}

function sourceFiles(): string[] {
    return (fs.readdirSync(COMPONENTS, { recursive: true }) as string[])
        .filter((f) => f.endsWith(".ts"))
        .map((f) => f.split(path.sep).join("/"))
        .sort();
}

/**
 * The components/ modules a file imports (relative imports only; JSON documents are data). With
 * `runtimeOnly`, type-only imports (erased by the compiler, so never a load-order cycle) are left out.
 */
function importsOf(file: string, runtimeOnly = false): string[] {
    const text = fs.readFileSync(path.join(COMPONENTS, file), "utf8");
    const out: string[] = [];
    for (const m of text.matchAll(/(import\s+type\s+[^;]*?from\s+|from\s+|import\s*\(\s*|require\(\s*)"(\.{1,2}\/[^"]+)"/g)) {
        const spec = m[2];
        if (spec.endsWith(".json") || (runtimeOnly && /^import\s+type/.test(m[1]))) continue;
        const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), spec));
        const candidates = [`${target}.ts`, `${target}/index.ts`];
        const found = candidates.find((c) => fs.existsSync(path.join(COMPONENTS, c)));
        assert.ok(found, `components/${file} imports ${spec}, which is not a module under components/`);
        out.push(found);
    }
    return out;
}

describe("the house by layers", () => {
    const files = sourceFiles();
    const graph = new Map(files.map((f) => [f, importsOf(f)]));
    const runtimeGraph = new Map(files.map((f) => [f, importsOf(f, true)]));

    it("has a folder per layer, and no component file loose beside platform.ts", () => {
        const top = fs.readdirSync(COMPONENTS, { withFileTypes: true });
        assert.deepEqual(top.filter((e) => e.isFile()).map((e) => e.name), ["platform.ts"]);
        const folders = top.filter((e) => e.isDirectory()).map((e) => e.name);
        for (const layer of LAYERS) assert.ok(folders.includes(layer), `components/${layer}/ exists`);
    });

    it("imports downwards only: a layer uses the layers below it and the shared blocks", () => {
        const upward: string[] = [];
        for (const [file, imports] of graph) {
            for (const target of imports) {
                if (rankOf(target) > rankOf(file)) upward.push(`${file} -> ${target}`);
            }
        }
        assert.deepEqual(upward, []);
    });

    it("has no import cycle (type-only imports are erased, so they cannot form one)", () => {
        const state = new Map<string, "visiting" | "done">();
        const cycles: string[] = [];
        const visit = (file: string, trail: string[]) => {
            if (state.get(file) === "done") return;
            if (state.get(file) === "visiting") {
                cycles.push([...trail.slice(trail.indexOf(file)), file].join(" -> "));
                return;
            }
            state.set(file, "visiting");
            for (const target of runtimeGraph.get(file) ?? []) visit(target, [...trail, file]);
            state.set(file, "done");
        };
        for (const file of files) visit(file, []);
        assert.deepEqual(cycles, []);
    });

    it("opens each layer's public face (index.ts) with a comment saying what the layer owns", () => {
        for (const layer of LAYERS) {
            const index = path.join(COMPONENTS, layer, "index.ts");
            assert.ok(fs.existsSync(index), `components/${layer}/index.ts exists`);
            assert.match(fs.readFileSync(index, "utf8"), /^\/\*\*\n \* [A-Z].{20,}/, `components/${layer}/index.ts opens with a doc comment`);
        }
    });

    it("keeps files and functions short enough to read (about 400 and 120 lines)", () => {
        const long: string[] = [];
        for (const file of files) {
            const lines = fs.readFileSync(path.join(COMPONENTS, file), "utf8").split("\n");
            if (lines.length > 420) long.push(`${file}: ${lines.length} lines`);
            // A function or constructor body: from its opening line to the closing brace at the same indent.
            lines.forEach((line, i) => {
                const m = /^(\s*)(?:export\s+)?(?:async\s+)?(?:function\s+\w+|constructor|(?:private\s+|protected\s+|public\s+)?(?:static\s+)?\w+\s*\()[^;]*\{\s*$/.exec(line);
                if (!m || /^\s*(if|for|while|switch|catch)\b/.test(line)) return;
                const end = lines.findIndex((l, j) => j > i && l === `${m[1]}}`);
                if (end > 0 && end - i > 125) long.push(`${file}:${i + 1}: ${end - i} lines`);
            });
        }
        assert.deepEqual(long, []);
    });

    it("mirrors components/ in test/: a test file per component, in the same folder", () => {
        const missing: string[] = [];
        for (const file of files) {
            const base = file.replace(/\.ts$/, "");
            // Layer faces, the config engine's parts and the shared blocks are tested through their users.
            if (/(^|\/)index$/.test(base) || /^config\/(engine|stack|rules|guard-rails)$/.test(base)) continue;
            if (/^shared\/(helm|kubernetes|namespace|tags|iam)$/.test(base)) continue;
            // Parts of one component, asserted on that component's captured resources: the data tier's
            // shared blocks (every data test), Pod Identity roles (cluster and cluster-services tests),
            // Jaeger's values (observability.test.ts, per stack) and the app's pod (workload.test.ts).
            if (/^(data\/data-access|cluster\/pod-identity|observability\/tracing|delivery\/pod)$/.test(base)) continue;
            const test = path.join(ROOT, "test", `${base}.test.ts`);
            if (!fs.existsSync(test)) missing.push(`test/${base}.test.ts`);
        }
        assert.deepEqual(missing, []);
    });
});
