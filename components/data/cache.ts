import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { cacheSchema, type CacheConfig } from "./config";
import { InputError, sectionProblems, type ConfigProblem } from "../config/engine";
import { awsIdentifier, clusterOnlySecurityGroup, dataKey, finalSnapshotIdentifier as snapshotIdentifier } from "./data-access";

/** Valkey/Redis port; the security group admits nothing else. */
export const VALKEY_PORT = 6379;

/**
 * The only non-alphanumeric characters ElastiCache accepts in an AUTH token
 * (https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/auth.html): the generator draws from
 * these, so a token never breaks CreateReplicationGroup.
 */
export const AUTH_TOKEN_SPECIALS = "!&#$^<>-";

/** ElastiCache AUTH tokens are 16 to 128 characters. */
export const AUTH_TOKEN_LENGTH = 32;

/**
 * The replication group id: at most 40 characters, lowercase, starting with a letter, no double or
 * trailing hyphen (CreateReplicationGroup). Long review-stack names are shortened with a hash.
 */
export function replicationGroupId(name: string): string {
    return awsIdentifier(name, 40);
}

/** The engine of the replication group. */
export const CACHE_ENGINE = "valkey";

/**
 * The inputs of the replication group that force its replacement (ForceNew in the provider's
 * aws_elasticache_replication_group schema: replication_group_id, kms_key_id, subnet_group_name,
 * port; engine and engine_version on a downgrade; at_rest_encryption_enabled is always true here):
 * the keepers of the final snapshot's name suffix.
 */
export function cacheReplacementKeepers(i: { replicationGroupId: string; engineVersion: string; kmsKeyId: pulumi.Input<string>; subnetGroupName: pulumi.Input<string> }) {
    return {
        replicationGroupId: i.replicationGroupId, engine: CACHE_ENGINE, engineVersion: i.engineVersion,
        port: String(VALKEY_PORT), kmsKeyId: i.kmsKeyId, subnetGroupName: i.subnetGroupName,
    };
}

export interface CacheArgs {
    /** The validated `cache` section of the stack config. */
    readonly config: CacheConfig;
    /** The stack's safety knob: a final snapshot and Pulumi `protect` when true. */
    readonly protect: boolean;
    readonly vpcId: pulumi.Input<string>;
    readonly isolatedSubnetIds: readonly pulumi.Input<string>[];
    /** The only source admitted on 6379: the cluster security group of the nodes and pods. */
    readonly allowedSecurityGroupId: pulumi.Input<string>;
}

/** Throws when the arguments break a rule ElastiCache would enforce only at `pulumi up`. */
export function validateCacheArgs(args: CacheArgs): void {
    const problems: ConfigProblem[] = sectionProblems("platform", "cache", cacheSchema, args.config);
    if (args.config.multiAz && args.config.nodeCount < 2) {
        problems.push({ key: "platform:cache.nodeCount", value: args.config.nodeCount, rule: "multi-AZ needs at least 2 nodes (a replica in another AZ to fail over to)", fix: "pulumi config set --path 'platform:cache.nodeCount' 2" });
    }
    if (args.config.multiAz && args.isolatedSubnetIds.length < 2) {
        problems.push({ key: "platform:network.availabilityZoneCount", value: args.isolatedSubnetIds.length, rule: `multi-AZ needs subnets in at least 2 AZs, got ${args.isolatedSubnetIds.length} isolated subnet(s)`, fix: "pulumi config set --path 'platform:network.availabilityZoneCount' 2" });
    }
    if (problems.length > 0) throw new InputError("cache", problems);
}

/**
 * A Valkey replication group (cluster mode off) in the isolated subnets. Valkey rather than Redis
 * OSS: about 20% cheaper per node, encryption at rest on by default, and AWS's recommended engine;
 * the app's ioredis client speaks to it unchanged.
 * - TLS in transit required, with an AUTH token generated here (secret in state, never an output);
 * - encryption at rest with its own KMS key;
 * - reachable on 6379 only from the cluster security group;
 * - automatic failover with 2+ nodes, multi-AZ and snapshot retention from config;
 * - a final snapshot and Pulumi `protect` only when protected.
 */
