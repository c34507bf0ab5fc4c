/**
 * The config engine: how a setting carries its documentation, how a problem is described (key,
 * value, rule, fix command), how the schema is walked for messages and for the README's config
 * reference. It knows no setting: each layer declares its own section beside its components
 * (components/<layer>/config.ts), and components/config/index.ts assembles them into the stack's
 * schema. Imports nothing of the platform, so every layer may use it.
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";

/** CloudWatch Logs accepts only these retention periods (PutRetentionPolicy). */
export const LOG_RETENTION_DAYS = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

export interface FieldMeta {
    /** What the setting does, for the README's config reference. */
    doc: string;
    /** What is allowed, in words; used in error messages. */
    rule: string;
    /** A valid value to show in the fix command when there is no default. */
    example?: unknown;
}

/** Attach the documentation every leaf setting carries. */
export function field<T extends z.ZodType>(schema: T, meta: FieldMeta): T {
    return schema.meta({ description: meta.doc, rule: meta.rule, example: meta.example }) as T;
}

export const retentionDays = (doc: string) =>
    field(
        z.number().refine((v) => (LOG_RETENTION_DAYS as readonly number[]).includes(v)),
        { doc, rule: `one of CloudWatch Logs' retention periods: ${LOG_RETENTION_DAYS.join(", ")}` },
    );


/** An AWS region name such as us-east-1 (aws:region, cross-region backup copies). */
export const AWS_REGION = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/;

/** A Kubernetes object name (RFC 1123 subdomain label). */
export const KUBERNETES_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

// ---------------------------------------------------------------------------------------------
// Problems and their messages.
// ---------------------------------------------------------------------------------------------

export interface ConfigProblem {
    /** The full config key, e.g. `platform:network.availabilityZoneCount`. */
    readonly key: string;
    /** The value received (undefined when absent). */
    readonly value: unknown;
    /** What is allowed. */
    readonly rule: string;
    /** The command that fixes it. */
    readonly fix: string;
}

/**
 * The stack's configuration is wrong. A `pulumi.RunError`: the Node runtime prints a RunError's
 * message as it is and anything else as `util.inspect` of the object (run.js uncaughtHandler,
 * error.js defaultErrorMessage). No field may be named `stack`: that would replace `Error.stack`.
 */
export class ConfigError extends pulumi.RunError {
    constructor(readonly stackName: string, readonly problems: readonly ConfigProblem[], heading = "Stack") {
        super(formatProblems(stackName, problems, heading));
        this.name = "ConfigError";
    }
}

/**
 * A component's own check of its arguments failed (a validate* function, a rule checked against
 * what only the provider knows, a file of the repository the program reads). Each problem names
 * the key or file, the value, the rule and the fix, in the format of a ConfigError; a RunError
 * for the same reason.
 */
export class InputError extends pulumi.RunError {
    constructor(readonly component: string, readonly problems: readonly ConfigProblem[]) {
        super(formatInputProblems(component, problems));
        this.name = "InputError";
    }
}

/** `heading` names what is configured: "Stack" for the platform, "Bootstrap stack" for bootstrap/. */
export function formatProblems(stackName: string, problems: readonly ConfigProblem[], heading = "Stack"): string {
    return [
        `${heading} "${stackName}" has ${problems.length} configuration problem${problems.length === 1 ? "" : "s"}; nothing was created.`,
        ...problemLines(problems),
    ].join("\n");
}

export function formatInputProblems(component: string, problems: readonly ConfigProblem[]): string {
    return [`${component}: ${problems.length} problem${problems.length === 1 ? "" : "s"} in its inputs.`, ...problemLines(problems)].join("\n");
}

function problemLines(problems: readonly ConfigProblem[]): string[] {
    return problems.flatMap((p, i) => [
        `  ${i + 1}. ${p.key} = ${showValue(p.value)}`,
        `     rule: ${p.rule}`,
        `     fix:  ${p.fix}`,
    ]);
}

/**
 * The problems of one config section's value against its schema (`section` as in
 * `platform:<section>.<field>`), with the rule and fix each field's metadata gives.
 */
export function sectionProblems(project: string, section: string, schema: z.ZodType, value: unknown): ConfigProblem[] {
    const result = schema.safeParse(value, { reportInput: true });
    if (result.success) return [];
    const root = z.object({ [section]: schema });
    return result.error.issues.flatMap((issue) =>
        problemFromIssue(root, project, { [section]: value }, { ...issue, path: [section, ...issue.path] } as z.core.$ZodIssue));
}

function showValue(value: unknown): string {
    return value === undefined ? "(not set)" : JSON.stringify(value);
}

/** `platform:network.cidrBlock` for a path inside the project namespace. */
export function configKey(project: string, path: readonly PropertyKey[]): string {
    const [head, ...rest] = path;
    let key = `${project}:${String(head)}`;
    for (const part of rest) key += typeof part === "number" ? `[${part}]` : `.${String(part)}`;
    return key;
}

