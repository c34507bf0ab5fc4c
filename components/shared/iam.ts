import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export interface ServiceTrustOptions {
    /**
     * Also allow `sts:TagSession` (EKS Pod Identity and the EKS cluster role: the service tags the
     * session it assumes, and without TagSession the assume fails).
     */
    readonly tagSession?: boolean;
    /**
     * The confused-deputy guard: only the service acting for this account may assume the role
     * (`aws:SourceAccount`, as AWS Backup and VPC Flow Logs recommend).
     */
    readonly sourceAccount?: pulumi.Input<string>;
}

/** The one statement of a service role's trust policy (key order as IAM shows it). */
function trustDocument(service: string, tagSession: boolean | undefined, sourceAccount?: pulumi.Input<string>) {
    return {
        Version: "2012-10-17",
        Statement: [{
            Effect: "Allow",
            Principal: { Service: service },
            Action: tagSession ? ["sts:AssumeRole", "sts:TagSession"] : "sts:AssumeRole",
            ...(sourceAccount !== undefined ? { Condition: { StringEquals: { "aws:SourceAccount": sourceAccount } } } : {}),
        }],
    };
}

/**
 * The trust policy of a role an AWS service assumes, e.g. `serviceTrustPolicy("ec2.amazonaws.com")`.
 * A plain JSON string, or an Output when `sourceAccount` is given (it usually is one).
 */
export function serviceTrustPolicy(service: string, options?: { readonly tagSession?: boolean; readonly sourceAccount?: undefined }): string;
export function serviceTrustPolicy(service: string, options: ServiceTrustOptions & { readonly sourceAccount: pulumi.Input<string> }): pulumi.Output<string>;
export function serviceTrustPolicy(service: string, options: ServiceTrustOptions = {}): string | pulumi.Output<string> {
    return options.sourceAccount === undefined
        ? JSON.stringify(trustDocument(service, options.tagSession))
        : pulumi.jsonStringify(trustDocument(service, options.tagSession, options.sourceAccount));
}

/** The ARN of an AWS managed policy, `name` with its path (`service-role/AWSBackupServiceRolePolicyForBackup`). */
export function managedPolicyArn(partition: pulumi.Input<string>, name: string): pulumi.Output<string> {
    return pulumi.interpolate`arn:${partition}:iam::aws:policy/${name}`;
}

export interface RoleWithPoliciesArgs {
    readonly assumeRolePolicy: pulumi.Input<string>;
    /** The role's name prefix (see roleNamePrefix); auto-named when undefined. */
    readonly namePrefix?: string;
    /** Inline policies (RolePolicy), by resource name. */
    readonly inlinePolicies?: Readonly<Record<string, pulumi.Input<string>>>;
    /** Managed policy ARNs to attach (RolePolicyAttachment), by resource name. */
    readonly managedPolicies?: Readonly<Record<string, pulumi.Input<string>>>;
}

/**
 * An IAM role with its inline policies and managed-policy attachments, every resource named by the
 * caller (so each keeps its URN), all with the same options.
 */
export function roleWithPolicies(name: string, args: RoleWithPoliciesArgs, opts: pulumi.CustomResourceOptions): {
    role: aws.iam.Role;
    policies: aws.iam.RolePolicy[];
    attachments: aws.iam.RolePolicyAttachment[];
} {
    const role = new aws.iam.Role(name, {
        ...(args.namePrefix !== undefined ? { namePrefix: args.namePrefix } : {}),
        assumeRolePolicy: args.assumeRolePolicy,
    }, opts);
    const policies = Object.entries(args.inlinePolicies ?? {}).map(([policyName, policy]) =>
        new aws.iam.RolePolicy(policyName, { role: role.id, policy }, opts));
    const attachments = Object.entries(args.managedPolicies ?? {}).map(([attachmentName, policyArn]) =>
        new aws.iam.RolePolicyAttachment(attachmentName, { role: role.name, policyArn }, opts));
    return { role, policies, attachments };
}
