/**
 * What an administrator creates once per AWS account before the platform's first deploy from CI:
 * the GitHub OIDC provider, the CI roles, the permissions boundary of the platform's roles, and
 * (optionally) the self-managed Pulumi state backend. The IAM documents are in policies.ts.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { DEV_ENVIRONMENT, PROD_ENVIRONMENT, REVIEW_ENVIRONMENT, type BootstrapConfig } from "./config";
import {
    ciRoleName, deployPolicy, githubSubjects, githubTrustPolicy, GITHUB_OIDC_AUDIENCE, GITHUB_OIDC_HOST, permissionsBoundaryName,
    permissionsBoundaryPolicy, previewPolicy, reviewPolicy, STATE_META_KEY, stateBucketPolicy, type CiRole, type PolicyDocument,
    type Scope, type StateBackend,
} from "./policies";

/**
 * The stack outputs, named as the GitHub variables they go to in camelCase (AWS_REGION is
 * awsRegion, ...; bootstrap/README.md has the table).
 */
export interface BootstrapOutputs {
    readonly awsRegion: pulumi.Output<string>;
    readonly previewRoleArn: pulumi.Output<string>;
    readonly devDeployRoleArn: pulumi.Output<string>;
    readonly prodDeployRoleArn: pulumi.Output<string>;
    readonly reviewRoleArn: pulumi.Output<string>;
    /** s3://<bucket>; undefined with stateBackend pulumi-cloud. */
    readonly backendUrl: pulumi.Output<string | undefined>;
    /** awskms://<key id>?region=<region>; undefined with stateBackend pulumi-cloud. */
    readonly secretsProvider: pulumi.Output<string | undefined>;
    readonly permissionsBoundaryArn: pulumi.Output<string>;
}

const SECONDS_PER_HOUR = 3600;

export class AccountBootstrap extends pulumi.ComponentResource {
    public readonly outputs: BootstrapOutputs;

    constructor(name: string, config: BootstrapConfig, opts?: pulumi.ComponentResourceOptions) {
        super("platform-bootstrap:index:AccountBootstrap", name, {}, opts);
        const parent = { parent: this };
        const identity = aws.getCallerIdentityOutput({}, parent);
        const partition = aws.getPartitionOutput({}, parent).partition;

        const oidcProviderArn = this.oidcProvider(name, config);
        const state = config.stateBackend === "s3" ? this.stateBackend(name, config, identity.accountId) : undefined;
        const stateArns: pulumi.Output<StateBackend | undefined> = state
            ? pulumi.all([state.bucket.arn, state.key.arn]).apply(([bucketArn, keyArn]) => ({ bucketArn, keyArn }))
            : pulumi.output(undefined);

        const scope: pulumi.Output<Scope> = pulumi.all([identity.accountId, partition]).apply(([accountId, p]) => ({
            partition: p,
            accountId,
            region: config.region,
            deployRegions: [config.region, ...config.extraDeployRegions],
            project: config.platformProject,
            devStack: config.devStack,
            prodStack: config.prodStack,
            githubOwner: config.githubOwner,
            githubRepository: config.githubRepository,
        }));
        const document = (build: (s: Scope, st: StateBackend | undefined) => PolicyDocument) =>
            pulumi.all([scope, stateArns]).apply(([s, st]) => JSON.stringify(build(s, st)));

        const boundary = new aws.iam.Policy(`${name}-permissions-boundary`, {
            // A fixed name: the deploy roles' policies name its ARN (they may not change it).
            name: permissionsBoundaryName(config.platformProject),
            description: "Permissions boundary of every IAM role the platform creates: its services only, no IAM writes, never the Pulumi state.",
            policy: document(permissionsBoundaryPolicy),
        }, parent);

        const subjects = githubSubjects(config, { dev: DEV_ENVIRONMENT, prod: PROD_ENVIRONMENT, review: REVIEW_ENVIRONMENT });
        const role = (ciRole: CiRole, description: string, policy: pulumi.Output<string>) => {
            const r = new aws.iam.Role(`${name}-${ciRole}`, {
                name: ciRoleName(config.platformProject, ciRole),
                description,
                assumeRolePolicy: oidcProviderArn.apply((arn) => JSON.stringify(githubTrustPolicy(arn, subjects[ciRole]))),
                maxSessionDuration: config.maxSessionHours * SECONDS_PER_HOUR,
            }, parent);
            // A policy change must not wait for the boundary policy it names to exist.
            new aws.iam.RolePolicy(`${name}-${ciRole}-policy`, { role: r.id, policy }, { parent: this, dependsOn: [boundary] });
            return r;
        };
        const preview = role("preview", "GitHub Actions: read-only pulumi preview of the platform (pull requests, the prod preview on main).",
            document(previewPolicy));
        const devDeploy = role("devDeploy", `GitHub Actions, environment ${DEV_ENVIRONMENT}: deploys the platform's ${config.devStack} stack.`,
            document((s, st) => deployPolicy(s, config.devStack, st)));
        const prodDeploy = role("prodDeploy", `GitHub Actions, environment ${PROD_ENVIRONMENT} only: deploys the platform's ${config.prodStack} stack.`,
            document((s, st) => deployPolicy(s, config.prodStack, st)));
        const review = role("review", `GitHub Actions: review stacks on the ${config.devStack} cluster (namespaced objects, images to the dev ECR repositories).`,
            document(reviewPolicy));

        this.outputs = {
            awsRegion: pulumi.output(config.region),
            previewRoleArn: preview.arn,
            devDeployRoleArn: devDeploy.arn,
            prodDeployRoleArn: prodDeploy.arn,
            reviewRoleArn: review.arn,
            backendUrl: state ? pulumi.interpolate`s3://${state.bucket.bucket}` : pulumi.output(undefined),
            secretsProvider: state ? pulumi.interpolate`awskms://${state.key.keyId}?region=${config.region}` : pulumi.output(undefined),
            permissionsBoundaryArn: boundary.arn,
        };
        this.registerOutputs(this.outputs);
    }

