import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { StackIdentity } from "../config/stack";

/**
 * The tags every AWS resource carries. They are set once, as the AWS provider's default tags, so
 * no resource can forget them; resources add only a `Name`.
 */
export function platformTags(config: StackIdentity): Record<string, string> {
    return {
        ...config.tags,
        project: config.project,
        stack: config.stack,
        environment: config.environment,
        "managed-by": "pulumi",
    };
}

/** The AWS provider every AWS resource of the platform uses: the stack's region and its tags. */
export function awsProvider(name: string, config: StackIdentity, opts?: pulumi.CustomResourceOptions): aws.Provider {
    return new aws.Provider(`${name}-aws`, {
        region: config.region as aws.Region,
        defaultTags: { tags: platformTags(config) },
    }, opts);
}

/** The AWS account and partition a stack deploys into, and the identity running Pulumi. */
export interface AwsAccount {
    readonly accountId: pulumi.Output<string>;
    /** ARN of the identity running `pulumi up` (an assumed-role session, a user or a role). */
    readonly callerArn: pulumi.Output<string>;
    readonly partition: pulumi.Output<string>;
}

const accounts = new WeakMap<pulumi.ProviderResource, AwsAccount>();

/**
 * The account and partition of the AWS provider `resource` uses, looked up once per provider (so
 * once per stack: every component gets the stack's one provider). A resource on the default
 * provider gets its own lookup.
 */
export function awsAccount(resource: pulumi.Resource): AwsAccount {
    const provider = resource.getProvider("aws:index:getCallerIdentity");
    const known = provider && accounts.get(provider);
    if (known) return known;
    const opts = provider ? { provider } : { parent: resource };
    const identity = aws.getCallerIdentityOutput({}, opts);
    const account = { accountId: identity.accountId, callerArn: identity.arn, partition: aws.getPartitionOutput({}, opts).partition };
    if (provider) accounts.set(provider, account);
    return account;
}
