/**
 * Every IAM document of the bootstrap project, as pure functions of plain values (account,
 * partition, names), so tests validate and simulate exactly what `pulumi up` registers.
 *
 * The model:
 * - GitHub Actions jobs of one repository assume the CI roles through OIDC; each trust policy pins
 *   the audience and the exact `sub` values of the jobs allowed (a job with a GitHub environment
 *   always gets `repo:O/R:environment:<env>`, one without gets `repo:O/R:pull_request` or
 *   `repo:O/R:ref:<ref>`).
 * - Every role the platform creates carries the permissions boundary. A deploy role can create
 *   and change only roles of its own stack (`<project>-<stack>-*`), and only while the boundary
 *   is attached (`iam:PermissionsBoundary`); it can neither change the boundary policy nor remove
 *   a boundary, nor touch the CI roles. So a deploy role cannot mint a role stronger than the
 *   boundary, and the boundary grants no IAM writes and no access to the Pulumi state.
 */

export const GITHUB_OIDC_HOST = "token.actions.githubusercontent.com";
export const GITHUB_OIDC_AUDIENCE = "sts.amazonaws.com";

export interface PolicyDocument {
    readonly Version: "2012-10-17";
    readonly Statement: readonly Statement[];
}

export interface Statement {
    readonly Sid: string;
    readonly Effect: "Allow" | "Deny";
    readonly Principal?: unknown;
    readonly Action?: string | readonly string[];
    readonly NotAction?: readonly string[];
    /** Absent in trust policies. */
    readonly Resource?: string | readonly string[];
    readonly Condition?: Record<string, Record<string, string | readonly string[]>>;
}

/** Where the bootstrap deploys and what it names (all plain values). */
export interface Scope {
    readonly partition: string;
    readonly accountId: string;
    readonly region: string;
    /** aws:region plus extraDeployRegions. */
    readonly deployRegions: readonly string[];
    /** The platform's Pulumi project name. */
    readonly project: string;
    readonly devStack: string;
    readonly prodStack: string;
    readonly githubOwner: string;
    readonly githubRepository: string;
}

/** The self-managed state backend, when there is one. */
export interface StateBackend {
    readonly bucketArn: string;
    readonly keyArn: string;
}

export type CiRole = "preview" | "devDeploy" | "prodDeploy" | "review";

/** Names the bootstrap gives; the platform's own names are `<project>-<stack>-...`. */
export function ciRoleName(project: string, role: CiRole): string {
    const suffix = { preview: "preview", devDeploy: "dev-deploy", prodDeploy: "prod-deploy", review: "review" }[role];
    return `${project}-ci-${suffix}`;
}

export const permissionsBoundaryName = (project: string) => `${project}-permissions-boundary`;

export function permissionsBoundaryArn(s: Pick<Scope, "partition" | "accountId" | "project">): string {
    return `arn:${s.partition}:iam::${s.accountId}:policy/${permissionsBoundaryName(s.project)}`;
}

const iamArn = (s: Scope, resource: string) => `arn:${s.partition}:iam::${s.accountId}:${resource}`;

/** The platform stack's roles: every role the platform creates is named `<project>-<stack>-...`. */
export const stackRolesArn = (s: Scope, stack: string) => iamArn(s, `role/${s.project}-${stack}-*`);

// ---------------------------------------------------------------------------------------------
// Trust
// ---------------------------------------------------------------------------------------------

/** The OIDC `sub` values each role trusts. */
export function githubSubjects(s: Pick<Scope, "githubOwner" | "githubRepository">, environments: { dev: string; prod: string; review: string }): Record<CiRole, readonly string[]> {
    const repo = `repo:${s.githubOwner}/${s.githubRepository}`;
    return {
        // Pull request jobs, and the prod preview job that runs on main before the approval.
        preview: [`${repo}:pull_request`, `${repo}:ref:refs/heads/main`],
        // Only the dev environment's jobs (restrict the environment to main in GitHub). A
        // `ref:refs/heads/main` subject would admit every job on main that has no environment,
        // around the environment's protection rules.
        devDeploy: [`${repo}:environment:${environments.dev}`],
        // Exactly the approved prod environment's jobs.
        prodDeploy: [`${repo}:environment:${environments.prod}`],
        // Review workflow jobs: pull request jobs, or jobs in the review environment.
        review: [`${repo}:pull_request`, `${repo}:environment:${environments.review}`],
    };
}

