/**
 * The policy pack's verdict on a captured stack (issue 14, section 1): the real pack
 * (policy/index.ts), served and driven through the SDK's analyzer by policy/analyzer.ts, the code
 * path of the pack's tests (test/policy/), with the pack config the stack is previewed with
 * (policy/config/prod.json for prod, the pack's defaults otherwise).
 *
 * Two passes over the same served pack:
 * - as at `pulumi up`: every value known (the mocks' placeholders stand for computed ones), so
 *   every check runs; its violations are the verdict;
 * - as at a first `pulumi preview` (asFirstPreview): values taken from other resources' outputs
 *   are unknown; the checks that read them are what the SDK skips there ("can't run ... during
 *   preview"). Unknown values only withhold checks, so this pass adds no violation of its own.
 */
import { evaluateStack, isSkipped, packConfigFor, reported, skippedChecks, UNKNOWN, type EvaluatedResource, type Finding, type PackServer } from "../../policy/analyzer";
import { PACK_NAME } from "../../policy/policies";
import type { CapturedResource } from "../../test/harness";
import type { PolicyVerdict, SkippedCheck, Violation } from "./verdict";

/**
 * The inputs as a first `pulumi preview` sends them: every value the program took from another
 * resource's output (an input key with property dependencies) has its computed leaves unknown. The
 * mocks' computed values are recognisable (ids "<name>-id", ARNs, endpoints, generated secrets).
 */
export function asFirstPreview(r: CapturedResource): Record<string, unknown> {
    const computed = /(-id$|^arn:aws:|amazonaws\.com|^sg-|MockSecret|^https:\/\/)/;
    const blank = (v: unknown): unknown => {
        if (typeof v === "string") return computed.test(v) ? UNKNOWN : v;
        if (Array.isArray(v)) return v.map(blank);
        if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, blank(x)]));
        return v;
    };
    return Object.fromEntries(Object.entries(r.inputs).map(([k, v]) => [k, (r.propertyDependencies[k] ?? []).length > 0 ? blank(v) : v]));
}

/** A captured resource as the engine sends it to the pack, with these inputs. */
export function toEvaluated(r: CapturedResource, props: Record<string, unknown> = r.inputs): EvaluatedResource {
    return { type: r.type, name: r.name, urn: r.urn, custom: r.custom, props, parent: r.parent, dependencies: r.dependencies, propertyDependencies: r.propertyDependencies };
}

const byPlace = (a: { urn: string; policy: string; message: string }, b: { urn: string; policy: string; message: string }) =>
    a.urn.localeCompare(b.urn) || a.policy.localeCompare(b.policy) || a.message.localeCompare(b.message);

/**
 * Configures the served pack for the stack's environment (or with the pack config file given) and
 * evaluates the captured resources.
 */
export async function policyVerdict(pack: PackServer, resources: readonly CapturedResource[], environment: string, packConfigFile?: string): Promise<PolicyVerdict> {
    const { file, config } = packConfigFor(environment, packConfigFile);
    await pack.configure(config);
    const levels = Object.values(await pack.reconcile(config)).map((c) => c.enforcementLevel);
    const preview = resources.map((r) => toEvaluated(r, asFirstPreview(r)));
    // Analyze depends on a resource's own inputs alone: at the first preview only those with an
    // unknown value can answer differently (77 of prod's 160), so only they are sent again.
    const changed = new Set(resources.filter((r, i) => JSON.stringify(r.inputs) !== JSON.stringify(preview[i].props)).map((r) => r.urn));
    const [atUp, atPreview] = await Promise.all([
        evaluateStack(pack, resources.map((r) => toEvaluated(r))),
        evaluateStack(pack, preview, changed),
    ]);
    const violation = (f: Finding): Violation => ({ policy: f.policy, level: f.level as Violation["level"], urn: f.urn, name: f.name, message: reported(f) });
    const violations = atUp.filter((f) => !isSkipped(f)).map(violation).sort(byPlace);
    const skipped: SkippedCheck[] = [...atUp, ...atPreview].filter(isSkipped)
        .map((f) => ({ policy: f.policy, checks: skippedChecks(f), urn: f.urn, name: f.name, message: f.message }))
        .filter((s, i, all) => all.findIndex((o) => o.urn === s.urn && o.policy === s.policy) === i)
        .sort(byPlace);
    return {
        pack: PACK_NAME,
        configFile: file,
        policiesEvaluated: levels.filter((l) => l !== "disabled").length,
        policiesDisabled: levels.filter((l) => l === "disabled").length,
        resourcesEvaluated: resources.filter((r) => r.custom).length,
        mandatory: violations.filter((v) => v.level === "mandatory"),
        advisory: violations.filter((v) => v.level === "advisory"),
        skipped,
    };
}
