/**
 * The usage assumptions of the cost estimate (scripts/plan/usage.yaml): defaults plus per-stack
 * overrides, checked strictly so a misspelt key or a negative volume is an error naming the key,
 * the value, the rule and the fix, never a silently ignored value.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { EC2 } from "./prices";

export const USAGE_FILE = path.join(__dirname, "usage.yaml");

const gb = z.number().min(0);
const fraction = z.number().min(0).max(1);

const UsageSchema = z.strictObject({
    spotPriceFactor: z.number().gt(0).max(1),
    natGateway: z.strictObject({ dataProcessedGbPerGatewayMonth: gb }),
    interfaceEndpoints: z.strictObject({ dataProcessedGbPerEndpointMonth: gb }),
    loadBalancers: z.strictObject({ lcuPerAlb: z.number().min(0), internetFacingAzCount: z.int().min(1).max(6) }),
    logs: z.strictObject({
        vpcFlowLogsGbPerMonth: gb,
        eksControlPlaneGbPerLogTypeMonth: gb,
        rdsGbPerLogTypeMonth: gb,
        otherLogGroupGbPerMonth: gb,
        storedBytesPerIngestedByte: fraction,
        neverExpireMonths: z.number().min(1).max(120),
    }),
    database: z.strictObject({ dataGb: gb, dailyChangeFraction: fraction }),
    cache: z.strictObject({ snapshotGb: gb }),
    ecr: z.strictObject({ imageSizeGb: gb }),
    sharedHost: z.strictObject({
        instanceType: z.string().refine((t) => t in EC2, { message: `an instance type of the price table (${Object.keys(EC2).join(", ")})` }),
        capacityType: z.enum(["ON_DEMAND", "SPOT"]),
        jobHoursPerMonth: z.number().min(0).max(730),
    }),
});

export type Usage = z.infer<typeof UsageSchema>;

/** The usage section a stack reads: `stacks.<stack>`, or `stacks.review` for pr-<number>. */
export function usageSection(stack: string): string {
    return /^pr-\d+$/.test(stack) ? "review" : stack;
}

function merge(base: unknown, over: unknown): unknown {
    if (over === undefined) return base;
    if (base !== null && typeof base === "object" && !Array.isArray(base) && over !== null && typeof over === "object" && !Array.isArray(over)) {
        const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
        for (const [k, v] of Object.entries(over)) out[k] = merge(out[k], v);
        return out;
    }
    return over;
}

export class UsageError extends Error {}

/** Parses usage file text for a stack: defaults merged with the stack's overrides, validated. */
export function parseUsage(text: string, stack: string, file = "scripts/plan/usage.yaml"): Usage {
    const doc = (parseYaml(text) ?? {}) as { defaults?: unknown; stacks?: Record<string, unknown> };
    const unknownTop = Object.keys(doc).filter((k) => k !== "defaults" && k !== "stacks");
    if (unknownTop.length > 0) throw new UsageError(`${file}: unknown top-level key ${unknownTop.join(", ")}; allowed: defaults, stacks`);
    const section = usageSection(stack);
    const merged = merge(doc.defaults ?? {}, doc.stacks?.[section]);
    const result = UsageSchema.safeParse(merged);
    if (result.success) return result.data;
    const problems = result.error.issues.map((issue) => {
        const key = issue.path.join(".");
        const where = doc.stacks?.[section] !== undefined ? `defaults.${key} or stacks.${section}.${key}` : `defaults.${key}`;
        const value = issue.path.reduce<unknown>((v, k) => (v as Record<string | number, unknown> | undefined)?.[k as string], merged);
        const rule = issue.code === "unrecognized_keys" ? `unknown key(s) ${(issue as { keys: string[] }).keys.join(", ")}` : issue.message;
        return `  ${where} = ${JSON.stringify(value)}\n     rule: ${rule}\n     fix:  edit ${file}`;
    });
    throw new UsageError(`${file} has ${problems.length} problem${problems.length === 1 ? "" : "s"} for stack ${stack}:\n${problems.join("\n")}`);
}

export function loadUsage(stack: string, file = USAGE_FILE): Usage {
    return parseUsage(fs.readFileSync(file, "utf8"), stack, path.relative(process.cwd(), file) || file);
}

/** The assumptions as `key = value` lines, for printing beside the estimate. */
export function flattenUsage(value: unknown, prefix = ""): Array<[string, string]> {
    if (value !== null && typeof value === "object" && !Array.isArray(value)) {
        return Object.entries(value).flatMap(([k, v]) => flattenUsage(v, prefix ? `${prefix}.${k}` : k));
    }
    return [[prefix, JSON.stringify(value)]];
}
