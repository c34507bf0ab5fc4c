import * as assert from "node:assert/strict";
import { parseConfig, PROJECT } from "../../components/config";
import { configProblems, DEPLOYER_ARN, encode, FULL_REVIEW_COPY, readStackValues } from "../harness";

const APP_KEY = `${PROJECT}:app`;

describe("app config", () => {
    const base = { "aws:region": "us-east-1", "platform:cluster": JSON.stringify({ publicAccessCidrs: ["0.0.0.0/0"], deployerPrincipalArn: DEPLOYER_ARN }), ...encode(FULL_REVIEW_COPY) };
    const problems = (stack: string, values: Record<string, string>) =>
        configProblems(stack, values).filter((p) => p.key.startsWith(APP_KEY));

    it("defaults to the cheapest review values", () => {
        const c = parseConfig({ project: PROJECT, stack: "pr-7", values: base });
        assert.deepEqual(c.app, {
            minReplicas: 1, maxReplicas: 2, targetCpuUtilizationPercent: 70, cpuRequestMillicores: 100, memoryMiB: 256,
            logLevel: "info", newCheckoutDefaultVariant: "off", deliveryStrategy: "rolling", internalIngress: false, untaggedImageExpiryDays: 1, taggedImagesKept: 5,
        });
    });

    it("refuses minReplicas above maxReplicas, with the fix", () => {
        assert.deepEqual(problems("pr-7", { ...base, ...encode({ [APP_KEY]: { minReplicas: 4, maxReplicas: 3 } }) }), [{
            key: "platform:app.minReplicas", value: 4, rule: "at most maxReplicas (3)", fix: "pulumi config set --path 'platform:app.minReplicas' 3",
        }]);
    });

    it("refuses a single replica in prod", () => {
        const { values } = readStackValues("prod");
        const prod = { ...values, [APP_KEY]: JSON.stringify({ ...JSON.parse(values[APP_KEY]), minReplicas: 1 }) };
        assert.deepEqual(problems("prod", prod), [{
            key: "platform:app.minReplicas", value: 1,
            rule: "at least 2 (required in prod: one pod is an outage on every node drain)",
            fix: "pulumi config set --path 'platform:app.minReplicas' 2",
        }]);
    });

    it("refuses a delivery strategy other than rolling (the only one implemented)", () => {
        assert.deepEqual(problems("pr-7", { ...base, ...encode({ [APP_KEY]: { deliveryStrategy: "canary" } }) }), [{
            key: "platform:app.deliveryStrategy", value: "canary", rule: 'one of "rolling"', fix: "pulumi config set --path 'platform:app.deliveryStrategy' rolling",
        }]);
    });

    it("refuses database verify-full while the workload mounts no RDS CA bundle", () => {
        const found = configProblems("pr-7", { ...base, ...encode({ "platform:database": { clientSslMode: "verify-full" } }) });
        assert.deepEqual(found, [{
            key: "platform:database.clientSslMode", value: "verify-full",
            rule: '"require" until the app\'s workload mounts the RDS CA bundle (DATABASE_SSL_CA_FILE): without it verify-full fails every connection',
            fix: "pulumi config set --path 'platform:database.clientSslMode' require",
        }]);
    });

    it("refuses an unknown log level and a misspelt key", () => {
        const found = problems("pr-7", { ...base, ...encode({ [APP_KEY]: { logLevel: "verbose", minReplica: 2 } }) });
        assert.deepEqual(found.map((p) => p.key).sort(), ["platform:app.logLevel", "platform:app.minReplica"]);
        assert.match(found.find((p) => p.key === "platform:app.minReplica")!.fix, /did you mean platform:app\.minReplicas\?/);
    });
});
