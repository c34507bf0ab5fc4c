/**
 * The difference between two captured plans as markdown for a pull-request comment: resources
 * added, removed and changed (with the changed input keys; secrets are "[secret]" in both plans,
 * so a changed secret shows as a changed key with masked values), and the monthly cost and
 * critical-path deltas. What a fork pull request, which gets no cloud credentials, receives.
 *
 * Resources are matched by URN with the stack segment normalised, so a plan compares with the
 * same stack's plan from another commit (the intended use) or, less usefully, another stack.
 */
import { criticalPath } from "./critical-path";
import { estimateCost, usd, type CostEstimate } from "./cost";
import type { PlanDocument, PlanResource } from "./model";
import type { Usage } from "./usage";
import { plural, skippedCount, type PolicyVerdict, type Violation } from "./verdict";

export interface ResourceChange {
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    /** Changed input paths (a.b.c), plus "(dependencies)", "(parent)", "(provider)", "(protect)". */
    readonly keys: readonly string[];
    readonly details: ReadonlyArray<{ key: string; before: string; after: string }>;
}

export interface PlanDiff {
    readonly base: string;
    readonly head: string;
    readonly added: readonly PlanResource[];
    readonly removed: readonly PlanResource[];
    readonly changed: readonly ResourceChange[];
    readonly cost: { readonly before: CostEstimate; readonly after: CostEstimate };
    readonly time: { readonly upBefore: number; readonly upAfter: number; readonly destroyBefore: number; readonly destroyAfter: number };
    /** The policy pack's verdicts; undefined when the head plan has none. */
    readonly policy?: VerdictDiff;
}

/** Text with the stack name (as a whole word between separators) replaced by <stack>. */
export function withoutStack(stack: string, text: string): string {
    const escaped = stack.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    return text.replace(new RegExp(`(^|[-:$/(])${escaped}(?=[-:/)]|$)`, "g"), "$1<stack>");
}

function key(plan: PlanDocument, urn: string): string {
    return withoutStack(plan.stack, urn);
}

/** A path step: `.key` when the key is a plain name, `["key"]` otherwise (a ConfigMap's `flags.json`). */
function step(prefix: string, k: string): string {
    if (/^[A-Za-z_$][\w$-]*$/.test(k)) return prefix ? `${prefix}.${k}` : k;
    return `${prefix}[${JSON.stringify(k)}]`;
}

