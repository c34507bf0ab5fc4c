/** The observability layer's config section: `platform:observability`. */
import { z } from "zod";
import { field, problem, type ConfigProblem, type Rule } from "../config/engine";

export const ALERT_RECEIVERS = ["none", "slack", "webhook"] as const;
export const JAEGER_STORAGE = ["memory", "elasticsearch"] as const;
/** Secrets Manager names: 1-512 of letters, digits and /_+=.@- (CreateSecret's Name). */
export const SECRETS_MANAGER_NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;

export const observabilitySchema = z.strictObject({
    prometheusRetentionDays: field(z.int().min(1).max(365), {
        doc: "How long Prometheus keeps samples.",
        rule: "an integer from 1 to 365",
    }).default(2),
    prometheusStorageGiB: field(z.int().min(5).max(4096), {
        doc: "Prometheus persistent volume (encrypted gp3).",
        rule: "an integer from 5 to 4096 (GiB)",
    }).default(10),
    prometheusMemoryMiB: field(z.int().min(512).max(65536), {
        doc: "Memory request and limit of Prometheus (grows with the number of series: about 1 GiB for the default scrapes of a small cluster).",
        rule: "an integer from 512 to 65536 (MiB)",
    }).default(1024),
    alertmanagerStorageGiB: field(z.int().min(0).max(100), {
        doc: "Alertmanager persistent volume for silences and notification state; 0 keeps them in an emptyDir (lost when the pod moves).",
        rule: "0, or an integer from 1 to 100 (GiB)",
    }).default(0),
    alertReceiver: field(z.enum(ALERT_RECEIVERS), {
        doc: 'Where Alertmanager sends alerts: "none" (the null receiver: alerts are visible in the Alertmanager and Grafana UIs only), a Slack incoming webhook, or a generic webhook.',
        rule: 'one of "none", "slack", "webhook"',
    }).default("none"),
    alertReceiverSecretsManagerName: field(z.string().refine((v) => v === "" || SECRETS_MANAGER_NAME.test(v)), {
        doc: "Secrets Manager secret (in the stack's region) whose SecretString is the Slack or webhook URL. External Secrets syncs it into the Secret Alertmanager mounts, so the URL never enters the state; `pulumi preview` and `up` fail naming it when it does not exist. Required unless alertReceiver is none.",
        rule: 'a Secrets Manager secret name such as "platform/alertmanager-receiver" (1-512 of letters, digits and /_+=.@-), or "" with alertReceiver "none"',
        example: "platform/alertmanager-receiver",
    }).default(""),
    alertSlackChannel: field(z.string().refine((v) => v === "" || /^#[a-z0-9][a-z0-9_-]{0,79}$/.test(v)), {
        doc: "Slack channel for alertReceiver slack.",
        rule: 'a Slack channel such as "#alerts" (required with alertReceiver "slack")',
        example: "#alerts",
    }).default(""),
    grafanaStorageGiB: field(z.int().min(0).max(100), {
        doc: "Grafana persistent volume for dashboards and users created in the UI; 0 = none (dashboards and data sources are provisioned from code anyway).",
        rule: "0, or an integer from 1 to 100 (GiB)",
    }).default(0),
    elasticsearchNodeCount: field(z.int().min(1).max(9), {
        doc: "Elasticsearch nodes (each master-eligible and data). 1 has no replicas; 3 or more survive losing one node.",
        rule: "1, or an integer from 3 to 9 (two master-eligible nodes cannot elect a master when one is gone)",
    }).default(1),
    elasticsearchMemoryGiB: field(z.int().min(2).max(64), {
        doc: "Memory request and limit per Elasticsearch node (the JVM heap is half of it).",
        rule: "an integer from 2 to 64 (GiB; ECK's default and minimum useful size is 2)",
    }).default(2),
    elasticsearchStorageGiB: field(z.int().min(5).max(4096), {
        doc: "Data volume per Elasticsearch node (encrypted gp3).",
        rule: "an integer from 5 to 4096 (GiB)",
    }).default(10),
    logRetentionDays: field(z.int().min(1).max(3650), {
        doc: "Days container logs stay in Elasticsearch (ILM delete phase of the logs data streams).",
        rule: "an integer from 1 to 3650",
    }).default(3),
    jaegerStorage: field(z.enum(JAEGER_STORAGE), {
        doc: 'Where Jaeger keeps traces: "memory" (bounded, lost on restart: review stacks) or "elasticsearch" (the ELK stack\'s cluster).',
        rule: 'one of "memory", "elasticsearch"',
    }).default("memory"),
    traceRetentionDays: field(z.int().min(1).max(90), {
        doc: "Days of Jaeger indices kept in Elasticsearch (the chart's es-index-cleaner CronJob); unused with jaegerStorage memory.",
        rule: "an integer from 1 to 90",
    }).default(3),
    internalIngress: field(z.boolean(), {
        doc: "Expose Grafana and Kibana on an internal ALB (VPC only) besides kubectl port-forward.",
        rule: "true or false",
    }).default(false),
});

export type ObservabilityConfig = z.output<typeof observabilitySchema>;

export const observabilityRules: Rule<{ readonly observability: ObservabilityConfig }>[] = [
    // A receiver needs its URL secret (and Slack a channel); two Elasticsearch master-eligible
    // nodes lose their quorum with either one.
    (c, p) => {
        const o = c.observability;
        const out: ConfigProblem[] = [];
        if (o.alertReceiver !== "none" && o.alertReceiverSecretsManagerName === "") {
            out.push(problem(p, ["observability", "alertReceiverSecretsManagerName"], o.alertReceiverSecretsManagerName,
                `the name of a Secrets Manager secret whose SecretString is the receiver URL while alertReceiver is "${o.alertReceiver}"`,
                "platform/alertmanager-receiver"));
        }
        if (o.alertReceiver === "slack" && o.alertSlackChannel === "") {
            out.push(problem(p, ["observability", "alertSlackChannel"], o.alertSlackChannel,
                'a Slack channel such as "#alerts" while alertReceiver is "slack"', "#alerts"));
        }
        if (o.elasticsearchNodeCount === 2) {
            out.push(problem(p, ["observability", "elasticsearchNodeCount"], o.elasticsearchNodeCount,
                "1, or at least 3: two master-eligible nodes cannot elect a master when one is gone", 3));
        }
        return out;
    },
];
