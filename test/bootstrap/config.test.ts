import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { parse as parseYaml } from "yaml";
import { BOOTSTRAP_PROJECT, BootstrapConfigError, parseBootstrapConfig, SETTINGS, type ConfigProblem } from "../../bootstrap/config";
import { ROOT } from "../harness";
import { BOOTSTRAP_DIR, bootstrapStackValues } from "./fixtures";

const minimal = { "aws:region": "eu-west-1", [`${BOOTSTRAP_PROJECT}:githubOwner`]: "acme", [`${BOOTSTRAP_PROJECT}:githubRepository`]: "platform" };

function problems(values: Record<string, string>): ConfigProblem[] {
    try {
        parseBootstrapConfig("acct", values);
        return [];
    } catch (e) {
        if (e instanceof BootstrapConfigError) return [...e.problems];
        throw e;
    }
}

describe("bootstrap config", () => {
    it("is its own Pulumi project, whose config namespace the schema reads", () => {
        const project = parseYaml(fs.readFileSync(path.join(BOOTSTRAP_DIR, "Pulumi.yaml"), "utf8"));
        assert.equal(project.name, BOOTSTRAP_PROJECT);
        assert.equal(project.name === parseYaml(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8")).name, false);
        assert.deepEqual(project.runtime, { name: "nodejs", options: { packagemanager: "npm", typescript: true } });
        // No package.json of its own: Node resolves the root's node_modules from bootstrap/.
        assert.equal(fs.existsSync(path.join(BOOTSTRAP_DIR, "package.json")), false);
    });

    it("parses the example stack file", () => {
        assert.deepEqual(parseBootstrapConfig("example", bootstrapStackValues()), {
            stack: "example",
            region: "us-east-1",
            githubOwner: "acme",
            githubRepository: "platform",
            platformProject: "platform",
            devStack: "dev",
            prodStack: "prod",
            extraDeployRegions: ["us-west-2"],
            maxSessionHours: 4,
            stateBackend: "s3",
            stateBucketName: undefined,
            stateVersionRetentionDays: 90,
            existingOidcProviderArn: undefined,
        });
    });

    it("needs only the region and the repository; the rest has defaults", () => {
        const c = parseBootstrapConfig("acct", minimal);
        assert.equal(c.platformProject, "platform");
        assert.equal(c.maxSessionHours, 4);
        assert.equal(c.stateBackend, "s3");
        assert.deepEqual(c.extraDeployRegions, []);
    });

    it("reports every problem at once with the key, the value, the rule and the fix", () => {
        const found = problems({
            "aws:region": "US East",
            [`${BOOTSTRAP_PROJECT}:githubOwner`]: "-acme",
            [`${BOOTSTRAP_PROJECT}:maxSessionHours`]: "24",
            [`${BOOTSTRAP_PROJECT}:stateBackend`]: "dynamodb",
            [`${BOOTSTRAP_PROJECT}:githubRepo`]: "platform",
        });
        assert.deepEqual(found, [
            { key: "aws:region", value: "US East", rule: "the AWS region of the account's platform, such as us-east-1", fix: "pulumi config set aws:region us-east-1" },
            {
                key: "platform-bootstrap:githubRepo", value: "platform",
                rule: `unknown setting; known settings: ${Object.keys(SETTINGS).join(", ")}`,
                fix: "pulumi config rm 'platform-bootstrap:githubRepo'",
            },
            {
                key: "platform-bootstrap:githubOwner", value: "-acme",
                rule: "a GitHub owner name: 1 to 39 letters, digits or single hyphens, not starting or ending with a hyphen",
                fix: "pulumi config set 'platform-bootstrap:githubOwner' acme",
            },
            {
                key: "platform-bootstrap:githubRepository", value: undefined,
                rule: "a GitHub repository name: 1 to 100 letters, digits, '.', '-' or '_'",
                fix: "pulumi config set 'platform-bootstrap:githubRepository' platform",
            },
            {
                key: "platform-bootstrap:maxSessionHours", value: 24,
                rule: "an integer from 1 to 12 (IAM's range for MaxSessionDuration, in hours)",
                fix: "pulumi config set 'platform-bootstrap:maxSessionHours' 4",
            },
            {
                key: "platform-bootstrap:stateBackend", value: "dynamodb",
                rule: 'one of "s3", "pulumi-cloud"',
                fix: "pulumi config set 'platform-bootstrap:stateBackend' s3",
            },
        ]);
    });

    it("checks the settings against each other", () => {
        assert.deepEqual(problems({ ...minimal, [`${BOOTSTRAP_PROJECT}:prodStack`]: "dev" }).map((p) => [p.key, p.fix]), [
            ["platform-bootstrap:prodStack", "pulumi config set 'platform-bootstrap:prodStack' prod"],
        ]);
        assert.deepEqual(problems({ ...minimal, [`${BOOTSTRAP_PROJECT}:devStack`]: "ci" }).map((p) => p.rule), [
            'a lowercase stack name of up to 20 letters, digits or hyphens, starting with a letter, not "ci" (the CI roles are named <platformProject>-ci-*)',
        ]);
        assert.deepEqual(problems({ ...minimal, [`${BOOTSTRAP_PROJECT}:extraDeployRegions`]: '["eu-west-1","us-west-2"]' }).map((p) => p.fix), [
            "pulumi config rm 'platform-bootstrap:extraDeployRegions' && pulumi config set --path 'platform-bootstrap:extraDeployRegions[0]' us-west-2",
        ]);
        assert.deepEqual(problems({ ...minimal, [`${BOOTSTRAP_PROJECT}:stateBackend`]: "pulumi-cloud", [`${BOOTSTRAP_PROJECT}:stateBucketName`]: "acme-state" }), [{
            key: "platform-bootstrap:stateBucketName", value: "acme-state",
            rule: 'only with stateBackend "s3" (Pulumi Cloud keeps the state; no bucket is created)',
            fix: "pulumi config rm 'platform-bootstrap:stateBucketName'",
        }]);
    });

    it("keeps a string setting as typed (an all-digit owner is still a name)", () => {
        assert.equal(parseBootstrapConfig("acct", { ...minimal, [`${BOOTSTRAP_PROJECT}:githubOwner`]: "1234" }).githubOwner, "1234");
        assert.deepEqual(problems({ ...minimal, [`${BOOTSTRAP_PROJECT}:stateBucketName`]: "Acme.State" }).map((p) => p.key), ["platform-bootstrap:stateBucketName"]);
    });

    it("raises a RunError that prints its message, and Error.stack is intact", () => {
        let error: unknown;
        try {
            parseBootstrapConfig("acct", {});
        } catch (e) {
            error = e;
        }
        assert.ok(pulumi.RunError.isInstance(error), "the Pulumi runtime prints a RunError's message; anything else as util.inspect");
        const e = error as BootstrapConfigError;
        assert.equal(e.message.split("\n")[0], 'Bootstrap stack "acct" has 3 configuration problems; nothing was created.');
        assert.equal(e.message, [
            'Bootstrap stack "acct" has 3 configuration problems; nothing was created.',
            "  1. aws:region = (not set)",
            "     rule: the AWS region of the account's platform, such as us-east-1",
            "     fix:  pulumi config set aws:region us-east-1",
            "  2. platform-bootstrap:githubOwner = (not set)",
            "     rule: a GitHub owner name: 1 to 39 letters, digits or single hyphens, not starting or ending with a hyphen",
            "     fix:  pulumi config set 'platform-bootstrap:githubOwner' acme",
            "  3. platform-bootstrap:githubRepository = (not set)",
            "     rule: a GitHub repository name: 1 to 100 letters, digits, '.', '-' or '_'",
            "     fix:  pulumi config set 'platform-bootstrap:githubRepository' platform",
        ].join("\n"));
        assert.ok(String(e.stack).startsWith(`BootstrapConfigError: ${e.message}\n    at `), "Error.stack is the real stack trace");
    });

    it("documents every key in bootstrap/README.md", () => {
        const readme = fs.readFileSync(path.join(BOOTSTRAP_DIR, "README.md"), "utf8");
        for (const name of Object.keys(SETTINGS)) assert.ok(readme.includes(`\`${BOOTSTRAP_PROJECT}:${name}\``), `README lacks ${name}`);
    });
});
