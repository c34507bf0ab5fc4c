import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { validateIdentityPolicy, validateResourcePolicy, validateTrustPolicy } from "@cloud-copilot/iam-policy";
import { AccountBootstrap, type BootstrapOutputs } from "../../bootstrap/bootstrap";
import { BOOTSTRAP_PROJECT, parseBootstrapConfig } from "../../bootstrap/config";
import { ACCOUNT_ID, settle, startCapture, valueOf, type Capture, type CapturedResource } from "../harness";
import { BOOTSTRAP_DIR, bootstrapStackValues } from "./fixtures";

const ROLE = "aws:iam/role:Role";
const ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy";
const OIDC = "aws:iam/openIdConnectProvider:OpenIdConnectProvider";
const BUCKET = "aws:s3/bucket:Bucket";
const KEY = "aws:kms/key:Key";

interface Built {
    readonly capture: Capture;
    readonly outputs: Record<keyof BootstrapOutputs, unknown>;
}

/** Builds the bootstrap program under mocks for these config values and resolves its outputs. */
async function build(values: Record<string, string>): Promise<Built> {
    const capture = await startCapture("acct", values, [], BOOTSTRAP_PROJECT);
    const config = parseBootstrapConfig("acct", values);
    const bootstrap = new AccountBootstrap(`${config.platformProject}-bootstrap`, config);
    await settle();
    const entries = await Promise.all(Object.entries(bootstrap.outputs).map(async ([k, v]) => [k, await valueOf(v)] as const));
    return { capture, outputs: Object.fromEntries(entries) as Built["outputs"] };
}

const json = (r: CapturedResource, input: string) => JSON.parse(r.inputs[input]);

