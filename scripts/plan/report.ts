/**
 * What scripts/plan.ts prints and writes after the capture, from the plan document alone: the
 * rendered Kubernetes objects, the monthly cost, the critical paths, the policy pack's verdict, and
 * the diff against another plan when asked. Kept out of scripts/plan.ts so the capture and the estimates change apart.
 */
import { formatDelivery } from "./delivery";
import * as fs from "node:fs";
import * as path from "node:path";
import { estimateCost, formatCost } from "./cost";
import { criticalPath, edgeSavings, formatCriticalPath, formatEdgeSavings } from "./critical-path";
import { diffPlans, formatDiff } from "./diff";
import { readPlan, type PlanDocument } from "./model";
import { writeRendered } from "./render";
import { supportWarning, type EKS_VERSIONS } from "../../components/cluster/config";
import { loadUsage } from "./usage";
import { formatVerdict } from "./verdict";

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
    const cost = estimateCost(plan, loadUsage(plan.stack));
    print(formatCost(cost, !options.quiet));

    print("");
    const up = criticalPath(plan, "up");
    print(formatCriticalPath(up));
    if (!options.quiet) print(formatEdgeSavings(edgeSavings(plan, "up")));
    const destroy = criticalPath(plan, "destroy");
    print(formatCriticalPath(destroy));
    const budget = reviewBudget(plan, { resources: plan.resources.filter((r) => r.custom).length, upMin: up.totalMin, destroyMin: destroy.totalMin, monthlyUsd: cost.totalUsd });
    if (budget !== undefined) print(`\n${budget}`);
    const protectedCount = plan.resources.filter((r) => r.protect).length;
    if (protectedCount > 0) {
        print(`  ${protectedCount} resources are protected: pulumi destroy refuses until they are unprotected (README "Destroy"); the figure is for after that.`);
    }

    // Issue 11: how a new image reaches the pods (canary traffic by ALB weights or by pod count).
    const delivery = formatDelivery(plan);
    if (delivery !== undefined) print(`\n${delivery}`);

    // Issue 12, item 18: the Kubernetes version's standard support against the next upgrade.
    const version = (plan.config as { cluster?: { version?: (typeof EKS_VERSIONS)[number] } } | undefined)?.cluster?.version;
    const support = version === undefined ? undefined : supportWarning(version, new Date());
    if (support !== undefined) print(support);

    print("");
    if (plan.policy !== undefined) print(formatVerdict(plan.policy));

    if (options.diff !== undefined) {
        const other = readPlan(options.diff);
        const markdown = formatDiff(diffPlans(other, plan, (stack) => loadUsage(stack)), `\`${path.basename(options.diff)}\` (${other.stack})`);
        const file = `${base}.diff.md`;
        fs.writeFileSync(file, markdown);
        print(markdown);
        print(`Diff written to ${path.relative(process.cwd(), file) || file}`);
    }
}

/** The targets of a shared-mode review stack (issue 10): what the plan checks its figures against. */
export const REVIEW_BUDGET = { resources: 25, upMin: 3, destroyMin: 2, monthlyUsd: 15 } as const;

type Figures = { readonly resources: number; readonly upMin: number; readonly destroyMin: number; readonly monthlyUsd: number };

/**
 * For a shared-mode review stack, its figures against REVIEW_BUDGET: resource count (the plan's
 * custom resources, the provider included), the critical paths above (image build included) and
 * the monthly cost above (pod requests as a share of a dev node, plus volumes). Undefined otherwise.
 */
export function reviewBudget(plan: PlanDocument, f: Figures): string | undefined {
    const config = plan.config as { environment?: string; review?: { mode?: string } } | undefined;
    if (config?.environment !== "review" || config.review?.mode !== "shared") return undefined;
    const b = REVIEW_BUDGET;
    const row = (label: string, value: string, target: string, ok: boolean) => `  ${ok ? "ok  " : "OVER"}  ${label}: ${value} (target ${target})`;
    return [
        "Review stack figures (shared mode):",
        row("resources", String(f.resources), `<= ${b.resources}`, f.resources <= b.resources),
        row("pulumi up", `${f.upMin.toFixed(1)} min`, `<= ${b.upMin} min, image build included`, f.upMin <= b.upMin),
        row("pulumi destroy", `${f.destroyMin.toFixed(1)} min`, `<= ${b.destroyMin} min`, f.destroyMin <= b.destroyMin),
        row("monthly cost", `$${f.monthlyUsd.toFixed(2)}`, `<= $${b.monthlyUsd}`, f.monthlyUsd <= b.monthlyUsd),
    ].join("\n");
}
