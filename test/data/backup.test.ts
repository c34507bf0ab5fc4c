import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { DatabaseBackup } from "../../components/data/backup";
import { backupPlanSchema } from "../../components/data/config";
import { databaseSecretDocument } from "../../components/data/secrets";
import { ACCOUNT_ID, buildStack, reveal, reviewProblems, ROOT, settle, startCapture, valueOf, type Built, type CapturedResource } from "../harness";

const PLAN = "aws:backup/plan:Plan";
const VAULT = "aws:backup/vault:Vault";
const SELECTION = "aws:backup/selection:Selection";
const ROLE = "aws:iam/role:Role";
const ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment";
const AWS_PROVIDER = "pulumi:providers:aws";
const KEY = "aws:kms/key:Key";
const INSTANCE = "aws:rds/instance:Instance";
const LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup";
const NAMESPACE = "kubernetes:core/v1:Namespace";

const planOf = (b: Built) => b.capture.one(PLAN, "-backup-plan");
const providerOf = (b: Built, r: CapturedResource) => b.capture.byUrn(r.provider.split("::").slice(0, -1).join("::"));
/** Minutes after midnight UTC of "HH:MM". */
const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** A protected review stack with the plan on (no copy): the cheapest stack that may have one. */
const PROTECTED_WITH_PLAN = { "platform:protect": true, "platform:database": { backupPlan: { enabled: true } } };