export function githubTrustPolicy(providerArn: string, subjects: readonly string[]): PolicyDocument {
    return {
        Version: "2012-10-17",
        Statement: [{
            Sid: "GitHubActionsOfThisRepository",
            Effect: "Allow",
            Principal: { Federated: providerArn },
            Action: "sts:AssumeRoleWithWebIdentity",
            Condition: {
                StringEquals: {
                    [`${GITHUB_OIDC_HOST}:aud`]: GITHUB_OIDC_AUDIENCE,
                    [`${GITHUB_OIDC_HOST}:sub`]: subjects.length === 1 ? subjects[0] : subjects,
                },
            },
        }],
    };
}

// ---------------------------------------------------------------------------------------------
// The permissions boundary of the platform's roles
// ---------------------------------------------------------------------------------------------

/**
 * The AWS services the platform's roles call: the EKS cluster and node roles' managed policies,
 * the EBS CSI driver, the load balancer controller's published policy (ELB, EC2, ACM, WAF,
 * Shield, Cognito, tag), the cluster autoscaler, External Secrets (Secrets Manager, KMS), AWS
 * Backup (RDS, EC2 snapshots), VPC flow logs (CloudWatch Logs), SSM for the node role.
 */
export const BOUNDARY_SERVICES = [
    "acm", "autoscaling", "backup", "backup-storage", "cloudwatch", "cognito-idp", "ec2", "ec2messages", "ecr",
    "eks", "eks-auth", "elasticache", "elasticloadbalancing", "kms", "logs", "rds", "secretsmanager", "shield",
    "ssm", "ssmmessages", "tag", "waf", "waf-regional", "wafv2",
] as const;

export function permissionsBoundaryPolicy(_scope: Scope, state?: StateBackend): PolicyDocument {
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "TheServicesOfThePlatform",
                Effect: "Allow",
                Action: BOUNDARY_SERVICES.map((svc) => `${svc}:*`),
                Resource: "*",
            },
            {
                // Only these IAM actions: service-linked roles (ELB, Auto Scaling create theirs on
                // first use) and the server certificates the load balancer controller reads.
                Sid: "NoIamButServiceLinkedRoles",
                Effect: "Allow",
                Action: ["iam:CreateServiceLinkedRole", "iam:GetServerCertificate", "iam:ListServerCertificates"],
                Resource: "*",
            },
            ...(state ? [{
                Sid: "NeverThePulumiState",
                Effect: "Deny" as const,
                Action: ["kms:*", "s3:*"],
                Resource: [state.keyArn, state.bucketArn, `${state.bucketArn}/*`],
            }] : []),
        ],
    };
}

// ---------------------------------------------------------------------------------------------
// State access
// ---------------------------------------------------------------------------------------------

/**
 * Object keys of one stack (or a `*` pattern of stacks) in a Pulumi DIY backend laid out by
 * project (pulumi/pulumi pkg/backend/diy: store.go, lock.go, stack_tags.go): the checkpoint
 * (`.json`, `.json.gz`, `.json.zst`, `.json.bak`, `.pulumi-tags`), history, backups, journal and
 * the lock files under the fully qualified `organization/<project>/<stack>`.
 */
