import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { BackupPlanConfig } from "./config";
import { awsIdentifier, dataKey } from "./database";

/**
 * Daily at 06:00 UTC: after the RDS backup window (03:00-04:00) and the Sunday maintenance window
 * (04:30-05:30) set in components/database.ts, so the jobs do not queue behind each other.
 */
export const BACKUP_SCHEDULE = "cron(0 6 * * ? *)";

export interface DatabaseBackupArgs {
    /** The validated `database.backupPlan` section (enabled is checked by the caller). */
    readonly config: BackupPlanConfig;
    /** The stack's safety knob: vaults keep their recovery points (no forceDestroy) and are protected. */
    readonly protect: boolean;
    /** ARN of the RDS instance to back up. */
    readonly databaseArn: pulumi.Input<string>;
    /** AWS region of the stack (plain: the copy region must differ). */
    readonly region: string;
}

export function validateDatabaseBackupArgs(args: DatabaseBackupArgs): void {
    const c = args.config;
    if (c.copyRegion !== "" && c.copyRegion === args.region) {
        throw new Error(`backup: copyRegion ${c.copyRegion} is the stack's own region; pick another: pulumi config set --path 'platform:database.backupPlan.copyRegion' us-west-2`);
    }
}

/**
 * AWS Backup for the database, next to RDS's own automated backups (which go when the instance
 * goes): a daily plan into a KMS-encrypted vault with a retention from config, optionally copied to
 * a vault in another region for disaster recovery, selected by the instance's ARN and run by a role
 * with AWS's managed backup (and restore) policies. Unprotected vaults are force-destroyed with
 * their recovery points, so a review stack deletes cleanly.
 */
export class DatabaseBackup extends pulumi.ComponentResource {
    public readonly vaultName: pulumi.Output<string>;
    public readonly vaultArn: pulumi.Output<string>;
    /** The copy region's vault, when there is one. */
    public readonly copyVaultArn?: pulumi.Output<string>;
    public readonly planId: pulumi.Output<string>;
    /** The role AWS Backup assumes; restore jobs (docs/runbook-restore-database.md) use it too. */
    public readonly roleArn: pulumi.Output<string>;

    constructor(name: string, args: DatabaseBackupArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:data:DatabaseBackup", name, {}, opts);
        validateDatabaseBackupArgs(args);
        const c = args.config;
        const protect = args.protect;
        const parent = { parent: this };

        // Vault, plan and selection names are at most 50 characters: fixed, shortened names
        // (Pulumi's random suffix would push long review-stack names over).
        const vaultName = awsIdentifier(name, 50);
        const key = dataKey(name, `AWS Backup vault of ${name}`, protect, parent);
        const vault = new aws.backup.Vault(`${name}-vault`, {
            name: vaultName,
            kmsKeyArn: key.arn,
            forceDestroy: !protect,
        }, { parent: this, protect, deleteBeforeReplace: true });

        let copyVault: aws.backup.Vault | undefined;
        if (c.copyRegion !== "") {
            // @pulumi/aws 7 takes a region per resource: the copy-region resources use the
            // stack's provider (so its default tags) with `region`, no second provider.
            // A vault is encrypted with a key of its own region; copies are re-encrypted with it.
            const copyKey = dataKey(`${name}-copy`, `AWS Backup copy vault of ${name} in ${c.copyRegion}`, protect, parent, c.copyRegion);
            copyVault = new aws.backup.Vault(`${name}-copy-vault`, {
                name: vaultName,
                region: c.copyRegion,
                kmsKeyArn: copyKey.arn,
                forceDestroy: !protect,
            }, { parent: this, protect, deleteBeforeReplace: true });
        }

        const partition = aws.getPartitionOutput({}, parent).partition;
        const role = new aws.iam.Role(`${name}-role`, {
            assumeRolePolicy: JSON.stringify({
                Version: "2012-10-17",
                Statement: [{ Effect: "Allow", Principal: { Service: "backup.amazonaws.com" }, Action: "sts:AssumeRole" }],
            }),
        }, parent);
        for (const policy of ["AWSBackupServiceRolePolicyForBackup", "AWSBackupServiceRolePolicyForRestores"]) {
            new aws.iam.RolePolicyAttachment(`${name}-${policy.replace("AWSBackupServiceRolePolicyFor", "").toLowerCase()}`, {
                role: role.name,
                policyArn: pulumi.interpolate`arn:${partition}:iam::aws:policy/service-role/${policy}`,
            }, parent);
        }

        const plan = new aws.backup.Plan(`${name}-plan`, {
            name: awsIdentifier(name, 50),
            rules: [{
                ruleName: "daily",
                targetVaultName: vault.name,
                schedule: BACKUP_SCHEDULE,
                scheduleExpressionTimezone: "Etc/UTC",
                startWindow: 60,
                completionWindow: 240,
                lifecycle: { deleteAfter: c.retentionDays },
                copyActions: copyVault
                    ? [{ destinationVaultArn: copyVault.arn, lifecycle: { deleteAfter: c.copyRetentionDays } }]
                    : undefined,
            }],
        }, parent);

        new aws.backup.Selection(`${name}-selection`, {
            name: awsIdentifier(`${name}-database`, 50),
            planId: plan.id,
            iamRoleArn: role.arn,
            resources: [args.databaseArn],
        }, { parent: this, deleteBeforeReplace: true });

        this.vaultName = vault.name;
        this.vaultArn = vault.arn;
        this.copyVaultArn = copyVault?.arn;
        this.planId = plan.id;
        this.roleArn = role.arn;
        this.registerOutputs({ vaultName: this.vaultName, planId: this.planId, copyVaultArn: this.copyVaultArn });
    }
}
