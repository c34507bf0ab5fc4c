import * as assert from "node:assert/strict";
import { Cache, replicationGroupId } from "../../components/data/cache";
import { cacheSchema } from "../../components/data/config";
import { type ConfigProblem } from "../../components/config";
import { buildStack, configProblems, isSecret, readStackValues, reveal, reviewProblems, settle, startCapture, valueOf, withOverrides, type Built } from "../harness";

const GROUP = "aws:elasticache/replicationGroup:ReplicationGroup";
const SUBNET_GROUP = "aws:elasticache/subnetGroup:SubnetGroup";
const SG = "aws:ec2/securityGroup:SecurityGroup";
const INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";
const EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule";
const PASSWORD = "random:index/randomPassword:RandomPassword";
const RANDOM_ID = "random:index/randomId:RandomId";
const KEY = "aws:kms/key:Key";

const groupOf = (b: Built) => b.capture.one(GROUP, "-cache-valkey");

/**
 * The only non-alphanumeric characters ElastiCache accepts in an AUTH token, from AWS's rules
 * (ElastiCache user guide, "Authenticating with the Valkey and Redis OSS AUTH command": "The only
 * permitted printable special characters are !, &, #, $, ^, <, >, and -").
 */
const ELASTICACHE_AUTH_SPECIALS = "!&#$^<>-";

