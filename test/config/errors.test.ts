/**
 * What a user reads when the program refuses its input under a real `pulumi up`. The SDK's program
 * runner (cmd/run/run.js uncaughtHandler) logs a RunError's message as it is; any other error goes
 * through error.js defaultErrorMessage, which is `util.inspect` of the object (and a class field
 * named `stack` replaces Error.stack, so that inspect shows `[dev] { problems: [...] }`).
 */
import * as pulumi from "@pulumi/pulumi";
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { BootstrapConfigError, parseBootstrapConfig } from "../../bootstrap/config";
import { ConfigError, InputError, parseConfig, PROJECT } from "../../components/config";
import { formatProblems } from "../../components/config/engine";
import { databaseSchema, cacheSchema, secretsSchema } from "../../components/data/config";
import { validateDatabaseArgs } from "../../components/data/database";
import { validateCacheArgs } from "../../components/data/cache";
import { validateSecretsArgs } from "../../components/data/secrets";
import { validateDatabaseBackupArgs } from "../../components/data/backup";
import { validateExternalSecretsArgs } from "../../components/data/external-secrets";
import { dockerfileUser } from "../../components/delivery/image";
import { flagDefinitions } from "../../components/delivery/workload";
import { loadAlertRuleGroups } from "../../components/observability/metrics";
import { encode, readStackValues, ROOT } from "../harness";
import { runProgram } from "./fake-engine";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { defaultErrorMessage } = require("@pulumi/pulumi/cmd/run/error");

const devValues = readStackValues("dev").values;
const network = JSON.parse(devValues["platform:network"]);
/** Two problems in one section and an unknown top-level key: every problem is listed at once. */
const badDev = {
    ...devValues,
    ...encode({ "platform:network": { ...network, availabilityZoneCount: 9, natGateways: "some" } }),
    "platform:netwrok": "{}",
};

// The program under the SDK's runner is a child process of seconds: started as mocha loads this
// file (as the plan CLI's runs, test/plan/cli.ts), it runs beside the tests before this one; the
// test awaits it.
const badDevRun = runProgram({ program: ".", project: PROJECT, stack: "dev", config: badDev });
// Read by its test later: not an unhandled rejection meanwhile (the test still gets the error).
badDevRun.catch(() => undefined);

const thrown = (f: () => unknown): unknown => {
    try {
        f();
    } catch (e) {
        return e;
    }
    assert.fail("expected a throw");
};

/** Printed by the runner exactly as its message, with a real stack trace kept for debugging. */
function assertPrintsItsMessage(e: unknown, message: RegExp | string): void {
    assert.ok(pulumi.RunError.isInstance(e), `${(e as Error)?.name} is not a RunError`);
    const err = e as Error;
    if (typeof message === "string") assert.equal(err.message, message);
    else assert.match(err.message, message);
    assert.equal(typeof err.stack, "string");
    assert.ok(err.stack!.startsWith(`${err.name}: ${err.message.split("\n")[0]}`), err.stack);
}