/** A string holding a JSON object or array (a ConfigMap's document): its parsed value, else undefined. */
function jsonDocument(v: unknown): unknown {
    if (typeof v !== "string" || !/^\s*[[{]/.test(v)) return undefined;
    try { return JSON.parse(v); } catch { return undefined; }
}

/**
 * Paths where two values differ (objects by key, arrays by index when the lengths match, and
 * strings that are JSON documents by their content, so a flag change shows as the flag's key).
 */
export function changedPaths(before: unknown, after: unknown, prefix = "", depth = 0): string[] {
    if (JSON.stringify(before) === JSON.stringify(after)) return [];
    const isObj = (v: unknown) => v !== null && typeof v === "object" && !Array.isArray(v);
    const docs = [jsonDocument(before), jsonDocument(after)];
    if (depth < 8 && docs[0] !== undefined && docs[1] !== undefined) return changedPaths(docs[0], docs[1], prefix, depth + 1);
    if (depth < 8 && isObj(before) && isObj(after)) {
        const keys = [...new Set([...Object.keys(before as object), ...Object.keys(after as object)])].sort();
        return keys.flatMap((k) => changedPaths((before as any)[k], (after as any)[k], step(prefix, k), depth + 1));
    }
    if (depth < 8 && Array.isArray(before) && Array.isArray(after) && before.length === after.length) {
        return before.flatMap((v, i) => changedPaths(v, after[i], `${prefix}[${i}]`, depth + 1));
    }
    return [prefix || "(inputs)"];
}

function at(value: unknown, p: string): unknown {
    if (p === "(inputs)") return value;
    const parts = [...p.matchAll(/(?:^|\.)([A-Za-z_$][\w$-]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/g)]
        .map((m) => m[1] ?? m[2] ?? JSON.parse(m[3]));
    return parts.reduce<unknown>((v, k) => {
        const doc = jsonDocument(v);
        return ((doc ?? v) as any)?.[k];
    }, value);
}

function show(v: unknown): string {
    if (v === undefined) return "(unset)";
    const s = JSON.stringify(v);
    return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

export function diffPlans(base: PlanDocument, head: PlanDocument, usageOf: (stack: string) => Usage): PlanDiff {
    const baseBy = new Map(base.resources.map((r) => [key(base, r.urn), r]));
    // A head resource is its base resource under its URN, or under an alias (moved or renamed:
    // Pulumi updates it in place rather than replacing it).
    const aliased = (h: PlanResource) => (h.aliases ?? []).map((a) => baseBy.get(key(head, a))).find((b) => b !== undefined);
    const baseOf = (h: PlanResource) => baseBy.get(key(head, h.urn)) ?? aliased(h);
    const matched = new Set(head.resources.map((h) => baseOf(h)).filter((b) => b !== undefined));
    const added = head.resources.filter((r) => r.custom && baseOf(r) === undefined);
    const removed = base.resources.filter((r) => r.custom && !matched.has(r));
    const changed: ResourceChange[] = [];
    for (const h of head.resources) {
        const b = baseOf(h);
        if (!b || !h.custom) continue;
        const keys = changedPaths(b.inputs, h.inputs);
        if (key(base, b.urn) !== key(head, h.urn)) keys.push(`(moved from ${b.name})`);
        const norm = (plan: PlanDocument, urns: readonly string[]) => urns.map((u) => key(plan, u)).sort().join(",");
        if (norm(base, b.dependencies) !== norm(head, h.dependencies)) keys.push("(dependencies)");
        if (key(base, b.parent ?? "") !== key(head, h.parent ?? "")) keys.push("(parent)");
        if (key(base, b.provider ?? "") !== key(head, h.provider ?? "")) keys.push("(provider)");
        if ((b.protect ?? false) !== (h.protect ?? false)) keys.push("(protect)");
        if (key(base, b.deletedWith ?? "") !== key(head, h.deletedWith ?? "")) keys.push("(deletedWith)");
        if (keys.length === 0) continue;
        const details = keys.filter((k) => !k.startsWith("(") || k === "(inputs)").map((k) => ({ key: k, before: show(at(b.inputs, k)), after: show(at(h.inputs, k)) }));
        changed.push({ urn: h.urn, type: h.type, name: h.name, keys, details });
    }
    return {
        base: base.stack,
        head: head.stack,
        added,
        removed,
        changed,
        cost: { before: estimateCost(base, usageOf(base.stack)), after: estimateCost(head, usageOf(head.stack)) },
        time: {
            upBefore: criticalPath(base, "up").totalMin,
            upAfter: criticalPath(head, "up").totalMin,
            destroyBefore: criticalPath(base, "destroy").totalMin,
            destroyAfter: criticalPath(head, "destroy").totalMin,
        },
        policy: head.policy === undefined ? undefined : diffVerdicts(base.stack, base.policy, head.stack, head.policy),
    };
}

function signed(n: number, unit: (x: number) => string): string {
    const rounded = Math.round(n * 100) / 100;
    if (rounded === 0) return "±0";
    return `${rounded > 0 ? "+" : "−"}${unit(Math.abs(rounded))}`;
}

const minutes = (n: number) => `${n.toFixed(1)} min`;

/** The diff as markdown (a PR comment). */
export function formatDiff(d: PlanDiff, baseLabel: string): string {
    const out: string[] = [];
    const cell = (s: string) => s.replace(/\|/g, "\\|");
    out.push(`### Offline plan diff: \`${d.head}\` against ${cell(baseLabel)}`);
    out.push("");
    out.push(`**${d.added.length} to add, ${d.changed.length} to change, ${d.removed.length} to delete.** Monthly cost ${usd(d.cost.before.totalUsd)} → ${usd(d.cost.after.totalUsd)} (${signed(d.cost.after.totalUsd - d.cost.before.totalUsd, usd)}). ` +
        `Critical path: up ${minutes(d.time.upBefore)} → ${minutes(d.time.upAfter)} (${signed(d.time.upAfter - d.time.upBefore, minutes)}), destroy ${minutes(d.time.destroyBefore)} → ${minutes(d.time.destroyAfter)} (${signed(d.time.destroyAfter - d.time.destroyBefore, minutes)}).`);
    out.push("");
    out.push("_Computed offline under Pulumi mocks: no AWS calls, computed values are placeholders, replacements are not predicted. Secrets show as `[secret]`._");
    if (d.policy !== undefined) out.push(...formatVerdictDiff(d.policy));
    const list = (title: string, rs: readonly PlanResource[]) => {
        if (rs.length === 0) return;
        out.push("", `#### ${title} (${rs.length})`, "", "| Type | Name |", "|---|---|");
        for (const r of rs) out.push(`| \`${r.type}\` | \`${r.name}\` |`);
    };
    list("Added", d.added);
    list("Removed", d.removed);
    if (d.changed.length > 0) {
        out.push("", `#### Changed (${d.changed.length})`, "", "| Type | Name | Changed keys |", "|---|---|---|");
        for (const c of d.changed) out.push(`| \`${c.type}\` | \`${c.name}\` | ${c.keys.map((k) => `\`${cell(k)}\``).join(", ")} |`);
        const details = d.changed.flatMap((c) => c.details.map((x) => ({ ...x, name: c.name })));
        if (details.length > 0) {
            out.push("", "<details><summary>Changed values</summary>", "", "| Name | Key | Before | After |", "|---|---|---|---|");
            for (const x of details.slice(0, 200)) out.push(`| \`${x.name}\` | \`${cell(x.key)}\` | \`${cell(x.before)}\` | \`${cell(x.after)}\` |`);
            if (details.length > 200) out.push(`| … | ${details.length - 200} more | | |`);
            out.push("", "</details>");
        }
    }
    const before = new Map(d.cost.before.subtotals.map((s) => [withoutStack(d.base, s.component), s.monthlyUsd]));
    const after = new Map(d.cost.after.subtotals.map((s) => [withoutStack(d.head, s.component), s.monthlyUsd]));
    const components = [...new Set([...before.keys(), ...after.keys()])].sort();
    out.push("", "#### Monthly cost by component", "", "| Component | Before | After | Delta |", "|---|---:|---:|---:|");
    for (const c of components) {
        const b = before.get(c) ?? 0;
        const a = after.get(c) ?? 0;
        out.push(`| ${cell(c)} | ${usd(b)} | ${usd(a)} | ${signed(a - b, usd)} |`);
    }
    out.push(`| **Total** | **${usd(d.cost.before.totalUsd)}** | **${usd(d.cost.after.totalUsd)}** | **${signed(d.cost.after.totalUsd - d.cost.before.totalUsd, usd)}** |`);
    return out.join("\n") + "\n";
}

// ---------------------------------------------------------------------------------------------
// The policy pack's verdicts
// ---------------------------------------------------------------------------------------------

export interface VerdictDiff {
    readonly head: PolicyVerdict;
    /** Undefined when the base plan has no verdict (written before plans evaluated the pack). */
    readonly base?: PolicyVerdict;
    readonly added: readonly Violation[];
    readonly removed: readonly Violation[];
}

/** Violations matched by level, policy, resource and message, with each plan's stack name normalised. */
export function diffVerdicts(baseStack: string, base: PolicyVerdict | undefined, headStack: string, head: PolicyVerdict): VerdictDiff {
    if (base === undefined) return { head, added: [], removed: [] };
    const key = (stack: string, x: Violation) => withoutStack(stack, `${x.level} ${x.policy} ${x.urn} ${x.message}`);
    const all = (w: PolicyVerdict) => [...w.mandatory, ...w.advisory];
    const baseKeys = new Set(all(base).map((x) => key(baseStack, x)));
    const headKeys = new Set(all(head).map((x) => key(headStack, x)));
    return {
        head,
        base,
        added: all(head).filter((x) => !baseKeys.has(key(headStack, x))),
        removed: all(base).filter((x) => !headKeys.has(key(baseStack, x))),
    };
}

/** The --diff report's section: the head's verdict, then what changed against the base. */
export function formatVerdictDiff(d: VerdictDiff): string[] {
    const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");
    const h = d.head;
    const out = ["", "#### Policy pack", ""];
    const status = h.mandatory.length > 0 ? `**${plural(h.mandatory.length, "mandatory violation")}: this change fails the policy pack.**` : "No mandatory violation.";
    out.push(`${status} ${plural(h.advisory.length, "advisory violation")}, ${plural(skippedCount(h), "check")} skipped at a first preview; ${plural(h.policiesEvaluated, "policy", "policies")} evaluated with ${h.configFile ? `\`${h.configFile}\`` : "the pack's default config"}.`);
    const table = (title: string, vs: readonly Violation[]) => {
        if (vs.length === 0) return;
        out.push("", `${title} (${vs.length}):`, "", "| Level | Policy | Resource | Message |", "|---|---|---|---|");
        for (const v of vs) out.push(`| ${v.level} | \`${v.policy}\` | \`${v.name}\` | ${cell(v.message)} |`);
    };
    if (d.base === undefined) {
        table("Mandatory violations", h.mandatory);
        out.push("", "_The base plan has no policy verdict (written before the plan evaluated the pack): violations are not compared._");
        return out;
    }
    table("New violations", d.added);
    table("Resolved violations", d.removed);
    if (d.added.length === 0 && d.removed.length === 0) out.push("", "Violations unchanged against the base.");
    return out;
}
