/**
 * The resources of a plan document (.plan/<stack>.json), as scripts/plan.ts writes them and the
 * estimator tests build them: one place, without the CLI's process handlers.
 */
import { isSecret, type CapturedResource } from "../../test/harness";

/** Inputs with every secret replaced by a marker, for printing and the JSON file. */
export function maskSecrets(value: unknown): unknown {
    if (isSecret(value)) return "[secret]";
    if (Array.isArray(value)) return value.map(maskSecrets);
    if (value !== null && typeof value === "object") {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskSecrets(v)]));
    }
    return value;
}

/** Dependencies that come from `dependsOn` only (not through an input's Output): the ones a change may drop. */
export function explicitDependencies(r: CapturedResource): string[] | undefined {
    const viaInputs = new Set(Object.values(r.propertyDependencies).flat());
    const explicit = r.dependencies.filter((u) => !viaInputs.has(u)).sort();
    return explicit.length > 0 ? explicit : undefined;
}

/** Every captured resource as the plan file records it, sorted by URN. */
export function planResources(resources: readonly CapturedResource[]) {
    return resources.map((r) => ({
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
        deletedWith: r.deletedWith || undefined,
        aliases: r.aliases.length > 0 ? [...r.aliases] : undefined,
        inputs: maskSecrets(r.inputs),
    })).sort((a, b) => a.urn.localeCompare(b.urn));
}