export class Cache extends pulumi.ComponentResource {
    public readonly replicationGroupId: string;
    public readonly primaryEndpointAddress: pulumi.Output<string>;
    public readonly port: pulumi.Output<number>;
    /** The AUTH token: a secret Output, for the connection secret only. */
    public readonly authToken: pulumi.Output<string>;
    public readonly kmsKeyArn: pulumi.Output<string>;
    public readonly securityGroupId: pulumi.Output<string>;
    public readonly replicationGroup: aws.elasticache.ReplicationGroup;

    constructor(name: string, args: CacheArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:data:Cache", name, {}, opts);
        validateCacheArgs(args);
        const c = args.config;
        const protect = args.protect;
        const parent = { parent: this };
        this.replicationGroupId = replicationGroupId(name);

        const key = dataKey(name, `ElastiCache data at rest of ${this.replicationGroupId}`, protect, parent);

        const securityGroup = clusterOnlySecurityGroup(name, {
            vpcId: args.vpcId,
            sourceSecurityGroupId: args.allowedSecurityGroupId,
            port: VALKEY_PORT,
            service: "Valkey",
        }, parent);

        const subnetGroup = new aws.elasticache.SubnetGroup(`${name}-subnets`, {
            subnetIds: [...args.isolatedSubnetIds],
            description: `Isolated subnets of ${this.replicationGroupId}`,
        }, parent);

        const token = new random.RandomPassword(`${name}-auth-token`, {
            length: AUTH_TOKEN_LENGTH,
            special: true,
            overrideSpecial: AUTH_TOKEN_SPECIALS,
        }, { parent: this, additionalSecretOutputs: ["result"] });

        // A new final snapshot name for every replacement: the keepers replace the suffix together
        // with the group (see cacheReplacementKeepers), so a second replacement does not collide
        // with the snapshot the first one left behind.
        const finalSnapshotIdentifier = snapshotIdentifier(name, this.replicationGroupId, cacheReplacementKeepers({
            replicationGroupId: this.replicationGroupId, engineVersion: c.engineVersion, kmsKeyId: key.arn, subnetGroupName: subnetGroup.name,
        }), protect, parent);

        this.replicationGroup = new aws.elasticache.ReplicationGroup(`${name}-valkey`, {
            replicationGroupId: this.replicationGroupId,
            description: `Valkey cache of ${name}`,
            engine: CACHE_ENGINE,
            engineVersion: c.engineVersion,
            autoMinorVersionUpgrade: true,
            nodeType: c.nodeType,
            numCacheClusters: c.nodeCount,
            port: VALKEY_PORT,
            // Failover needs a replica; multi-AZ needs failover (checked in config).
            automaticFailoverEnabled: c.nodeCount >= 2,
            multiAzEnabled: c.multiAz,
            subnetGroupName: subnetGroup.name,
            securityGroupIds: [securityGroup.id],
            atRestEncryptionEnabled: true,
            kmsKeyId: key.arn,
            // An AUTH token is accepted only with TLS; "required" refuses plaintext clients.
            transitEncryptionEnabled: true,
            transitEncryptionMode: "required",
            authToken: pulumi.secret(token.result),
            // A changed token is added next to the old one, so running clients keep working.
            authTokenUpdateStrategy: "ROTATE",
            snapshotRetentionLimit: c.snapshotRetentionDays,
            // UTC; must not overlap the maintenance window.
            snapshotWindow: "03:00-04:00",
            maintenanceWindow: "sun:05:00-sun:06:00",
            finalSnapshotIdentifier,
            tags: { Name: this.replicationGroupId },
        }, { parent: this, protect, deleteBeforeReplace: true });

        this.primaryEndpointAddress = this.replicationGroup.primaryEndpointAddress;
        this.port = this.replicationGroup.port.apply((p) => p ?? VALKEY_PORT);
        this.authToken = pulumi.secret(token.result);
        this.kmsKeyArn = key.arn;
        this.securityGroupId = securityGroup.id;
        this.registerOutputs({
            replicationGroupId: this.replicationGroupId,
            primaryEndpointAddress: this.primaryEndpointAddress,
            port: this.port,
        });
    }
}