export function stackStateObjects(bucketArn: string, project: string, stack: string): string[] {
    return [
        `${bucketArn}/.pulumi/stacks/${project}/${stack}.*`,
        `${bucketArn}/.pulumi/history/${project}/${stack}/*`,
        `${bucketArn}/.pulumi/backups/${project}/${stack}/*`,
        `${bucketArn}/.pulumi/journal/${project}/${stack}/*`,
        `${bucketArn}/.pulumi/locks/organization/${project}/${stack}/*`,
    ];
}

/** The backend's layout version file, which the bootstrap writes (bootstrap.ts). */
export const STATE_META_KEY = ".pulumi/meta.yaml";

/** What a Pulumi secrets provider and SSE-KMS reads and writes need of the state key. */
const STATE_KEY_USE = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"];

function stateStatements(state: StateBackend, readStacks: readonly string[], writeStacks: readonly string[], project: string): Statement[] {
    const out: Statement[] = [
        { Sid: "ListTheState", Effect: "Allow", Action: ["s3:ListBucket", "s3:GetBucketLocation", "s3:GetBucketVersioning"], Resource: state.bucketArn },
        {
            Sid: "ReadTheState",
            Effect: "Allow",
            Action: "s3:GetObject",
            Resource: [`${state.bucketArn}/${STATE_META_KEY}`, ...[...readStacks, ...writeStacks].flatMap((st) => stackStateObjects(state.bucketArn, project, st))],
        },
    ];
    if (writeStacks.length > 0) {
        out.push({
            Sid: "WriteTheStacksState",
            Effect: "Allow",
            // No s3:DeleteObjectVersion: in the versioned bucket, earlier versions stay restorable.
            Action: ["s3:PutObject", "s3:DeleteObject"],
            Resource: writeStacks.flatMap((st) => stackStateObjects(state.bucketArn, project, st)),
        });
        out.push({ Sid: "UseTheStateKey", Effect: "Allow", Action: STATE_KEY_USE, Resource: state.keyArn });
    } else {
        out.push({ Sid: "DecryptWithTheStateKey", Effect: "Allow", Action: ["kms:Decrypt", "kms:DescribeKey"], Resource: state.keyArn });
    }
    return out;
}

// ---------------------------------------------------------------------------------------------
// Deploy roles
// ---------------------------------------------------------------------------------------------

/** The services whose resources the platform creates (components/), with every action. */
export const DEPLOY_SERVICES = [
    "autoscaling", "backup", "backup-storage", "cloudwatch", "ec2", "ecr", "eks", "elasticache",
    "elasticloadbalancing", "kms", "logs", "rds", "secretsmanager",
] as const;

/** IAM actions on a role that IAM evaluates `iam:PermissionsBoundary` for (the role's boundary). */
export const BOUNDARY_CONDITIONED_ROLE_ACTIONS = [
    "iam:CreateRole", "iam:DeleteRole", "iam:UpdateRole", "iam:UpdateRoleDescription", "iam:UpdateAssumeRolePolicy",
    "iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:AttachRolePolicy", "iam:DetachRolePolicy", "iam:PutRolePermissionsBoundary",
] as const;

/** The AWS services that create service-linked roles for what the platform builds. */
export const SERVICE_LINKED_ROLE_SERVICES = [
    "autoscaling.amazonaws.com", "backup.amazonaws.com", "eks.amazonaws.com", "eks-nodegroup.amazonaws.com",
    "elasticache.amazonaws.com", "elasticloadbalancing.amazonaws.com", "rds.amazonaws.com", "spot.amazonaws.com",
] as const;

/** The services the platform passes its roles to (cluster, node group, Pod Identity, Backup, flow logs). */
export const PASSED_TO_SERVICES = [
    "backup.amazonaws.com", "ec2.amazonaws.com", "eks.amazonaws.com", "pods.eks.amazonaws.com", "vpc-flow-logs.amazonaws.com",
] as const;

