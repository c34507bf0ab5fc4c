import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { buildReviewEnvironment } from "../../components/platform";
import { isSharedReview, PlatformStackError } from "../../components/review/config";
import { PLATFORM_OUTPUTS } from "../../components/review";
import {
    buildReviewUnderMocks, buildStack, DEV_STACK_OUTPUTS, isSecret, reveal, ROOT, settle, stackConfig, startCapture, STACK_REFERENCE_OUTPUTS, valueOf,
    type Capture,
} from "../harness";

type Review = Awaited<ReturnType<typeof buildReviewUnderMocks>>;
const builds = new Map<string, Promise<Review>>();
/** A shared-mode review stack built under mocks, its StackReference reading the dev stack's outputs. */
function review(stack: string, overrides: Record<string, unknown> = {}): Promise<Review> {
    const key = `${stack} ${JSON.stringify(overrides)}`;
    if (!builds.has(key)) builds.set(key, buildReviewUnderMocks(stackConfig(stack, { "platform:review": { platformStack: "organization/platform/dev" }, ...overrides })));
    return builds.get(key)!;
}

const WITH_DOMAIN = "organization/platform/dev-domain";
STACK_REFERENCE_OUTPUTS[WITH_DOMAIN] = { ...DEV_STACK_OUTPUTS, reviewDomain: "review.example.com", reviewIngressGroup: "platform-dev-review" };
const domainOverrides = { "platform:review": { platformStack: WITH_DOMAIN }, "platform:reviewEnvironments": { domain: "review.example.com" } };

const kubernetes = (c: Capture) => c.resources.filter((r) => r.custom && r.type.startsWith("kubernetes:"));