describe("errors the program raises on purpose", () => {
    it("under the SDK's program runner, a bad stack config prints exactly the formatted problems and registers nothing but the Stack", async function () {
        this.timeout(60_000);
        const run = await badDevRun;
        const expected = [
            'Stack "dev" has 3 configuration problems; nothing was created.',
            "  1. platform:netwrok = {}",
            "     rule: unknown setting; known settings here: environment, protect, decommission, tags, network, cluster, database, cache, secrets, observability, app, review, reviewEnvironments",
            "     fix:  pulumi config rm 'platform:netwrok'  # did you mean platform:network?",
            "  2. platform:network.availabilityZoneCount = 9",
            "     rule: an integer from 2 to 6 (EKS and the RDS subnet group need subnets in at least 2 AZs)",
            "     fix:  pulumi config set --path 'platform:network.availabilityZoneCount' 2",
            "  3. platform:network.natGateways = \"some\"",
            '     rule: one of "single", "perAz"',
            "     fix:  pulumi config set --path 'platform:network.natGateways' single",
        ].join("\n");
        const errors = run.logs.filter((l) => l.severity === "error").map((l) => l.message);
        assert.equal(errors.length, 1, JSON.stringify(run.logs, null, 1) + run.stderr);
        assert.equal(errors[0], expected);
        // The very text parseConfig formats in-process: nothing added, nothing inspected.
        assert.equal(errors[0], (thrown(() => parseConfig({ project: PROJECT, stack: "dev", values: badDev })) as Error).message);
        assert.doesNotMatch(errors[0], /problems:|\[dev\]|at .*\.ts:\d+/);
        assert.equal(run.exitCode, 32); // the runner's "program failed, error already reported" code
        assert.deepEqual(run.registered, ["urn:pulumi:dev::platform::pulumi:pulumi:Stack::platform-dev"]);
    });

    it("prints the README's example exactly (lines the README shortens with ... match up to there)", () => {
        const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
        const block = /A bad config stops the plan[\s\S]*?```text\n([\s\S]*?)\n```/.exec(readme)![1].split("\n");
        const { natGateways: _n, ...rest } = network;
        const values = { ...devValues, ...encode({ "platform:network": { ...rest, availabilityZoneCount: 1, natGateway: "perAz" } }) };
        const printed = (thrown(() => parseConfig({ project: PROJECT, stack: "dev", values })) as Error).message.split("\n");
        assert.equal(printed.length, block.length, printed.join("\n"));
        block.forEach((line, i) => {
            if (line.endsWith("...")) assert.ok(printed[i].startsWith(line.slice(0, -3)), `${printed[i]}\n${line}`);
            else assert.equal(printed[i], line);
        });
    });

    it("an Error with a field named stack is what the runner would print as util.inspect (why ConfigError has stackName)", () => {
        class OldConfigError extends Error {
            constructor(readonly stack: string, readonly problems: readonly unknown[]) {
                super("formatted");
            }
        }
        const old = new OldConfigError("dev", [{ key: "k" }]);
        assert.equal(pulumi.RunError.isInstance(old), false);
        assert.match(defaultErrorMessage(old), /^\[dev\] \{[\s\S]*problems: \[/);
        const now = thrown(() => parseConfig({ project: PROJECT, stack: "dev", values: badDev })) as ConfigError;
        assert.ok(now instanceof ConfigError);
        assert.equal(now.stackName, "dev");
        assert.equal(now.problems.length, 3);
        assertPrintsItsMessage(now, formatProblems("dev", now.problems));
    });

    it("the bootstrap project's config error is the engine's ConfigError under its own heading", () => {
        const e = thrown(() => parseBootstrapConfig("acme", { "aws:region": "moon-1" }));
        assert.ok(e instanceof BootstrapConfigError && e instanceof ConfigError);
        assert.equal(e.name, "BootstrapConfigError");
        assert.equal(e.stackName, "acme");
        assertPrintsItsMessage(e, /^Bootstrap stack "acme" has \d+ configuration problems?; nothing was created\.\n {2}1\. aws:region = "moon-1"\n {5}rule: the AWS region of the account's platform, such as us-east-1\n {5}fix: {2}pulumi config set aws:region us-east-1/);
    });

    it("each component check is an InputError naming the key, the value, the rule and the fix", () => {
        const az = (n: number) => ({
            key: "platform:network.availabilityZoneCount", value: n,
            rule: `a DB subnet group needs subnets in at least 2 AZs, got ${n} isolated subnet(s)`,
            fix: "pulumi config set --path 'platform:network.availabilityZoneCount' 2",
        });
        const database = thrown(() => validateDatabaseArgs({
            config: { ...databaseSchema.parse({}), name: "orders-db" }, protect: false, vpcId: "vpc-1", isolatedSubnetIds: ["a"], allowedSecurityGroupId: "sg-1",
        }));
        assert.ok(database instanceof InputError);
        assert.equal(database.component, "database");
        assert.deepEqual(database.problems.map((p) => p.key), ["platform:database.name", "platform:network.availabilityZoneCount"]);
        assert.equal(database.problems[0].value, "orders-db");
        assert.match(database.problems[0].fix, /^pulumi config set --path 'platform:database\.name' \w+$/);
        assert.deepEqual(database.problems[1], az(1));
        assertPrintsItsMessage(database, /^database: 2 problems in its inputs\.\n {2}1\. platform:database\.name = "orders-db"\n {5}rule: .*\n {5}fix: {2}pulumi config set/);

        const cache = thrown(() => validateCacheArgs({
            config: { ...cacheSchema.parse({}), multiAz: true, nodeCount: 1 }, protect: false, vpcId: "vpc-1", isolatedSubnetIds: ["a", "b"], allowedSecurityGroupId: "sg-1",
        }));
        assertPrintsItsMessage(cache, [
            "cache: 1 problem in its inputs.",
            "  1. platform:cache.nodeCount = 1",
            "     rule: multi-AZ needs at least 2 nodes (a replica in another AZ to fail over to)",
            "     fix:  pulumi config set --path 'platform:cache.nodeCount' 2",
        ].join("\n"));

        const secrets = thrown(() => validateSecretsArgs({ config: { ...secretsSchema.parse({}), recoveryWindowDays: 3 } } as any));
        assertPrintsItsMessage(secrets, /^secrets: 1 problem in its inputs\.\n {2}1\. platform:secrets\.recoveryWindowDays = 3\n {5}rule: 0, or an integer from 7 to 30 \(Secrets Manager's range\)\n {5}fix: {2}pulumi config set --path 'platform:secrets\.recoveryWindowDays' 0$/);

        const backup = thrown(() => validateDatabaseBackupArgs({ config: { ...databaseSchema.parse({}).backupPlan, copyRegion: "eu-west-1" }, region: "eu-west-1" } as any));
        assertPrintsItsMessage(backup, [
            "backup: 1 problem in its inputs.",
            '  1. platform:database.backupPlan.copyRegion = "eu-west-1"',
            "     rule: another region than the stack's own (eu-west-1), or \"\" for no copy",
            "     fix:  pulumi config set --path 'platform:database.backupPlan.copyRegion' us-west-2",
        ].join("\n"));

        const refresh = thrown(() => validateExternalSecretsArgs({ config: { ...secretsSchema.parse({}), refreshInterval: "5 minutes" }, appNamespace: "app" } as any));
        assertPrintsItsMessage(refresh, /^external-secrets: 1 problem in its inputs\.\n {2}1\. platform:secrets\.refreshInterval = "5 minutes"\n/);
        const ns = thrown(() => validateExternalSecretsArgs({ config: secretsSchema.parse({}), appNamespace: "App" } as any));
        assertPrintsItsMessage(ns, /^external-secrets: 1 problem in its inputs\.\n {2}1\. appNamespace argument = "App"\n {5}rule: a Kubernetes namespace name/);
    });

    it("the repository files the program reads are checked the same way (Dockerfile, flags, alert rules)", () => {
        assertPrintsItsMessage(thrown(() => dockerfileUser("USER 0\n")), /^image: 1 problem in its inputs\.\n {2}1\. the Dockerfile's last USER = "0"\n {5}rule: a numeric non-root uid\[:gid\]/);
        assertPrintsItsMessage(thrown(() => flagDefinitions(JSON.stringify({ flags: { "new-checkout": { variants: { off: false } } } }), { "new-checkout": { defaultVariant: "on" } })),
            /^workload: 1 problem in its inputs\.\n {2}1\. .*flags\.json flags\.new-checkout\.variants = \["off"\]\n {5}rule: a new-checkout flag with a "on" variant/);
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rules-"));
        try {
            const file = path.join(dir, "alerts.yaml");
            fs.writeFileSync(file, "groups: []\n");
            assertPrintsItsMessage(thrown(() => loadAlertRuleGroups(file)), /^metrics: 1 problem in its inputs\.\n {2}1\. .*alerts\.yaml groups = \[\]\n {5}rule: a non-empty `groups:` list/);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
