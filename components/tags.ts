import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { PlatformConfig } from "./config";

/**
 * The tags every AWS resource carries. They are set once, as the AWS provider's default tags, so
 * no resource can forget them; resources add only a `Name`.
 */
export function platformTags(config: PlatformConfig): Record<string, string> {
    return {
        ...config.tags,
        project: config.project,
        stack: config.stack,
        environment: config.environment,
        "managed-by": "pulumi",
    };
}

/** The AWS provider every AWS resource of the platform uses: the stack's region and its tags. */
export function awsProvider(name: string, config: PlatformConfig, opts?: pulumi.CustomResourceOptions): aws.Provider {
    return new aws.Provider(`${name}-aws`, {
        region: config.region as aws.Region,
        defaultTags: { tags: platformTags(config) },
    }, opts);
}
