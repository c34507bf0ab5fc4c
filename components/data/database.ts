import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { logGroupSweep } from "../shared/destroy-steps";
import { databaseSchema, type DatabaseConfig } from "./config";
import { InputError, sectionProblems, type ConfigProblem } from "../config/engine";
import { awsIdentifier, clusterOnlySecurityGroup, dataKey, finalSnapshotIdentifier as snapshotIdentifier } from "./data-access";

/** PostgreSQL's port; the security group admits nothing else. */
export const POSTGRES_PORT = 5432;

/**
 * Log types RDS for PostgreSQL can export to CloudWatch Logs
 * (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_LogAccess.Procedural.UploadtoCloudWatch.html).
 */
export const POSTGRES_LOG_EXPORTS = ["postgresql", "upgrade"] as const;

/** RDS instance identifiers: 1-63 characters (CreateDBInstance, DBInstanceIdentifier). */
export function dbInstanceIdentifier(name: string): string {
    return awsIdentifier(name, 63);
}

/** The engine of the instance (a change replaces it). */
export const POSTGRES_ENGINE = "postgres";

/** The maximum sent to RDS: none (storage autoscaling off) when it equals the allocation. */
export function storageAutoscalingMaximum(allocatedStorageGiB: number, maxAllocatedStorageGiB: number): number | undefined {
    return maxAllocatedStorageGiB > allocatedStorageGiB ? maxAllocatedStorageGiB : undefined;
}

/**
 * The inputs of the RDS instance that force its replacement (ForceNew in the provider's
 * aws_db_instance schema: identifier, engine, db_name, username, kms_key_id; storage_encrypted is
 * always true here): the keepers of the final snapshot's name suffix.
 */
export function databaseReplacementKeepers(i: { identifier: string; dbName: string; username: string; kmsKeyId: pulumi.Input<string> }) {
    return { identifier: i.identifier, engine: POSTGRES_ENGINE, dbName: i.dbName, username: i.username, kmsKeyId: i.kmsKeyId };
}

export interface DatabaseArgs {
    /** The validated `database` section of the stack config. */
    readonly config: DatabaseConfig;
    /**
     * The stack's safety knob. true: deletion protection, a final snapshot with a unique name,
     * automated backups kept after deletion, and Pulumi `protect`. false: destroyable at once with
     * no snapshot (review and dev stacks).
     */
    readonly protect: boolean;
    readonly vpcId: pulumi.Input<string>;
    /** The isolated subnets (no route to the internet), in at least 2 AZs. */
    readonly isolatedSubnetIds: readonly pulumi.Input<string>[];
    /** The only source admitted on 5432: the cluster security group of the nodes and pods. */
    readonly allowedSecurityGroupId: pulumi.Input<string>;
}

/** Throws when the arguments break a rule RDS would enforce only at `pulumi up`. */
export function validateDatabaseArgs(args: DatabaseArgs): void {
    const problems: ConfigProblem[] = sectionProblems("platform", "database", databaseSchema, args.config);
    if (args.isolatedSubnetIds.length < 2) {
        problems.push({
            key: "platform:network.availabilityZoneCount", value: args.isolatedSubnetIds.length,
            rule: `a DB subnet group needs subnets in at least 2 AZs, got ${args.isolatedSubnetIds.length} isolated subnet(s)`,
            fix: "pulumi config set --path 'platform:network.availabilityZoneCount' 2",
        });
    }
    if (problems.length > 0) throw new InputError("database", problems);
}

/**
 * RDS for PostgreSQL in the isolated subnets:
 * - a pinned major version (minor versions upgrade automatically), gp3 storage encrypted with its
 *   own KMS key, not publicly accessible, reachable on 5432 only from the cluster security group;
 * - TLS forced by the parameter group (rds.force_ssl=1);
 * - the master password generated, kept and rotated by RDS in Secrets Manager (encrypted with the
 *   same key): it never passes through Pulumi;
 * - automated backups with point-in-time recovery, Performance Insights, logs exported to
 *   CloudWatch with a retention, and no silent RDS Extended Support billing;
 * - `protect` drives deletion protection, the final snapshot and Pulumi `protect` together.
 */
