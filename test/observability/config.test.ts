import * as assert from "node:assert/strict";
import { instanceMemoryMiB } from "../../components/cluster/config";
import { parseConfig, PROJECT } from "../../components/config";
import {
    configProblems, DEPLOYER_ARN, encode, FULL_REVIEW_COPY,
} from "../harness";

import { OBS_KEY } from "./support";

// ---------------------------------------------------------------------------------------------
// Config rules of the observability section
// ---------------------------------------------------------------------------------------------

describe("observability config", () => {
    const parse = (section: Record<string, unknown>, environment = "review", stack = "pr-7") =>
        parseConfig({
            project: PROJECT,
            stack,
            values: encode({ "aws:region": "us-east-1", [`${PROJECT}:environment`]: environment, [OBS_KEY]: section,
                [`${PROJECT}:cluster`]: { publicAccessCidrs: ["203.0.113.0/24"], deployerPrincipalArn: DEPLOYER_ARN }, ...FULL_REVIEW_COPY }),
        });
    const problems = (section: Record<string, unknown>) =>
        configProblems("pr-7", encode({ "aws:region": "us-east-1", [`${PROJECT}:environment`]: "review", [OBS_KEY]: section,
            [`${PROJECT}:cluster`]: { publicAccessCidrs: ["203.0.113.0/24"], deployerPrincipalArn: DEPLOYER_ARN }, ...FULL_REVIEW_COPY }))
            .map((p) => ({ key: p.key, rule: p.rule, fix: p.fix }));

    it("defaults a review stack to the cheapest stack that works and destroys cleanly", () => {
        assert.deepEqual(parse({}).observability, {
            prometheusRetentionDays: 2,
            prometheusStorageGiB: 10,
            prometheusMemoryMiB: 1024,
            alertmanagerStorageGiB: 0,
            alertReceiver: "none",
            alertReceiverSecretsManagerName: "",
            alertSlackChannel: "",
            grafanaStorageGiB: 0,
            elasticsearchNodeCount: 1,
            elasticsearchMemoryGiB: 2,
            elasticsearchStorageGiB: 10,
            logRetentionDays: 3,
            jaegerStorage: "memory",
            traceRetentionDays: 3,
            internalIngress: false,
        });
    });

    const cases: Array<{ name: string; section: Record<string, unknown>; expected: Array<{ key: string; rule: string; fix: string }> }> = [
        {
            name: "a Slack receiver without its secret or channel",
            section: { alertReceiver: "slack" },
            expected: [
                {
                    key: "platform:observability.alertReceiverSecretsManagerName",
                    rule: 'the name of a Secrets Manager secret whose SecretString is the receiver URL while alertReceiver is "slack"',
                    fix: "pulumi config set --path 'platform:observability.alertReceiverSecretsManagerName' platform/alertmanager-receiver",
                },
                {
                    key: "platform:observability.alertSlackChannel",
                    rule: 'a Slack channel such as "#alerts" while alertReceiver is "slack"',
                    fix: "pulumi config set --path 'platform:observability.alertSlackChannel' '#alerts'",
                },
            ],
        },
        {
            name: "a webhook receiver without its secret",
            section: { alertReceiver: "webhook" },
            expected: [{
                key: "platform:observability.alertReceiverSecretsManagerName",
                rule: 'the name of a Secrets Manager secret whose SecretString is the receiver URL while alertReceiver is "webhook"',
                fix: "pulumi config set --path 'platform:observability.alertReceiverSecretsManagerName' platform/alertmanager-receiver",
            }],
        },
        {
            name: "an unknown receiver",
            section: { alertReceiver: "pagerduty" },
            expected: [{
                key: "platform:observability.alertReceiver",
                rule: 'one of "none", "slack", "webhook"',
                fix: "pulumi config set --path 'platform:observability.alertReceiver' none",
            }],
        },
        {
            name: "a secret name Secrets Manager refuses",
            section: { alertReceiver: "webhook", alertReceiverSecretsManagerName: "alert url" },
            expected: [{
                key: "platform:observability.alertReceiverSecretsManagerName",
                rule: 'a Secrets Manager secret name such as "platform/alertmanager-receiver" (1-512 of letters, digits and /_+=.@-), or "" with alertReceiver "none"',
                fix: "pulumi config set --path 'platform:observability.alertReceiverSecretsManagerName' platform/alertmanager-receiver",
            }],
        },
        {
            name: "two Elasticsearch nodes (no quorum when one goes)",
            section: { elasticsearchNodeCount: 2 },
            expected: [{
                key: "platform:observability.elasticsearchNodeCount",
                rule: "1, or at least 3: two master-eligible nodes cannot elect a master when one is gone",
                fix: "pulumi config set --path 'platform:observability.elasticsearchNodeCount' 3",
            }],
        },
        {
            name: "Elasticsearch below ECK's 2 GiB",
            section: { elasticsearchMemoryGiB: 1 },
            expected: [{
                key: "platform:observability.elasticsearchMemoryGiB",
                rule: "an integer from 2 to 64 (GiB; ECK's default and minimum useful size is 2)",
                fix: "pulumi config set --path 'platform:observability.elasticsearchMemoryGiB' 2",
            }],
        },
        {
            name: "an unknown Jaeger storage (e.g. the 3.x badger/cassandra choice)",
            section: { jaegerStorage: "cassandra" },
            expected: [{
                key: "platform:observability.jaegerStorage",
                rule: 'one of "memory", "elasticsearch"',
                fix: "pulumi config set --path 'platform:observability.jaegerStorage' memory",
            }],
        },
        {
            name: "an Elasticsearch node bigger than 75% of the smallest node (default t3.large, 8 GiB)",
            section: { elasticsearchMemoryGiB: 7 },
            expected: [{
                key: "platform:observability.elasticsearchMemoryGiB",
                rule: "at most 6 (GiB) so an Elasticsearch node fits on t3.large (8192 MiB), the smallest of cluster.nodes.instanceTypes: one pod may ask for at most 75% of a node (6144 MiB), the rest is kube-reserved, DaemonSets and system pods; or choose bigger instance types",
                fix: "pulumi config set --path 'platform:observability.elasticsearchMemoryGiB' 6",
            }],
        },
        {
            name: "a Prometheus bigger than 75% of the smallest node",
            section: { prometheusMemoryMiB: 6145 },
            expected: [{
                key: "platform:observability.prometheusMemoryMiB",
                rule: "at most 6144 (MiB) so Prometheus fits on t3.large (8192 MiB), the smallest of cluster.nodes.instanceTypes: one pod may ask for at most 75% of a node (6144 MiB), the rest is kube-reserved, DaemonSets and system pods; or choose bigger instance types",
                fix: "pulumi config set --path 'platform:observability.prometheusMemoryMiB' 6144",
            }],
        },
        {
            name: "a misspelt key, with a suggestion",
            section: { logRetentionDay: 7 },
            expected: [{
                key: "platform:observability.logRetentionDay",
                rule: problemsRuleUnknown(),
                fix: "pulumi config rm --path 'platform:observability.logRetentionDay'  # did you mean platform:observability.logRetentionDays?",
            }],
        },
    ];
    for (const c of cases) {
        it(`refuses ${c.name}`, () => assert.deepEqual(problems(c.section), c.expected));
    }

    it("accepts a complete Slack receiver", () => {
        assert.deepEqual(problems({ alertReceiver: "slack", alertReceiverSecretsManagerName: "platform/alertmanager-slack", alertSlackChannel: "#alerts" }), []);
    });

    it("accepts the largest pods that fit: 6 GiB Elasticsearch and 6144 MiB Prometheus on t3.large", () => {
        assert.deepEqual(problems({ elasticsearchMemoryGiB: 6, prometheusMemoryMiB: 6144 }), []);
    });

    it("judges pod memory on the smallest known instance type of cluster.nodes", () => {
        const withNodes = (instanceTypes: string[]) => {
            return configProblems("pr-7", encode({ "aws:region": "us-east-1", [`${PROJECT}:environment`]: "review",
                [OBS_KEY]: { elasticsearchMemoryGiB: 4 }, [`${PROJECT}:cluster`]: { publicAccessCidrs: ["203.0.113.0/24"], deployerPrincipalArn: DEPLOYER_ARN, nodes: { instanceTypes } }, ...FULL_REVIEW_COPY }))
                .map((p) => `${p.key} ${p.fix}`);
        };
        // 4 GiB fits on 8 GiB nodes (6144 MiB), not on a 4 GiB t3.medium (3072 MiB).
        assert.deepEqual(withNodes(["m7i.large", "t3.large"]), []);
        assert.deepEqual(withNodes(["t3.large", "t3.medium"]), [
            "platform:observability.elasticsearchMemoryGiB pulumi config set --path 'platform:observability.elasticsearchMemoryGiB' 3",
        ]);
        // An unknown type is not judged (nothing to say about its memory).
        assert.deepEqual(withNodes(["x2idn.16xlarge"]), []);
    });

    it("knows the memory of the instance types the stacks use (EC2 instance type pages)", () => {
        assert.deepEqual(
            Object.fromEntries(["t3.medium", "t3.large", "t3a.large", "t4g.xlarge", "m5.large", "m6i.large", "m7i.large", "m7g.2xlarge", "m7i-flex.large",
                "c7g.xlarge", "r6i.large", "m5.metal", "x2idn.16xlarge", "i4i.large"].map((t) => [t, instanceMemoryMiB(t)])),
            {
                "t3.medium": 4096, "t3.large": 8192, "t3a.large": 8192, "t4g.xlarge": 16384, "m5.large": 8192, "m6i.large": 8192, "m7i.large": 8192,
                "m7g.2xlarge": 32768, "m7i-flex.large": 8192, "c7g.xlarge": 8192, "r6i.large": 16384,
                "m5.metal": undefined, "x2idn.16xlarge": undefined, "i4i.large": undefined,
            },
        );
    });
});

function problemsRuleUnknown(): string {
    return "unknown setting; known settings here: prometheusRetentionDays, prometheusStorageGiB, prometheusMemoryMiB, alertmanagerStorageGiB, alertReceiver, alertReceiverSecretsManagerName, alertSlackChannel, grafanaStorageGiB, elasticsearchNodeCount, elasticsearchMemoryGiB, elasticsearchStorageGiB, logRetentionDays, jaegerStorage, traceRetentionDays, internalIngress";
}