describe("review environment (shared mode)", () => {
    it("creates nothing of a platform: no VPC, cluster, NAT, RDS, ElastiCache, Helm release, or any AWS resource", async () => {
        const { capture } = await review("pr-7");
        const types = new Set(capture.resources.filter((r) => r.custom).map((r) => r.type));
        assert.deepEqual([...types].filter((t) => t.startsWith("aws:") || t === "kubernetes:helm.sh/v3:Release"), []);
        assert.deepEqual([...types].sort(), [
            "docker:index/image:Image", "kubernetes:apps/v1:Deployment", "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
            "kubernetes:batch/v1:Job", "kubernetes:core/v1:ConfigMap", "kubernetes:core/v1:LimitRange", "kubernetes:core/v1:Namespace",
            "kubernetes:core/v1:ResourceQuota", "kubernetes:core/v1:Secret", "kubernetes:core/v1:Service", "kubernetes:core/v1:ServiceAccount",
            "kubernetes:monitoring.coreos.com/v1:ServiceMonitor", "kubernetes:networking.k8s.io/v1:NetworkPolicy",
            "kubernetes:policy/v1:PodDisruptionBudget", "kubernetes:postgresql.cnpg.io/v1:Cluster",
            "pulumi:providers:aws", "pulumi:providers:kubernetes", "random:index/randomPassword:RandomPassword",
        ]);
        assert.equal(capture.resources.filter((r) => r.custom).length, 23);
    });

    it("puts every Kubernetes object in namespace pr-7, through the one provider built from dev's kubeconfig", async () => {
        const { capture } = await review("pr-7");
        const provider = capture.one("pulumi:providers:kubernetes");
        for (const r of kubernetes(capture)) {
            assert.ok(r.provider.startsWith(`${provider.urn}::`), `${r.name} uses the review provider`);
            if (r.type === "kubernetes:core/v1:Namespace") assert.equal(r.inputs.metadata.name, "pr-7");
            else assert.equal(r.inputs.metadata.namespace, "pr-7", `${r.name} is in pr-7`);
        }
        assert.equal(provider.inputs.deleteUnreachable, "true");
        assert.ok(isSecret(provider.inputs.kubeconfig), "the kubeconfig stays a secret");
        assert.equal(reveal(provider.inputs.kubeconfig), DEV_STACK_OUTPUTS.kubeconfig);
    });

    it("fences the namespace: restricted Pod Security, PR labels, quota, limits", async () => {
        const { capture } = await review("pr-7");
        assert.deepEqual(capture.one("kubernetes:core/v1:Namespace").inputs.metadata.labels, {
            "app.kubernetes.io/part-of": "review-environment", "platform.review/stack": "pr-7", "platform.review/pull-request": "7",
            "pod-security.kubernetes.io/enforce": "restricted", "pod-security.kubernetes.io/warn": "restricted", "pod-security.kubernetes.io/audit": "restricted",
        });
        assert.deepEqual(capture.one("kubernetes:core/v1:ResourceQuota").inputs.spec.hard, {
            "requests.cpu": "2", "requests.memory": "3Gi", "limits.memory": "3Gi", pods: "10", persistentvolumeclaims: "2",
            "requests.storage": "4Gi", services: "6", "services.loadbalancers": "0", "services.nodeports": "0",
        });
        assert.deepEqual(capture.one("kubernetes:core/v1:LimitRange").inputs.spec.limits, [{
            type: "Container", defaultRequest: { cpu: "50m", memory: "128Mi" }, default: { memory: "128Mi" }, max: { cpu: "1", memory: "1Gi" },
        }]);
    });

    it("denies by default and allows DNS, the namespace, the ALB and Prometheus to the app, OTLP out, and the operator in", async () => {
        const { capture } = await review("pr-7");
        const policies = Object.fromEntries(capture.ofType("kubernetes:networking.k8s.io/v1:NetworkPolicy").map((p) => [p.inputs.metadata.name, p.inputs.spec]));
        assert.deepEqual(Object.keys(policies).sort(), ["allow-app", "allow-database-operator", "allow-dns-and-namespace", "default-deny"]);
        assert.deepEqual(policies["default-deny"], { podSelector: {}, policyTypes: ["Ingress", "Egress"] });
        const ns = (n: string) => ({ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": n } } });
        assert.deepEqual(policies["allow-app"], {
            podSelector: { matchLabels: { "app.kubernetes.io/name": "orders" } },
            policyTypes: ["Ingress", "Egress"],
            ingress: [{ from: [{ ipBlock: { cidr: "10.20.0.0/16" } }, ns("observability")], ports: [{ protocol: "TCP", port: 8080 }] }],
            egress: [{ to: [ns("observability")], ports: [{ protocol: "TCP", port: 4318 }] }],
        });
        assert.deepEqual(policies["allow-dns-and-namespace"].egress[1], {
            to: [{ ...ns("kube-system"), podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }],
            ports: [{ protocol: "UDP", port: 53 }, { protocol: "TCP", port: 53 }],
        });
        assert.deepEqual(policies["allow-database-operator"].ingress, [{ from: [ns("cnpg-system")], ports: [{ protocol: "TCP", port: 8000 }, { protocol: "TCP", port: 5432 }] }]);
    });

    it("runs PostgreSQL as a one-instance CNPG Cluster on dev's encrypted gp3 class, awaited until Ready", async () => {
        const { capture } = await review("pr-7");
        const db = capture.one("kubernetes:postgresql.cnpg.io/v1:Cluster");
        assert.equal(db.inputs.apiVersion, "postgresql.cnpg.io/v1");
        assert.equal(db.inputs.metadata.name, "db");
        assert.deepEqual(db.inputs.metadata.annotations, { "pulumi.com/waitFor": "condition=Ready", "pulumi.com/timeoutSeconds": "600" });
        assert.equal(db.inputs.spec.instances, 1);
        assert.deepEqual(db.inputs.spec.storage, { size: "1Gi", storageClass: "gp3-encrypted" });
        assert.deepEqual(db.inputs.spec.bootstrap, { initdb: { database: "app", owner: "app" } });
    });

    it("runs Valkey without persistence behind a generated token, from a non-bitnami pinned image", async () => {
        const { capture } = await review("pr-7");
        const pod = capture.one("kubernetes:apps/v1:Deployment", "-valkey").inputs.spec.template.spec;
        const valkey = pod.containers[0];
        assert.equal(valkey.image, "docker.io/valkey/valkey:8.0.2-alpine3.21");
        // Pod Security restricted, as the image's own user (test/review/services.test.ts has the source).
        assert.deepEqual(pod.securityContext, { runAsNonRoot: true, runAsUser: 999, runAsGroup: 1000, seccompProfile: { type: "RuntimeDefault" } });
        assert.deepEqual(valkey.securityContext, {
            allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ["ALL"] },
            seccompProfile: { type: "RuntimeDefault" }, runAsUser: 999, runAsGroup: 1000,
        });
        // command replaces the image's ENTRYPOINT (docker-entrypoint.sh); nothing is written to /data.
        assert.deepEqual(valkey.command, ["valkey-server", "--save", "", "--appendonly", "no", "--requirepass", "$(VALKEY_PASSWORD)"]);
        assert.deepEqual(valkey.env, [{ name: "VALKEY_PASSWORD", valueFrom: { secretKeyRef: { name: "orders-review", key: "REDIS_AUTH_TOKEN" } } }]);
        assert.equal(capture.one("random:index/randomPassword:RandomPassword").inputs.length, 32);
    });

    it("deploys the platform's Workload with the app Secret and CNPG's password, the image pr-7-<hash> in dev's ECR", async () => {
        const { capture } = await review("pr-7");
        const secret = reveal(capture.one("kubernetes:core/v1:Secret").inputs.stringData);
        assert.deepEqual(Object.keys(secret).sort(), ["DATABASE_HOST", "DATABASE_NAME", "DATABASE_PORT", "DATABASE_SSL", "DATABASE_USER", "REDIS_AUTH_TOKEN", "REDIS_URL"]);
        assert.deepEqual({ ...secret, REDIS_AUTH_TOKEN: undefined }, {
            DATABASE_HOST: "db-rw", DATABASE_PORT: "5432", DATABASE_NAME: "app", DATABASE_USER: "app", DATABASE_SSL: "require",
            REDIS_URL: "redis://valkey:6379", REDIS_AUTH_TOKEN: undefined,
        });
        const pod = capture.one("kubernetes:apps/v1:Deployment", "-app-deployment").inputs.spec.template.spec;
        assert.deepEqual(pod.volumes.find((v: any) => v.name === "secrets").projected.sources, [
            { secret: { name: "db-app", items: [{ key: "password", path: "database-password" }] } },
            { secret: { name: "orders-review", items: [{ key: "REDIS_AUTH_TOKEN", path: "redis-auth-token" }] } },
        ]);
        const env = Object.fromEntries(pod.containers[0].env.map((e: any) => [e.name, e.value]));
        assert.equal(env.OTEL_EXPORTER_OTLP_ENDPOINT, "http://jaeger.observability.svc:4318");
        assert.equal(env.DEPLOYMENT_ENVIRONMENT, "review");
        const image = capture.one("docker:index/image:Image");
        assert.match(image.inputs.imageName, /^123456789012\.dkr\.ecr\.us-east-1\.amazonaws\.com\/platform-dev\/orders:pr-7-[0-9a-f]{16}$/);
        assert.equal(image.inputs.build.platform, "linux/amd64");
        assert.equal(capture.one("kubernetes:monitoring.coreos.com/v1:ServiceMonitor").inputs.metadata.namespace, "pr-7");
    });

    it("builds the pull request's image from dev's deployed image's layers (cacheFrom), and every image carries its inline cache", async () => {
        const { capture } = await review("pr-7");
        const build = capture.one("docker:index/image:Image").inputs.build;
        assert.deepEqual(build.cacheFrom, { images: [DEV_STACK_OUTPUTS.appImage] });
        assert.deepEqual(build.args, { BUILDKIT_INLINE_CACHE: "1" });
        // dev's own image: no cache to start from, but it writes one for the pull requests.
        const dev = (await buildStack("dev")).capture.one("docker:index/image:Image").inputs.build;
        assert.equal(dev.cacheFrom, undefined);
        assert.deepEqual(dev.args, { BUILDKIT_INLINE_CACHE: "1" });
        // What the cache can reuse: the final stage's instructions up to the first one whose input
        // changed. Its production npm ci sees only the package files, so a pull request that keeps
        // app/package-lock.json reuses it and adds just the dist/ layer.
        const runtime = fs.readFileSync(path.join(ROOT, "app", "Dockerfile"), "utf8").split(/^FROM /m).at(-1)!;
        const steps = runtime.split("\n").filter((l) => /^(COPY|RUN) /.test(l)).map((l) => l.split(" ").slice(0, 3).join(" "));
        assert.deepEqual(steps, ["COPY package.json package-lock.json", "RUN npm ci", "COPY --from=build /app/dist"]);
    });

    it("protects and retains nothing", async () => {
        for (const stack of ["pr-7", "pr-999999"]) {
            const { capture } = await review(stack, stack === "pr-999999" ? domainOverrides : {});
            assert.deepEqual(capture.resources.filter((r) => r.protect || r.retainOnDelete).map((r) => r.name), []);
        }
    });

    it("without a domain: no Ingress, a port-forward command and no URL", async () => {
        const { capture, review: r } = await review("pr-7");
        assert.deepEqual(capture.ofType("kubernetes:networking.k8s.io/v1:Ingress"), []);
        assert.equal(r.outputs.reviewUrl, undefined);
        assert.equal(await valueOf(r.outputs.reviewPortForward!), "kubectl -n pr-7 port-forward svc/orders 8080:80  # cluster platform-dev-cluster-0a1b2c (aws eks update-kubeconfig --name platform-dev-cluster-0a1b2c)");
    });

    it("with a domain: an Ingress in dev's review ALB group at pr-<n>.<domain>, names within limits for pr-999999", async () => {
        const { capture, review: r } = await review("pr-999999", domainOverrides);
        const ingress = capture.one("kubernetes:networking.k8s.io/v1:Ingress");
        assert.equal(ingress.inputs.metadata.namespace, "pr-999999");
        assert.deepEqual(ingress.inputs.metadata.annotations, {
            "alb.ingress.kubernetes.io/group.name": "platform-dev-review",
            "alb.ingress.kubernetes.io/scheme": "internet-facing",
            "alb.ingress.kubernetes.io/target-type": "ip",
            "alb.ingress.kubernetes.io/listen-ports": '[{"HTTPS":443}]',
            "alb.ingress.kubernetes.io/healthcheck-path": "/health/readiness",
        });
        assert.equal(ingress.inputs.spec.rules[0].host, "pr-999999.review.example.com");
        assert.equal(await valueOf(r.outputs.reviewUrl!), "https://pr-999999.review.example.com");
        // Limits: namespace (63), the controller's target group name k8s-<ns 8>-<svc 8>-<10> (32), group (63).
        assert.ok("pr-999999".length <= 63);
        assert.ok(`k8s-${"pr-999999".slice(0, 8)}-${"orders".slice(0, 8)}-0123456789`.length <= 32);
        assert.ok(!("alb.ingress.kubernetes.io/load-balancer-name" in ingress.inputs.metadata.annotations), "no load-balancer-name (an error above 32 characters)");
        assert.ok("platform-dev-review".length <= 63);
        // Deleted before the namespace (it depends on it), and nothing of this stack waits on it,
        // so destroy removes it first while dev's load balancer controller still runs.
        assert.ok(capture.dependsOn(ingress, capture.one("kubernetes:core/v1:Namespace")));
        assert.deepEqual(capture.resources.filter((x) => x !== ingress && capture.dependsOn(x, ingress)).map((x) => x.name), []);
        assert.equal(capture.one("kubernetes:batch/v1:Job").inputs.metadata.name.length <= 63, true);
    });

    it("reads only outputs the dev stack exports, with the values it exports", async () => {
        const { platform } = await buildStack("dev");
        const outputs = platform.outputs as Record<string, unknown>;
        for (const key of PLATFORM_OUTPUTS) assert.ok(key in outputs, `dev exports ${key}`);
        for (const [key, value] of Object.entries(DEV_STACK_OUTPUTS)) {
            if (key === "kubeconfig") continue;
            assert.equal(await valueOf(outputs[key] as any), value, `dev's ${key}`);
        }
        assert.equal(await valueOf(outputs.reviewDomain as any), undefined, "dev sets no review domain");
    });
});

/**
 * Builds a shared-mode review stack whose StackReference reads `outputs`, the way `pulumi up` runs
 * it: the refusal reaches the runtime as an unhandled rejection, which Pulumi's handler reports
 * once per error object (cmd/run/run.js). Returns what was registered and the distinct errors.
 */
async function refusedBuild(platformStack: string, outputs: Record<string, unknown>, overrides: Record<string, unknown> = {}) {
    STACK_REFERENCE_OUTPUTS[platformStack] = outputs;
    const config = stackConfig("pr-7", { "platform:review": { platformStack }, ...overrides });
    const errors = new Set<unknown>();
    const others = process.listeners("unhandledRejection");
    process.removeAllListeners("unhandledRejection");
    process.on("unhandledRejection", (e) => errors.add(e));
    try {
        const capture = await startCapture(config.stack);
        buildReviewEnvironment(config);
        await settle();
        await new Promise((resolve) => setTimeout(resolve, 100));
        return { capture, errors: [...errors] };
    } finally {
        process.removeAllListeners("unhandledRejection");
        for (const l of others) process.on("unhandledRejection", l);
    }
}

describe("review environment on a platform stack that cannot host it (StackReference under mocks)", () => {
    const refusal = (value: string, found: string) => [
        'Stack "pr-7" has 1 problem with its platform stack; nothing was created.',
        `  1. platform:review.platformStack = "${value}"`,
        `     rule: a stack whose environment output is "dev" (${found}): pull-request code never runs on a production cluster, nor on one that does not say what it is`,
        "     fix:  pulumi config set --path 'platform:review.platformStack' <organization>/platform/dev",
    ].join("\n");
    const { environment: _omitted, ...withoutEnvironment } = DEV_STACK_OUTPUTS;
    const cases: Array<[string, string, Record<string, unknown>, string]> = [
        ["a prod platform stack", "organization/platform/prod", { ...DEV_STACK_OUTPUTS, environment: "prod" }, 'its environment output is "prod"'],
        ["a platform stack without an environment output", "organization/platform/old", withoutEnvironment, "the stack has no environment output"],
        ["a platform stack with an unknown environment", "organization/platform/staging", { ...DEV_STACK_OUTPUTS, environment: "staging" }, 'its environment output is "staging"'],
    ];
    for (const [title, stack, outputs, found] of cases) {
        it(`refuses ${title} with one error naming key, value, rule and fix, creating nothing`, async () => {
            const { capture, errors } = await refusedBuild(stack, outputs);
            assert.equal(errors.length, 1, `one error for Pulumi to report: ${errors.map(String).join(" | ")}`);
            const error = errors[0] as PlatformStackError;
            assert.ok(error instanceof PlatformStackError);
            assert.ok(pulumi.RunError.isInstance(error), "printed as its message alone");
            assert.equal(error.message, refusal(stack, found));
            // Only the stack's AWS provider (configuration, no API call) and components: no provider for
            // the cluster, no namespaced object, no image, no generated token.
            assert.deepEqual(capture.resources.filter((r) => r.custom).map((r) => r.type), ["pulumi:providers:aws"]);
            assert.deepEqual(capture.resources.filter((r) => r.inputs.metadata?.namespace !== undefined || r.type.startsWith("kubernetes:")), []);
        });
    }

    it("refuses a prod platform stack and a domain it does not serve in the same error", async () => {
        const { capture, errors } = await refusedBuild("organization/platform/prod", { ...DEV_STACK_OUTPUTS, environment: "prod" }, { "platform:reviewEnvironments": { domain: "review.example.com" } });
        assert.equal(errors.length, 1);
        assert.deepEqual((errors[0] as PlatformStackError).problems.map((p) => p.key), ["platform:review.platformStack", "platform:reviewEnvironments.domain"]);
        assert.match((errors[0] as PlatformStackError).message, /^Stack "pr-7" has 2 problems with its platform stack; nothing was created\.\n/);
        assert.deepEqual(capture.resources.filter((r) => r.custom).map((r) => r.type), ["pulumi:providers:aws"]);
    });

    it("builds everything when the same program reads dev's outputs (the refusal is the check, not the harness)", async () => {
        const { capture, errors } = await refusedBuild("organization/platform/dev-again", DEV_STACK_OUTPUTS);
        assert.deepEqual(errors, []);
        assert.equal(capture.resources.filter((r) => r.custom).length, 23);
    });
});

describe("review stack composition", () => {
    it("builds the full copy in full mode: today's platform, with its VPC, cluster, database and cache", async () => {
        const config = stackConfig("pr-7", { "platform:review": { mode: "full" } });
        const { capture, platform } = await buildStack("pr-7", { "platform:review": { mode: "full" } });
        for (const type of ["aws:ec2/vpc:Vpc", "aws:eks/cluster:Cluster", "aws:ec2/natGateway:NatGateway", "aws:rds/instance:Instance", "aws:elasticache/replicationGroup:ReplicationGroup"]) {
            assert.equal(capture.ofType(type).length, 1, type);
        }
        assert.equal(capture.ofType("pulumi:providers:kubernetes").length, 1);
        assert.equal(isSharedReview(config), false);
        assert.equal(await valueOf(platform.outputs.environment), "review");
        assert.equal(platform.outputs.reviewUrl, undefined);
        assert.equal(platform.reviewHost, undefined, "a full copy hosts no review namespaces");
    });

    it("dispatches on environment and mode: shared only for review stacks", () => {
        assert.equal(isSharedReview(stackConfig("pr-7", { "platform:review": { mode: "shared", platformStack: "a/platform/dev" } })), true);
        assert.equal(isSharedReview(stackConfig("dev")), false, "dev's review section (shared by default) is not read");
    });
});
