import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { CHARTS } from "../components/shared/charts";
import { APP_SECRET_KEYS } from "../components/data/external-secrets";
import { buildStack, isSecret, reveal, reviewProblems, valueOf, type Built, type CapturedResource } from "./harness";

const SECRET = "aws:secretsmanager/secret:Secret";
const VERSION = "aws:secretsmanager/secretVersion:SecretVersion";
const KEY = "aws:kms/key:Key";
const RELEASE = "kubernetes:helm.sh/v3:Release";
const STORE = "kubernetes:external-secrets.io/v1:SecretStore";
const EXTERNAL_SECRET = "kubernetes:external-secrets.io/v1:ExternalSecret";
const NAMESPACE = "kubernetes:core/v1:Namespace";
const ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy";
const ASSOCIATION = "aws:eks/podIdentityAssociation:PodIdentityAssociation";
const K8S_PROVIDER = "pulumi:providers:kubernetes";

/** The ARNs the ExternalSecret may name: the app's two secrets and the RDS-managed one. */
async function appSecretArns(b: Built) {
    return {
        database: await valueOf(b.platform.secrets.databaseSecretArn),
        password: await valueOf(b.platform.database.masterUserSecretArn),
        cache: await valueOf(b.platform.secrets.cacheSecretArn),
    };
}

/** Every value of a (possibly nested) Output, resolved, with the key path it sits at. */
async function leaves(value: unknown, path: string[] = []): Promise<Array<{ path: string; value: unknown; secret: boolean }>> {
    if (pulumi.Output.isInstance(value)) {
        const secret = await (value as any).isSecret;
        const inner = await valueOf(value as pulumi.Output<unknown>);
        return (await leaves(inner, path)).map((l) => ({ ...l, secret: l.secret || secret }));
    }
    if (Array.isArray(value)) return (await Promise.all(value.map((v, i) => leaves(v, [...path, String(i)])))).flat();
    if (value !== null && typeof value === "object") {
        return (await Promise.all(Object.entries(value).map(([k, v]) => leaves(v, [...path, k])))).flat();
    }
    return [{ path: path.join("."), value, secret: false }];
}

