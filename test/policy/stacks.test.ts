import * as assert from "node:assert/strict";
import type { ResourceValidationArgs } from "@pulumi/policy";
import { policies } from "../policy/policies";
import { buildStack, reveal, type Built } from "./harness";

/** Runs every policy on one resource; returns "policy: message" lines. */
function violations(type: string, props: Record<string, unknown>): string[] {
    const out: string[] = [];
    for (const p of policies) {
        const validations = [p.validateResource ?? []].flat();
        for (const validate of validations) {
            validate({ type, props, urn: `urn:test::${type}`, name: "x" } as unknown as ResourceValidationArgs,
                (message: string) => out.push(`${p.name}: ${message}`));
        }
    }
    return out;
}

describe("policy pack (evaluated offline)", () => {
    let stacks: Built[];
    before(async () => {
        stacks = [await buildStack("dev"), await buildStack("prod"), await buildStack("pr-1")];
    });

    it("passes every resource of the dev, prod and review stacks", () => {
        for (const b of stacks) {
            const found = b.capture.resources.filter((r) => r.custom)
                .flatMap((r) => violations(r.type, reveal(r.inputs)).map((v) => `${b.config.stack} ${r.name}: ${v}`));
            assert.deepEqual(found, []);
        }
    });

    const seeded: Array<[string, string, Record<string, unknown>, string]> = [
        ["a public, unencrypted database", "aws:rds/instance:Instance",
            { storageEncrypted: false, publiclyAccessible: true, engineLifecycleSupport: "open-source-rds-extended-support-disabled" },
            "rds-encrypted-private: storageEncrypted must be true"],
        ["a database in paid extended support", "aws:rds/instance:Instance",
            { storageEncrypted: true, kmsKeyId: "k" }, 'rds-no-extended-support: engineLifecycleSupport must be "open-source-rds-extended-support-disabled"'],
        ["a cache without TLS", "aws:elasticache/replicationGroup:ReplicationGroup",
            { engine: "valkey", authToken: "t" }, "elasticache-encrypted: transitEncryptionEnabled must be true"],
        ["a cluster on extended support", "aws:eks/cluster:Cluster",
            { encryptionConfig: { resources: ["secrets"] }, accessConfig: { authenticationMode: "API" } },
            'eks-standard-support: upgradePolicy.supportType must be "STANDARD" (extended support bills 6x)'],
        ["SSH open to the world", "aws:ec2/securityGroup:SecurityGroup",
            { ingress: [{ protocol: "tcp", fromPort: 22, toPort: 22, cidrBlocks: ["0.0.0.0/0"] }] },
            "no-world-ingress: ingress from the internet on tcp 22-22: only 80 and 443 may face it"],
        ["PostgreSQL open to the world by rule", "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
            { ipProtocol: "tcp", protocol: "tcp", fromPort: 5432, toPort: 5432, cidrIpv4: "0.0.0.0/0" },
            "no-world-ingress: ingress from the internet on tcp 5432-5432: only 80 and 443 may face it"],
        ["a secret on the default key", "aws:secretsmanager/secret:Secret", {}, "secrets-kms: kmsKeyId must be set"],
        ["a key that never rotates", "aws:kms/key:Key", {}, "kms-rotation: enableKeyRotation must be true"],
        ["logs kept forever", "aws:cloudwatch/logGroup:LogGroup", {}, "log-retention: retentionInDays must be set"],
        ["a chart version range", "kubernetes:helm.sh/v3:Release",
            { name: "x", version: "^1.2.0", repositoryOpts: { repo: "https://example.com" } },
            'helm-pinned: version must be an exact semver, got "^1.2.0"'],
        ["an unencrypted node volume", "aws:ec2/launchTemplate:LaunchTemplate",
            { blockDeviceMappings: [{ deviceName: "/dev/xvda", ebs: { encrypted: "false" } }], metadataOptions: { httpTokens: "required" } },
            "ebs-encrypted: /dev/xvda: ebs.encrypted must be true"],
    ];
    for (const [title, type, props, expected] of seeded) {
        it(`refuses ${title}`, () => {
            assert.ok(violations(type, props).includes(expected), `got ${JSON.stringify(violations(type, props))}`);
        });
    }

    it("admits HTTPS from the internet", () => {
        assert.deepEqual(violations("aws:ec2/securityGroup:SecurityGroup",
            { ingress: [{ protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["0.0.0.0/0"] }] }), []);
    });
});
