/** The delivery layer's config section: `platform:app` (the sample app's image and how it runs). */
import { z } from "zod";
import { field, problem, type ConfigProblem, type Rule } from "../config/engine";

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
    logLevel: field(z.enum(APP_LOG_LEVELS), {
        doc: "The app's LOG_LEVEL.",
        rule: `one of ${APP_LOG_LEVELS.map((l) => `"${l}"`).join(", ")}`,
    }).default("info"),
    newCheckoutDefaultVariant: field(z.enum(["off", "on"]), {
        doc: "Default variant of the `new-checkout` feature flag (app/flags/flags.json; its targeting rules still apply). The flags ConfigMap is updated in place and the app re-reads it within seconds, no restart.",
        rule: 'one of "off", "on"',
    }).default("off"),
    deliveryStrategy: field(z.enum(["rolling"]), {
        doc: "How a new image reaches the pods: \"rolling\" replaces them a few at a time (maxUnavailable 0), each new pod serving once ready, after the image's migration Job. The only strategy for now (canary through Argo Rollouts is not implemented).",
        rule: 'one of "rolling"',
    }).default("rolling"),
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
];