export class Database extends pulumi.ComponentResource {
    /** The RDS instance identifier (deterministic, so the restore runbook can swap instances). */
    public readonly identifier: string;
    public readonly instanceArn: pulumi.Output<string>;
    /** Hostname of the instance endpoint. */
    public readonly address: pulumi.Output<string>;
    public readonly port: pulumi.Output<number>;
    public readonly dbName: string;
    public readonly username: string;
    /** ARN of the RDS-managed secret holding `{"username", "password"}`. */
    public readonly masterUserSecretArn: pulumi.Output<string>;
    public readonly kmsKeyArn: pulumi.Output<string>;
    public readonly securityGroupId: pulumi.Output<string>;
    public readonly instance: aws.rds.Instance;

    constructor(name: string, args: DatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:data:Database", name, {}, opts);
        validateDatabaseArgs(args);
        const c = args.config;
        const protect = args.protect;
        const parent = { parent: this };
        this.identifier = dbInstanceIdentifier(name);
        this.dbName = c.name;
        this.username = c.masterUsername;

        const key = dataKey(name, `RDS storage, Performance Insights and master secret of ${this.identifier}`, protect, parent);

        // No egress rules: the provider removes AWS's default allow-all egress, and RDS needs none
        // (replication and backups do not go through the instance's ENI rules).
        const securityGroup = clusterOnlySecurityGroup(name, {
            vpcId: args.vpcId,
            sourceSecurityGroupId: args.allowedSecurityGroupId,
            port: POSTGRES_PORT,
            service: "PostgreSQL",
        }, parent);

        const subnetGroup = new aws.rds.SubnetGroup(`${name}-subnets`, {
            subnetIds: [...args.isolatedSubnetIds],
            description: `Isolated subnets of ${this.identifier}`,
        }, parent);

        const parameterGroup = tlsParameterGroup(name, c.engineVersion, this.identifier, parent);

        // RDS creates these groups itself on first export, with no retention (kept forever, and
        // left behind by a destroy). Creating them first gives them a retention and an owner; a
        // sweep deletes them again after the instance and they are gone (late exports recreate them).
        const logGroupNames = POSTGRES_LOG_EXPORTS.map((type) => `/aws/rds/instance/${this.identifier}/${type}`);
        const sweep = logGroupSweep(`${name}-log-sweep`, { logGroupNames, region: aws.getRegionOutput({}, parent).region }, parent);
        const logGroups = logGroupNames.map((logGroupName, i) => new aws.cloudwatch.LogGroup(`${name}-log-${POSTGRES_LOG_EXPORTS[i]}`, {
            name: logGroupName,
            retentionInDays: c.logRetentionDays,
        }, { parent: this, dependsOn: [sweep] }));

        // A new final snapshot name on every deletion, replaced together with the instance (its
        // keepers are the instance's inputs that force a replacement).
        const finalSnapshotIdentifier = snapshotIdentifier(name, this.identifier,
            databaseReplacementKeepers({ identifier: this.identifier, dbName: c.name, username: c.masterUsername, kmsKeyId: key.arn }), protect, parent);

        this.instance = new aws.rds.Instance(`${name}-db`, {
            identifier: this.identifier,
            engine: POSTGRES_ENGINE,
            // A major version only: RDS picks the newest minor and upgrades minors in the
            // maintenance window (old minors leave standard support and then bill extended support).
            engineVersion: c.engineVersion,
            autoMinorVersionUpgrade: true,
            // Needed for a config bump of the major version to apply at all.
            allowMajorVersionUpgrade: true,
            // Changes apply during `up`, not in the maintenance window: a deferred major upgrade
            // leaves the old parameter group attached when Pulumi deletes it (and the plan would
            // show a state the instance is not in). The plan shows every such change first.
            applyImmediately: true,
            // The default enrolls an instance past end of standard support into paid Extended Support.
            engineLifecycleSupport: "open-source-rds-extended-support-disabled",
            instanceClass: c.instanceClass,
            storageType: "gp3",
            allocatedStorage: c.allocatedStorageGiB,
            // Equal to the allocation means "no autoscaling": RDS turns it off when no maximum is sent.
            maxAllocatedStorage: storageAutoscalingMaximum(c.allocatedStorageGiB, c.maxAllocatedStorageGiB),
            storageEncrypted: true,
            kmsKeyId: key.arn,
            dbName: c.name,
            username: c.masterUsername,
            manageMasterUserPassword: true,
            masterUserSecretKmsKeyId: key.arn,
            port: POSTGRES_PORT,
            dbSubnetGroupName: subnetGroup.name,
            vpcSecurityGroupIds: [securityGroup.id],
            publiclyAccessible: false,
            parameterGroupName: parameterGroup.name,
            multiAz: c.multiAz,
            backupRetentionPeriod: c.backupRetentionDays,
            // UTC; the maintenance window follows the backup window, and AWS Backup's daily job
            // (components/data/backup.ts) starts after both.
            backupWindow: "03:00-04:00",
            maintenanceWindow: "sun:04:30-sun:05:30",
            copyTagsToSnapshot: true,
            deletionProtection: protect,
            skipFinalSnapshot: !protect,
            finalSnapshotIdentifier,
            // Protected: keep the automated backups (point-in-time recovery) after a deletion.
            deleteAutomatedBackups: !protect,
            performanceInsightsEnabled: true,
            performanceInsightsKmsKeyId: key.arn,
            performanceInsightsRetentionPeriod: c.performanceInsightsRetentionDays,
            enabledCloudwatchLogsExports: [...POSTGRES_LOG_EXPORTS],
            tags: { Name: this.identifier },
        }, {
            parent: this,
            protect,
            dependsOn: logGroups,
            // The identifier is fixed, so a replacement must delete the old instance first.
            deleteBeforeReplace: true,
        });

        this.instanceArn = this.instance.arn;
        this.address = this.instance.address;
        this.port = this.instance.port;
        this.masterUserSecretArn = this.instance.masterUserSecrets.apply((secrets) => {
            const arn = secrets?.[0]?.secretArn;
            if (!arn) throw new pulumi.RunError(`database: RDS reported no managed master secret for ${this.identifier} (manageMasterUserPassword is set); run pulumi refresh, then pulumi up again`);
            return arn;
        });
        this.kmsKeyArn = key.arn;
        this.securityGroupId = securityGroup.id;
        this.registerOutputs({
            identifier: this.identifier,
            address: this.address,
            port: this.port,
            masterUserSecretArn: this.masterUserSecretArn,
        });
    }
}

/**
 * The TLS-only parameter group of a major version. One group per major version, named by its
 * family (issue 12, item 17): a major bump is a new group next to the old one, not a replacement
 * of the group the instance still uses. Pulumi creates the new group, updates the instance
 * (version and group in one ModifyDBInstance, applied immediately) and deletes the old group
 * last, once nothing uses it.
 */
function tlsParameterGroup(name: string, engineVersion: string, identifier: string, opts: pulumi.CustomResourceOptions): aws.rds.ParameterGroup {
    const family = `postgres${engineVersion}`;
    return new aws.rds.ParameterGroup(`${name}-params-${family}`, {
        family,
        description: `TLS-only PostgreSQL ${engineVersion} for ${identifier}`,
        parameters: [
            // Reject every non-TLS connection. "pending-reboot" is accepted for static and
            // dynamic parameters alike ("immediate" fails on static ones); a new instance
            // starts with the whole group applied.
            { name: "rds.force_ssl", value: "1", applyMethod: "pending-reboot" },
        ],
    }, opts);
}