describe("bootstrap project under mocks", () => {
    let built: Built;
    let roles: Record<string, CapturedResource>;
    let providerArn: string;
    // Mocks are process-global: each build installs its own (startCapture), like every suite.
    before(async () => {
        built = await build(bootstrapStackValues());
        roles = Object.fromEntries(built.capture.ofType(ROLE).map((r) => [r.inputs.name, r]));
        providerArn = `arn:aws:iam:us-east-1:${ACCOUNT_ID}:platform-bootstrap-github-oidc`;
    });

    it("creates the GitHub OIDC provider for the STS audience", () => {
        const oidc = built.capture.one(OIDC);
        assert.equal(oidc.inputs.url, "https://token.actions.githubusercontent.com");
        assert.deepEqual(oidc.inputs.clientIdLists, ["sts.amazonaws.com"]);
        assert.equal(oidc.inputs.thumbprintLists, undefined);
    });

    it("has exactly the four CI roles, each trusting only its jobs of this repository", () => {
        assert.deepEqual(Object.keys(roles).sort(), ["platform-ci-dev-deploy", "platform-ci-preview", "platform-ci-prod-deploy", "platform-ci-review"]);
        const expectedSubjects: Record<string, string | string[]> = {
            "platform-ci-preview": ["repo:acme/platform:pull_request", "repo:acme/platform:ref:refs/heads/main"],
            "platform-ci-dev-deploy": "repo:acme/platform:environment:dev",
            // Exactly the approved prod environment: a string, so no other value can be in a list.
            "platform-ci-prod-deploy": "repo:acme/platform:environment:prod",
            "platform-ci-review": ["repo:acme/platform:pull_request", "repo:acme/platform:environment:review"],
        };
        for (const [name, role] of Object.entries(roles)) {
            const trust = json(role, "assumeRolePolicy");
            assert.deepEqual(validateTrustPolicy(trust), [], name);
            assert.deepEqual(trust, {
                Version: "2012-10-17",
                Statement: [{
                    Sid: "GitHubActionsOfThisRepository",
                    Effect: "Allow",
                    Principal: { Federated: providerArn },
                    Action: "sts:AssumeRoleWithWebIdentity",
                    Condition: {
                        StringEquals: {
                            "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                            "token.actions.githubusercontent.com:sub": expectedSubjects[name],
                        },
                    },
                }],
            }, name);
            // No StringLike anywhere: a wildcard in sub would admit other branches or repositories.
            assert.doesNotMatch(role.inputs.assumeRolePolicy, /StringLike|\*/, name);
        }
    });

    it("lets every role's session last 4 hours, long enough for a first prod create and its previews", () => {
        for (const role of Object.values(roles)) assert.equal(role.inputs.maxSessionDuration, 4 * 3600, role.inputs.name);
    });

    it("registers only valid IAM documents, within IAM's size limits", () => {
        const policies = built.capture.ofType(ROLE_POLICY);
        assert.equal(policies.length, 4);
        for (const p of policies) {
            assert.deepEqual(validateIdentityPolicy(json(p, "policy")), [], p.name);
            // Inline policies of a role: 10,240 characters together, whitespace not counted.
            assert.ok(p.inputs.policy.replace(/\s/g, "").length <= 10_240, `${p.name}: ${p.inputs.policy.length}`);
        }
        const boundary = built.capture.one("aws:iam/policy:Policy");
        assert.equal(boundary.inputs.name, "platform-permissions-boundary");
        assert.deepEqual(validateIdentityPolicy(json(boundary, "policy")), []);
        // A managed policy: 6,144 characters, whitespace not counted.
        assert.ok(boundary.inputs.policy.replace(/\s/g, "").length <= 6_144);
        assert.deepEqual(validateResourcePolicy(json(built.capture.one("aws:s3/bucketPolicy:BucketPolicy"), "policy")), []);
    });

    it("attaches each role's policy to that role and creates it after the boundary it names", () => {
        const boundary = built.capture.one("aws:iam/policy:Policy");
        for (const p of built.capture.ofType(ROLE_POLICY)) {
            const role = built.capture.named(p.name.replace(/-policy$/, ""));
            assert.ok(built.capture.dependsOn(p, role), p.name);
            assert.ok(built.capture.dependsOn(p, boundary), p.name);
        }
    });

    it("keeps the state in a versioned, KMS-encrypted, private, TLS-only bucket that outlives the stack", () => {
        const bucket = built.capture.one(BUCKET);
        const key = built.capture.one(KEY);
        assert.equal(bucket.inputs.bucket, `platform-state-${ACCOUNT_ID}-us-east-1`);
        assert.equal(bucket.inputs.forceDestroy, false);
        for (const r of [bucket, key]) {
            assert.equal(r.protect, true, r.name);
            assert.equal(r.retainOnDelete, true, r.name);
        }
        assert.equal(key.inputs.enableKeyRotation, true);
        assert.equal(key.inputs.deletionWindowInDays, 30);
        const bucketArn = `arn:aws:s3:us-east-1:${ACCOUNT_ID}:platform-bootstrap-state`;
        const onBucket = (type: string) => {
            const r = built.capture.one(type);
            assert.equal(r.inputs.bucket, "platform-bootstrap-state-id", type);
            return r.inputs;
        };
        assert.deepEqual(onBucket("aws:s3/bucketVersioning:BucketVersioning").versioningConfiguration, { status: "Enabled" });
        assert.deepEqual(onBucket("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration").rules, [{
            applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: `arn:aws:kms:us-east-1:${ACCOUNT_ID}:platform-bootstrap-state-key` },
            bucketKeyEnabled: true,
        }]);
        const pab = onBucket("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock");
        assert.deepEqual([pab.blockPublicAcls, pab.blockPublicPolicy, pab.ignorePublicAcls, pab.restrictPublicBuckets], [true, true, true, true]);
        assert.deepEqual(onBucket("aws:s3/bucketOwnershipControls:BucketOwnershipControls").rule, { objectOwnership: "BucketOwnerEnforced" });
        assert.deepEqual(JSON.parse(onBucket("aws:s3/bucketPolicy:BucketPolicy").policy), {
            Version: "2012-10-17",
            Statement: [{
                Sid: "TlsOnly", Effect: "Deny", Principal: "*", Action: "s3:*",
                Resource: [bucketArn, `${bucketArn}/*`],
                Condition: { Bool: { "aws:SecureTransport": "false" } },
            }],
        });
        assert.deepEqual(onBucket("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").rules, [{
            id: "superseded-state-versions", status: "Enabled", filter: {},
            noncurrentVersionExpiration: { noncurrentDays: 90 },
            abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
        }]);
        const meta = onBucket("aws:s3/bucketObjectv2:BucketObjectv2");
        assert.deepEqual([meta.key, meta.content], [".pulumi/meta.yaml", "version: 1\n"]);
    });

    it("outputs exactly what the GitHub variables and the platform's stacks need", () => {
        assert.deepEqual(built.outputs, {
            awsRegion: "us-east-1",
            previewRoleArn: `arn:aws:iam:us-east-1:${ACCOUNT_ID}:platform-bootstrap-preview`,
            devDeployRoleArn: `arn:aws:iam:us-east-1:${ACCOUNT_ID}:platform-bootstrap-devDeploy`,
            prodDeployRoleArn: `arn:aws:iam:us-east-1:${ACCOUNT_ID}:platform-bootstrap-prodDeploy`,
            reviewRoleArn: `arn:aws:iam:us-east-1:${ACCOUNT_ID}:platform-bootstrap-review`,
            backendUrl: `s3://platform-state-${ACCOUNT_ID}-us-east-1`,
            secretsProvider: "awskms://key-platform-bootstrap-state-key?region=us-east-1",
            permissionsBoundaryArn: `arn:aws:iam:us-east-1:${ACCOUNT_ID}:platform-bootstrap-permissions-boundary`,
        });
    });

    it("exports those outputs from index.ts, and the README maps each to its GitHub variable", () => {
        const index = fs.readFileSync(path.join(BOOTSTRAP_DIR, "index.ts"), "utf8");
        const exported = /export const \{([^}]*)\}/.exec(index)![1].split(",").map((s) => s.trim()).filter(Boolean);
        assert.deepEqual(exported, Object.keys(built.outputs));
        const readme = fs.readFileSync(path.join(BOOTSTRAP_DIR, "README.md"), "utf8");
        const camel = (variable: string) => variable.toLowerCase().replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
        const variables = ["AWS_REGION", "AWS_PREVIEW_ROLE_ARN", "AWS_DEV_DEPLOY_ROLE_ARN", "AWS_PROD_DEPLOY_ROLE_ARN", "AWS_REVIEW_ROLE_ARN",
            "PULUMI_BACKEND_URL", "PULUMI_SECRETS_PROVIDER", "PLATFORM_PERMISSIONS_BOUNDARY_ARN"];
        const output = (v: string) => camel(v.replace(/^(AWS|PULUMI|PLATFORM)_(?!REGION)/, "")).replace(/^region$/, "awsRegion");
        assert.deepEqual(variables.map(output), exported);
        for (const v of variables) assert.match(readme, new RegExp(`\\| \`${output(v)}\` \\| \`${v}\` \\|`), v);
    });

    it("with Pulumi Cloud for the state, creates no bucket and no key and outputs no backend", async () => {
        const b = await build({ ...bootstrapStackValues(), [`${BOOTSTRAP_PROJECT}:stateBackend`]: "pulumi-cloud" });
        assert.deepEqual([b.capture.ofType(BUCKET).length, b.capture.ofType(KEY).length], [0, 0]);
        assert.equal(b.outputs.backendUrl, undefined);
        assert.equal(b.outputs.secretsProvider, undefined);
        // The policies then name no state resources.
        for (const p of b.capture.ofType(ROLE_POLICY)) assert.doesNotMatch(p.inputs.policy, /s3:|:s3:::|kms:Decrypt/, p.name);
    });

    it("uses an existing OIDC provider instead of creating a second one", async () => {
        const existing = `arn:aws:iam::${ACCOUNT_ID}:oidc-provider/token.actions.githubusercontent.com`;
        const b = await build({ ...bootstrapStackValues(), [`${BOOTSTRAP_PROJECT}:existingOidcProviderArn`]: existing });
        assert.equal(b.capture.ofType(OIDC).length, 0);
        for (const r of b.capture.ofType(ROLE)) assert.equal(json(r, "assumeRolePolicy").Statement[0].Principal.Federated, existing);
    });
});