/** The `pulumi config set` command that writes `value` at `key`. */
export function setCommand(key: string, value: unknown): string {
    const nested = key.includes(".") || key.includes("[");
    // `pulumi config set` has no JSON mode: a list or map is written element by element with
    // --path, after removing what is there.
    if (Array.isArray(value)) {
        return [removeCommand(key), ...value.map((v, i) => setCommand(`${key}[${i}]`, v))].join(" && ");
    }
    if (value !== null && typeof value === "object") {
        return [removeCommand(key), ...Object.entries(value).map(([k, v]) => setCommand(`${key}.${k}`, v))].join(" && ");
    }
    const text = String(value);
    const quoted = /^[\w./:@-]+$/.test(text) ? text : `'${text.replace(/'/g, "'\\''")}'`;
    // With --path, Pulumi stores integers as numbers and true/false as booleans; a setting that is
    // a string (a version such as "17") must say so.
    const keepString = nested && typeof value === "string" && /^(-?\d+|true|false)$/.test(text);
    return `pulumi config set${nested ? " --path" : ""} '${key}' ${quoted}${keepString ? " --type string" : ""}`;
}

function removeCommand(key: string, topLevel = false): string {
    const nested = !topLevel && (key.includes(".") || key.includes("["));
    return `pulumi config rm${nested ? " --path" : ""} '${key}'`;
}


// ---------------------------------------------------------------------------------------------
// Walking the schema: the leaf at a path, its metadata and default (for messages and docs).
// ---------------------------------------------------------------------------------------------

interface Leaf {
    readonly schema: z.ZodType;
    readonly meta?: FieldMeta;
    readonly defaultValue?: unknown;
}

function unwrap(schema: z.ZodType): { inner: z.ZodType; defaultValue?: unknown } {
    const def = (schema as any)._zod.def;
    if (def.type === "default" || def.type === "prefault") {
        const dv = typeof def.defaultValue === "function" ? def.defaultValue() : def.defaultValue;
        return { inner: def.innerType, defaultValue: dv };
    }
    return { inner: schema };
}

function metaOf(schema: z.ZodType): FieldMeta | undefined {
    const m = z.globalRegistry.get(schema) as any;
    return m?.rule ? { doc: m.description, rule: m.rule, example: m.example } : undefined;
}

export function shapeOf(schema: z.ZodType): Record<string, z.ZodType> | undefined {
    const def = (schema as any)._zod.def;
    if (def.type === "optional") return shapeOf(def.innerType);
    return def.type === "object" ? def.shape : undefined;
}

/** The object schema an optional setting, or a list of objects, holds (its fields are documented too). */
function nestedObject(schema: z.ZodType): { shape: z.ZodType; suffix: string } | undefined {
    let def = (schema as any)._zod.def;
    if (def.type === "optional") def = def.innerType._zod.def;
    if (def.type === "object") return { shape: schema, suffix: "" };
    if (def.type === "array" && def.element._zod.def.type === "object") return { shape: def.element, suffix: "[]" };
    return undefined;
}

function leafAt(root: z.ZodType, path: readonly PropertyKey[]): Leaf | undefined {
    let current: z.ZodType = root;
    let defaultValue: unknown;
    // Elements of lists and maps carry no metadata of their own: the nearest setting's rule
    // applies, and the matching part of its example.
    let nearestMeta: FieldMeta | undefined;
    for (const part of path) {
        const def = (current as any)._zod.def;
        if (def.type === "array" || def.type === "record") {
            current = def.type === "array" ? def.element : def.valueType;
            const example = nearestMeta?.example as any;
            const elementExample = def.type === "array" ? (Array.isArray(example) ? example[0] : undefined) : example?.[part];
            nearestMeta = nearestMeta && { ...nearestMeta, example: elementExample };
            defaultValue = undefined;
            continue;
        }
        const next = shapeOf(current)?.[String(part)];
        if (!next) return undefined;
        const unwrapped = unwrap(next);
        current = unwrapped.inner;
        defaultValue = unwrapped.defaultValue;
        nearestMeta = metaOf(current) ?? nearestMeta;
    }
    return { schema: current, meta: metaOf(current) ?? nearestMeta, defaultValue };
}