/** The deploy role of one platform stack (dev or prod). */
export function deployPolicy(s: Scope, stack: string, state?: StateBackend): PolicyDocument {
    const boundaryArn = permissionsBoundaryArn(s);
    const roles = stackRolesArn(s, stack);
    const statements: Statement[] = [
        {
            Sid: "ThePlatformsServicesInItsRegions",
            Effect: "Allow",
            Action: DEPLOY_SERVICES.map((svc) => `${svc}:*`),
            Resource: "*",
            Condition: { StringEquals: { "aws:RequestedRegion": s.deployRegions } },
        },
        {
            Sid: "TheStacksRolesOnlyWithTheBoundary",
            Effect: "Allow",
            Action: BOUNDARY_CONDITIONED_ROLE_ACTIONS,
            Resource: roles,
            Condition: { StringEquals: { "iam:PermissionsBoundary": boundaryArn } },
        },
        {
            Sid: "ReadAndTagTheStacksRoles",
            Effect: "Allow",
            Action: ["iam:GetRole", "iam:GetRolePolicy", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies", "iam:ListRoleTags",
                "iam:ListInstanceProfilesForRole", "iam:TagRole", "iam:UntagRole"],
            Resource: roles,
        },
        {
            Sid: "PassTheStacksRolesToItsServices",
            Effect: "Allow",
            Action: "iam:PassRole",
            Resource: roles,
            Condition: { StringEquals: { "iam:PassedToService": PASSED_TO_SERVICES } },
        },
        {
            Sid: "ServiceLinkedRoles",
            Effect: "Allow",
            Action: "iam:CreateServiceLinkedRole",
            Resource: iamArn(s, "role/aws-service-role/*"),
            Condition: { StringEquals: { "iam:AWSServiceName": SERVICE_LINKED_ROLE_SERVICES } },
        },
        {
            Sid: "ReadAwsManagedPolicies",
            Effect: "Allow",
            Action: ["iam:GetPolicy", "iam:GetPolicyVersion", "iam:ListPolicyVersions"],
            Resource: `arn:${s.partition}:iam::aws:policy/*`,
        },
        {
            Sid: "NeverChangeTheBoundary",
            Effect: "Deny",
            Action: ["iam:CreatePolicyVersion", "iam:DeletePolicy", "iam:DeletePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:TagPolicy", "iam:UntagPolicy"],
            Resource: boundaryArn,
        },
        { Sid: "NeverRemoveABoundary", Effect: "Deny", Action: ["iam:DeleteRolePermissionsBoundary"], Resource: "*" },
        {
            Sid: "NeverTheCiRoles",
            Effect: "Deny",
            NotAction: ["iam:GetRole", "iam:ListRoleTags"],
            Resource: iamArn(s, `role/${s.project}-ci-*`),
        },
    ];
    if (stack !== s.prodStack) {
        // One account for dev and prod: the dev role must not change what the prod stack made.
        // Every platform resource carries the `environment` tag (components/shared/tags.ts).
        statements.push({
            Sid: "NeverProdResources",
            Effect: "Deny",
            Action: "*",
            Resource: "*",
            Condition: { StringEquals: { "aws:ResourceTag/environment": "prod" } },
        });
    }
    if (state) {
        statements.push(...stateStatements(state, [], [stack], s.project));
        statements.push({
            Sid: "NeverManageTheStateKey",
            Effect: "Deny",
            NotAction: STATE_KEY_USE,
            Resource: state.keyArn,
        });
    }
    return { Version: "2012-10-17", Statement: statements };
}

// ---------------------------------------------------------------------------------------------
// Preview (read-only) and review roles
// ---------------------------------------------------------------------------------------------

/**
 * What `pulumi preview` of the platform reads: the data sources the program calls
 * (availability zones, EKS add-on versions, the ECR login) and what the providers' diffs read.
 * No Get* on EC2 (GetPasswordData), no secret values.
 */
