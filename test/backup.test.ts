import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { BACKUP_SCHEDULE } from "../components/backup";
import { built } from "./database.test";
import { reveal, ROOT, valueOf, type Built, type CapturedResource } from "./harness";

const PLAN = "aws:backup/plan:Plan";
const VAULT = "aws:backup/vault:Vault";
const SELECTION = "aws:backup/selection:Selection";
const ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment";
const AWS_PROVIDER = "pulumi:providers:aws";
const KEY = "aws:kms/key:Key";

const planOf = (b: Built) => b.capture.one(PLAN, "-backup-plan");
const providerOf = (b: Built, r: CapturedResource) => b.capture.byUrn(r.provider.split("::").slice(0, -1).join("::"));

describe("database backup", () => {
    let dev: Built;
    let prod: Built;
    let review: Built;
    let longName: Built;

    before(async () => {
        dev = await built("dev");
        prod = await built("prod");
        review = await built("pr-1");
        longName = await built("pr-123456789012345678901234567890", { "platform:database": { backupPlan: { enabled: true } } });
    });

    it("backs the database up daily into a KMS-encrypted vault, kept as long as the stack file says", async () => {
        for (const [b, days] of [[dev, 7], [prod, 35]] as const) {
            assert.equal(await valueOf(b.platform.outputs.backupVaultName), b.capture.one(VAULT, "-backup-vault").inputs.name);
            const rules = planOf(b).inputs.rules;
            assert.equal(rules.length, 1);
            assert.equal(rules[0].schedule, BACKUP_SCHEDULE);
            assert.equal(BACKUP_SCHEDULE, "cron(0 6 * * ? *)");
            assert.deepEqual(rules[0].lifecycle, { deleteAfter: days });
            const vault = b.capture.one(VAULT, "-backup-vault");
            assert.equal(rules[0].targetVaultName, vault.inputs.name);
            assert.deepEqual(vault.propertyDependencies.kmsKeyArn, [b.capture.one(KEY, `${b.config.stack}-backup-key`).urn]);
            assert.match(vault.inputs.kmsKeyArn, /^arn:aws:kms:/);
        }
    });

    it("selects the database instance by ARN, with a role holding AWS's backup and restore policies", async () => {
        for (const b of [dev, prod]) {
            const selection = b.capture.one(SELECTION, "-backup-selection");
            assert.deepEqual(selection.inputs.resources, [await valueOf(b.platform.database.instanceArn)]);
            assert.deepEqual(selection.propertyDependencies.iamRoleArn, [b.capture.one("aws:iam/role:Role", "-backup-role").urn]);
            const policies = b.capture.ofType(ATTACHMENT).filter((a) => a.name.startsWith(`platform-${b.config.stack}-backup-`)).map((a) => a.inputs.policyArn).sort();
            assert.deepEqual(policies, [
                "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup",
                "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores",
            ]);
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

        assert.equal(planOf(dev).inputs.rules[0].copyActions, undefined);
        assert.equal(dev.capture.ofType(VAULT).length, 1);
        assert.equal(dev.capture.ofType(AWS_PROVIDER).length, 1);
    });

    it("protected vaults keep their recovery points; unprotected ones are force-destroyed", () => {
        for (const v of [prod.capture.one(VAULT, "-backup-vault"), prod.capture.one(VAULT, "-backup-copy-vault")]) {
            assert.equal(v.inputs.forceDestroy, false);
            assert.equal(v.protect, true);
        }
        const devVault = dev.capture.one(VAULT, "-backup-vault");
        assert.equal(devVault.inputs.forceDestroy, true);
        assert.equal(devVault.protect, false);
    });

    it("has no AWS Backup plan on a review stack (the default), RDS automated backups only", () => {
        assert.equal(review.capture.ofType(PLAN).length, 0);
        assert.equal(review.capture.ofType(VAULT).length, 0);
        assert.equal(review.platform.databaseBackup, undefined);
    });

    it("keeps vault, plan and selection names within AWS Backup's 50 characters for long stack names", () => {
        for (const [type, suffix] of [[VAULT, "-backup-vault"], [PLAN, "-backup-plan"], [SELECTION, "-backup-selection"]] as const) {
            const name = longName.capture.one(type, suffix).inputs.name as string;
            assert.ok(name.length <= 50, `${suffix}: ${name}`);
            assert.match(name, /^[a-z][a-z0-9-]*$/);
        }
    });
});

describe("data tier: dev and prod differ exactly where the stack files say", () => {
    let dev: Built;
    let prod: Built;

    before(async () => {
        dev = await built("dev");
        prod = await built("prod");
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
                if (k === "__defaults") continue;
                if (JSON.stringify(a[k]) !== JSON.stringify(b[k])) differences.push(`${name}.${k}`);
            }
        }
        assert.deepEqual(differences.sort(), [
            // Protection: the `protect` knob.
            "platform-STACK-backup-copy-key (prod only)",
            "platform-STACK-backup-copy-key-alias (prod only)",
            "platform-STACK-backup-copy-vault (prod only)",
            "platform-STACK-backup-key.deletionWindowInDays",
            "platform-STACK-backup-key.protect",
            "platform-STACK-backup-plan.rules", // retention 7 -> 35, copy to us-west-2
            "platform-STACK-backup-vault.forceDestroy",
            "platform-STACK-backup-vault.protect",
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
            "platform-STACK-secrets-cache.recoveryWindowInDays",
            "platform-STACK-secrets-database.recoveryWindowInDays",
            "platform-STACK-secrets-key.deletionWindowInDays",
            "platform-STACK-secrets-key.protect",
        ].sort());
    });
});

