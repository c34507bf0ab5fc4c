/**
 * Every policy of the platform's pack, in one list, grouped by area (policy/aws/*, policy/kubernetes/*).
 * Run them on a real deployment with `pulumi preview --policy-pack policy` (plus
 * `--policy-pack-config policy/config/prod.json` for prod); the tests serve the real pack
 * (policy/index.ts) and drive it through the SDK's analyzer, offline. docs/policy-pack.md has the table.
 *
 * This module only declares the policies: constructing a PolicyPack starts a gRPC server.
 */
import { ec2Policies } from "./aws/ec2";
import { ecrPolicies } from "./aws/ecr";
import { eksPolicies } from "./aws/eks";
import { elasticachePolicies } from "./aws/elasticache";
import { iamPolicies } from "./aws/iam";
import { logsPolicies } from "./aws/logs";
import { rdsPolicies } from "./aws/rds";
import { s3Policies } from "./aws/s3";
import { secretsPolicies } from "./aws/secrets";
import { helmPolicies } from "./kubernetes/helm";
import { namespacePolicies } from "./kubernetes/namespaces";
import { podSecurityPolicies } from "./kubernetes/pod-security";
import type { PlatformPolicy } from "./lib";
import { packConfigPolicies } from "./pack-config";

export const PACK_NAME = "platform-guardrails";

export const policies: PlatformPolicy[] = [
    ...eksPolicies,
    ...ec2Policies,
    ...ecrPolicies,
    ...rdsPolicies,
    ...elasticachePolicies,
    ...secretsPolicies,
    ...iamPolicies,
    ...s3Policies,
    ...logsPolicies,
    ...podSecurityPolicies,
    ...namespacePolicies,
    ...helmPolicies,
    ...packConfigPolicies,
];

/** The pack config prod stacks are previewed with: prod-only policies on at their level, plus prod's parameters. */
export function prodPackConfig(): Record<string, unknown> {
    const config: Record<string, unknown> = {};
    for (const p of policies) if (p.meta.scope === "prod") config[p.name] = p.meta.level;
    config["rds-automatic-backups"] = { minimumRetentionDays: 7 };
    config["pack-config-environment"] = { environment: "prod" };
    return config;
}
