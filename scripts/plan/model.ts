/**
 * The captured plan as the estimators read it: the JSON document scripts/plan.ts writes
 * (.plan/<stack>.json). Cost, time, diff and render are pure functions of this document, so they
 * do not depend on how components/ is organised, only on resource types and inputs.
 */
import * as fs from "node:fs";
import type { PolicyVerdict } from "./verdict";

export interface PlanResource {
    readonly type: string;
    readonly name: string;
    readonly urn: string;
    /** False for component resources. */
    readonly custom: boolean;
    readonly parent?: string;
    /** `<provider urn>::<id>`; absent for the default provider. */
    readonly provider?: string;
    /** URNs this resource depends on (explicit dependsOn, expanded to a component's custom children, and implicit). */
    readonly dependencies: readonly string[];
    /** The dependencies that come from dependsOn only (not through an input): absent when none. */
    readonly dependsOn?: readonly string[];
    /** Inputs with secrets replaced by "[secret]". */
    readonly inputs: Record<string, any>;
    readonly protect?: boolean;
    readonly retainOnDelete?: boolean;
    /** The `deletedWith` option: the URN whose delete deletes this resource too. */
    readonly deletedWith?: string;
    /** The `aliases` option's URNs: where this resource was declared before (absent when none). */
    readonly aliases?: readonly string[];
}

export interface PlanDocument {
    readonly stack: string;
    readonly source?: string;
    readonly config?: unknown;
    readonly resources: readonly PlanResource[];
    /** The policy pack's verdict (absent in plans written before the plan evaluated the pack). */
    readonly policy?: PolicyVerdict;
}

export function readPlan(file: string): PlanDocument {
    if (!fs.existsSync(file)) throw new Error(`no plan file ${file}: write one with npm run plan -- <stack> --out ${file}`);
    const doc = JSON.parse(fs.readFileSync(file, "utf8")) as PlanDocument;
    if (typeof doc.stack !== "string" || !Array.isArray(doc.resources)) {
        throw new Error(`${file} is not a plan written by scripts/plan.ts (needs "stack" and "resources")`);
    }
    return doc;
}

/** Indexes over a plan, built once per estimate. */
export class PlanIndex {
    private readonly byUrnMap = new Map<string, PlanResource>();
    private readonly childrenMap = new Map<string, PlanResource[]>();

    constructor(readonly plan: PlanDocument) {
        for (const r of plan.resources) this.byUrnMap.set(r.urn, r);
        for (const r of plan.resources) {
            if (r.parent && this.byUrnMap.has(r.parent)) {
                const list = this.childrenMap.get(r.parent) ?? [];
                list.push(r);
                this.childrenMap.set(r.parent, list);
            }
        }
    }

    get resources(): readonly PlanResource[] {
        return this.plan.resources;
    }

    byUrn(urn: string): PlanResource | undefined {
        return this.byUrnMap.get(urn);
    }

    ofType(type: string): PlanResource[] {
        return this.plan.resources.filter((r) => r.type === type);
    }

    children(r: PlanResource): readonly PlanResource[] {
        return this.childrenMap.get(r.urn) ?? [];
    }

    /** The top-level component a resource belongs to (itself at the top). */
    root(r: PlanResource): PlanResource {
        let current = r;
        for (;;) {
            const parent = current.parent ? this.byUrnMap.get(current.parent) : undefined;
            if (!parent) return current;
            current = parent;
        }
    }

    /** Direct dependencies of a resource that have the given type. */
    dependenciesOfType(r: PlanResource, type: string): PlanResource[] {
        return r.dependencies.map((u) => this.byUrnMap.get(u)).filter((d): d is PlanResource => d !== undefined && d.type === type);
    }

    /** Resources of a type that depend directly on `r`. */
    dependentsOfType(r: PlanResource, type: string): PlanResource[] {
        return this.ofType(type).filter((d) => d.dependencies.includes(r.urn));
    }
}

/** The URN of a provider reference (`<urn>::<id>`). */
export function providerUrn(ref: string): string {
    return ref.split("::").slice(0, -1).join("::");
}

/** A component's display name: its class (`platform:network:Network` -> `Network`) and name. */
export function componentLabel(r: PlanResource): string {
    const cls = r.type.split(":")[2] ?? r.type;
    return r.custom ? r.name : `${cls} (${r.name})`;
}

// ---------------------------------------------------------------------------------------------
// Kubernetes quantities
// ---------------------------------------------------------------------------------------------

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50 };
const DECIMAL: Record<string, number> = { k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15 };

/** A Kubernetes quantity ("512Mi", "3Gi", "1G", "1024") in bytes; throws naming the value otherwise. */
export function parseBytes(q: unknown, where: string): number {
    const m = /^([0-9]+(?:\.[0-9]+)?)([KMGTP]i|[kMGTP])?$/.exec(String(q).trim());
    if (!m) throw new Error(`${where}: "${String(q)}" is not a Kubernetes memory/storage quantity (e.g. 512Mi, 10Gi)`);
    const n = Number(m[1]);
    const unit = m[2];
    return unit === undefined ? n : n * (BINARY[unit] ?? DECIMAL[unit]);
}

/** A Kubernetes CPU quantity ("250m", "1", "0.5") in millicores. */
export function parseMillicores(q: unknown, where: string): number {
    const s = String(q).trim();
    const m = /^([0-9]+(?:\.[0-9]+)?)(m)?$/.exec(s);
    if (!m) throw new Error(`${where}: "${s}" is not a Kubernetes CPU quantity (e.g. 250m, 1)`);
    return m[2] ? Number(m[1]) : Number(m[1]) * 1000;
}

export const GiB = 2 ** 30;
export const MiB = 2 ** 20;
