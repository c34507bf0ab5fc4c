import * as assert from "node:assert/strict";
import { APP_SECRET_KEYS } from "../../components/data/external-secrets";
import { SECRET_ENV_KEYS, SECRET_FILES } from "../../components/delivery/pod";
import { DATABASE_APP_SECRET, databaseClusterSpec, VALKEY_IMAGE } from "../../components/review/services";

describe("review backing services", () => {
    it("gives the app every key it reads: the platform's APP_SECRET_KEYS, the password from CNPG's <cluster>-app", () => {
        assert.equal(DATABASE_APP_SECRET, "db-app");
        const fromAppSecret = [...SECRET_ENV_KEYS, "REDIS_AUTH_TOKEN"].sort();
        assert.deepEqual([...APP_SECRET_KEYS].filter((k) => k !== "DATABASE_PASSWORD").sort(), fromAppSecret);
        assert.deepEqual(Object.keys(SECRET_FILES), ["DATABASE_PASSWORD", "REDIS_AUTH_TOKEN"]);
    });

    it("keeps PostgreSQL to one instance on a 1 GiB volume of the given class, no PDB, PostgreSQL 17", () => {
        const spec = databaseClusterSpec("gp3-encrypted");
        assert.equal(spec.instances, 1);
        assert.deepEqual(spec.storage, { size: "1Gi", storageClass: "gp3-encrypted" });
        assert.equal(spec.enablePDB, false);
        assert.match(spec.imageName, /^ghcr\.io\/cloudnative-pg\/postgresql:17\.\d+$/);
    });

    it("pins Valkey by version from the Valkey project's own repository", () => {
        assert.match(VALKEY_IMAGE, /^docker\.io\/valkey\/valkey:\d+\.\d+\.\d+-alpine$/);
        assert.doesNotMatch(VALKEY_IMAGE, /bitnami/);
    });
});