describe("secrets", () => {
    let dev: Built;
    let prod: Built;
    let review: Built;

    before(async () => {
        dev = await buildStack("dev");
        prod = await buildStack("prod");
        review = await buildStack("pr-1");
    });

    it("keeps two secrets encrypted with their own KMS key, named for the stack", async () => {
        for (const b of [dev, prod, review]) {
            const keyArn = await valueOf(b.platform.secrets.kmsKeyArn);
            assert.equal(b.capture.one(KEY, `-${b.config.stack}-secrets-key`).inputs.enableKeyRotation, true);
            const secrets = b.capture.ofType(SECRET).filter((s) => s.name.startsWith(`platform-${b.config.stack}-secrets-`));
            assert.deepEqual(secrets.map((s) => s.inputs.name).sort(), [
                `platform-${b.config.stack}-secrets/cache`, `platform-${b.config.stack}-secrets/database`,
            ]);
            for (const s of secrets) assert.equal(s.inputs.kmsKeyId, keyArn, `${s.name} must use the secrets key`);
        }
    });

    it("has a recovery window of 0 on throwaway stacks and 30 days in prod", () => {
        const windows = (b: Built) => b.capture.ofType(SECRET).filter((s) => s.name.startsWith(`platform-${b.config.stack}-secrets-`)).map((s) => s.inputs.recoveryWindowInDays);
        assert.deepEqual(windows(dev), [0, 0]);
        assert.deepEqual(windows(review), [0, 0]);
        assert.deepEqual(windows(prod), [30, 30]);
    });

    it("stores the database connection settings and only a reference to the RDS-managed password", async () => {
        for (const b of [dev, prod, review]) {
            const version = b.capture.one(VERSION, "-secrets-database-version");
            assert.ok(isSecret(version.inputs.secretString), "secretString must be a secret in state");
            assert.deepEqual(JSON.parse(reveal(version.inputs.secretString)), {
                engine: "postgres",
                host: await valueOf(b.platform.database.address),
                port: 5432,
                dbname: "orders",
                username: "orders_admin",
                sslmode: "require",
                passwordSecretArn: await valueOf(b.platform.database.masterUserSecretArn),
            });
        }
    });

    it("stores the cache host, TLS URL and AUTH token, as a secret", async () => {
        for (const b of [dev, prod, review]) {
            const version = b.capture.one(VERSION, "-secrets-cache-version");
            assert.ok(isSecret(version.inputs.secretString));
            const host = await valueOf(b.platform.cache.primaryEndpointAddress);
            assert.deepEqual(JSON.parse(reveal(version.inputs.secretString)), {
                host, port: 6379, tls: true, url: `rediss://${host}:6379`, authToken: await valueOf(b.platform.cache.authToken),
            });
        }
    });

    it("puts no password or token into the platform outputs", async () => {
        for (const b of [dev, prod, review]) {
            const token = await valueOf(b.platform.cache.authToken);
            for (const leaf of await leaves(b.platform.outputs)) {
                assert.ok(!JSON.stringify(leaf.value ?? null).includes(token), `${leaf.path} carries the cache AUTH token`);
                assert.doesNotMatch(leaf.path, /(password|token)$/i, `${leaf.path} looks like a credential`);
            }
            const keys = Object.keys(b.platform.outputs);
            for (const k of ["databaseAddress", "databaseSecretArn", "databasePasswordSecretArn", "cacheAddress", "cacheSecretArn", "appNamespace", "appSecretName"]) {
                assert.ok(keys.includes(k), `missing output ${k}`);
            }
            // The RDS-managed secret (the mock's ARN shape for this stack's instance), not the app's own.
            const passwordArn = await valueOf(b.platform.outputs.databasePasswordSecretArn);
            assert.equal(passwordArn, `arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-platform-${b.config.stack}-database-db-AbCdEf`);
            assert.notEqual(passwordArn, await valueOf(b.platform.outputs.databaseSecretArn));
        }
    });

    it("writes no credential into any Kubernetes object or Helm values", async () => {
        for (const b of [dev, prod, review]) {
            const token = await valueOf(b.platform.cache.authToken);
            for (const r of b.capture.resources.filter((x) => x.type.startsWith("kubernetes:"))) {
                assert.ok(!JSON.stringify(reveal(r.inputs)).includes(token), `${r.name} carries the cache AUTH token`);
            }
        }
    });

    it("refuses a recovery window Secrets Manager does not offer", () => {
        assert.deepEqual(reviewProblems({ "platform:secrets": { recoveryWindowDays: 31 } }), [{
            key: "platform:secrets.recoveryWindowDays", value: 31,
            rule: "0, or an integer from 7 to 30 (Secrets Manager's range)",
            fix: "pulumi config set --path 'platform:secrets.recoveryWindowDays' 0",
        }]);
    });
});