    private oidcProvider(name: string, config: BootstrapConfig): pulumi.Output<string> {
        if (config.existingOidcProviderArn !== undefined) return pulumi.output(config.existingOidcProviderArn);
        // No thumbprint: IAM verifies GitHub's certificate against its own trusted CAs (AWS IAM
        // user guide, "Create an OpenID Connect identity provider"); the provider sends none.
        return new aws.iam.OpenIdConnectProvider(`${name}-github-oidc`, {
            url: `https://${GITHUB_OIDC_HOST}`,
            clientIdLists: [GITHUB_OIDC_AUDIENCE],
        }, { parent: this }).arn;
    }

    /**
     * The Pulumi state bucket and the key that encrypts it and the stacks' secrets. Both are
     * `protect`ed and `retainOnDelete`: the state of every platform stack lives here, and neither
     * a `pulumi destroy` of this project nor a refactor that drops them from the program may
     * delete it (removing them takes an explicit `pulumi state unprotect`, and even then they stay
     * in AWS). No forceDestroy: a versioned bucket with objects refuses to be deleted.
     */
    private stateBackend(name: string, config: BootstrapConfig, accountId: pulumi.Output<string>) {
        const keep = { parent: this, protect: true, retainOnDelete: true };
        const key = new aws.kms.Key(`${name}-state-key`, {
            description: `Pulumi state of ${config.platformProject}: S3 encryption of the state bucket and the stacks' secrets provider`,
            enableKeyRotation: true,
            deletionWindowInDays: 30,
        }, keep);
        new aws.kms.Alias(`${name}-state-key-alias`, { name: `alias/${config.platformProject}-pulumi-state`, targetKeyId: key.keyId }, { parent: this });
        const bucket = new aws.s3.Bucket(`${name}-state`, {
            bucket: config.stateBucketName ?? pulumi.interpolate`${config.platformProject}-state-${accountId}-${config.region}`,
            forceDestroy: false,
        }, keep);
        const opts = { parent: this };
        new aws.s3.BucketOwnershipControls(`${name}-state-ownership`, {
            bucket: bucket.id,
            rule: { objectOwnership: "BucketOwnerEnforced" },
        }, opts);
        new aws.s3.BucketPublicAccessBlock(`${name}-state-public-access`, {
            bucket: bucket.id,
            blockPublicAcls: true,
            blockPublicPolicy: true,
            ignorePublicAcls: true,
            restrictPublicBuckets: true,
        }, opts);
        const versioning = new aws.s3.BucketVersioning(`${name}-state-versioning`, {
            bucket: bucket.id,
            versioningConfiguration: { status: "Enabled" },
        }, keep);
        const encryption = new aws.s3.BucketServerSideEncryptionConfiguration(`${name}-state-encryption`, {
            bucket: bucket.id,
            rules: [{
                applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: key.arn },
                // One data key per bucket instead of a KMS call per object.
                bucketKeyEnabled: true,
            }],
        }, opts);
        new aws.s3.BucketPolicy(`${name}-state-tls-only`, {
            bucket: bucket.id,
            policy: bucket.arn.apply((arn) => JSON.stringify(stateBucketPolicy(arn))),
        }, opts);
        new aws.s3.BucketLifecycleConfiguration(`${name}-state-lifecycle`, {
            bucket: bucket.id,
            rules: [{
                id: "superseded-state-versions",
                status: "Enabled",
                filter: {},
                noncurrentVersionExpiration: { noncurrentDays: config.stateVersionRetentionDays },
                abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
            }],
        }, { parent: this, dependsOn: [versioning] });
        // The backend's layout version, written here so that no CI role needs to write outside
        // its stacks' keys (the CLI writes it on first login when absent: diy/meta.go).
        new aws.s3.BucketObjectv2(`${name}-state-meta`, {
            bucket: bucket.id,
            key: STATE_META_KEY,
            content: "version: 1\n",
            contentType: "application/yaml",
        }, { parent: this, retainOnDelete: true, dependsOn: [encryption, versioning] });
        return { bucket, key };
    }
}
