import * as assert from "node:assert/strict";
import { APP_SECRET_KEYS } from "../../components/data/external-secrets";
import { SECRET_ENV_KEYS, SECRET_FILES } from "../../components/delivery/pod";
import { DATABASE_APP_SECRET, databaseClusterSpec, VALKEY_IMAGE, VALKEY_USER } from "../../components/review/services";

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

    // Checked 2026-12-01 against github.com/valkey-io/valkey-container (snapshot at ae6141e, 2025-01-08):
    // versions.json has 8.0 = 8.0.2 on alpine 3.21 (commit 59dc7d5, "Add Valkey 8.0.2"); 8.0.1 was
    // the version of 305f68b (alpine 3.20). generate-stackbrew-library.sh makes the tags
    // <version>-alpine and <version>-alpine<alpine>, which the CI pushes as valkey/valkey:<tag>.
    // docker-library/official-images has no library/valkey: valkey/valkey is the project's own.
    it("pins Valkey 8.0.2 on Alpine 3.21 by a tag the Valkey project publishes", () => {
        assert.equal(VALKEY_IMAGE, "docker.io/valkey/valkey:8.0.2-alpine3.21");
    });

    // 8.0/alpine/Dockerfile at 59dc7d5: `addgroup -S -g 1000 valkey; adduser -S -G valkey -u 999 valkey`,
    // `RUN mkdir /data && chown valkey:valkey /data`, ENTRYPOINT docker-entrypoint.sh, which chowns
    // and steps down (setpriv) only when started as uid 0: the pod runs as the image's own user.
    it("runs Valkey as the image's valkey user and group (999:1000), not 999:999", () => {
        assert.deepEqual(VALKEY_USER, { uid: 999, gid: 1000 });
    });
});
