/**
 * What scripts/plan.ts prints and writes after the capture, from the plan document alone: the
 * rendered Kubernetes objects, the monthly cost, the critical paths, and the diff against another
 * plan when asked. Kept out of scripts/plan.ts so the capture and the estimates change apart.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { estimateCost, formatCost } from "./cost";
import { criticalPath, edgeSavings, formatCriticalPath, formatEdgeSavings } from "./critical-path";
import { diffPlans, formatDiff } from "./diff";
import { readPlan, type PlanDocument } from "./model";
import { writeRendered } from "./render";
import { supportWarning, type EKS_VERSIONS } from "../../components/cluster/config";
import { loadUsage } from "./usage";

export interface ReportOptions {
    /** The plan JSON just written; the rendered objects go beside it, in a folder named after it. */
    readonly out: string;
    readonly quiet: boolean;
    /** Another plan JSON to compare with (markdown to stdout and <out without .json>.diff.md). */
    readonly diff?: string;
}

export function report(plan: PlanDocument, options: ReportOptions, print: (s: string) => void = console.log): void {
    const base = options.out.replace(/\.json$/, "");
    const rendered = writeRendered(plan, base);
    print(`Kubernetes objects rendered: ${rendered.objects} objects and ${rendered.releases} Helm release values under ${path.relative(process.cwd(), base) || base}/`);

    print("");
    print(formatCost(estimateCost(plan, loadUsage(plan.stack)), !options.quiet));

    print("");
    const up = criticalPath(plan, "up");
    print(formatCriticalPath(up));
    if (!options.quiet) print(formatEdgeSavings(edgeSavings(plan, "up")));
    print(formatCriticalPath(criticalPath(plan, "destroy")));
    const protectedCount = plan.resources.filter((r) => r.protect).length;
    if (protectedCount > 0) {
        print(`  ${protectedCount} resources are protected: pulumi destroy refuses until they are unprotected (README "Destroy"); the figure is for after that.`);
    }

    // Issue 12, item 18: the Kubernetes version's standard support against the next upgrade.
    const version = (plan.config as { cluster?: { version?: (typeof EKS_VERSIONS)[number] } } | undefined)?.cluster?.version;
    const support = version === undefined ? undefined : supportWarning(version, new Date());
    if (support !== undefined) print(support);

    print("");
    // Policy pack results (issue 14, section 1) go here.

    if (options.diff !== undefined) {
        const other = readPlan(options.diff);
        const markdown = formatDiff(diffPlans(other, plan, (stack) => loadUsage(stack)), `\`${path.basename(options.diff)}\` (${other.stack})`);
        const file = `${base}.diff.md`;
        fs.writeFileSync(file, markdown);
        print(markdown);
        print(`Diff written to ${path.relative(process.cwd(), file) || file}`);
    }
}
