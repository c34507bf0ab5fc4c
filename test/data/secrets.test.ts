import * as assert from "node:assert/strict";
import { buildStack, isSecret, reveal, reviewProblems, valueOf, type Built } from "../harness";
import { SECRET, VERSION, KEY, leaves } from "./support";

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
