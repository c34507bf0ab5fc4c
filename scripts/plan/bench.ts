/**
 * How much the estimates add to a plan run, measured against the capture in the same run:
 *   npx tsx scripts/plan/bench.ts [stack]
 * Prints the time of building the platform under mocks (the baseline, what `npm run plan` did
 * before the estimates) and of each estimate over the same plan, with their ratio to it.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { buildStack } from "../../test/harness";
import { planOf } from "../../test/plan/helpers";
import { estimateCost } from "./cost";
import { criticalPath, edgeSavings } from "./critical-path";
import { diffPlans, formatDiff } from "./diff";
import { writeRendered } from "./render";
import { loadUsage } from "./usage";

async function main(): Promise<void> {
    const stack = process.argv[2] ?? "prod";
    let t = performance.now();
    const built = await buildStack(stack);
    const baselineMs = performance.now() - t;
    const plan = planOf(built);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-"));
    const steps: Array<[string, () => unknown]> = [
        ["usage file", () => loadUsage(stack)],
        ["cost", () => estimateCost(plan, loadUsage(stack))],
        ["critical path up", () => criticalPath(plan, "up")],
        ["critical path destroy", () => criticalPath(plan, "destroy")],
        ["edge savings (not with --quiet)", () => edgeSavings(plan)],
        ["render + write", () => writeRendered(plan, dir)],
        ["diff against itself", () => formatDiff(diffPlans(plan, plan, loadUsage), "itself")],
    ];
    console.log(`baseline: building ${stack} under mocks took ${baselineMs.toFixed(0)} ms`);
    let total = 0;
    for (const [name, fn] of steps) {
        t = performance.now();
        fn();
        const ms = performance.now() - t;
        total += ms;
        console.log(`  ${name.padEnd(32)} ${ms.toFixed(1).padStart(8)} ms  ${(ms / baselineMs).toFixed(3)} x baseline`);
    }
    console.log(`  ${"all estimates".padEnd(32)} ${total.toFixed(1).padStart(8)} ms  ${(total / baselineMs).toFixed(3)} x baseline`);
    fs.rmSync(dir, { recursive: true, force: true });
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