describe("cache", () => {
    let dev: Built;
    let prod: Built;
    let review: Built;
    let reviewProtected: Built;

    before(async () => {
        dev = await buildStack("dev");
        prod = await buildStack("prod");
        review = await buildStack("pr-1");
        reviewProtected = await buildStack("pr-1", { "platform:protect": true });
    });

    it("is a Valkey replication group with a description", () => {
        for (const b of [dev, prod, review]) {
            const i = groupOf(b).inputs;
            assert.equal(i.engine, "valkey");
            assert.equal(i.engineVersion, "8.2");
            assert.equal(i.autoMinorVersionUpgrade, true);
            // Required and non-empty (CreateReplicationGroup); names the stack's cache.
            assert.equal(i.description, `Valkey cache of platform-${b.config.stack}-cache`);
            assert.equal(i.port, 6379);
        }
    });

    it("encrypts at rest with its own KMS key and requires TLS in transit", async () => {
        for (const b of [dev, prod, review]) {
            const i = groupOf(b).inputs;
            assert.equal(i.atRestEncryptionEnabled, true);
            assert.equal(i.kmsKeyId, await valueOf(b.platform.cache.kmsKeyArn));
            assert.equal(b.capture.one(KEY, `-${b.config.stack}-cache-key`).inputs.enableKeyRotation, true);
            assert.equal(i.transitEncryptionEnabled, true);
            assert.equal(i.transitEncryptionMode, "required");
        }
    });

    it("sets an AUTH token (only with TLS) from a secret RandomPassword of 32 characters ElastiCache accepts", () => {
        for (const b of [dev, prod, review]) {
            const group = groupOf(b);
            const password = b.capture.one(PASSWORD, "-cache-auth-token");
            assert.ok(isSecret(group.inputs.authToken), "authToken must be a secret in state");
            assert.equal(group.inputs.transitEncryptionEnabled, true);
            assert.deepEqual(group.propertyDependencies.authToken, [password.urn]);
            const p = reveal(password.inputs);
            // 16 to 128 characters are allowed; 32 is the generator's length.
            assert.equal(p.length, 32);
            assert.equal(p.special, true);
            for (const ch of p.overrideSpecial) assert.ok(ELASTICACHE_AUTH_SPECIALS.includes(ch), `ElastiCache rejects ${ch} in an AUTH token`);
            // The whole alphabet: letters and digits (random's defaults, none turned off) plus the specials.
            for (const set of ["upper", "lower", "numeric"]) assert.notEqual(p[set], false, `${set} turned off`);
            const alphabet = `ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789${p.overrideSpecial}`;
            for (const forbidden of ["@", "/", '"', " "]) assert.ok(!alphabet.includes(forbidden), `the token could contain ${JSON.stringify(forbidden)}`);
        }
    });

    it("sits in the isolated subnets and admits 6379/tcp from the cluster security group only", async () => {
        for (const [b, azCount] of [[dev, 3], [prod, 3], [review, 2]] as const) {
            const subnets = b.capture.one(SUBNET_GROUP, "-cache-subnets");
            const stack = b.config.stack;
            assert.equal(b.config.network.availabilityZoneCount, azCount);
            assert.deepEqual(subnets.inputs.subnetIds, await Promise.all(b.platform.network.isolatedSubnetIds.map(valueOf)));
            assert.equal(subnets.inputs.subnetIds.length, b.config.network.availabilityZoneCount);
            assert.deepEqual(subnets.propertyDependencies.subnetIds, [...Array(azCount).keys()].map((n) =>
                `urn:pulumi:${stack}::platform::platform:network:Network$aws:ec2/subnet:Subnet::platform-${stack}-network-isolated-${n}`));
            assert.equal(groupOf(b).inputs.subnetGroupName, subnets.name);
            const sg = b.capture.one(SG, "-cache-sg");
            assert.equal(sg.inputs.ingress, undefined);
            assert.equal(sg.inputs.egress, undefined);
            assert.deepEqual(groupOf(b).propertyDependencies.securityGroupIds, [sg.urn]);
            const rules = b.capture.ofType(INGRESS).filter((r) => r.propertyDependencies.securityGroupId?.includes(sg.urn));
            assert.equal(rules.length, 1);
            const { description, securityGroupId, ...rule } = rules[0].inputs;
            assert.equal(description, "Valkey from the cluster's nodes and pods");
            assert.deepEqual(rules[0].propertyDependencies.securityGroupId, [sg.urn]);
            assert.deepEqual(rule, {
                referencedSecurityGroupId: await valueOf(b.platform.cluster.clusterSecurityGroupId),
                ipProtocol: "tcp",
                fromPort: 6379,
                toPort: 6379,
            });
            assert.equal(b.capture.ofType(EGRESS).filter((r) => r.propertyDependencies.securityGroupId?.includes(sg.urn)).length, 0);
        }
    });

    it("takes nodes, failover, multi-AZ and snapshots from the stack files", () => {
        const pick = (b: Built) => {
            const i = groupOf(b).inputs;
            return [i.nodeType, i.numCacheClusters, i.automaticFailoverEnabled, i.multiAzEnabled, i.snapshotRetentionLimit];
        };
        assert.deepEqual(pick(dev), ["cache.t4g.micro", 1, false, false, 1]);
        assert.deepEqual(pick(prod), ["cache.m7g.large", 2, true, true, 7]);
        assert.deepEqual(pick(review), ["cache.t4g.micro", 1, false, false, 0]);
    });

    it("protected: a final snapshot with a unique name and Pulumi protect", () => {
        for (const b of [prod, reviewProtected]) {
            const group = groupOf(b);
            const suffix = b.capture.one(RANDOM_ID, "-cache-final-snapshot-suffix");
            assert.equal(group.inputs.finalSnapshotIdentifier, `${group.inputs.replicationGroupId}-final-0a1b2c3d`);
            assert.deepEqual(group.propertyDependencies.finalSnapshotIdentifier, [suffix.urn]);
            // Replaced with the group: the keepers are the group's inputs that force a replacement.
            assert.deepEqual(suffix.inputs.keepers, {
                replicationGroupId: group.inputs.replicationGroupId,
                engine: group.inputs.engine,
                engineVersion: group.inputs.engineVersion,
                port: String(group.inputs.port),
                kmsKeyId: group.inputs.kmsKeyId,
                subnetGroupName: group.inputs.subnetGroupName,
            });
            assert.deepEqual([...suffix.propertyDependencies.keepers].sort(), [
                b.capture.one(KEY, `-${b.config.stack}-cache-key`).urn, b.capture.one(SUBNET_GROUP, "-cache-subnets").urn,
            ].sort());
            assert.equal(group.protect, true);
            assert.equal(b.capture.one(KEY, `-${b.config.stack}-cache-key`).protect, true);
        }
    });

    it("unprotected: no final snapshot, no Pulumi protect", () => {
        for (const b of [dev, review]) {
            const group = groupOf(b);
            assert.equal(group.inputs.finalSnapshotIdentifier, undefined);
            assert.equal(group.protect, false);
            assert.equal(b.capture.ofType(RANDOM_ID).filter((r) => r.name.includes("-cache-")).length, 0);
        }
    });

    it("derives a replication group id of at most 40 lowercase characters, even for a 40+ character component name", async () => {
        const name = "platform-pr-123456789012345678901234567890-cache";
        const capture = await startCapture("pr-9");
        new Cache(name, {
            config: cacheSchema.parse({}), protect: false, vpcId: "vpc-1", isolatedSubnetIds: ["a", "b"], allowedSecurityGroupId: "sg-1",
        });
        await settle();
        const id = capture.one(GROUP, "-cache-valkey").inputs.replicationGroupId as string;
        assert.ok(id.length <= 40, id);
        assert.match(id, /^[a-z][a-z0-9-]*[a-z0-9]$/);
        assert.doesNotMatch(id, /--/);
        assert.ok(id.startsWith("platform-pr-1234567890123456"), id);
        assert.equal(groupOf(review).inputs.replicationGroupId, "platform-pr-1-cache");
        // Two long names that differ only past the cut get different ids (the hash of the whole name).
        assert.notEqual(replicationGroupId(`platform-pr-1234567890123456789012345678901-cache`), id);
    });

    it("refuses multi-AZ with one node when called without parseConfig", async () => {
        await startCapture("pr-9");
        assert.throws(() => new Cache("c", {
            config: { ...cacheSchema.parse({}), multiAz: true, nodeCount: 1 }, protect: false,
            vpcId: "vpc-1", isolatedSubnetIds: ["a", "b"], allowedSecurityGroupId: "sg-1",
        }), /multi-AZ needs at least 2 nodes/);
        await settle();
    });

    it("refuses multi-AZ with subnets in one AZ when called without parseConfig", async () => {
        await startCapture("pr-9");
        assert.throws(() => new Cache("c", {
            config: { ...cacheSchema.parse({}), multiAz: true, nodeCount: 2 }, protect: false,
            vpcId: "vpc-1", isolatedSubnetIds: ["a"], allowedSecurityGroupId: "sg-1",
        }), /multi-AZ needs subnets in at least 2 AZs, got 1/);
        await settle();
    });
});

