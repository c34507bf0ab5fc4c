import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { createHash } from "node:crypto";

// Building blocks shared by the stateful components (database, cache, secrets, backup).

/**
 * A name AWS accepts as an identifier of at most `maxLength` characters: lowercase letters, digits
 * and single hyphens, starting with a letter, not ending with a hyphen (the rules of RDS instance
 * identifiers and ElastiCache replication group ids). A name that is too long keeps its start and
 * gets an 8-character hash of the whole name, so it stays deterministic and distinct per stack.
 */
export function awsIdentifier(name: string, maxLength: number): string {
    const clean = (s: string) => s.toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/-{2,}/g, "-").replace(/^-+|-+$/g, "");
    let id = clean(name);
    if (!/^[a-z]/.test(id)) id = `x${id}`;
    if (id.length <= maxLength) return id;
    const hash = createHash("sha256").update(name).digest("hex").slice(0, 8);
    return `${clean(id.slice(0, maxLength - hash.length - 1))}-${hash}`;
}

/**
 * A customer-managed KMS key with yearly rotation. Deleting a key makes everything it encrypted
 * unreadable, so it is protected with the data it guards; AWS waits 7 to 30 days before deleting
 * one (the shortest wait on throwaway stacks). `region` places it in another region than the
 * provider's (a key only encrypts in its own region).
 */
export function dataKey(name: string, description: string, protect: boolean, opts: pulumi.CustomResourceOptions, region?: string): aws.kms.Key {
    const key = new aws.kms.Key(`${name}-key`, {
        description,
        enableKeyRotation: true,
        deletionWindowInDays: protect ? 30 : 7,
        region,
    }, { ...opts, protect });
    new aws.kms.Alias(`${name}-key-alias`, { name: `alias/${name}`, targetKeyId: key.keyId, region }, opts);
    return key;
}

export interface ClusterOnlySecurityGroupArgs {
    readonly vpcId: pulumi.Input<string>;
    /** The only source admitted: the EKS cluster security group (nodes and their pods). */
    readonly sourceSecurityGroupId: pulumi.Input<string>;
    /** The one TCP port admitted. */
    readonly port: number;
    /** The service behind the port, for descriptions. */
    readonly service: string;
}

/**
 * A security group for a data service that admits one TCP port from the cluster security group
 * and nothing else: no CIDR sources, no inline rules (separate rule resources, so nothing else can
 * silently add one), and no egress rules.
 */
export function clusterOnlySecurityGroup(name: string, args: ClusterOnlySecurityGroupArgs, opts: pulumi.CustomResourceOptions): aws.ec2.SecurityGroup {
    const securityGroup = new aws.ec2.SecurityGroup(`${name}-sg`, {
        vpcId: args.vpcId,
        description: `${args.service} from the EKS cluster security group only`,
        tags: { Name: `${name}-sg` },
    }, opts);
    new aws.vpc.SecurityGroupIngressRule(`${name}-from-cluster`, {
        securityGroupId: securityGroup.id,
        referencedSecurityGroupId: args.sourceSecurityGroupId,
        ipProtocol: "tcp",
        fromPort: args.port,
        toPort: args.port,
        description: `${args.service} from the cluster's nodes and pods`,
    }, opts);
    return securityGroup;
}

/**
 * The final snapshot identifier of a protected data resource, `<identifier>-final-<8 hex>`, or
 * undefined when unprotected (no final snapshot). A fixed name would collide with the snapshot the
 * previous deletion left behind, so the suffix is a RandomId (`<name>-final-snapshot-suffix`)
 * whose keepers are the resource's inputs that force its replacement: the replacement carries a
 * new name (the old one's deletion used the old name).
 */
export function finalSnapshotIdentifier(
    name: string,
    identifier: string,
    keepers: Record<string, pulumi.Input<string>>,
    protect: boolean,
    opts: pulumi.CustomResourceOptions,
): pulumi.Output<string> | undefined {
    if (!protect) return undefined;
    const suffix = new random.RandomId(`${name}-final-snapshot-suffix`, { byteLength: 4, keepers }, opts);
    return pulumi.interpolate`${identifier}-final-${suffix.hex}`;
}
