import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { BackupPlanConfig } from "./config";
import { awsIdentifier, dataKey } from "./data-access";
import { managedPolicyArn, roleWithPolicies, serviceTrustPolicy } from "../shared/iam";
import { awsAccount } from "../shared/tags";
import { InputError } from "../config/engine";

/**
 * Daily at 06:00 UTC: after the RDS backup window (03:00-04:00) and the Sunday maintenance window
 * (04:30-05:30) set in components/data/database.ts, so the jobs do not queue behind each other.
 */
export const BACKUP_SCHEDULE = "cron(0 6 * * ? *)";

/** The AWS managed policies of the two roles: one to take backups, one to restore them. */
export const BACKUP_MANAGED_POLICY = "AWSBackupServiceRolePolicyForBackup";
export const RESTORE_MANAGED_POLICY = "AWSBackupServiceRolePolicyForRestores";

export interface DatabaseBackupArgs {
    /** The validated `database.backupPlan` section (enabled is checked by the caller). */
    readonly config: BackupPlanConfig;
    /**
     * The stack's safety knob: the vaults and their keys are Pulumi-protected. The config allows
     * a plan only on protected stacks and on a prod stack being decommissioned.
     */
    readonly protect: boolean;
    /** ARN of the RDS instance to back up. */
    readonly databaseArn: pulumi.Input<string>;
    /** AWS region of the stack (plain: the copy region must differ). */
    readonly region: string;
}

export function validateDatabaseBackupArgs(args: DatabaseBackupArgs): void {
    const c = args.config;
    if (c.copyRegion !== "" && c.copyRegion === args.region) {
        throw new InputError("backup", [{ key: "platform:database.backupPlan.copyRegion", value: c.copyRegion, rule: `another region than the stack's own (${args.region}), or "" for no copy`, fix: `pulumi config set --path 'platform:database.backupPlan.copyRegion' ${args.region === "us-west-2" ? "us-east-1" : "us-west-2"}` }]);
    }
}

/**
 * AWS Backup for the database, next to RDS's own automated backups (which go when the instance
 * goes): a daily plan into a KMS-encrypted vault with a retention from config, optionally copied to
 * a vault in another region for disaster recovery, selected by the instance's ARN. Two roles: the
 * plan's (AWS's managed backup policy; AWS Backup also manages the recovery points' lifecycle with
 * it) and one for restore jobs only (AWS's managed restore policy; docs/runbook-restore-database.md).
 *
 * Vaults are never force-destroyed: with forceDestroy the provider deletes the recovery points,
 * but RDS deletes their snapshots asynchronously, so DeleteBackupVault fails ("contains recovery
 * points") until a second destroy (hashicorp/terraform-provider-aws#37774). So the config allows
 * a plan only on protected stacks, and the vaults and their keys are retained on delete: a
 * decommissioned prod stack destroys in one run and leaves its recovery points restorable until
 * their lifecycle deletes them (then delete the empty vaults and schedule the keys' deletion).
 */
export class DatabaseBackup extends pulumi.ComponentResource {
    public readonly vaultName: pulumi.Output<string>;
    /** The copy region's vault, when there is one. */
    public readonly copyVaultArn?: pulumi.Output<string>;
    /** The role the plan's backup and copy jobs run with. */
    public readonly roleArn: pulumi.Output<string>;
    /** The role for restore jobs (docs/runbook-restore-database.md). */
    public readonly restoreRoleArn: pulumi.Output<string>;

    constructor(name: string, args: DatabaseBackupArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:data:DatabaseBackup", name, {}, opts);
        validateDatabaseBackupArgs(args);
        const c = args.config;
        const protect = args.protect;
        const parent = { parent: this };

        // Vault, plan and selection names are at most 50 characters: fixed, shortened names
        // (Pulumi's random suffix would push long review-stack names over).
        const shortName = awsIdentifier(name, 50);
        // Recovery points outlive the stack (class comment): vault and key are never deleted by Pulumi.
        const retained = { parent: this, retainOnDelete: true };
        const key = dataKey(name, `AWS Backup vault of ${name}`, protect, retained);
        const vault = new aws.backup.Vault(`${name}-vault`, {
            name: shortName,
            kmsKeyArn: key.arn,
            forceDestroy: false,
        }, { ...retained, protect, deleteBeforeReplace: true });

        let copyVault: aws.backup.Vault | undefined;
        if (c.copyRegion !== "") {
            // @pulumi/aws 7 takes a region per resource: the copy-region resources use the
            // stack's provider (so its default tags) with `region`, no second provider.
            // A vault is encrypted with a key of its own region; copies are re-encrypted with it.
            const copyKey = dataKey(`${name}-copy`, `AWS Backup copy vault of ${name} in ${c.copyRegion}`, protect, retained, c.copyRegion);
            copyVault = new aws.backup.Vault(`${name}-copy-vault`, {
                name: shortName,
                region: c.copyRegion,
                kmsKeyArn: copyKey.arn,
                forceDestroy: false,
            }, { ...retained, protect, deleteBeforeReplace: true });
        }

        const { accountId: account, partition } = awsAccount(this);
        // The confused-deputy guard AWS Backup recommends (AWS Backup Developer Guide, "Cross-service
        // confused deputy prevention"): only AWS Backup acting for this account may assume the roles.
        const serviceRole = (roleName: string, attachmentName: string, managedPolicy: string) => roleWithPolicies(roleName, {
            assumeRolePolicy: serviceTrustPolicy("backup.amazonaws.com", { sourceAccount: account }),
            managedPolicies: { [attachmentName]: managedPolicyArn(partition, `service-role/${managedPolicy}`) },
        }, parent).role;
        const role = serviceRole(`${name}-role`, `${name}-backup`, BACKUP_MANAGED_POLICY);
        const restoreRole = serviceRole(`${name}-restore-role`, `${name}-restore-role-policy`, RESTORE_MANAGED_POLICY);

        const plan = new aws.backup.Plan(`${name}-plan`, {
            name: shortName,
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
        this.copyVaultArn = copyVault?.arn;
        this.roleArn = role.arn;
        this.restoreRoleArn = restoreRole.arn;
        this.registerOutputs({
            vaultName: this.vaultName, planId: plan.id, copyVaultArn: this.copyVaultArn,
            roleArn: this.roleArn, restoreRoleArn: this.restoreRoleArn,
        });
    }
}
