/** The delivery layer's config section: `platform:app` (the sample app's image and how it runs). */
import * as fs from "node:fs";
import * as path from "node:path";
import { z } from "zod";
import { field, problem, type ConfigProblem, type Rule } from "../config/engine";

export const DELIVERY_STRATEGIES = ["rolling", "canary", "blueGreen"] as const;
export type DeliveryStrategy = typeof DELIVERY_STRATEGIES[number];
/** An Argo Rollouts duration: a number and a unit. */
export const DURATION = /^[1-9]\d*(s|m|h)$/;
/** Seconds of a DURATION. */
export function durationSeconds(d: string): number {
    const m = /^(\d+)(s|m|h)$/.exec(d);
    if (!m) throw new Error(`not a duration: ${d}`);
    return Number(m[1]) * { s: 1, m: 60, h: 3600 }[m[2] as "s" | "m" | "h"];
}
export const DEFAULT_CANARY_STEPS = [{ weight: 5, pause: "5m" }, { weight: 25, pause: "5m" }, { weight: 50, pause: "5m" }] as const;

export const APP_LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

/** The sample app (components/delivery/image.ts, components/delivery/workload.ts): its image and how it runs. */
export const appSchema = z.strictObject({
    minReplicas: field(z.int().min(1).max(50), {
        doc: "Fewest pods the HorizontalPodAutoscaler keeps (2 or more survive a node or AZ loss; the PodDisruptionBudget keeps all but one of them through drains).",
        rule: "an integer from 1 to 50, at most maxReplicas (at least 2 in prod)",
    }).default(1),
    maxReplicas: field(z.int().min(1).max(100), {
        doc: "Most pods the HorizontalPodAutoscaler may run; each holds up to 10 database connections, so keep maxReplicas x 10 below the instance's max_connections.",
        rule: "an integer from 1 to 100, at least minReplicas",
    }).default(2),
    targetCpuUtilizationPercent: field(z.int().min(10).max(95), {
        doc: "Average CPU use, as a percentage of the pods' CPU request, the autoscaler steers to.",
        rule: "an integer from 10 to 95",
    }).default(70),
    cpuRequestMillicores: field(z.int().min(50).max(4000), {
        doc: "CPU request per pod (what the scheduler reserves and the autoscaler's percentage is of). No CPU limit is set, so pods may burst into idle CPU instead of being throttled.",
        rule: "an integer from 50 to 4000 (millicores)",
    }).default(100),
    memoryMiB: field(z.int().min(128).max(8192), {
        doc: "Memory request and limit per pod (equal: a pod is never killed for memory it was promised).",
        rule: "an integer from 128 to 8192 (MiB)",
    }).default(256),
    traceSampleRatio: field(z.number().min(0).max(1), {
        doc: "Share of root traces the app keeps and sends to Jaeger (OTEL_TRACES_SAMPLER parentbased_traceidratio; a request whose caller sampled it is always kept). 1 on dev and review stacks, lower under production traffic (the app's bench measures 10%).",
        rule: "a number from 0 to 1",
    }).default(1),
    logLevel: field(z.enum(APP_LOG_LEVELS), {
        doc: "The app's LOG_LEVEL.",
        rule: `one of ${APP_LOG_LEVELS.map((l) => `"${l}"`).join(", ")}`,
    }).default("info"),
    flags: field(z.record(z.string(), z.strictObject({
        defaultVariant: field(z.string().min(1), { doc: "The variant served when no targeting rule matches.", rule: "a variant of that flag in app/flags/flags.json" }),
    })), {
        doc: "Default variant per feature flag of app/flags/flags.json (its targeting rules still apply), e.g. `{\"new-checkout\": {\"defaultVariant\": \"on\"}}`. Only the flags ConfigMap changes: the app re-reads it within seconds, no restart, no rollout (a kill switch). Flags not named keep the file's default.",
        rule: "flag keys and variants of app/flags/flags.json",
    }).default({}),
    deliveryStrategy: field(z.enum(DELIVERY_STRATEGIES), {
        doc: "How a new image reaches the pods, after the image's migration Job: \"rolling\" replaces them a few at a time (maxUnavailable 0); \"canary\" and \"blueGreen\" run an Argo Rollouts Rollout (docs/delivery.md): canary shifts `canary.steps` of the traffic to the new pods while `analysis` watches their own 5xx ratio and p99 and aborts on failure; blue-green starts the new colour behind the preview Service and switches the active one after the pre-promotion analysis.",
        rule: `one of ${DELIVERY_STRATEGIES.map((s) => `"${s}"`).join(", ")}`,
    }).default("rolling"),
    canary: field(z.strictObject({
        steps: field(z.array(z.strictObject({
            weight: field(z.int().min(1).max(99), { doc: "Percent of traffic (or of pods, without an ALB) on the new version.", rule: "an integer from 1 to 99", example: 25 }),
            pause: field(z.string().regex(DURATION), { doc: "How long to hold the weight before the next step.", rule: 'a duration such as "30s", "5m" or "1h"', example: "5m" }),
        })).min(1).max(10), { doc: "The canary's steps; after the last, full promotion.", rule: "1 to 10 steps, weights strictly increasing" }),
    }).optional(), {
        doc: "Canary steps (deliveryStrategy canary only): a list of `{weight, pause}`, weights strictly increasing from 1 to 99; after the last step the new version takes all traffic. Default 5% → 25% → 50%, 5 minutes each.",
        rule: "only with deliveryStrategy canary",
    }),
    analysis: field(z.strictObject({
        enabled: field(z.boolean(), { doc: "Gate the canary steps (and the blue-green promotion) on the analysis.", rule: "true or false" }).default(true),
        maxErrorRate: field(z.number().min(0).max(1), { doc: "Highest share of the new pods' responses that may be 5xx.", rule: "a number from 0 to 1" }).default(0.01),
        maxP99Ms: field(z.int().min(1).max(60_000), { doc: "Highest p99 latency of the new pods, in milliseconds.", rule: "an integer from 1 to 60000" }).default(500),
        interval: field(z.string().regex(DURATION), { doc: "How often the analysis queries Prometheus.", rule: 'a duration such as "1m"' }).default("1m"),
        failureLimit: field(z.int().min(0).max(10), { doc: "Failed measurements tolerated; one more aborts the rollout.", rule: "an integer from 0 to 10" }).default(1),
    }).optional(), {
        doc: "The metric gate of canary and blue-green: an AnalysisTemplate querying the platform's Prometheus for the new pods' own 5xx ratio and p99 latency; a failure aborts (traffic back to the stable version, Rollout Degraded, and `pulumi up` fails at once through the release gate).",
        rule: "an object; only with deliveryStrategy canary or blueGreen",
    }),
    blueGreen: field(z.strictObject({
        autoPromotionSeconds: field(z.int().min(0).max(86_400).optional(), { doc: "Promote automatically this long after the preview colour is ready (and its analysis passed); absent = promote by hand.", rule: "an integer from 0 to 86400" }),
        scaleDownDelaySeconds: field(z.int().min(0).max(86_400), { doc: "How long the previous colour keeps running after the switch (instant rollback within it).", rule: "an integer from 0 to 86400" }).default(30),
        previewHost: field(z.string().regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/).optional(), {
            doc: "A DNS name (in your internal zone, pointed at the app's internal ALB) that reaches the preview colour: the Ingress gets a host rule to the preview Service. Absent: the preview is reached with the previewPortForward output.",
            rule: 'a lowercase DNS name such as "orders-preview.internal.example.com" (needs internalIngress true)',
        }),
    }).optional(), {
        doc: "Blue-green settings (deliveryStrategy blueGreen only).",
        rule: "only with deliveryStrategy blueGreen",
    }),
    internalIngress: field(z.boolean(), {
        doc: "Expose the app on an internal ALB (VPC only; about $16 a month) besides its ClusterIP Service.",
        rule: "true or false",
    }).default(false),
    untaggedImageExpiryDays: field(z.int().min(1).max(365), {
        doc: "Days an untagged image (a failed or superseded push) stays in the ECR repository.",
        rule: "an integer from 1 to 365",
    }).default(1),
    taggedImagesKept: field(z.int().min(1).max(1000), {
        doc: "How many tagged images the ECR repository keeps (the newest; older ones expire). Rollbacks can go back this far without a rebuild.",
        rule: "an integer from 1 to 1000",
    }).default(5),
});

