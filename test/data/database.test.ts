import * as assert from "node:assert/strict";
import { databaseSchema } from "../../components/data/config";
import { type ConfigProblem } from "../../components/config";
import { awsIdentifier } from "../../components/data/data-access";
import { Database, dbInstanceIdentifier, POSTGRES_LOG_EXPORTS, storageAutoscalingMaximum } from "../../components/data/database";
import { buildWithOptions } from "../cluster/support";
import { buildStack, reviewProblems, settle, startCapture, valueOf, type Built } from "../harness";

const INSTANCE = "aws:rds/instance:Instance";
const PARAMS = "aws:rds/parameterGroup:ParameterGroup";
const SUBNET_GROUP = "aws:rds/subnetGroup:SubnetGroup";
const SG = "aws:ec2/securityGroup:SecurityGroup";
const INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";
const EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule";
const KEY = "aws:kms/key:Key";
const RANDOM_ID = "random:index/randomId:RandomId";
const LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup";




const dbOf = (b: Built) => b.capture.one(INSTANCE, "-database-db");

describe("database", () => {
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

    it("runs PostgreSQL 17 (a major only) with minor auto-upgrades and no paid extended support", () => {
        for (const b of [dev, prod, review]) {
            const i = dbOf(b).inputs;
            assert.equal(i.engine, "postgres");
            assert.equal(i.engineVersion, "17");
            assert.equal(i.autoMinorVersionUpgrade, true);
            assert.equal(i.engineLifecycleSupport, "open-source-rds-extended-support-disabled");
        }
    });

    it("encrypts gp3 storage, Performance Insights and the master secret with the database's own KMS key", async () => {
        for (const b of [dev, prod, review]) {
            const i = dbOf(b).inputs;
            const keyArn = await valueOf(b.platform.database.kmsKeyArn);
            assert.equal(b.capture.one(KEY, `${b.config.stack}-database-key`).inputs.enableKeyRotation, true);
            assert.equal(i.storageType, "gp3");
            assert.equal(i.storageEncrypted, true);
            assert.equal(i.kmsKeyId, keyArn);
            assert.equal(i.performanceInsightsEnabled, true);
            assert.equal(i.performanceInsightsKmsKeyId, keyArn);
            assert.equal(i.masterUserSecretKmsKeyId, keyArn);
        }
    });

    it("lets RDS manage the master password: no password input anywhere", () => {
        for (const b of [dev, prod, review]) {
            const i = dbOf(b).inputs;
            assert.equal(i.manageMasterUserPassword, true);
            assert.equal(i.password, undefined);
            assert.equal(i.passwordWo, undefined);
            assert.equal(i.username, "orders_admin");
            assert.equal(i.dbName, "orders");
        }
    });

    it("sits in the isolated subnets (one per AZ, >= 2 AZs), not publicly accessible", async () => {
        for (const [b, azCount] of [[dev, 3], [prod, 3], [review, 2]] as const) {
            const i = dbOf(b).inputs;
            assert.equal(i.publiclyAccessible, false);
            const group = b.capture.one(SUBNET_GROUP, "-database-subnets");
            const stack = b.config.stack;
            assert.equal(b.config.network.availabilityZoneCount, azCount);
            const azs = [...Array(azCount).keys()];
            assert.deepEqual(group.inputs.subnetIds, await Promise.all(b.platform.network.isolatedSubnetIds.map(valueOf)));
            assert.equal(group.inputs.subnetIds.length, b.config.network.availabilityZoneCount);
            assert.deepEqual(group.propertyDependencies.subnetIds,
                azs.map((n) => `urn:pulumi:${stack}::platform::platform:network:Network$aws:ec2/subnet:Subnet::platform-${stack}-network-isolated-${n}`));
            assert.equal(i.dbSubnetGroupName, group.name);
            assert.deepEqual(dbOf(b).propertyDependencies.dbSubnetGroupName, [group.urn]);
        }
    });

    it("admits 5432/tcp from the cluster security group only: one rule, no CIDR, no egress", async () => {
        for (const b of [dev, prod, review]) {
            const sg = b.capture.one(SG, "-database-sg");
            assert.equal(sg.inputs.ingress, undefined);
            assert.equal(sg.inputs.egress, undefined);
            const rules = b.capture.ofType(INGRESS).filter((r) => r.propertyDependencies.securityGroupId?.includes(sg.urn));
            assert.equal(rules.length, 1);
            const { description, securityGroupId, ...rule } = rules[0].inputs;
            assert.equal(description, "PostgreSQL from the cluster's nodes and pods");
            assert.deepEqual(rules[0].propertyDependencies.securityGroupId, [sg.urn]);
            assert.deepEqual(rule, {
                referencedSecurityGroupId: await valueOf(b.platform.cluster.clusterSecurityGroupId),
                ipProtocol: "tcp",
                fromPort: 5432,
                toPort: 5432,
            });
            assert.equal(b.capture.ofType(EGRESS).filter((r) => r.propertyDependencies.securityGroupId?.includes(sg.urn)).length, 0);
            assert.deepEqual(dbOf(b).propertyDependencies.vpcSecurityGroupIds, [sg.urn]);
        }
    });

    it("forces TLS with a postgres17 parameter group (rds.force_ssl=1, pending-reboot)", () => {
        for (const b of [dev, prod, review]) {
            const params = b.capture.one(PARAMS, "-database-params-postgres17");
            assert.equal(params.inputs.family, "postgres17");
            assert.deepEqual(params.inputs.parameters, [{ name: "rds.force_ssl", value: "1", applyMethod: "pending-reboot" }]);
            assert.deepEqual(dbOf(b).propertyDependencies.parameterGroupName, [params.urn]);
            // The group's family is the instance's major version (RDS refuses another family).
            assert.equal(params.inputs.family, `postgres${dbOf(b).inputs.engineVersion}`);
        }
    });

    it("follows the major version into the parameter group family", async () => {
        const b = await buildStack("pr-1", { "platform:database": { engineVersion: "16" } });
        assert.equal(b.capture.one(PARAMS, "-database-params-postgres16").inputs.family, "postgres16");
        assert.equal(dbOf(b).inputs.engineVersion, "16");
    });

    it("bumps the major version with a new parameter group beside the old, applied at once (issue 12, item 17)", async () => {
        const v16 = await buildWithOptions("pr-1", { "platform:database": { engineVersion: "16" } });
        const v17 = await buildWithOptions("pr-1");
        const groupOf = (b: Built) => b.capture.ofType(PARAMS).map((g) => g.name);
        // A different logical resource per major: Pulumi creates the postgres17 group, updates the
        // instance and only then deletes the postgres16 group, which is no longer attached.
        assert.deepEqual(groupOf(v16), ["platform-pr-1-database-params-postgres16"]);
        assert.deepEqual(groupOf(v17), ["platform-pr-1-database-params-postgres17"]);
        for (const b of [v16, v17]) {
            const i = dbOf(b).inputs;
            // Version and group go out in one ModifyDBInstance, now: a deferred change would keep
            // the old group attached while Pulumi deletes it.
            assert.equal(i.applyImmediately, true);
            assert.equal(i.allowMajorVersionUpgrade, true);
            assert.equal(b.options.get(groupOf(b)[0])!.deleteBeforeReplace, false);
            // The instance keeps its identifier: updated in place, never replaced for a version bump.
            assert.equal(b.options.get("platform-pr-1-database-db")!.deleteBeforeReplace, true);
        }
    });

    it("sends no storage maximum when it equals the allocation (autoscaling off, issue 12, item 16)", async () => {
        assert.equal(storageAutoscalingMaximum(20, 20), undefined);
        assert.equal(storageAutoscalingMaximum(20, 21), 21);
        const b = await buildStack("pr-1", { "platform:database": { allocatedStorageGiB: 30, maxAllocatedStorageGiB: 30 } });
        assert.equal(dbOf(b).inputs.allocatedStorage, 30);
        assert.equal("maxAllocatedStorage" in dbOf(b).inputs, false);
    });

    it("keeps backups for point-in-time recovery as long as each stack file says", () => {
        assert.equal(dbOf(dev).inputs.backupRetentionPeriod, 3);
        assert.equal(dbOf(prod).inputs.backupRetentionPeriod, 14);
        assert.equal(dbOf(review).inputs.backupRetentionPeriod, 1);
        for (const b of [dev, prod, review]) {
            assert.equal(dbOf(b).inputs.backupWindow, "03:00-04:00");
            assert.equal(dbOf(b).inputs.copyTagsToSnapshot, true);
        }
    });

    it("takes size, class, multi-AZ and insights retention from the stack files", () => {
        const pick = (b: Built) => {
            const i = dbOf(b).inputs;
            return [i.instanceClass, i.allocatedStorage, i.maxAllocatedStorage, i.multiAz, i.performanceInsightsRetentionPeriod];
        };
        assert.deepEqual(pick(dev), ["db.t4g.small", 20, 50, false, 7]);
        assert.deepEqual(pick(prod), ["db.m7g.large", 100, 500, true, 31]);
        assert.deepEqual(pick(review), ["db.t4g.micro", 20, 50, false, 7]);
    });

    it("exports postgresql and upgrade logs into log groups it owns, with a retention", () => {
        for (const [b, days] of [[dev, 14], [prod, 90], [review, 7]] as const) {
            const db = dbOf(b);
            assert.deepEqual(db.inputs.enabledCloudwatchLogsExports, ["postgresql", "upgrade"]);
            for (const type of POSTGRES_LOG_EXPORTS) {
                const group = b.capture.one(LOG_GROUP, `-database-log-${type}`);
                assert.equal(group.inputs.name, `/aws/rds/instance/${db.inputs.identifier}/${type}`);
                assert.equal(group.inputs.retentionInDays, days);
                assert.ok(b.capture.dependsOn(db, group), `the instance must be created after ${group.name}`);
            }
        }
    });

    it("protected: deletion protection, a unique final snapshot, automated backups kept, Pulumi protect", async () => {
        for (const b of [prod, reviewProtected]) {
            const db = dbOf(b);
            const suffix = b.capture.one(RANDOM_ID, "-database-final-snapshot-suffix");
            assert.equal(suffix.inputs.byteLength, 4);
            assert.equal(db.inputs.deletionProtection, true);
            assert.equal(db.inputs.skipFinalSnapshot, false);
            // The suffix is the RandomId's hex (the mock's "0a1b2c3d"): new on every destroy and create.
            assert.equal(db.inputs.finalSnapshotIdentifier, `${db.inputs.identifier}-final-0a1b2c3d`);
            assert.deepEqual(db.propertyDependencies.finalSnapshotIdentifier, [suffix.urn]);
            assert.equal(db.inputs.deleteAutomatedBackups, false);
            assert.equal(db.protect, true);
            // The suffix is replaced with the instance: its keepers are the inputs that force a
            // replacement, so a second replacement does not reuse the first one's snapshot name.
            assert.deepEqual(suffix.inputs.keepers, {
                identifier: db.inputs.identifier,
                engine: db.inputs.engine,
                dbName: db.inputs.dbName,
                username: db.inputs.username,
                kmsKeyId: db.inputs.kmsKeyId,
            });
            assert.deepEqual(suffix.propertyDependencies.keepers, [b.capture.one(KEY, `-${b.config.stack}-database-key`).urn]);
            assert.equal(b.capture.one(KEY, `-${b.config.stack}-database-key`).protect, true);
            assert.equal(b.capture.one(KEY, `-${b.config.stack}-database-key`).inputs.deletionWindowInDays, 30);
        }
    });

    it("unprotected: destroyable at once with no snapshot (dev, review)", () => {
        for (const b of [dev, review]) {
            const db = dbOf(b);
            assert.equal(db.inputs.deletionProtection, false);
            assert.equal(db.inputs.skipFinalSnapshot, true);
            assert.equal(db.inputs.finalSnapshotIdentifier, undefined);
            assert.equal(db.inputs.deleteAutomatedBackups, true);
            assert.equal(db.protect, false);
            assert.equal(b.capture.ofType(RANDOM_ID).filter((r) => r.name.includes("-database-")).length, 0);
            assert.equal(b.capture.one(KEY, `-${b.config.stack}-database-key`).protect, false);
            assert.equal(b.capture.one(KEY, `-${b.config.stack}-database-key`).inputs.deletionWindowInDays, 7);
        }
    });

    it("derives an instance identifier RDS accepts, even from a 63+ character component name", async () => {
        const name = `platform-pr-${"1234567890".repeat(6)}-database`;
        assert.ok(name.length > 63);
        const capture = await startCapture("pr-9");
        new Database(name, {
            config: databaseSchema.parse({}), protect: false, vpcId: "vpc-1", isolatedSubnetIds: ["subnet-a", "subnet-b"], allowedSecurityGroupId: "sg-1",
        });
        await settle();
        const id = capture.one(INSTANCE, "-database-db").inputs.identifier as string;
        assert.ok(id.length <= 63, id);
        assert.match(id, /^[a-z][a-z0-9-]*[a-z0-9]$/);
        assert.doesNotMatch(id, /--/);
        // The start of the name and 8 hex digits of its hash, exactly 63 characters.
        assert.equal(id, "platform-pr-123456789012345678901234567890123456789012-8ae47213");
        assert.equal(id.length, 63);
        assert.equal(dbInstanceIdentifier(name), id);
        assert.equal(dbOf(review).inputs.identifier, "platform-pr-1-database");
        // Deterministic (pinned literals) and distinct per name.
        assert.equal(awsIdentifier("x".repeat(80), 63), `${"x".repeat(54)}-d929cdee`);
        assert.equal(awsIdentifier(`${"a".repeat(70)}-1`, 63), `${"a".repeat(54)}-3becd97d`);
        assert.equal(awsIdentifier(`${"a".repeat(70)}-2`, 63), `${"a".repeat(54)}-f4fbc893`);
        assert.equal(awsIdentifier("9lives", 63), "x9lives");
    });

    it("refuses a DB subnet group in fewer than 2 AZs before registering anything", async () => {
        await startCapture("pr-9");
        assert.throws(() => new Database("db", {
            config: databaseSchema.parse({}), protect: false, vpcId: "vpc-1", isolatedSubnetIds: ["subnet-a"], allowedSecurityGroupId: "sg-1",
        }), /a DB subnet group needs subnets in at least 2 AZs, got 1 isolated subnet/);
        await settle();
    });

    it("refuses a database name RDS rejects, naming database.name, even when called without parseConfig", async () => {
        await startCapture("pr-9");
        assert.throws(() => new Database("db", {
            config: { ...databaseSchema.parse({}), name: "orders-db" }, protect: false, vpcId: "vpc-1",
            isolatedSubnetIds: ["subnet-a", "subnet-b"], allowedSecurityGroupId: "sg-1",
        }), /database\.name/);
        await settle();
    });

    it("refuses a master username RDS reserves, even when called without parseConfig", async () => {
        await startCapture("pr-9");
        assert.throws(() => new Database("db", {
            config: { ...databaseSchema.parse({}), masterUsername: "admin" }, protect: false, vpcId: "vpc-1",
            isolatedSubnetIds: ["subnet-a", "subnet-b"], allowedSecurityGroupId: "sg-1",
        }), /database\.masterUsername/);
        await settle();
    });
});

