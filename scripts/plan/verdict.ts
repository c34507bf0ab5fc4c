/**
 * The policy pack's verdict as the plan document records it (`policy` in .plan/<stack>.json) and
 * how the plan prints it; scripts/plan/evaluate-policy.ts produces it by serving the real pack, and
 * scripts/plan/diff.ts compares two plans' verdicts.
 */

export interface Violation {
    readonly policy: string;
    readonly level: "mandatory" | "advisory";
    readonly urn: string;
    /** The resource's name, or "(stack)" when a stack policy names no resource. */
    readonly name: string;
    /** What the policy reported ("[policy/check] ... Fix: ..."), without the policy's description. */
    readonly message: string;
}

export interface SkippedCheck {
    readonly policy: string;
    /** The individual checks that could not run ("policy/check"). */
    readonly checks: readonly string[];
    readonly urn: string;
    readonly name: string;
    /** The SDK's "can't run policy ... during preview: <why>". */
    readonly message: string;
}

export interface PolicyVerdict {
    readonly pack: string;
    /** The pack config file the stack is previewed with, relative to the project (absent: the pack's defaults). */
    readonly configFile?: string;
    /** Policies at mandatory or advisory under that config (prod-only ones are disabled elsewhere). */
    readonly policiesEvaluated: number;
    readonly policiesDisabled: number;
    /** Custom resources sent through Analyze (all resources, components included, go through AnalyzeStack). */
    readonly resourcesEvaluated: number;
    readonly mandatory: readonly Violation[];
    readonly advisory: readonly Violation[];
    /** Checks that cannot run at a first preview (they read a value unknown until other resources exist). */
    readonly skipped: readonly SkippedCheck[];
}

export const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

export function skippedCount(v: PolicyVerdict): number {
    return v.skipped.reduce((n, s) => n + s.checks.length, 0);
}

/** What the plan prints: counts, then every violation and skipped check. */
export function formatVerdict(v: PolicyVerdict): string {
    const lines: string[] = [];
    const config = v.configFile ?? "the pack's default config";
    const disabled = v.policiesDisabled > 0 ? `; ${plural(v.policiesDisabled, "policy", "policies")} disabled by that config (outside prod: the prod-only ones)` : "";
    lines.push(`Policy pack ${v.pack} with ${config}: ${plural(v.policiesEvaluated, "policy", "policies")} evaluated on ${plural(v.resourcesEvaluated, "resource")}${disabled}.`);
    lines.push(`  ${plural(v.mandatory.length, "mandatory violation")}${v.mandatory.length > 0 ? " (pulumi preview --policy-pack policy fails, and so does this plan):" : ""}`);
    for (const m of v.mandatory) lines.push(`    ${m.policy} on ${m.name}`, `      ${m.urn}`, `      ${m.message}`);
    lines.push(`  ${plural(v.advisory.length, "advisory violation")}${v.advisory.length > 0 ? ":" : ""}`);
    for (const a of v.advisory) lines.push(`    ${a.policy} on ${a.name}: ${a.message}`);
    const skipped = skippedCount(v);
    lines.push(`  ${plural(skipped, "check")} skipped at a first preview (a value it reads is unknown until other resources exist; the SDK runs it at pulumi up)${skipped > 0 ? ":" : ""}`);
    for (const s of v.skipped) lines.push(`    ${s.checks.join(", ")} on ${s.name}`);
    return lines.join("\n");
}
