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
            minReplicas: 1, maxReplicas: 2, targetCpuUtilizationPercent: 70, cpuRequestMillicores: 100, memoryMiB: 256, traceSampleRatio: 1,
            logLevel: "info", flags: {}, deliveryStrategy: "rolling", internalIngress: false, untaggedImageExpiryDays: 1, taggedImagesKept: 5,
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

    const refusals: Array<[string, Record<string, unknown>, { key: string; value: unknown; rule: string; fix: string }]> = [
        ["canary weights not increasing", { deliveryStrategy: "canary", canary: { steps: [{ weight: 20, pause: "5m" }, { weight: 10, pause: "5m" }] } },
            { key: "platform:app.canary.steps[1].weight", value: 10, rule: "greater than the previous step's weight (20): weights strictly increase", fix: "pulumi config set --path 'platform:app.canary.steps[1].weight' 21" }],
        ["a canary weight of 100", { deliveryStrategy: "canary", canary: { steps: [{ weight: 100, pause: "5m" }] } },
            { key: "platform:app.canary.steps[0].weight", value: 100, rule: "an integer from 1 to 99", fix: "pulumi config set --path 'platform:app.canary.steps[0].weight' 25" }],
        ["a bad pause", { deliveryStrategy: "canary", canary: { steps: [{ weight: 10, pause: "5 minutes" }] } },
            { key: "platform:app.canary.steps[0].pause", value: "5 minutes", rule: 'a duration such as "30s", "5m" or "1h"', fix: "pulumi config set --path 'platform:app.canary.steps[0].pause' 5m" }],
        ["maxErrorRate above 1", { deliveryStrategy: "canary", analysis: { maxErrorRate: 5 } },
            { key: "platform:app.analysis.maxErrorRate", value: 5, rule: "a number from 0 to 1", fix: "pulumi config set --path 'platform:app.analysis.maxErrorRate' 0.01" }],
        ["blue-green keys with canary", { deliveryStrategy: "canary", blueGreen: { scaleDownDelaySeconds: 30 } },
            { key: "platform:app.blueGreen", value: { scaleDownDelaySeconds: 30 }, rule: 'set only with deliveryStrategy "blueGreen" (it is "canary")', fix: "pulumi config rm --path 'platform:app.blueGreen' (or pulumi config set --path 'platform:app.deliveryStrategy' blueGreen)" }],
        ["an unknown flag", { flags: { "old-checkout": { defaultVariant: "on" } } },
            { key: "platform:app.flags.old-checkout", value: { defaultVariant: "on" }, rule: "a flag of app/flags/flags.json (new-checkout)", fix: "pulumi config rm --path 'platform:app.flags.old-checkout' (or add the flag to app/flags/flags.json)" }],
        ["an unknown variant", { flags: { "new-checkout": { defaultVariant: "maybe" } } },
            { key: "platform:app.flags.new-checkout.defaultVariant", value: "maybe", rule: 'one of the flag\'s variants ("on", "off")', fix: "pulumi config set --path 'platform:app.flags.new-checkout.defaultVariant' on" }],
    ];
    for (const [title, app, expected] of refusals) {
        it(`refuses ${title}, with key, value, rule and fix`, () => {
            assert.deepEqual(problems("pr-7", { ...base, ...encode({ [APP_KEY]: app }) }), [expected]);
        });
    }

    it("refuses a strategy that needs the controller on a stack that disables it", () => {
        const found = configProblems("pr-7", { ...base, ...encode({ [APP_KEY]: { deliveryStrategy: "canary" }, "platform:cluster": { publicAccessCidrs: ["0.0.0.0/0"], deployerPrincipalArn: DEPLOYER_ARN, argoRollouts: false } }) });
        assert.deepEqual(found, [{
            key: "platform:cluster.argoRollouts", value: false,
            rule: 'true (or absent) while platform:app.deliveryStrategy is "canary": its Rollout needs the Argo Rollouts controller; or set the strategy to rolling',
            fix: "pulumi config set --path 'platform:cluster.argoRollouts' true",
        }]);
    });

    it("refuses a blue-green preview host without the internal ALB Ingress it is a rule of", () => {
        const found = configProblems("pr-7", { ...base, ...encode({ [APP_KEY]: { deliveryStrategy: "blueGreen", blueGreen: { previewHost: "orders-preview.internal.example.com" } } }) });
        assert.deepEqual(found, [{
            key: "platform:app.internalIngress", value: false,
            rule: 'true while blueGreen.previewHost is set ("orders-preview.internal.example.com"): the host is a rule of the app\'s internal ALB Ingress',
            fix: "pulumi config set --path 'platform:app.internalIngress' true",
        }]);
        assert.deepEqual(problems("pr-7", { ...base, ...encode({ [APP_KEY]: { deliveryStrategy: "blueGreen", blueGreen: { previewHost: "Not A Host" } } }) }).map((p) => [p.key, p.value]),
            [["platform:app.blueGreen.previewHost", "Not A Host"]]);
    });

    it("keeps a shared-mode review stack rolling (a full copy may run canary)", () => {
        const shared = { ...base, ...encode({ "platform:review": { mode: "shared", platformStack: "acme/platform/dev" }, [APP_KEY]: { deliveryStrategy: "canary" } }) };
        assert.deepEqual(configProblems("pr-7", shared), [{
            key: "platform:app.deliveryStrategy", value: "canary",
            rule: '"rolling" on a shared-mode review stack (canary and blue-green run on dev and prod; a full-mode review stack may use them)',
            fix: "pulumi config set --path 'platform:app.deliveryStrategy' rolling",
        }]);
        assert.deepEqual(configProblems("pr-7", { ...base, ...encode({ [APP_KEY]: { deliveryStrategy: "canary" } }) }), []);
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