describe("database config", () => {
    const KEY_PREFIX = "platform:database";
    const cases: Array<{ title: string; database: Record<string, unknown>; protect?: boolean; problems: ConfigProblem[] }> = [
        {
            title: "an instance class without the db. prefix",
            database: { instanceClass: "t4g.micro" },
            problems: [{
                key: `${KEY_PREFIX}.instanceClass`, value: "t4g.micro",
                rule: "an RDS for PostgreSQL instance class: db.t3 or db.t4g in size micro, small, medium, large, xlarge or 2xlarge, or an m/r/x family (db.m7g, db.r7g, db.m7i, ...) in size large or Nxlarge",
                fix: "pulumi config set --path 'platform:database.instanceClass' db.t4g.micro",
            }],
        },
        {
            title: "a micro size of a non-burstable family",
            database: { instanceClass: "db.m7g.micro" },
            problems: [{
                key: `${KEY_PREFIX}.instanceClass`, value: "db.m7g.micro",
                rule: "an RDS for PostgreSQL instance class: db.t3 or db.t4g in size micro, small, medium, large, xlarge or 2xlarge, or an m/r/x family (db.m7g, db.r7g, db.m7i, ...) in size large or Nxlarge",
                fix: "pulumi config set --path 'platform:database.instanceClass' db.t4g.micro",
            }],
        },
        {
            title: "a retired burstable family",
            database: { instanceClass: "db.t2.micro" },
            problems: [{
                key: `${KEY_PREFIX}.instanceClass`, value: "db.t2.micro",
                rule: "an RDS for PostgreSQL instance class: db.t3 or db.t4g in size micro, small, medium, large, xlarge or 2xlarge, or an m/r/x family (db.m7g, db.r7g, db.m7i, ...) in size large or Nxlarge",
                fix: "pulumi config set --path 'platform:database.instanceClass' db.t4g.micro",
            }],
        },
        {
            title: "backups kept longer than RDS allows",
            database: { backupRetentionDays: 36 },
            problems: [{
                key: `${KEY_PREFIX}.backupRetentionDays`, value: 36,
                rule: "an integer from 1 to 35 (0 would turn off point-in-time recovery)",
                fix: "pulumi config set --path 'platform:database.backupRetentionDays' 1",
            }],
        },
        {
            title: "no backups (no point-in-time recovery)",
            database: { backupRetentionDays: 0 },
            problems: [{
                key: `${KEY_PREFIX}.backupRetentionDays`, value: 0,
                rule: "an integer from 1 to 35 (0 would turn off point-in-time recovery)",
                fix: "pulumi config set --path 'platform:database.backupRetentionDays' 1",
            }],
        },
        {
            title: "a Performance Insights retention RDS refuses",
            database: { performanceInsightsRetentionDays: 30 },
            problems: [{
                key: `${KEY_PREFIX}.performanceInsightsRetentionDays`, value: 30,
                rule: "7, a multiple of 31 from 31 to 713, or 731 (RDS's allowed values)",
                fix: "pulumi config set --path 'platform:database.performanceInsightsRetentionDays' 7",
            }],
        },
        {
            title: "a database name with a hyphen",
            database: { name: "order-service" },
            problems: [{
                key: `${KEY_PREFIX}.name`, value: "order-service",
                rule: "1 to 63 letters, digits or underscores starting with a letter (RDS rejects hyphens), not postgres, template0, template1 or rdsadmin",
                fix: "pulumi config set --path 'platform:database.name' orders",
            }],
        },
        ...["admin", "rdsadmin", "pg_app"].map((masterUsername) => ({
            title: `the reserved master username ${masterUsername}`,
            database: { masterUsername },
            problems: [{
                key: `${KEY_PREFIX}.masterUsername`, value: masterUsername,
                rule: "1 to 63 letters, digits or underscores starting with a letter, not admin, rdsadmin, rdsrepladmin or a pg_ name (reserved by RDS for PostgreSQL)",
                fix: "pulumi config set --path 'platform:database.masterUsername' orders_admin",
            }],
        })),
        {
            title: "an unsupported major version",
            database: { engineVersion: "15" },
            problems: [{
                key: `${KEY_PREFIX}.engineVersion`, value: "15", rule: 'one of "16", "17"',
                fix: "pulumi config set --path 'platform:database.engineVersion' 17 --type string",
            }],
        },
        {
            title: "a cross-region copy without a backup plan",
            database: { backupPlan: { copyRegion: "us-west-2" } },
            protect: true,
            problems: [{
                key: `${KEY_PREFIX}.backupPlan.enabled`, value: false,
                rule: 'true while database.backupPlan.copyRegion is set ("us-west-2"): there is nothing to copy without the plan',
                fix: "pulumi config set --path 'platform:database.backupPlan.enabled' true",
            }],
        },
        {
            title: "a cross-region copy into the stack's own region",
            database: { backupPlan: { enabled: true, copyRegion: "us-east-1" } },
            protect: true,
            problems: [{
                key: `${KEY_PREFIX}.backupPlan.copyRegion`, value: "us-east-1",
                rule: "a region other than aws:region (us-east-1): a copy in the same region does not survive a regional outage",
                fix: "pulumi config set --path 'platform:database.backupPlan.copyRegion' us-west-2",
            }],
        },
        {
            title: "a backup plan retention out of range",
            database: { backupPlan: { enabled: true, retentionDays: 0 } },
            problems: [{
                key: `${KEY_PREFIX}.backupPlan.retentionDays`, value: 0, rule: "an integer from 1 to 3650",
                fix: "pulumi config set --path 'platform:database.backupPlan.retentionDays' 7",
            }],
        },
    ];
    for (const c of cases) {
        it(`refuses ${c.title}`, () => {
            assert.deepEqual(reviewProblems({ [KEY_PREFIX]: c.database, ...(c.protect ? { "platform:protect": true } : {}) }), c.problems);
        });
    }

    it("accepts the RDS instance classes of every supported shape", () => {
        for (const instanceClass of ["db.t4g.micro", "db.t3.medium", "db.m7g.large", "db.r8g.2xlarge", "db.m7i.48xlarge", "db.x2g.xlarge"]) {
            assert.equal(databaseSchema.safeParse({ instanceClass }).success, true, instanceClass);
        }
    });
});
