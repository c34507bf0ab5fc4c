/** Shared by the bootstrap project's tests: its stack files, and IAM decisions by iam-simulate. */
import * as fs from "node:fs";
import * as path from "node:path";
import { runSimulation } from "@cloud-copilot/iam-simulate";
import { parse as parseYaml } from "yaml";
import type { PolicyDocument } from "../../bootstrap/policies";
import { ACCOUNT_ID, ROOT } from "../harness";

export const BOOTSTRAP_DIR = path.join(ROOT, "bootstrap");

/** A bootstrap stack file's config as `pulumi.runtime.allConfig()` returns it. */
export function bootstrapStackValues(file = path.join(BOOTSTRAP_DIR, "Pulumi.example.yaml")): Record<string, string> {
    const doc = parseYaml(fs.readFileSync(file, "utf8"));
    return Object.fromEntries(Object.entries<unknown>(doc.config).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
}

export interface Request {
    readonly action: string;
    readonly resource: string;
    readonly context?: Record<string, string | string[]>;
    /** The resource's policy, e.g. a KMS key policy (KMS needs one that lets IAM policies grant). */
    readonly resourcePolicy?: PolicyDocument;
}

/**
 * The default key policy the state key gets (bootstrap.ts sets none): IAM policies of the account
 * decide (AWS KMS developer guide, "Default key policy").
 */
export const DEFAULT_KEY_POLICY: PolicyDocument = {
    Version: "2012-10-17",
    Statement: [{ Sid: "Enable IAM User Permissions", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT_ID}:root` }, Action: "kms:*", Resource: "*" }],
};

/**
 * IAM's decision ("Allowed", "ExplicitlyDenied", "ImplicitlyDenied") for a request by a role of
 * this account with these identity policies (and a permissions boundary). Throws when the
 * simulator rejects the input (an unknown action, a resource that does not fit the action).
 */
export async function decide(identityPolicies: readonly PolicyDocument[], request: Request, boundary?: PolicyDocument): Promise<string> {
    const result = await runSimulation({
        request: {
            principal: `arn:aws:iam::${ACCOUNT_ID}:role/platform-under-test`,
            action: request.action,
            resource: { resource: request.resource, accountId: ACCOUNT_ID },
            contextVariables: request.context ?? {},
        },
        identityPolicies: identityPolicies.map((policy, i) => ({ name: `policy-${i}`, policy })),
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        ...(request.resourcePolicy ? { resourcePolicy: request.resourcePolicy } : {}),
        ...(boundary ? { permissionBoundaryPolicies: [{ name: "boundary", policy: boundary }] } : {}),
    }, {});
    if (result.resultType === "error") throw new Error(`simulation of ${request.action} on ${request.resource} failed: ${JSON.stringify(result.errors)}`);
    return result.overallResult;
}