describe("external secrets", () => {
    let dev: Built;
    let prod: Built;
    let review: Built;

    before(async () => {
        dev = await buildStack("dev");
        prod = await buildStack("prod");
        review = await buildStack("pr-1");
    });

    const clusterProviderUrn = (b: Built) => {
        const providers = b.capture.ofType(K8S_PROVIDER);
        assert.equal(providers.length, 1, "one Kubernetes provider, the cluster's");
        return providers[0].urn;
    };
    const usesClusterProvider = (b: Built, r: CapturedResource) => r.provider.startsWith(`${clusterProviderUrn(b)}::`);

    it("installs the pinned external-secrets 2.x chart with a fixed service account", () => {
        assert.deepEqual(CHARTS.externalSecrets, { repo: "https://charts.external-secrets.io", chart: "external-secrets", version: "2.9.0" });
        for (const b of [dev, prod, review]) {
            const release = b.capture.one(RELEASE, "-external-secrets-chart");
            assert.equal(release.inputs.chart, "external-secrets");
            assert.equal(release.inputs.version, "2.9.0");
            assert.deepEqual(release.inputs.repositoryOpts, { repo: "https://charts.external-secrets.io" });
            assert.equal(release.inputs.name, "external-secrets");
            assert.equal(release.inputs.namespace, "external-secrets");
            assert.equal(release.inputs.values.installCRDs, true);
            assert.deepEqual(release.inputs.values.serviceAccount, { create: true, name: "external-secrets" });
            assert.ok(usesClusterProvider(b, release));
        }
    });

    it("gives the operator its own Pod Identity role, associated before its pods start", async () => {
        for (const b of [dev, prod, review]) {
            const association = b.capture.one(ASSOCIATION, "-external-secrets-operator-association");
            assert.equal(association.inputs.namespace, "external-secrets");
            assert.equal(association.inputs.serviceAccount, "external-secrets");
            assert.equal(association.inputs.clusterName, await valueOf(b.platform.cluster.clusterName));
            assert.ok(b.capture.dependsOn(b.capture.one(RELEASE, "-external-secrets-chart"), association));
        }
    });

    it("installs the operator and syncs only after its role's policy exists (no AccessDenied on the first sync)", () => {
        for (const b of [dev, prod, review]) {
            const policy = b.capture.one(ROLE_POLICY, "-external-secrets-operator-policy");
            const release = b.capture.one(RELEASE, "-external-secrets-chart");
            const externalSecret = b.capture.one(EXTERNAL_SECRET, "-external-secrets-app-secret");
            assert.ok(release.dependencies.includes(policy.urn), "the release waits for the RolePolicy itself");
            assert.ok(b.capture.dependsOn(externalSecret, policy));
            assert.ok(b.capture.dependsOn(release, b.capture.one(ASSOCIATION, "-external-secrets-operator-association")));
        }
    });

    it("confines the operator to the app's namespace: no cluster stores, no other namespace's stores", () => {
        for (const b of [dev, prod, review]) {
            const release = b.capture.one(RELEASE, "-external-secrets-chart");
            const values = release.inputs.values;
            // Keys of deploy/charts/external-secrets/values.yaml at tag helm-chart-2.9.0.
            assert.equal(values.scopedNamespace, "orders");
            assert.equal(values.scopedRBAC, true);
            assert.equal(values.processClusterStore, false);
            assert.equal(values.processClusterExternalSecret, false);
            assert.equal(values.processClusterPushSecret, false);
            // The scope is where the store and the ExternalSecret are.
            assert.equal(b.capture.one(STORE, "-external-secrets-store").inputs.metadata.namespace, values.scopedNamespace);
            assert.equal(b.capture.one(EXTERNAL_SECRET, "-external-secrets-app-secret").inputs.metadata.namespace, values.scopedNamespace);
            // With scopedRBAC the chart creates the operator's Role in that namespace: it must exist first.
            const appNamespace = b.capture.ofType(NAMESPACE).find((n) => n.inputs.metadata.name === values.scopedNamespace)!;
            assert.ok(b.capture.dependsOn(release, appNamespace));
        }
    });

    it("lets the operator read exactly the app's secrets and decrypt only through Secrets Manager", async () => {
        for (const b of [dev, prod, review]) {
            const arns = await appSecretArns(b);
            const policy = JSON.parse(b.capture.one(ROLE_POLICY, "-external-secrets-operator-policy").inputs.policy);
            assert.deepEqual(policy.Statement, [
                {
                    Sid: "ReadTheAppSecrets",
                    Effect: "Allow",
                    Action: ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
                    Resource: [arns.database, arns.password, arns.cache],
                },
                {
                    Sid: "DecryptThroughSecretsManager",
                    Effect: "Allow",
                    Action: "kms:Decrypt",
                    Resource: [await valueOf(b.platform.database.kmsKeyArn), await valueOf(b.platform.secrets.kmsKeyArn)],
                    Condition: { StringEquals: { "kms:ViaService": "secretsmanager.us-east-1.amazonaws.com" } },
                },
            ]);
        }
    });

    it("creates the app's namespace and the operator's with Pod Security restricted", () => {
        for (const b of [dev, prod, review]) {
            for (const ns of ["orders", "external-secrets"]) {
                const found = b.capture.ofType(NAMESPACE).filter((n) => n.inputs.metadata.name === ns);
                assert.equal(found.length, 1, `namespace ${ns}`);
                assert.equal(found[0].inputs.metadata.labels["pod-security.kubernetes.io/enforce"], "restricted");
                assert.ok(usesClusterProvider(b, found[0]));
            }
        }
    });

    it("uses a namespaced AWS Secrets Manager store (v1 API), created after the chart's CRDs", () => {
        for (const b of [dev, prod, review]) {
            const store = b.capture.one(STORE, "-external-secrets-store");
            assert.equal(store.inputs.apiVersion, "external-secrets.io/v1");
            assert.equal(store.inputs.kind, "SecretStore");
            assert.equal(store.inputs.metadata.namespace, "orders");
            assert.deepEqual(store.inputs.spec, { provider: { aws: { service: "SecretsManager", region: "us-east-1" } } });
            assert.ok(store.dependencies.includes(b.capture.one(RELEASE, "-external-secrets-chart").urn));
            assert.ok(usesClusterProvider(b, store));
        }
    });

    it("syncs the app's Kubernetes Secret from only these secrets, with the keys the app reads", async () => {
        for (const b of [dev, prod, review]) {
            const arns = await appSecretArns(b);
            const es = b.capture.one(EXTERNAL_SECRET, "-external-secrets-app-secret");
            assert.equal(es.inputs.apiVersion, "external-secrets.io/v1");
            assert.equal(es.inputs.metadata.namespace, "orders");
            assert.ok(usesClusterProvider(b, es));
            assert.ok(es.dependencies.includes(b.capture.one(RELEASE, "-external-secrets-chart").urn), "CRDs come with the chart");
            assert.ok(es.dependencies.includes(b.capture.one(STORE, "-external-secrets-store").urn));
            const spec = es.inputs.spec;
            assert.deepEqual(spec.secretStoreRef, { name: "aws-secrets-manager", kind: "SecretStore" });
            assert.deepEqual(spec.target, { name: "orders-data", creationPolicy: "Owner" });
            assert.equal(await valueOf(b.platform.externalSecrets.appSecretName), "orders-data");
            const mapping = Object.fromEntries(spec.data.map((d: any) => [d.secretKey, [d.remoteRef.key, d.remoteRef.property]]));
            assert.deepEqual(mapping, {
                DATABASE_HOST: [arns.database, "host"],
                DATABASE_PORT: [arns.database, "port"],
                DATABASE_NAME: [arns.database, "dbname"],
                DATABASE_SSL: [arns.database, "sslmode"],
                DATABASE_USER: [arns.password, "username"],
                DATABASE_PASSWORD: [arns.password, "password"],
                REDIS_URL: [arns.cache, "url"],
                REDIS_AUTH_TOKEN: [arns.cache, "authToken"],
            });
            assert.deepEqual(Object.keys(mapping).sort(), [...APP_SECRET_KEYS].sort());
            for (const d of spec.data) assert.ok(Object.values(arns).includes(d.remoteRef.key), `${d.secretKey} reads another secret`);
        }
    });

    it("refreshes on the configured interval so a rotated password reaches running pods", async () => {
        for (const b of [dev, prod, review]) {
            const spec = b.capture.one(EXTERNAL_SECRET, "-external-secrets-app-secret").inputs.spec;
            assert.equal(spec.refreshPolicy, "Periodic");
            assert.equal(spec.refreshInterval, "5m");
        }
        const hourly = await buildStack("pr-1", { "platform:secrets": { refreshInterval: "1h" } });
        assert.equal(hourly.capture.one(EXTERNAL_SECRET, "-external-secrets-app-secret").inputs.spec.refreshInterval, "1h");
    });

    it("serves no v1beta1 object (external-secrets 2.x no longer serves it)", () => {
        for (const b of [dev, prod, review]) {
            const objects = b.capture.resources.filter((x) => x.type.includes("external-secrets.io"));
            // The SecretStore and the ExternalSecret: an empty list would pass the loop below.
            assert.deepEqual(objects.map((r) => r.type).sort(), [EXTERNAL_SECRET, STORE].sort());
            for (const r of objects) {
                assert.equal(r.inputs.apiVersion, "external-secrets.io/v1", r.name);
            }
        }
    });

    for (const refreshInterval of ["90s", "0m", "2d", "25h", "1h30m"]) {
        it(`refuses the refresh interval ${refreshInterval}`, () => {
            assert.deepEqual(reviewProblems({ "platform:secrets": { refreshInterval } }), [{
                key: "platform:secrets.refreshInterval", value: refreshInterval,
                rule: 'a duration from 1m to 24h in minutes or hours, such as "5m" or "1h"',
                fix: "pulumi config set --path 'platform:secrets.refreshInterval' 5m",
            }]);
        });
    }
});
