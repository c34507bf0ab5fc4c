/**
 * Plans for the estimator tests, built in-process from the harness's shared builds (the same
 * fields scripts/plan.ts writes; plan.test.ts checks the two agree), and small synthetic plans.
 */
import type { PlanDocument, PlanResource } from "../../scripts/plan/model";
import { buildStack, isSecret, type Built } from "../harness";

// scripts/plan.ts's maskSecrets and explicitDependencies, without importing the CLI module (it installs process handlers).
function explicitDependencies(r: Built["capture"]["resources"][number]): string[] | undefined {
    const viaInputs = new Set(Object.values(r.propertyDependencies).flat());
    const explicit = r.dependencies.filter((u) => !viaInputs.has(u)).sort();
    return explicit.length > 0 ? explicit : undefined;
}

function maskSecrets(value: unknown): unknown {
    if (isSecret(value)) return "[secret]";
    if (Array.isArray(value)) return value.map(maskSecrets);
    if (value !== null && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskSecrets(v)]));
    return value;
}

export function planOf(built: Built): PlanDocument {
    const doc = {
        stack: built.config.stack,
        resources: built.capture.resources.map((r) => ({
            type: r.type,
            name: r.name,
            urn: r.urn,
            custom: r.custom,
            parent: r.parent || undefined,
            provider: r.provider || undefined,
            dependencies: [...r.dependencies].sort(),
            dependsOn: explicitDependencies(r),
            protect: r.protect || undefined,
            retainOnDelete: r.retainOnDelete || undefined,
            inputs: maskSecrets(r.inputs),
        })).sort((a, b) => a.urn.localeCompare(b.urn)),
    };
    // Through JSON, exactly as the estimators read a plan file.
    return JSON.parse(JSON.stringify(doc)) as PlanDocument;
}

export async function stackPlan(stack: string, overrides: Record<string, unknown> = {}): Promise<PlanDocument> {
    return planOf(await buildStack(stack, overrides));
}

/** A resource of a synthetic plan (URN from type and name, like Pulumi's). */
export function res(type: string, name: string, inputs: Record<string, unknown> = {}, extra: Partial<PlanResource> = {}): PlanResource {
    return { type, name, urn: urn(type, name), custom: !type.startsWith("test:"), dependencies: [], inputs, ...extra };
}

export function urn(type: string, name: string): string {
    return `urn:pulumi:t::platform::${type}::${name}`;
}

export function plan(stack: string, resources: PlanResource[]): PlanDocument {
    return { stack, resources };
}

/** Rounds money to the cent for exact comparisons. */
export function cents(n: number): number {
    return Math.round(n * 100) / 100;
}
