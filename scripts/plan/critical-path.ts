/**
 * The critical path of `pulumi up` and `pulumi destroy` over the captured dependency graph.
 *
 * The model (docs/estimates.md, "Deploy and destroy time"):
 * - Edges: a resource waits for its `dependencies` (explicit dependsOn and implicit Output
 *   dependencies; the Node SDK already expands a dependsOn on a component into the component's
 *   custom descendants, so "depends on a component" means "waits for all its children"), for its
 *   parent and for its provider.
 * - The parent edge matters: the SDK registers a child only once its parent's URN is known, and
 *   a component registers only after its own dependsOn resources exist. So every child of a
 *   component waits for everything the component depends on, even without a dependsOn of its own.
 *   Components take no time themselves.
 * - `pulumi up` on an empty stack: a resource starts when all its edges have finished and takes
 *   its create duration; unlimited parallelism (Pulumi's default is unbounded).
 * - `pulumi destroy` runs the same edges reversed (the engine deletes a resource after everything
 *   that depends on it, its children and the resources using it as provider); retainOnDelete
 *   resources are only dropped from the state (no time), and so are `deletedWith` ones whose
 *   resource is in the stack (a destroy deletes it, and the engine skips their delete: e.g. the
 *   EKS add-ons DeleteCluster removes).
 */
import { durationKey, durationOf } from "./durations";
import { PlanIndex, providerUrn, type PlanDocument, type PlanResource } from "./model";

/** "dependsOn": an explicit dependsOn only; "input": through an input's Output (cannot be dropped). */
export type EdgeKind = "dependsOn" | "input" | "parent" | "provider";

export interface Edge {
    readonly from: string;
    readonly to: string;
    readonly kind: EdgeKind;
}

export interface ChainStep {
    readonly name: string;
    readonly type: string;
    readonly key: string;
    readonly minutes: number;
    /** Minutes from the start of the run to the end of this step. */
    readonly finishMin: number;
    /** How this step is tied to the previous one (undefined for the first). */
    readonly via?: EdgeKind;
}

export interface CriticalPath {
    readonly operation: "up" | "destroy";
    readonly totalMin: number;
    readonly chain: readonly ChainStep[];
    /** Resource types/keys with no duration in durations.ts (counted as 0). */
    readonly unknown: readonly string[];
}

/** Every edge "from waits for to" of the `pulumi up` graph, de-duplicated. */
export function edgesOf(index: PlanIndex, r: PlanResource): Edge[] {
    const out = new Map<string, Edge>();
    const add = (to: string | undefined, kind: EdgeKind) => {
        if (to && to !== r.urn && index.byUrn(to) && !out.has(to)) out.set(to, { from: r.urn, to, kind });
    };
    const explicit = new Set(r.dependsOn ?? []);
    for (const u of r.dependencies) add(u, explicit.has(u) ? "dependsOn" : "input");
    add(r.parent, "parent");
    if (r.provider) add(providerUrn(r.provider), "provider");
    return [...out.values()];
}

interface Options {
    /** Edges to leave out ("from -> to" URN pairs), to ask what an edge costs. */
    readonly without?: ReadonlySet<string>;
}

export function criticalPath(plan: PlanDocument, operation: "up" | "destroy", options: Options = {}): CriticalPath {
    const index = new PlanIndex(plan);
    const unknown = new Set<string>();
    const minutes = (r: PlanResource): number => {
        const dur = durationOf(r);
        if (!dur) {
            unknown.add(durationKey(r));
            return 0;
        }
        if (operation === "destroy") return r.retainOnDelete || (r.deletedWith && index.byUrn(r.deletedWith)) ? 0 : dur.deleteMin;
        return dur.createMin;
    };
    // predecessors(r): what must finish before r starts, for this operation.
    const preds = new Map<string, Edge[]>();
    for (const r of plan.resources) preds.set(r.urn, []);
    for (const r of plan.resources) {
        for (const e of edgesOf(index, r)) {
            if (options.without?.has(`${e.from} -> ${e.to}`)) continue;
            if (operation === "up") preds.get(r.urn)!.push(e);
            else preds.get(e.to)!.push({ from: e.to, to: r.urn, kind: e.kind });
        }
    }
    const finish = new Map<string, number>();
    const via = new Map<string, Edge | undefined>();
    const visiting = new Set<string>();
    const visit = (urn: string): number => {
        const known = finish.get(urn);
        if (known !== undefined) return known;
        if (visiting.has(urn)) throw new Error(`dependency cycle through ${urn}`);
        visiting.add(urn);
        let start = 0;
        let best: Edge | undefined;
        for (const e of preds.get(urn) ?? []) {
            const f = visit(e.to);
            if (f > start || (best === undefined && f === start && f > 0)) {
                start = f;
                best = e;
            }
        }
        visiting.delete(urn);
        const end = start + minutes(index.byUrn(urn)!);
        finish.set(urn, end);
        via.set(urn, best);
        return end;
    };
    let lastUrn: string | undefined;
    let total = 0;
    for (const r of plan.resources) {
        const f = visit(r.urn);
        if (f > total) {
            total = f;
            lastUrn = r.urn;
        }
    }
    const chain: ChainStep[] = [];
    let step: { urn: string; kind?: EdgeKind } | undefined = lastUrn ? { urn: lastUrn } : undefined;
    const reversed: Array<{ urn: string; kind?: EdgeKind }> = [];
    while (step) {
        reversed.push(step);
        const e = via.get(step.urn);
        step = e ? { urn: e.to, kind: e.kind } : undefined;
    }
    // reversed runs last -> first; each entry's kind is how it reached its predecessor.
    for (let i = reversed.length - 1; i >= 0; i--) {
        const r = index.byUrn(reversed[i].urn)!;
        chain.push({ name: r.name, type: r.type, key: durationKey(r), minutes: minutes(r), finishMin: finish.get(r.urn)!, via: i < reversed.length - 1 ? reversed[i + 1].kind : undefined });
    }
    return { operation, totalMin: total, chain, unknown: [...unknown].sort() };
}

