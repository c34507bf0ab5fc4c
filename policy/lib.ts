/**
 * The small framework every policy of the pack is written in. It does not construct a PolicyPack
 * (that starts the analyzer's gRPC server); policy/index.ts does, once.
 *
 * A policy is a list of named checks, run by one validation function. How @pulumi/policy runs it
 * (server.js, makeAnalyzeRpcFun): reading a value that is unknown at preview throws an
 * UnknownValueError that ends the validation function and is reported as an advisory "can't run
 * policy ... during preview"; the rest of the function is skipped. So the function runs each check
 * in its own try, reports what the others find, and rethrows the first UnknownValueError at the end
 * (its message then names every check that could not run): an unknown value costs only the checks
 * that read it. Inside a check, known values are read before values that may be unknown (ARNs and
 * IDs of resources not yet created), and `has()` tests presence without reading.
 *
 * One function rather than one per check: the SDK deserializes the resource's properties once per
 * validation function, and skips a policy whose single function carries a `__pulumiType` other than
 * the resource's without deserializing at all (getPulumiType); single-type policies set it.
 *
 * Every violation message starts with the check's id in brackets, e.g.
 * "[rds-storage-encrypted/storage-encrypted] storageEncrypted is false ...", so a reader (and a
 * test) can tell which individual check fired.
 */
import type {
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
    PolicyResource,
} from "@pulumi/policy";

/** Where a policy applies: every stack, or only stacks run with the prod pack config. */
export type Scope = "all" | "prod";

/** The enforcement a policy has where it applies. */
export type Level = Extract<EnforcementLevel, "mandatory" | "advisory">;

export interface CheckContext {
    /** The policy's config (schema defaults filled in by the engine, then the pack config file). */
    readonly config: Record<string, any>;
    readonly args?: ResourceValidationArgs;
}

/** One individual check: returns the problems it finds (none: nothing, undefined or []). */
export interface Check {
    /** Unique within the policy; the message names it as `[<policy>/<id>]`. */
    readonly id: string;
    /** What the check demands, for the docs table. */
    readonly rule: string;
    readonly test: (props: any, ctx: CheckContext) => string | string[] | undefined | void;
}

export interface StackCheck {
    readonly id: string;
    readonly rule: string;
    /** Reports problems with the URN of the offending resource. */
    readonly test: (resources: PolicyResource[], ctx: CheckContext) => Array<{ urn?: string; message: string }>;
}

interface SpecBase {
    readonly name: string;
    /** The control(s) enforced, e.g. "AWS FSBP RDS.3" or "CIS EKS 5.4.2" or "House rule (cost)". */
    readonly control: string;
    readonly description: string;
    readonly level: Level;
    readonly scope: Scope;
    /** Why the policy is advisory or scoped to prod: required when it is either. */
    readonly reason?: string;
    readonly configSchema?: PolicyConfigSchema;
    readonly severity?: "low" | "medium" | "high" | "critical";
}

export interface ResourcePolicySpec extends SpecBase {
    readonly types: readonly string[];
    readonly checks: readonly Check[];
}

export interface StackPolicySpec extends SpecBase {
    readonly checks: readonly StackCheck[];
}

/** What the docs table and the tests read about a policy. */
export interface PolicyMeta {
    readonly name: string;
    readonly control: string;
    readonly level: Level;
    readonly scope: Scope;
    readonly reason?: string;
    readonly types: readonly string[];
    readonly checks: ReadonlyArray<{ id: string; rule: string }>;
    readonly kind: "resource" | "stack";
}

export type PlatformPolicy = (ResourceValidationPolicy | StackValidationPolicy) & { readonly meta: PolicyMeta };

/**
 * The level a policy is declared with in the pack. Prod-only policies are "disabled" by default and
 * enabled by policy/config/prod.json, so dev and review stacks never pay for prod's rules (multi-AZ,
 * deletion protection...). The `pack-config-environment` policy refuses a prod stack previewed
 * without that file.
 */
function declaredLevel(spec: SpecBase): EnforcementLevel {
    return spec.scope === "prod" ? "disabled" : spec.level;
}

function describe(spec: SpecBase): string {
    const scope = spec.scope === "prod" ? " Scope: prod stacks only (enabled by policy/config/prod.json)." : "";
    const reason = spec.reason ? ` Why ${spec.level}${spec.scope === "prod" ? ", prod only" : ""}: ${spec.reason}` : "";
    return `[${spec.control}] ${spec.description}${scope}${reason}`;
}

function validateSpec(spec: SpecBase, ids: string[]): void {
    if ((spec.level === "advisory" || spec.scope === "prod") && !spec.reason) {
        throw new Error(`policy ${spec.name}: an advisory or prod-only policy needs a reason (why it is not mandatory everywhere)`);
    }
    const seen = new Set<string>();
    for (const id of ids) {
        if (seen.has(id)) throw new Error(`policy ${spec.name}: duplicate check id ${id}`);
        seen.add(id);
    }
}

