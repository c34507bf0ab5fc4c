/**
 * The pack config a stack is previewed with must match the stack's environment: prod-only rules
 * are off unless the prod config (policy/config/prod.json) is given, so previewing prod without it
 * would silently skip them. The environment comes from the AWS provider's default tags, which every
 * platform resource carries (components/shared/tags.ts).
 */
import { parseJson, stackPolicy, type PlatformPolicy } from "./lib";

export const ENVIRONMENTS = ["review", "dev", "prod"] as const;

export const packConfigPolicies: PlatformPolicy[] = [
    stackPolicy({
        name: "pack-config-environment",
        control: "House rule (the pack's own config)",
        description: "A prod stack is previewed with policy/config/prod.json, and that file only on prod stacks.",
        level: "mandatory",
        scope: "all",
        severity: "critical",
        configSchema: {
            properties: {
                environment: { type: "string", enum: [...ENVIRONMENTS, ""], default: "", description: "The environment the pack config is for; policy/config/prod.json sets \"prod\"." },
            },
        },
        checks: [{
            id: "environment",
            rule: "every aws provider's defaultTags environment is prod exactly when the pack config says environment prod",
            test: (resources, { config }) => {
                const configured = String(config.environment ?? "");
                return resources.filter((r) => r.type === "pulumi:providers:aws").flatMap((provider) => {
                    const environment = parseJson<any>(provider.props.defaultTags)?.tags?.environment;
                    if ((environment === "prod") === (configured === "prod")) return [];
                    return [{
                        urn: provider.urn,
                        message: environment === "prod"
                            ? `provider ${provider.name} tags resources environment=prod but the pack config is ${JSON.stringify(configured)}: the prod-only policies did not run. Fix: pulumi preview --policy-pack policy --policy-pack-config policy/config/prod.json.`
                            : `the pack config says environment "prod" but provider ${provider.name} tags resources environment=${JSON.stringify(environment)}: prod's rules would block a ${environment ?? "non-prod"} stack. Fix: run without --policy-pack-config policy/config/prod.json.`,
                    }];
                });
            },
        }],
    }),
];