export type AppConfig = z.output<typeof appSchema>;

export const appRules: Rule<{ readonly app: AppConfig }>[] = [
    // The autoscaler's range is a range.
    (c, p) => {
        const a = c.app;
        const out: ConfigProblem[] = [];
        if (a.minReplicas > a.maxReplicas) {
            out.push(problem(p, ["app", "minReplicas"], a.minReplicas, `at most maxReplicas (${a.maxReplicas})`, a.maxReplicas));
        }
        return out;
    },
    // Canary steps: weights strictly increasing.
    (c, p) => {
        const steps = c.app.canary?.steps ?? [];
        const out: ConfigProblem[] = [];
        steps.forEach((s, i) => {
            if (i > 0 && s.weight <= steps[i - 1].weight) {
                out.push(problem(p, ["app", "canary", "steps", i, "weight"], s.weight,
                    `greater than the previous step's weight (${steps[i - 1].weight}): weights strictly increase`, Math.min(99, steps[i - 1].weight + 1)));
            }
        });
        return out;
    },
    // Strategy settings only with their strategy: a canary block on a blue-green stack is a mistake, not a no-op.
    (c, p) => {
        const a = c.app;
        const out: ConfigProblem[] = [];
        const misplaced = (key: "canary" | "blueGreen" | "analysis", allowed: readonly DeliveryStrategy[]) => {
            if (a[key] !== undefined && !allowed.includes(a.deliveryStrategy)) {
                out.push({ ...problem(p, ["app", key], a[key], `set only with deliveryStrategy ${allowed.map((s) => `"${s}"`).join(" or ")} (it is "${a.deliveryStrategy}")`, null),
                    fix: `pulumi config rm --path 'platform:app.${key}' (or pulumi config set --path 'platform:app.deliveryStrategy' ${allowed[0]})` });
            }
        };
        misplaced("canary", ["canary"]);
        misplaced("blueGreen", ["blueGreen"]);
        misplaced("analysis", ["canary", "blueGreen"]);
        if (a.blueGreen?.previewHost !== undefined && !a.internalIngress) {
            out.push(problem(p, ["app", "internalIngress"], false, `true while blueGreen.previewHost is set ("${a.blueGreen.previewHost}"): the host is a rule of the app's internal ALB Ingress`, true));
        }
        return out;
    },
    // Flags and variants exist in app/flags/flags.json.
    (c, p) => {
        const known = flagVariants();
        const out: ConfigProblem[] = [];
        for (const [key, f] of Object.entries(c.app.flags)) {
            const variants = known[key];
            if (!variants) {
                out.push({ ...problem(p, ["app", "flags", key], f, `a flag of ${FLAGS_FILE_PATH} (${Object.keys(known).join(", ")})`, null),
                    fix: `pulumi config rm --path 'platform:app.flags.${key}' (or add the flag to ${FLAGS_FILE_PATH})` });
            } else if (!variants.includes(f.defaultVariant)) {
                out.push(problem(p, ["app", "flags", key, "defaultVariant"], f.defaultVariant, `one of the flag's variants (${variants.map((v) => `"${v}"`).join(", ")})`, variants[0]));
            }
        }
        return out;
    },
];

/** The flag definitions the app polls, relative to the repository root. */
export const FLAGS_FILE_PATH = "app/flags/flags.json";

/** Flag key → its variant names, from app/flags/flags.json. */
export function flagVariants(json: string = fs.readFileSync(path.resolve(__dirname, "..", "..", FLAGS_FILE_PATH), "utf8")): Record<string, string[]> {
    const flags = JSON.parse(json).flags ?? {};
    return Object.fromEntries(Object.entries(flags).map(([k, f]) => [k, Object.keys((f as { variants?: object }).variants ?? {})]));
}
