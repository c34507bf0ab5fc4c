/**
 * Times the RUN steps of app/Dockerfile with the commands it runs, without a Docker engine, for the
 * image durations in durations.ts ("docker:index/image:Image cached"):
 *   npx tsx scripts/plan/measure-build.ts
 * A review stack's build takes its final stage from dev's image (cacheFrom + inline cache), so it
 * reruns only the build stage (npm ci, npm run build); a cold build runs the runtime stage's
 * `npm ci --omit=dev` too. Prints each step, both totals and their ratio, measured in the same run.
 * Every npm ci starts from an empty npm cache (a fresh builder has none). Needs the npm registry.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { APP_BUILD_CONTEXT } from "../../components/delivery/image";

/** What the Dockerfile copies before its RUN steps. */
const BUILD_INPUTS = ["package.json", "package-lock.json", ".npmrc", "tsconfig.json", "tsconfig.build.json", "src"];

function timed(label: string, cwd: string, command: string, args: string[]): number {
    const started = performance.now();
    const run = spawnSync(command, args, { cwd, encoding: "utf8", env: { ...process.env, npm_config_update_notifier: "false" } });
    if (run.status !== 0) throw new Error(`${label} failed (${run.status}): ${run.stderr}`);
    const seconds = (performance.now() - started) / 1000;
    console.log(`  ${label.padEnd(44)} ${seconds.toFixed(1).padStart(6)} s`);
    return seconds;
}

function main(): void {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "measure-build-"));
    try {
        for (const f of BUILD_INPUTS) fs.cpSync(path.join(APP_BUILD_CONTEXT, f), path.join(dir, f), { recursive: true });
        const npmCi = (cache: string, extra: string[]) => ["ci", "--ignore-scripts", "--no-audit", "--no-fund", "--cache", path.join(dir, cache), ...extra];
        console.log(`app/Dockerfile steps (${os.cpus().length} CPUs, load average ${os.loadavg()[0].toFixed(1)}):`);
        const buildCi = timed("build stage: npm ci", dir, "npm", npmCi("cache-build", []));
        const tsc = timed("build stage: npm run build", dir, "npm", ["run", "build"]);
        fs.rmSync(path.join(dir, "node_modules"), { recursive: true });
        const runtimeCi = timed("runtime stage: npm ci --omit=dev", dir, "npm", npmCi("cache-runtime", ["--omit=dev"]));
        const cached = buildCi + tsc;
        const cold = cached + runtimeCi;
        console.log(`  cached rebuild (build stage only)            ${cached.toFixed(1).padStart(6)} s`);
        console.log(`  cold build (every RUN step)                  ${cold.toFixed(1).padStart(6)} s`);
        console.log(`  ratio cached / cold                          ${(cached / cold).toFixed(2).padStart(6)}`);
        console.log("  (pulls and pushes are not measured here: see the sources in scripts/plan/durations.ts)");
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

main();