describe("database backup", () => {
    let dev: Built;
    let prod: Built;
    let review: Built;
    let protectedReview: Built;

    before(async () => {
        dev = await buildStack("dev");
        prod = await buildStack("prod");
        review = await buildStack("pr-1");
        protectedReview = await buildStack("pr-1", PROTECTED_WITH_PLAN);
    });

    it("backs the database up daily into a vault encrypted with its own rotating key, kept as long as the config says", async () => {
        for (const [b, days] of [[protectedReview, 7], [prod, 35]] as const) {
            const vault = b.capture.one(VAULT, "-backup-vault");
            assert.equal(await valueOf(b.platform.outputs.backupVaultName), vault.inputs.name);
            const rules = planOf(b).inputs.rules;
            assert.equal(rules.length, 1);
            assert.equal(rules[0].schedule, "cron(0 6 * * ? *)");
            assert.equal(rules[0].scheduleExpressionTimezone, "Etc/UTC");
            assert.deepEqual(rules[0].lifecycle, { deleteAfter: days });
            assert.equal(rules[0].targetVaultName, vault.inputs.name);
            const key = b.capture.one(KEY, `${b.config.stack}-backup-key`);
            assert.deepEqual(vault.propertyDependencies.kmsKeyArn, [key.urn], "the vault's key is the backup key, not AWS's default");
            assert.equal(key.inputs.enableKeyRotation, true);
        }
    });

    it("starts the daily job after the RDS backup and maintenance windows have ended", () => {
        for (const b of [protectedReview, prod]) {
            const [, minute, hour] = /^cron\((\d+) (\d+) \* \* \? \*\)$/.exec(planOf(b).inputs.rules[0].schedule) ?? [];
            assert.ok(hour !== undefined, "a daily cron expression");
            const start = Number(hour) * 60 + Number(minute);
            const db = b.capture.one(INSTANCE, "-database-db").inputs;
            const backupWindowEnd = minutes((db.backupWindow as string).split("-")[1]);
            const maintenanceWindowEnd = minutes((db.maintenanceWindow as string).split("-")[1].split(":").slice(1).join(":"));
            assert.ok(start >= backupWindowEnd, `${start} starts before the RDS backup window ends (${db.backupWindow})`);
            assert.ok(start >= maintenanceWindowEnd, `${start} starts before the maintenance window ends (${db.maintenanceWindow})`);
        }
    });

    it("selects the database instance by ARN and runs the plan with a backup-only role", async () => {
        for (const b of [protectedReview, prod]) {
            const selection = b.capture.one(SELECTION, "-backup-selection");
            assert.deepEqual(selection.inputs.resources, [await valueOf(b.platform.database.instanceArn)]);
            const backupRole = b.capture.one(ROLE, "-backup-role");
            assert.deepEqual(selection.propertyDependencies.iamRoleArn, [backupRole.urn]);
            assert.equal(await valueOf(b.platform.outputs.backupRoleArn), await valueOf(b.platform.databaseBackup!.roleArn));
        }
    });

    it("gives backups and restores separate roles, each with only its AWS managed policy", async () => {
        for (const b of [protectedReview, prod]) {
            const attached = (role: CapturedResource) => b.capture.ofType(ATTACHMENT)
                .filter((a) => a.propertyDependencies.role?.includes(role.urn)).map((a) => a.inputs.policyArn);
            const backupRole = b.capture.one(ROLE, "-backup-role");
            const restoreRole = b.capture.one(ROLE, "-backup-restore-role");
            assert.deepEqual(attached(backupRole), ["arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup"]);
            assert.deepEqual(attached(restoreRole), ["arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores"]);
            const restoreRoleArn = await valueOf(b.platform.outputs.backupRestoreRoleArn);
            assert.equal(restoreRoleArn, await valueOf(b.platform.databaseBackup!.restoreRoleArn));
            assert.notEqual(restoreRoleArn, await valueOf(b.platform.outputs.backupRoleArn));
        }
    });

    it("lets only AWS Backup acting for this account assume either role (confused-deputy guard)", () => {
        for (const b of [protectedReview, prod]) {
            for (const suffix of ["-backup-role", "-backup-restore-role"]) {
                assert.deepEqual(JSON.parse(b.capture.one(ROLE, suffix).inputs.assumeRolePolicy), {
                    Version: "2012-10-17",
                    Statement: [{
                        Effect: "Allow",
                        Principal: { Service: "backup.amazonaws.com" },
                        Action: "sts:AssumeRole",
                        Condition: { StringEquals: { "aws:SourceAccount": ACCOUNT_ID } },
                    }],
                }, suffix);
            }
        }
    });

    it("copies every recovery point to a vault in another region in prod only", async () => {
        const prodRule = planOf(prod).inputs.rules[0];
        const copyVault = prod.capture.one(VAULT, "-backup-copy-vault");
        assert.deepEqual(prodRule.copyActions, [{ destinationVaultArn: await valueOf(prod.platform.databaseBackup!.copyVaultArn!), lifecycle: { deleteAfter: 35 } }]);
        // In us-west-2 through the resource's own region, on the stack's (tagged) provider.
        assert.equal(copyVault.inputs.region, "us-west-2");
        const copyKey = prod.capture.one(KEY, "-backup-copy-key");
        assert.equal(copyKey.inputs.region, "us-west-2", "the copy vault's key lives in the copy region");
        assert.equal(prod.capture.one("aws:kms/alias:Alias", "-backup-copy-key-alias").inputs.region, "us-west-2");
        assert.deepEqual(copyVault.propertyDependencies.kmsKeyArn, [copyKey.urn]);
        const mainVault = prod.capture.one(VAULT, "-backup-vault");
        assert.equal(mainVault.inputs.region, undefined);
        assert.equal(providerOf(prod, copyVault).urn, providerOf(prod, mainVault).urn);
        assert.equal(providerOf(prod, mainVault).inputs.region, "us-east-1");
        assert.equal(prod.capture.ofType(AWS_PROVIDER).length, 1);

        assert.equal(planOf(protectedReview).inputs.rules[0].copyActions, undefined);
        assert.equal(protectedReview.capture.ofType(VAULT).length, 1);
    });

    it("never force-destroys a vault; protects it and retains it and its key on delete", () => {
        for (const [b, vaultNames, keyNames] of [
            [protectedReview, ["platform-pr-1-backup-vault"], ["platform-pr-1-backup-key"]],
            [prod, ["platform-prod-backup-copy-vault", "platform-prod-backup-vault"], ["platform-prod-backup-copy-key", "platform-prod-backup-key"]],
        ] as const) {
            assert.deepEqual(b.capture.ofType(VAULT).map((v) => v.name).sort(), vaultNames);
            assert.deepEqual(b.capture.ofType(KEY).filter((r) => r.name.includes("-backup-")).map((k) => k.name).sort(), keyNames);
            for (const v of b.capture.ofType(VAULT)) {
                assert.equal(v.inputs.forceDestroy, false, v.name);
                assert.equal(v.protect, true, v.name);
                assert.equal(v.retainOnDelete, true, v.name);
            }
            for (const k of b.capture.ofType(KEY).filter((r) => r.name.includes("-backup-"))) {
                assert.equal(k.protect, true, k.name);
                assert.equal(k.retainOnDelete, true, `${k.name}: deleting the key would make the recovery points unreadable`);
                assert.equal(k.inputs.deletionWindowInDays, 30, k.name);
            }
        }
    });

    it("lets a prod stack being decommissioned destroy in one run, leaving its recovery points restorable", async () => {
        const decommissioned = await buildStack("prod", { "platform:protect": false, "platform:decommission": true });
        assert.equal(decommissioned.config.database.backupPlan.enabled, true);
        const vaults = decommissioned.capture.ofType(VAULT);
        assert.deepEqual(vaults.map((v) => v.name).sort(), ["platform-prod-backup-copy-vault", "platform-prod-backup-vault"]);
        for (const v of vaults) {
            // Unprotected, so `pulumi destroy` runs; retained, so it neither fails on nor deletes the recovery points.
            assert.equal(v.protect, false, v.name);
            assert.equal(v.retainOnDelete, true, v.name);
            assert.equal(v.inputs.forceDestroy, false, v.name);
        }
        const keys = decommissioned.capture.ofType(KEY).filter((r) => r.name.includes("-backup-"));
        assert.deepEqual(keys.map((k) => k.name).sort(), ["platform-prod-backup-copy-key", "platform-prod-backup-key"]);
        for (const k of keys) {
            assert.equal(k.retainOnDelete, true, k.name);
        }
        // Elsewhere an unprotected stack (dev) deletes its keys: retention is the backup's alone.
        const devKeys = dev.capture.ofType(KEY);
        assert.deepEqual(devKeys.map((k) => k.name).sort(), [
            "platform-dev-cache-key", "platform-dev-cluster-secrets-key", "platform-dev-database-key", "platform-dev-secrets-key",
        ]);
        assert.deepEqual(devKeys.filter((k) => k.retainOnDelete).map((k) => k.name), []);
    });

    it("has no AWS Backup plan on unprotected stacks (dev, review): RDS automated backups only", async () => {
        for (const b of [dev, review]) {
            assert.equal(b.config.protect, false);
            assert.equal(b.capture.ofType(PLAN).length, 0);
            assert.equal(b.capture.ofType(VAULT).length, 0);
            assert.equal(b.platform.databaseBackup, undefined);
            assert.equal(b.platform.outputs.backupRestoreRoleArn, undefined);
            assert.ok(b.capture.one(INSTANCE, "-database-db").inputs.backupRetentionPeriod >= 1, "point-in-time recovery stays on");
        }
    });

    it("refuses a backup plan on an unprotected stack, naming the reason and both fixes", async () => {
        const [p] = reviewProblems({ "platform:database": { backupPlan: { enabled: true } } });
        assert.equal(p.key, "platform:database.backupPlan.enabled");
        assert.equal(p.value, true);
        assert.equal(p.fix, "pulumi config set --path 'platform:database.backupPlan.enabled' false");
        assert.match(p.rule, /^false while protect is false: /);
        assert.match(p.rule, /DeleteBackupVault fails until a second run/);
        assert.match(p.rule, /hashicorp\/terraform-provider-aws#37774/);
        assert.ok(p.rule.includes("pulumi config set 'platform:protect' true"), "the other fix: protect the stack");
        assert.deepEqual(reviewProblems({ "platform:database": { backupPlan: { enabled: true } } }).length, 1);
        // The same plan on a protected stack is accepted.
        assert.equal(protectedReview.config.database.backupPlan.enabled, true);
        assert.ok(protectedReview.platform.databaseBackup);
        assert.equal(protectedReview.capture.ofType(PLAN).length, 1);
        const selections = protectedReview.capture.ofType(SELECTION);
        assert.equal(selections.length, 1);
        assert.deepEqual(selections[0].inputs.resources, [await valueOf(protectedReview.platform.database.instanceArn)]);
        assert.deepEqual(selections[0].inputs.resources, ["arn:aws:rds:us-east-1:123456789012:platform-pr-1-database-db"]);
    });

    it("refuses a cross-region copy on an unprotected stack without asking to turn the plan on", () => {
        for (const enabled of [false, true]) {
            const problems = reviewProblems({ "platform:database": { backupPlan: { enabled, copyRegion: "us-west-2" } } });
            const fixes = problems.map((p) => p.fix);
            assert.ok(fixes.includes("pulumi config set --path 'platform:database.backupPlan.copyRegion' ''"), JSON.stringify(fixes));
            assert.ok(!fixes.includes("pulumi config set --path 'platform:database.backupPlan.enabled' true"), "contradicts the protect rule");
        }
    });

    it("keeps vault, plan and selection names within AWS Backup's 50 characters for long component names", async () => {
        const name = "platform-pr-12345678901234567890123456789012345-backup";
        assert.ok(name.length > 50);
        const capture = await startCapture("pr-9");
        new DatabaseBackup(name, {
            config: { ...backupPlanSchema.parse({}), enabled: true }, protect: true, databaseArn: "arn:aws:rds:us-east-1:123456789012:db:x", region: "us-east-1",
        });
        await settle();
        for (const [type, suffix] of [[VAULT, "-backup-vault"], [PLAN, "-backup-plan"], [SELECTION, "-backup-selection"]] as const) {
            const resourceName = capture.one(type, suffix).inputs.name as string;
            assert.ok(resourceName.length <= 50, `${suffix}: ${resourceName}`);
            assert.match(resourceName, /^[a-z][a-z0-9-]*[a-z0-9]$/);
        }
    });
});

describe("data tier: dev and prod differ exactly where the stack files say", () => {
    let dev: Built;
    let prod: Built;

    before(async () => {
        dev = await buildStack("dev");
        prod = await buildStack("prod");
    });

    /** The data tier's resources by name with the stack taken out, inputs revealed. */
    async function dataTier(b: Built): Promise<Map<string, Record<string, unknown>>> {
        // The generated AUTH token differs per stack by nature; it is no configured difference.
        const token = await valueOf(b.platform.cache.authToken);
        const components = b.capture.resources.filter((r) => !r.custom &&
            /^platform-(dev|prod)-(database|cache|secrets|backup|external-secrets)$/.test(r.name));
        const out = new Map<string, Record<string, unknown>>();
        for (const c of components) {
            for (const r of b.capture.descendantsOf(c).filter((x) => x.custom)) {
                const normalise = (s: string) => s.replaceAll(`platform-${b.config.stack}`, "platform-STACK").replaceAll(`:${b.config.stack}::`, ":STACK::")
                    .replaceAll(token, "AUTH-TOKEN");
                out.set(normalise(r.name), { ...JSON.parse(normalise(JSON.stringify(reveal(r.inputs)))), protect: r.protect });
            }
        }
        return out;
    }

    it("lists every differing input", async () => {
        const d = await dataTier(dev);
        const p = await dataTier(prod);
        const differences: string[] = [];
        for (const name of new Set([...d.keys(), ...p.keys()])) {
            if (!d.has(name)) { differences.push(`${name} (prod only)`); continue; }
            if (!p.has(name)) { differences.push(`${name} (dev only)`); continue; }
            const a = d.get(name)!;
            const b = p.get(name)!;
            for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
                // namePrefix is the stack-qualified name shortened to fit IAM: not a configured difference.
                if (k === "__defaults" || k === "namePrefix") continue;
                if (JSON.stringify(a[k]) !== JSON.stringify(b[k])) differences.push(`${name}.${k}`);
            }
        }
        assert.deepEqual(differences.sort(), [
            // AWS Backup: protected stacks only (the `protect` knob), with a copy in prod.
            "platform-STACK-backup-backup (prod only)",
            "platform-STACK-backup-copy-key (prod only)",
            "platform-STACK-backup-copy-key-alias (prod only)",
            "platform-STACK-backup-copy-vault (prod only)",
            "platform-STACK-backup-key (prod only)",
            "platform-STACK-backup-key-alias (prod only)",
            "platform-STACK-backup-plan (prod only)",
            "platform-STACK-backup-restore-role (prod only)",
            "platform-STACK-backup-restore-role-policy (prod only)",
            "platform-STACK-backup-role (prod only)",
            "platform-STACK-backup-selection (prod only)",
            "platform-STACK-backup-vault (prod only)",
            // Protection: the `protect` knob.
            "platform-STACK-cache-final-snapshot-suffix (prod only)",
            "platform-STACK-cache-key.deletionWindowInDays",
            "platform-STACK-cache-key.protect",
            "platform-STACK-cache-valkey.automaticFailoverEnabled",
            "platform-STACK-cache-valkey.finalSnapshotIdentifier",
            "platform-STACK-cache-valkey.multiAzEnabled",
            "platform-STACK-cache-valkey.nodeType",
            "platform-STACK-cache-valkey.numCacheClusters",
            "platform-STACK-cache-valkey.protect",
            "platform-STACK-cache-valkey.snapshotRetentionLimit",
            "platform-STACK-database-db.allocatedStorage",
            "platform-STACK-database-db.backupRetentionPeriod",
            "platform-STACK-database-db.deleteAutomatedBackups",
            "platform-STACK-database-db.deletionProtection",
            "platform-STACK-database-db.finalSnapshotIdentifier",
            "platform-STACK-database-db.instanceClass",
            "platform-STACK-database-db.maxAllocatedStorage",
            "platform-STACK-database-db.multiAz",
            "platform-STACK-database-db.performanceInsightsRetentionPeriod",
            "platform-STACK-database-db.protect",
            "platform-STACK-database-db.skipFinalSnapshot",
            "platform-STACK-database-final-snapshot-suffix (prod only)",
            "platform-STACK-database-key.deletionWindowInDays",
            "platform-STACK-database-key.protect",
            "platform-STACK-database-log-postgresql.retentionInDays",
            "platform-STACK-database-log-upgrade.retentionInDays",
            // The operator's webhook is called from the VPC: each stack's own CIDR (Pulumi.<stack>.yaml network.cidrBlock).
            "platform-STACK-external-secrets-netpol-allow-operator.spec",
            "platform-STACK-secrets-cache.recoveryWindowInDays",
            "platform-STACK-secrets-database.recoveryWindowInDays",
            "platform-STACK-secrets-key.deletionWindowInDays",
            "platform-STACK-secrets-key.protect",
        ].sort());
    });
});

