import * as pulumi from "@pulumi/pulumi";
import type { PlatformConfig } from "./config";
import { Network } from "./network";
import { awsProvider } from "./tags";

/**
 * The composition of the platform: which component feeds which. Tests call this for a dev, a
 * prod and a review configuration in one process; index.ts calls it once.
 */
export function buildPlatform(config: PlatformConfig) {
    const name = `${config.project}-${config.stack}`;
    const aws = awsProvider(name, config);
    const providers = { aws };

    const network = new Network(`${name}-network`, { config: config.network, region: config.region }, { providers });

    return {
        network,
        outputs: {
            region: config.region,
            environment: config.environment,
            vpcId: network.vpcId,
            privateSubnetIds: pulumi.output(network.privateSubnetIds),
            isolatedSubnetIds: pulumi.output(network.isolatedSubnetIds),
        },
    };
}

export type Platform = ReturnType<typeof buildPlatform>;