export interface EdgeSaving {
    readonly from: string;
    /** The predecessor on the chain, or `<type> x N` when every edge to that type is removed. */
    readonly to: string;
    readonly kind: EdgeKind;
    readonly edges: number;
    readonly totalWithoutMin: number;
    readonly savedMin: number;
}

/**
 * What each edge of the `pulumi up` critical chain costs: the critical path recomputed without
 * that edge, and without every edge from the same resource to resources of the predecessor's type
 * (the three route-table associations of three AZs are parallel edges: removing one saves nothing).
 * A tool for shortening the path; whether an edge may go is a question of what the destroy needs.
 */
export function edgeSavings(plan: PlanDocument, operation: "up" | "destroy" = "up"): EdgeSaving[] {
    const index = new PlanIndex(plan);
    const base = criticalPath(plan, operation);
    const byName = new Map(plan.resources.map((r) => [r.name, r]));
    const out: EdgeSaving[] = [];
    for (let i = 1; i < base.chain.length; i++) {
        // For destroy the chain runs dependents first: the graph edge is from the earlier step.
        const [a, b] = operation === "up" ? [base.chain[i], base.chain[i - 1]] : [base.chain[i - 1], base.chain[i]];
        const from = byName.get(a.name)!;
        const to = byName.get(b.name)!;
        const edges = edgesOf(index, from);
        const edge = edges.find((e) => e.to === to.urn);
        if (!edge) continue;
        const single = criticalPath(plan, operation, { without: new Set([`${from.urn} -> ${to.urn}`]) });
        out.push({ from: from.name, to: to.name, kind: edge.kind, edges: 1, totalWithoutMin: single.totalMin, savedMin: base.totalMin - single.totalMin });
        const group = (label: string, list: Edge[]) => {
            if (list.length <= 1) return;
            const without = criticalPath(plan, operation, { without: new Set(list.map((e) => `${e.from} -> ${e.to}`)) });
            out.push({ from: from.name, to: label, kind: edge.kind, edges: list.length, totalWithoutMin: without.totalMin, savedMin: base.totalMin - without.totalMin });
        };
        const sameType = edges.filter((e) => e.kind === edge.kind && index.byUrn(e.to)!.type === to.type);
        group(`every ${to.type}`, sameType);
        if (edge.kind === "dependsOn") {
            // Every explicit dependsOn into the predecessor's top-level component (e.g. the network's egress).
            const component = index.root(to);
            const intoComponent = edges.filter((e) => e.kind === "dependsOn" && index.root(index.byUrn(e.to)!).urn === component.urn);
            if (intoComponent.length > sameType.length) group(`everything it dependsOn in ${component.name}`, intoComponent);
        }
    }
    return out;
}

export function formatEdgeSavings(savings: readonly EdgeSaving[]): string {
    const useful = savings.filter((s) => s.savedMin >= 0.05).sort((a, b) => b.savedMin - a.savedMin);
    if (useful.length === 0) return "  No single edge (or group of same-type edges) of the chain shortens it by itself.";
    return ["  Edges of the chain whose removal alone would shorten it:",
        ...useful.map((s) => `    -${fmt(s.savedMin)} min (${fmt(s.totalWithoutMin)} min): ${s.from} -> ${s.to} (${s.kind}${s.edges > 1 ? `, ${s.edges} edges` : ""})`)].join("\n");
}

function fmt(n: number): string {
    return n.toFixed(1);
}

export function formatCriticalPath(p: CriticalPath): string {
    const title = p.operation === "up" ? "pulumi up (empty stack)" : "pulumi destroy";
    const out = [`Critical path of ${title}: ${fmt(p.totalMin)} min`];
    for (const s of p.chain) {
        if (s.minutes === 0 && s.type.startsWith("platform:")) {
            out.push(`    ${"".padStart(5)}       ${s.via ? `(${s.via}) ` : ""}${s.name} [component]`);
            continue;
        }
        out.push(`    ${fmt(s.finishMin).padStart(5)} min  ${s.via ? `(${s.via}) ` : ""}${s.name} [${s.key}] +${fmt(s.minutes)}`);
    }
    if (p.unknown.length > 0) out.push(`    no duration (counted 0) for: ${p.unknown.join(", ")} — add them to scripts/plan/durations.ts`);
    return out.join("\n");
}