export const PREVIEW_READ_ACTIONS = [
    "autoscaling:Describe*",
    "backup:DescribeBackupVault", "backup:GetBackupPlan", "backup:GetBackupSelection", "backup:ListBackupPlans", "backup:ListBackupSelections", "backup:ListTags",
    "cloudwatch:DescribeAlarms", "cloudwatch:ListTagsForResource",
    "ec2:Describe*",
    "ecr:DescribeImages", "ecr:DescribeRepositories", "ecr:GetAuthorizationToken", "ecr:GetLifecyclePolicy", "ecr:GetRepositoryPolicy", "ecr:ListTagsForResource",
    "eks:Describe*", "eks:List*",
    "elasticache:Describe*", "elasticache:ListTagsForResource",
    "elasticloadbalancing:Describe*",
    "iam:GetOpenIDConnectProvider", "iam:GetPolicy", "iam:GetPolicyVersion", "iam:GetRole", "iam:GetRolePolicy",
    "iam:ListAttachedRolePolicies", "iam:ListInstanceProfilesForRole", "iam:ListRolePolicies", "iam:ListRoleTags",
    "kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListAliases", "kms:ListResourceTags",
    "logs:DescribeLogGroups", "logs:ListTagsForResource",
    "rds:Describe*", "rds:ListTagsForResource",
    "secretsmanager:DescribeSecret", "secretsmanager:GetResourcePolicy", "secretsmanager:ListSecrets",
] as const;

export function previewPolicy(s: Scope, state?: StateBackend): PolicyDocument {
    return {
        Version: "2012-10-17",
        Statement: [
            { Sid: "ReadThePlatform", Effect: "Allow", Action: PREVIEW_READ_ACTIONS, Resource: "*" },
            // Every stack of the platform (pull requests preview dev, prod and review stacks);
            // preview takes no lock in a DIY backend (diy/backend.go: Preview does not Lock).
            ...(state ? stateStatements(state, ["*"], [], s.project) : []),
        ],
    };
}

/**
 * The review role: shared-mode review stacks put only namespaced Kubernetes objects on the dev
 * cluster (the cluster maps this role to namespaced access through an EKS access entry) and push
 * the review image to the dev stack's ECR repositories. IAM cannot restrict ECR pushes by tag
 * (ECR's condition keys are only resource and request tags), so the repository's IMMUTABLE tags
 * are what keep a review push from replacing an existing image.
 */
export function reviewPolicy(s: Scope, state?: StateBackend): PolicyDocument {
    const devRepositories = `arn:${s.partition}:ecr:${s.region}:${s.accountId}:repository/${s.project}-${s.devStack}/*`;
    return {
        Version: "2012-10-17",
        Statement: [
            {
                // `aws eks get-token` signs a request locally; kubeconfigs need DescribeCluster.
                Sid: "TheDevCluster",
                Effect: "Allow",
                Action: "eks:DescribeCluster",
                Resource: `arn:${s.partition}:eks:${s.region}:${s.accountId}:cluster/${s.project}-${s.devStack}-cluster-*`,
            },
            { Sid: "EcrLogin", Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*" },
            {
                Sid: "PushAndPullDevImages",
                Effect: "Allow",
                Action: ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:CompleteLayerUpload", "ecr:DescribeImages",
                    "ecr:GetDownloadUrlForLayer", "ecr:InitiateLayerUpload", "ecr:PutImage", "ecr:UploadLayerPart"],
                Resource: devRepositories,
            },
            // Its own pr-* stacks, and a read of the dev stack's outputs (the StackReference).
            ...(state ? stateStatements(state, [s.devStack], ["pr-*"], s.project) : []),
        ],
    };
}

// ---------------------------------------------------------------------------------------------
// State bucket
// ---------------------------------------------------------------------------------------------

export function stateBucketPolicy(bucketArn: string): PolicyDocument {
    return {
        Version: "2012-10-17",
        Statement: [{
            Sid: "TlsOnly",
            Effect: "Deny",
            Principal: "*",
            Action: "s3:*",
            Resource: [bucketArn, `${bucketArn}/*`],
            Condition: { Bool: { "aws:SecureTransport": "false" } },
        }],
    };
}