function toList(found: string | string[] | undefined | void): string[] {
    if (found === undefined || found === null) return [];
    return Array.isArray(found) ? found : [found];
}

function isUnknownValueError(e: unknown): e is Error {
    return (e as Error)?.constructor?.name === "UnknownValueError";
}

/**
 * Runs every check, each in its own try; rethrows the first UnknownValueError once all ran, its
 * message naming the checks that could not run (the SDK prints it in its "can't run" advisory).
 */
function runChecks<T>(policy: string, checks: readonly T[], id: (c: T) => string, run: (c: T) => void): void {
    let unknown: Error | undefined;
    const skipped: string[] = [];
    for (const check of checks) {
        try {
            run(check);
        } catch (e) {
            if (!isUnknownValueError(e)) throw e;
            unknown ??= e;
            skipped.push(`${policy}/${id(check)}`);
        }
    }
    if (unknown) {
        unknown.message = `${unknown.message} (checks that could not run: ${skipped.join(", ")})`;
        throw unknown;
    }
}

export function resourcePolicy(spec: ResourcePolicySpec): PlatformPolicy {
    validateSpec(spec, spec.checks.map((c) => c.id));
    const types = new Set(spec.types);
    const validate = (args: ResourceValidationArgs, report: ReportViolation) => {
        if (!types.has(args.type)) return;
        const ctx: CheckContext = { config: args.getConfig<Record<string, any>>(), args };
        runChecks(spec.name, spec.checks, (c) => c.id, (check) => {
            for (const problem of toList(check.test(args.props, ctx))) report(`[${spec.name}/${check.id}] ${problem}`);
        });
    };
    // The SDK's fast path: a policy for another type is skipped before the properties are deserialized.
    if (spec.types.length === 1) Object.assign(validate, { __pulumiType: spec.types[0] });
    const validateResource = validate;
    return {
        name: spec.name,
        description: describe(spec),
        enforcementLevel: declaredLevel(spec),
        configSchema: spec.configSchema,
        severity: spec.severity,
        validateResource,
        meta: {
            name: spec.name, control: spec.control, level: spec.level, scope: spec.scope, reason: spec.reason,
            types: spec.types, checks: spec.checks.map(({ id, rule }) => ({ id, rule })), kind: "resource",
        },
    };
}

export function stackPolicy(spec: StackPolicySpec): PlatformPolicy {
    validateSpec(spec, spec.checks.map((c) => c.id));
    return {
        name: spec.name,
        description: describe(spec),
        enforcementLevel: declaredLevel(spec),
        configSchema: spec.configSchema,
        severity: spec.severity,
        validateStack: (args: StackValidationArgs, report: ReportViolation) => {
            const ctx: CheckContext = { config: args.getConfig<Record<string, any>>() };
            runChecks(spec.name, spec.checks, (c) => c.id, (check) => {
                for (const { urn, message } of check.test(args.resources, ctx)) report(`[${spec.name}/${check.id}] ${message}`, urn);
            });
        },
        meta: {
            name: spec.name, control: spec.control, level: spec.level, scope: spec.scope, reason: spec.reason,
            types: [], checks: spec.checks.map(({ id, rule }) => ({ id, rule })), kind: "stack",
        },
    };
}

// ---------------------------------------------------------------------------------------------
// Value helpers shared by the policies
// ---------------------------------------------------------------------------------------------

export const WORLD_IPV4 = "0.0.0.0/0";
export const WORLD_IPV6 = "::/0";

/** Provider inputs and policy documents arrive as JSON text or as objects: accept both. */
export function parseJson<T = any>(value: unknown): T | undefined {
    if (typeof value !== "string") return value as T | undefined;
    try {
        return JSON.parse(value) as T;
    } catch {
        return undefined;
    }
}

export function show(value: unknown): string {
    return value === undefined ? "unset" : JSON.stringify(value);
}

export function asArray<T>(value: T | T[] | undefined | null): T[] {
    if (value === undefined || value === null) return [];
    return Array.isArray(value) ? [...value] : [value];
}

/** A Pulumi bool input may be a string ("true") in nested provider blocks (ebs.encrypted). */
export function isTrue(value: unknown): boolean {
    return value === true || value === "true";
}

export function isFalse(value: unknown): boolean {
    return value === false || value === "false";
}

/**
 * True when `obj[key]` is set to something other than "" — without reading the value through the
 * SDK's unknown-checking proxy, so an ARN that is unknown at preview counts as set instead of
 * ending the check (`__getSpecialProxyTarget` is the proxy's own escape hatch, proxy.js).
 */
export function has(obj: any, key: string): boolean {
    if (obj === undefined || obj === null || typeof obj !== "object" || !(key in obj)) return false;
    const raw = obj["__getSpecialProxyTarget"] ?? obj;
    const value = raw[key];
    return value !== undefined && value !== null && value !== "";
}