describe("cache config", () => {
    const cases: Array<{ title: string; cache: Record<string, unknown>; problems: ConfigProblem[] }> = [
        {
            title: "multi-AZ with one node",
            cache: { multiAz: true, nodeCount: 1 },
            problems: [{
                key: "platform:cache.nodeCount", value: 1,
                rule: "at least 2 while cache.multiAz is true (automatic failover needs a replica in another AZ)",
                fix: "pulumi config set --path 'platform:cache.nodeCount' 2",
            }],
        },
        {
            title: "a node type without the cache. prefix",
            cache: { nodeType: "t4g.micro" },
            problems: [{
                key: "platform:cache.nodeType", value: "t4g.micro",
                rule: "an ElastiCache node type: cache.t3 or cache.t4g in size micro, small or medium, or an m/r/c family (cache.m7g, cache.r7g, ...) in size large or Nxlarge",
                fix: "pulumi config set --path 'platform:cache.nodeType' cache.t4g.micro",
            }],
        },
        {
            title: "a burstable size ElastiCache does not offer",
            cache: { nodeType: "cache.t4g.large" },
            problems: [{
                key: "platform:cache.nodeType", value: "cache.t4g.large",
                rule: "an ElastiCache node type: cache.t3 or cache.t4g in size micro, small or medium, or an m/r/c family (cache.m7g, cache.r7g, ...) in size large or Nxlarge",
                fix: "pulumi config set --path 'platform:cache.nodeType' cache.t4g.micro",
            }],
        },
        {
            title: "snapshots kept longer than ElastiCache allows",
            cache: { snapshotRetentionDays: 36 },
            problems: [{
                key: "platform:cache.snapshotRetentionDays", value: 36, rule: "an integer from 0 to 35",
                fix: "pulumi config set --path 'platform:cache.snapshotRetentionDays' 0",
            }],
        },
        {
            title: "more nodes than a replication group holds",
            cache: { nodeCount: 7 },
            problems: [{
                key: "platform:cache.nodeCount", value: 7, rule: "an integer from 1 to 6 (at least 2 with multiAz)",
                fix: "pulumi config set --path 'platform:cache.nodeCount' 1",
            }],
        },
        {
            title: "a Redis OSS version for the Valkey engine",
            cache: { engineVersion: "7.1" },
            problems: [{
                key: "platform:cache.engineVersion", value: "7.1", rule: 'one of "8.2", "9.0"',
                fix: "pulumi config set --path 'platform:cache.engineVersion' 8.2",
            }],
        },
    ];
    for (const c of cases) {
        it(`refuses ${c.title}`, () => {
            assert.deepEqual(reviewProblems({ "platform:cache": c.cache }), c.problems);
        });
    }

    it("refuses a prod stack that keeps no cache snapshots", () => {
        const { values } = readStackValues("prod");
        const cache = { ...JSON.parse(values["platform:cache"]), snapshotRetentionDays: 0 };
        assert.deepEqual(configProblems("prod", withOverrides("prod", { "platform:cache": cache })), [{
            key: "platform:cache.snapshotRetentionDays", value: 0,
            rule: "at least 1 (required in prod: a daily snapshot to restore the cache from)",
            fix: "pulumi config set --path 'platform:cache.snapshotRetentionDays' 7",
        }]);
    });
});