/** Every leaf setting with its key, default and documentation, in schema order. */
export function describeSchema(root: z.ZodType, project: string): Array<{ key: string; default: unknown; doc: string; rule: string }> {
    const out: Array<{ key: string; default: unknown; doc: string; rule: string }> = [];
    const walk = (schema: z.ZodType, path: string[]) => {
        const shape = shapeOf(schema)!;
        for (const [name, child] of Object.entries(shape)) {
            const { inner, defaultValue } = unwrap(child);
            const meta = metaOf(inner);
            // A section (no metadata of its own): its fields only.
            if (!meta && shapeOf(inner)) {
                walk(inner, [...path, name]);
                continue;
            }
            out.push({ key: configKey(project, [...path, name]), default: defaultValue, doc: meta?.doc ?? "", rule: meta?.rule ?? "" });
            // A setting that is an object, or a list of objects: then each of its fields.
            const nested = nestedObject(inner);
            if (nested) walk(nested.shape, [...path, `${name}${nested.suffix}`]);
        }
    };
    walk(root, []);
    return out;
}


/** A value at a path of the raw input, for messages. */
function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
    let v: any = raw;
    for (const part of path) {
        if (v === null || typeof v !== "object") return undefined;
        v = v[part as any];
    }
    return v;
}

function closest(word: string, candidates: readonly string[]): string | undefined {
    const distance = (a: string, b: string) => {
        const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
        for (let i = 1; i <= a.length; i++) {
            let prev = dp[0];
            dp[0] = i;
            for (let j = 1; j <= b.length; j++) {
                const tmp = dp[j];
                dp[j] = Math.min(dp[j] + 1, dp[j - 1] + 1, prev + (a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1));
                prev = tmp;
            }
        }
        return dp[b.length];
    };
    let best: string | undefined;
    let bestDistance = Infinity;
    for (const c of candidates) {
        const d = distance(word, c);
        if (d < bestDistance) { best = c; bestDistance = d; }
    }
    return bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

export function problemFromIssue(root: z.ZodType, project: string, raw: unknown, issue: z.core.$ZodIssue): ConfigProblem[] {
    if (issue.code === "unrecognized_keys") {
        const known = Object.keys(shapeOf(leafAt(root, issue.path)?.schema ?? root) ?? {});
        return issue.keys.map((k) => {
            const key = configKey(project, [...issue.path, k]);
            const topLevel = issue.path.length === 0;
            // `pulumi config set platform:network.natGateways perAz` without --path makes a
            // top-level key with a dot in its name: remove that key, then set the nested one.
            const [section, ...rest] = k.split(".");
            const withoutPath = topLevel && rest.length > 0 && section in (shapeOf(root) ?? {});
            const suggestion = withoutPath ? undefined : closest(k, known);
            const hint = withoutPath
                ? `  # set nested settings with --path: ${setCommand(configKey(project, [section, ...rest]), valueAt(raw, [k]))}`
                : suggestion ? `  # did you mean ${configKey(project, [...issue.path, suggestion])}?` : "";
            return {
                key,
                value: valueAt(raw, [...issue.path, k]),
                rule: `unknown setting; known settings here: ${known.join(", ")}`,
                fix: removeCommand(key, topLevel) + hint,
            };
        });
    }
    const key = configKey(project, issue.path);
    const leaf = leafAt(root, issue.path);
    const example = leaf?.meta?.example ?? leaf?.defaultValue;
    return [{
        key,
        value: valueAt(raw, issue.path),
        rule: leaf?.meta?.rule ?? issue.message,
        fix: example === undefined ? `${setCommand(key, "<value>")}` : setCommand(key, example),
    }];
}

// ---------------------------------------------------------------------------------------------
// Rules over parsed values: each names the keys to change.
// ---------------------------------------------------------------------------------------------

/**
 * A rule over parsed values. It is typed on the sections it reads (`{ network: NetworkConfig }`),
 * so a layer's rules need nothing but its own section; a rule that reads a section that did not
 * parse is skipped by the parser (that section's field problems are already listed).
 */
export type Rule<C> = (config: C, project: string) => ConfigProblem[];

/** A problem at `path` whose fix sets `fixValue`. */
export function problem(project: string, path: PropertyKey[], value: unknown, rule: string, fixValue: unknown): ConfigProblem {
    const key = configKey(project, path);
    return { key, value, rule, fix: setCommand(key, fixValue) };
}

/** A problem under a secret key shows no value. */
export function maskSecret(p: ConfigProblem, secretKeys: readonly string[]): ConfigProblem {
    const secret = secretKeys.some((k) => p.key === k || p.key.startsWith(`${k}.`) || p.key.startsWith(`${k}[`));
    return secret && p.value !== undefined ? { ...p, value: "[secret]" } : p;
}

/** Thrown when a rule reads a section that did not parse. */
export class SkipRule extends Error {}

export function dedupe(problems: ConfigProblem[]): ConfigProblem[] {
    const seen = new Set<string>();
    return problems.filter((p) => (seen.has(p.key + p.rule) ? false : (seen.add(p.key + p.rule), true)));
}

/** Pulumi hands scalars over as text and objects as JSON text. */
export function decode(text: string): unknown {
    try {
        return JSON.parse(text);
    } catch {
        return text;
    }
}
