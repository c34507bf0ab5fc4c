import * as assert from "node:assert/strict";
import { CHARTS } from "../../components/shared/charts";
import { APP_SECRET_KEYS } from "../../components/data/external-secrets";
import { buildStack, reviewProblems, valueOf, type Built, type CapturedResource } from "../harness";
import { RELEASE, STORE, EXTERNAL_SECRET, NAMESPACE, ROLE_POLICY, ASSOCIATION, K8S_PROVIDER, appSecretArns } from "./support";

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

    it("syncs only after its role's policy exists (no AccessDenied on the first sync), installing the operator without waiting for it", () => {
        for (const b of [dev, prod, review]) {
            const policy = b.capture.one(ROLE_POLICY, "-external-secrets-operator-policy");
            const release = b.capture.one(RELEASE, "-external-secrets-chart");
            const externalSecret = b.capture.one(EXTERNAL_SECRET, "-external-secrets-app-secret");
            assert.ok(externalSecret.dependencies.includes(policy.urn), "the first sync waits for the RolePolicy itself");
            assert.ok(b.capture.dependsOn(release, b.capture.one(ASSOCIATION, "-external-secrets-operator-association")));
            assert.ok(b.capture.dependsOn(release, b.capture.one("aws:iam/role:Role", "-external-secrets-operator-role")));
            // The policy names the database's RDS-managed secret: known once the database exists
            // (15 min Multi-AZ). The chart installs meanwhile (issue 14).
            assert.ok(!b.capture.dependsOn(release, policy), "the chart does not wait for the policy");
            for (const db of b.capture.ofType("aws:rds/instance:Instance")) {
                assert.ok(b.capture.dependsOn(policy, db), "the policy reads the database's secret ARN");
                assert.ok(!b.capture.dependsOn(release, db), "so the chart must not wait for the database");
            }
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

    it("labels the app's namespace for the ALB's pod readiness gates, after the load balancer controller (issue 12 item 8)", async () => {
        // The app's pods are the ALB's ip targets: without the label they count Ready before the
        // ALB health check passes and a rollout drops requests. The controller's pod webhook is
        // failurePolicy Fail: the namespace (and so every object in it) waits for the controller.
        for (const b of [dev, prod, review]) {
            const ns = b.capture.ofType(NAMESPACE).find((n) => n.inputs.metadata.name === "orders")!;
            assert.deepEqual(ns.inputs.metadata.labels, {
                "elbv2.k8s.aws/pod-readiness-gate-inject": "enabled",
                "pod-security.kubernetes.io/enforce": "restricted",
                "pod-security.kubernetes.io/warn": "restricted",
                "pod-security.kubernetes.io/audit": "restricted",
            });
            assert.equal(b.platform.cluster.servicesReady.length, 2);
            for (const ready of b.platform.cluster.servicesReady) {
                assert.ok(b.capture.dependsOn(ns, b.capture.byUrn(await valueOf(ready.urn))), "the app namespace waits for the controller");
            }
            const other = b.capture.ofType(NAMESPACE).find((n) => n.inputs.metadata.name === "external-secrets")!;
            assert.equal(other.inputs.metadata.labels["elbv2.k8s.aws/pod-readiness-gate-inject"], undefined);
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
