/**
 * Plans for the estimator tests, built in-process from the harness's shared builds (the same
 * fields scripts/plan.ts writes; plan.test.ts checks the two agree), and small synthetic plans.
 */
import type { PlanDocument, PlanResource } from "../../scripts/plan/model";
import { planResources } from "../../scripts/plan/document";
import { buildStack, type Built } from "../harness";

export function planOf(built: Built): PlanDocument {
    const doc = {
        stack: built.config.stack,
        resources: planResources(built.capture.resources),
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