describe("docs/runbook-restore-database.md", () => {
    const runbook = fs.readFileSync(path.join(ROOT, "docs", "runbook-restore-database.md"), "utf8");
    let prod: Built;

    before(async () => {
        prod = await built("prod");
    });

    it("addresses the instance by the URN the program gives it", () => {
        const urn = prod.capture.one("aws:rds/instance:Instance", "-database-db").urn;
        assert.equal(urn, "urn:pulumi:prod::platform::platform:data:Database$aws:rds/instance:Instance::platform-prod-database-db");
        const template = /URN="(urn:pulumi:[^"]+)"/.exec(runbook)?.[1];
        assert.ok(template, "the runbook sets URN");
        assert.equal(template.replaceAll("$(pulumi stack --show-name)", "prod").replace("\\$", "$"), urn);
    });

    it("reads only stack outputs the platform exports", async () => {
        const used = [...runbook.matchAll(/pulumi stack output (\w+)/g)].map((m) => m[1]);
        assert.deepEqual([...new Set(used)].sort(), ["backupRoleArn", "backupVaultName", "databaseIdentifier"]);
        const outputs = prod.platform.outputs as Record<string, unknown>;
        assert.equal(await valueOf(outputs.databaseIdentifier as string), "platform-prod-database");
        assert.equal(await valueOf(outputs.backupVaultName as pulumi.Output<string>), prod.capture.one(VAULT, "-backup-vault").inputs.name);
        assert.equal(await valueOf(outputs.backupRoleArn as pulumi.Output<string>), await valueOf(prod.platform.databaseBackup!.roleArn));
    });

    it("restores with the settings the program enforces", () => {
        const db = prod.capture.one("aws:rds/instance:Instance", "-database-db").inputs;
        assert.equal(db.engineLifecycleSupport, "open-source-rds-extended-support-disabled");
        for (const flag of [
            "--engine-lifecycle-support open-source-rds-extended-support-disabled",
            "--no-publicly-accessible", "--storage-type gp3", "--copy-tags-to-snapshot", "--deletion-protection",
            "--manage-master-user-password", `--enable-cloudwatch-logs-exports '${JSON.stringify(db.enabledCloudwatchLogsExports)}'`,
        ]) {
            assert.ok(runbook.includes(flag), `runbook lacks ${flag}`);
        }
        assert.ok(runbook.includes(db.identifier), "the runbook names the identifier the program gives prod");
        assert.match(runbook, /daily at 06:00 UTC/);
        assert.equal(BACKUP_SCHEDULE, "cron(0 6 * * ? *)");
    });
});
