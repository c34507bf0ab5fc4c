/** CloudWatch Logs: AWS FSBP CloudWatch.16 and the cost rule that every log group expires. */
import { resourcePolicy, show, type PlatformPolicy } from "../lib";

const LOG_GROUP = ["aws:cloudwatch/logGroup:LogGroup"];

export const logsPolicies: PlatformPolicy[] = [
    resourcePolicy({
        name: "cloudwatch-log-group-expires",
        control: "House rule (cost: CloudWatch Logs storage)",
        description: "Every log group has a retention (never-expire groups grow storage cost forever).",
        level: "mandatory",
        scope: "all",
        severity: "low",
        types: LOG_GROUP,
        checks: [{
            id: "retention-set",
            rule: "retentionInDays is set and not 0 (0 and unset mean never expire)",
            test: (p) => Number(p.retentionInDays ?? 0) > 0 ? undefined : `retentionInDays is ${show(p.retentionInDays)}: the logs never expire. Fix: set a retention from the stack config.`,
        }],
    }),
    resourcePolicy({
        name: "cloudwatch-log-retention-minimum",
        control: "AWS FSBP CloudWatch.16",
        description: "Prod log groups keep logs at least minimumRetentionDays (config, default 365, Security Hub's default).",
        level: "advisory",
        scope: "prod",
        reason: "prod keeps the EKS control-plane logs and the RDS postgresql/upgrade logs 90 days (platform:cluster.logRetentionDays, platform:database.logRetentionDays) while Security Hub's default asks for 365: finding reported to the lead (raise them, or set this policy's minimumRetentionDays to the agreed period); dev and review keep logs days on purpose.",
        severity: "low",
        configSchema: { properties: { minimumRetentionDays: { type: "integer", minimum: 1, default: 365, description: "Fewest days a log group keeps its events." } } },
        types: LOG_GROUP,
        checks: [{
            id: "retention-minimum",
            rule: "retentionInDays is 0/unset (never expire) or at least minimumRetentionDays",
            test: (p, { config }) => {
                const min = Number(config.minimumRetentionDays ?? 365);
                const days = Number(p.retentionInDays ?? 0);
                return days === 0 || days >= min ? undefined : `retentionInDays is ${days}, below ${min}. Fix: raise the retention of ${show(p.name ?? "this log group")} to ${min} days.`;
            },
        }],
    }),
];