// ---------------------------------------------------------------------------------------------
// The restore runbook, read as the commands it runs.
// ---------------------------------------------------------------------------------------------

interface ShellCommand {
    /** The command with line continuations joined. */
    readonly text: string;
    /** The body of a `<<EOF` here-document, if the command has one. */
    readonly heredoc?: string;
}

/** Every command of the runbook's ```sh blocks, in order. */
function shellCommands(markdown: string): ShellCommand[] {
    const out: ShellCommand[] = [];
    for (const block of markdown.matchAll(/```sh\n([\s\S]*?)```/g)) {
        const lines = block[1].split("\n");
        for (let i = 0; i < lines.length; i++) {
            let text = lines[i];
            while (text.endsWith("\\") && i + 1 < lines.length) text = `${text.slice(0, -1)} ${lines[++i].trim()}`;
            if (text.trim() === "" || text.trim().startsWith("#")) continue;
            let heredoc: string | undefined;
            if (/<<'?EOF'?/.test(text)) {
                const body: string[] = [];
                while (i + 1 < lines.length && lines[i + 1] !== "EOF") body.push(lines[++i]);
                i++;
                heredoc = body.join("\n");
            }
            out.push({ text: text.trim(), heredoc });
        }
    }
    return out;
}

/** The `--flags` a command passes (also those inside `$( ... echo --flag ... )`). */
const flagsOf = (command: string) => [...command.matchAll(/(?:^|[\s(])(--[a-z0-9-]+)/g)].map((m) => m[1]);

/** The value after a flag: `--flag value`, quotes removed. */
function flagValue(command: string, flag: string): string | undefined {
    const m = new RegExp(`${flag} ('[^']*'|"[^"]*"|\\S+)`).exec(command);
    return m?.[1].replace(/^(['"])(.*)\1$/, "$2");
}

/**
 * The options RestoreDBInstanceToPointInTime and RestoreDBInstanceFromDBSnapshot take, as AWS CLI
 * flags (botocore 1.43 service model for rds 2014-10-31). ManageMasterUserPassword and
 * MasterUserSecretKmsKeyId exist on both but apply to RDS for Oracle only (RDS API Reference:
 * "Constraints: Applies to RDS for Oracle only"), so they are left out here.
 */
const RESTORE_COMMON_FLAGS = [
    "--db-instance-class", "--port", "--availability-zone", "--db-subnet-group-name", "--multi-az", "--no-multi-az",
    "--publicly-accessible", "--no-publicly-accessible", "--auto-minor-version-upgrade", "--no-auto-minor-version-upgrade",
    "--license-model", "--db-name", "--engine", "--iops", "--storage-throughput", "--option-group-name", "--copy-tags-to-snapshot",
    "--no-copy-tags-to-snapshot", "--tags", "--storage-type", "--vpc-security-group-ids", "--enable-iam-database-authentication",
    "--no-enable-iam-database-authentication", "--enable-cloudwatch-logs-exports", "--db-parameter-group-name", "--deletion-protection",
    "--no-deletion-protection", "--network-type", "--allocated-storage", "--max-allocated-storage", "--backup-retention-period",
    "--preferred-backup-window", "--dedicated-log-volume", "--no-dedicated-log-volume", "--ca-certificate-identifier",
    "--engine-lifecycle-support", "--tag-specifications",
];
const RESTORE_FLAGS: Record<string, readonly string[]> = {
    "restore-db-instance-to-point-in-time": [...RESTORE_COMMON_FLAGS, "--source-db-instance-identifier", "--target-db-instance-identifier",
        "--restore-time", "--use-latest-restorable-time", "--no-use-latest-restorable-time", "--source-dbi-resource-id",
        "--source-db-instance-automated-backups-arn"],
    "restore-db-instance-from-db-snapshot": [...RESTORE_COMMON_FLAGS, "--db-instance-identifier", "--db-snapshot-identifier"],
};

describe("docs/runbook-restore-database.md", () => {
    const runbook = fs.readFileSync(path.join(ROOT, "docs", "runbook-restore-database.md"), "utf8");
    const commands = shellCommands(runbook);
    const indexOf = (predicate: (c: ShellCommand) => boolean) => commands.findIndex(predicate);
    let prod: Built;
    let db: Record<string, any>;

    before(async () => {
        prod = await buildStack("prod");
        db = prod.capture.one(INSTANCE, "-database-db").inputs;
    });

    it("addresses the instance by the URN the program gives it", () => {
        const urn = prod.capture.one(INSTANCE, "-database-db").urn;
        assert.equal(urn, "urn:pulumi:prod::platform::platform:data:Database$aws:rds/instance:Instance::platform-prod-database-db");
        const template = /URN="(urn:pulumi:[^"]+)"/.exec(runbook)?.[1];
        assert.ok(template, "the runbook sets URN");
        assert.equal(template.replaceAll("$(pulumi stack --show-name)", "prod").replace("\\$", "$"), urn);
    });

    it("reads only stack outputs the platform exports, each for what it is", async () => {
        const used = [...runbook.matchAll(/pulumi stack output (\w+)/g)].map((m) => m[1]);
        const outputs = prod.platform.outputs as Record<string, unknown>;
        for (const name of new Set(used)) assert.ok(name in outputs, `the platform has no output ${name}`);
        assert.equal(await valueOf(outputs.databaseIdentifier as string), db.identifier);
        assert.equal(await valueOf(prod.platform.outputs.backupVaultName), prod.capture.one(VAULT, "-backup-vault").inputs.name);
        // Restore jobs run with the restore role, copy jobs with the backup role.
        const restoreJob = commands.find((c) => c.text.includes("aws backup start-restore-job"))!;
        assert.equal(flagValue(restoreJob.text, "--iam-role-arn"), "$RESTORE_ROLE");
        assert.ok(runbook.includes("RESTORE_ROLE=$(pulumi stack output backupRestoreRoleArn)"));
        const restoreRole = prod.capture.one(ROLE, "-backup-restore-role");
        assert.ok(prod.capture.ofType(ATTACHMENT).some((a) => a.propertyDependencies.role?.includes(restoreRole.urn) &&
            a.inputs.policyArn.endsWith("/AWSBackupServiceRolePolicyForRestores")));
        const copyJob = /aws backup start-copy-job [^`]*/.exec(runbook)?.[0] ?? "";
        assert.equal(flagValue(copyJob, "--iam-role-arn"), "$(pulumi stack output backupRoleArn)");
    });

    it("restores with only options the restore APIs take for PostgreSQL, set as the program sets them", () => {
        const restores = commands.filter((c) => /^aws rds restore-db-instance-(to-point-in-time|from-db-snapshot) /.test(c.text));
        assert.deepEqual(restores.map((c) => c.text.split(" ")[2]), ["restore-db-instance-to-point-in-time", "restore-db-instance-from-db-snapshot"]);
        for (const { text } of restores) {
            const op = text.split(" ")[2];
            const flags = flagsOf(text);
            for (const flag of flags) assert.ok(RESTORE_FLAGS[op].includes(flag), `${op} does not take ${flag} for PostgreSQL`);
            assert.equal(flagValue(text, "--storage-type"), db.storageType);
            assert.equal(flagValue(text, "--engine-lifecycle-support"), db.engineLifecycleSupport);
            assert.deepEqual(JSON.parse(flagValue(text, "--enable-cloudwatch-logs-exports")!), db.enabledCloudwatchLogsExports);
            assert.equal(flags.includes("--no-publicly-accessible"), db.publiclyAccessible === false);
            assert.equal(flags.includes("--copy-tags-to-snapshot"), db.copyTagsToSnapshot === true);
            assert.equal(flags.includes("--deletion-protection"), db.deletionProtection === true);
            assert.ok(flags.includes("--multi-az") && flags.includes("--no-multi-az"), "multi-AZ follows the live instance");
            for (const [flag, variable] of [["--db-subnet-group-name", "$SUBNET_GROUP"], ["--vpc-security-group-ids", "$SG"], ["--db-parameter-group-name", "$PARAMS"]]) {
                assert.equal(flagValue(text, flag), variable, `${op} ${flag}`);
            }
        }
    });

    it("turns on the RDS-managed master password with the database's key after every restore, before the check", () => {
        // The program's master secret is encrypted with the database key, which is what step 0 reads into KEY.
        assert.equal(db.manageMasterUserPassword, true);
        assert.equal(db.masterUserSecretKmsKeyId, db.kmsKeyId);
        assert.match(runbook, /read SUBNET_GROUP SG PARAMS KEY MULTI_AZ CLASS <<<"\$\(aws rds describe-db-instances [^)]*\[DBSubnetGroup\.DBSubnetGroupName, VpcSecurityGroups\[0\]\.VpcSecurityGroupId, DBParameterGroups\[0\]\.DBParameterGroupName, KmsKeyId, MultiAZ, DBInstanceClass\]/);
        const modify = indexOf((c) => c.text.startsWith("aws rds modify-db-instance") && c.text.includes("--manage-master-user-password"));
        assert.ok(modify >= 0, "a modify-db-instance step turns management on");
        const text = commands[modify].text;
        assert.equal(flagValue(text, "--db-instance-identifier"), "$RESTORED");
        assert.equal(flagValue(text, "--master-user-secret-kms-key-id"), "$KEY");
        assert.ok(flagsOf(text).includes("--apply-immediately"));
        const lastRestore = Math.max(...commands.map((c, i) => (/^(aws rds restore-|JOB=\$\(aws backup start-restore-job)/.test(c.text) ? i : -1)));
        const check = indexOf((c) => c.text.includes("kubectl -n orders apply"));
        assert.ok(lastRestore < modify && modify < check, "restore, then manage the password, then check");
    });

    it("checks the restored data from a restricted pod that reads the password from a Secret, never from its spec", () => {
        const kubectl = commands.filter((c) => /\bkubectl\b/.test(c.text));
        for (const c of kubectl) {
            // The kubectl part of a pipeline: the password may flow through stdin, never its arguments.
            const invocation = c.text.slice(c.text.indexOf("kubectl"));
            assert.doesNotMatch(invocation, /PGPASSWORD|--env\b|--from-literal/, `a password on a kubectl command line: ${c.text}`);
        }
        const create = kubectl.find((c) => c.text.includes("create secret generic"))!;
        assert.match(create.text, /^aws secretsmanager get-secret-value --secret-id "\$RESTORED_SECRET" .*\| kubectl -n orders create secret generic restore-check --from-env-file=\/dev\/stdin$/);
        const apply = kubectl.find((c) => c.heredoc !== undefined)!;
        const pod = parseYaml(apply.heredoc!);
        assert.equal(pod.kind, "Pod");
        const container = pod.spec.containers[0];
        assert.equal(container.env, undefined, "no env values in the pod spec");
        assert.deepEqual(container.envFrom, [{ secretRef: { name: "restore-check" } }]);
        assert.doesNotMatch(apply.heredoc!, /password/i);
        // The client speaks the server's major version over TLS, to the database the app uses.
        assert.equal(container.image, `public.ecr.aws/docker/library/postgres:${db.engineVersion}`);
        assert.match(container.command[1], /sslmode=require/);
        assert.equal(databaseSecretDocument({ host: "h", port: 1, dbName: db.dbName, username: "u", sslMode: "require", passwordSecretArn: "a" }).dbname, db.dbName);
        assert.ok(runbook.includes("jq -r .dbname"), "the database name comes from the app's connection secret");
        // Pod Security "restricted", which the app's namespace enforces.
        const ns = prod.capture.ofType(NAMESPACE).find((n) => n.inputs.metadata.name === "orders")!;
        assert.equal(ns.inputs.metadata.labels["pod-security.kubernetes.io/enforce"], "restricted");
        assert.equal(pod.spec.securityContext.runAsNonRoot, true);
        assert.deepEqual(pod.spec.securityContext.seccompProfile, { type: "RuntimeDefault" });
        assert.deepEqual(container.securityContext, { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } });
        // The Secret goes when the pod does.
        assert.ok(kubectl.some((c) => c.text === "kubectl -n orders delete pod/restore-check secret/restore-check"));
    });

    it("deletes the log groups RDS created for the restored and the old identifiers, never the stack's own", () => {
        // RDS exports to /aws/rds/instance/<identifier>/<type>: the program owns those of its identifier.
        for (const type of db.enabledCloudwatchLogsExports as string[]) {
            assert.equal(prod.capture.one(LOG_GROUP, `-database-log-${type}`).inputs.name, `/aws/rds/instance/${db.identifier}/${type}`);
        }
        assert.ok(runbook.includes('export RESTORED="$DB-restore"'));
        const cleanup = runbook.slice(runbook.indexOf("## 6. Clean up"));
        assert.match(cleanup, /for id in "\$RESTORED" "\$DB-old"; do\n\s+for group in \$\(aws logs describe-log-groups --log-group-name-prefix "\/aws\/rds\/instance\/\$id\/" /);
        assert.match(cleanup, /aws logs delete-log-group --log-group-name "\$group"/);
        // Only after the old instance is gone (it exports until then).
        assert.ok(cleanup.indexOf('aws rds wait db-instance-deleted --db-instance-identifier "$DB-old"') < cleanup.indexOf("aws logs delete-log-group"));
        // The prefixes end with "/": "/aws/rds/instance/$DB-restore/" cannot match the stack's "/aws/rds/instance/$DB/".
        for (const id of [`${db.identifier}-restore`, `${db.identifier}-old`]) {
            assert.ok(!`/aws/rds/instance/${db.identifier}/postgresql`.startsWith(`/aws/rds/instance/${id}/`));
        }
    });

    it("names the plan's schedule as it is", () => {
        const [, minute, hour] = /^cron\((\d+) (\d+) /.exec(planOf(prod).inputs.rules[0].schedule)!;
        assert.ok(runbook.includes(`daily at ${hour.padStart(2, "0")}:${minute.padStart(2, "0")} UTC`));
    });
});
