import * as assert from "node:assert/strict";
import { ConfigError, describeSettings, parseConfig, type ConfigProblem, type PlatformConfig } from "../../components/config";
import { configKey, setCommand } from "../../components/config/engine";
import { configProblems, DEPLOYER_ARN, readStackValues, reviewProblems, stackConfig, withOverrides } from "../harness";

/** The review workflow's values (region, API CIDRs) plus overrides, parsed as a stack's config. */
function parse(stack: string, overrides: Record<string, unknown>): PlatformConfig {
    return parseConfig({ project: "platform", stack, values: withOverrides("pr-1", overrides) });
}

interface Case {
    readonly title: string;
    readonly stack?: string;
    readonly overrides: Record<string, unknown>;
    /** Every expected problem, exactly (order-insensitive). */
    readonly problems: ConfigProblem[];
}

const NET = "platform:network";
const TOP_LEVEL_SETTINGS = "environment, protect, decommission, tags, network, cluster, database, cache, secrets, observability, app, review, reviewEnvironments";
const CLUSTER = "platform:cluster";

const cases: Case[] = [
    {
        title: "a boolean written as text",
        overrides: { [NET]: { interfaceEndpoints: "yes" } },
        problems: [{
            key: "platform:network.interfaceEndpoints", value: "yes",
            rule: "true or false",
            fix: "pulumi config set --path 'platform:network.interfaceEndpoints' false",
        }],
    },
    {
        title: "a misspelt top-level section",
        overrides: { "platform:netwrok": { cidrBlock: "10.1.0.0/16" } },
        problems: [{
            key: "platform:netwrok", value: { cidrBlock: "10.1.0.0/16" },
            rule: `unknown setting; known settings here: ${TOP_LEVEL_SETTINGS}`,
            fix: "pulumi config rm 'platform:netwrok'  # did you mean platform:network?",
        }],
    },
    {
        title: "a nested key set without --path",
        overrides: { "platform:network.natGateways": "perAz" },
        problems: [{
            key: "platform:network.natGateways", value: "perAz",
            rule: `unknown setting; known settings here: ${TOP_LEVEL_SETTINGS}`,
            fix: "pulumi config rm 'platform:network.natGateways'  # set nested settings with --path: pulumi config set --path 'platform:network.natGateways' perAz",
        }],
    },
    {
        title: "an EKS version out of standard support",
        overrides: { [CLUSTER]: { deployerPrincipalArn: DEPLOYER_ARN, version: "1.34", publicAccessCidrs: ["0.0.0.0/0"] } },
        problems: [{
            key: "platform:cluster.version", value: "1.34",
            rule: 'one of "1.35", "1.36" (quoted: 1.30 unquoted is the number 1.3)',
            fix: "pulumi config set --path 'platform:cluster.version' 1.35",
        }],
    },
    {
        title: "an EKS version written as a number",
        overrides: { [CLUSTER]: { deployerPrincipalArn: DEPLOYER_ARN, version: 1.35, publicAccessCidrs: ["0.0.0.0/0"] } },
        problems: [{
            key: "platform:cluster.version", value: 1.35,
            rule: 'one of "1.35", "1.36" (quoted: 1.30 unquoted is the number 1.3)',
            fix: "pulumi config set --path 'platform:cluster.version' 1.35",
        }],
    },
    {
        title: "a public endpoint with no allowed CIDRs",
        overrides: { [CLUSTER]: { deployerPrincipalArn: DEPLOYER_ARN, publicAccessCidrs: [] } },
        problems: [{
            key: "platform:cluster.publicAccessCidrs", value: [],
            rule: 'at least one CIDR while endpointPublicAccess is true: the addresses `pulumi up` and kubectl run from (write ["0.0.0.0/0"] to open the endpoint to everyone on purpose), or set cluster.endpointPublicAccess false and run from inside the VPC',
            fix: "pulumi config rm --path 'platform:cluster.publicAccessCidrs' && pulumi config set --path 'platform:cluster.publicAccessCidrs[0]' 203.0.113.0/24",
        }],
    },
    {
        title: "a malformed API CIDR",
        overrides: { [CLUSTER]: { deployerPrincipalArn: DEPLOYER_ARN, publicAccessCidrs: ["203.0.113.7"] } },
        problems: [{
            key: "platform:cluster.publicAccessCidrs[0]", value: "203.0.113.7",
            rule: "an IPv4 CIDR such as 203.0.113.0/24",
            fix: "pulumi config set --path 'platform:cluster.publicAccessCidrs[0]' 203.0.113.0/24",
        }],
    },
    {
        title: "CIDRs for a private-only endpoint",
        overrides: { [CLUSTER]: { deployerPrincipalArn: DEPLOYER_ARN, endpointPublicAccess: false, publicAccessCidrs: ["0.0.0.0/0"] } },
        problems: [{
            key: "platform:cluster.publicAccessCidrs", value: ["0.0.0.0/0"],
            rule: "empty while endpointPublicAccess is false (the CIDRs would have no effect)",
            fix: "pulumi config rm --path 'platform:cluster.publicAccessCidrs'",
        }],
    },
    {
        title: "an admin that is not an IAM ARN",
        overrides: { [CLUSTER]: { deployerPrincipalArn: DEPLOYER_ARN, publicAccessCidrs: ["0.0.0.0/0"], adminPrincipalArns: ["alice"] } },
        problems: [{
            key: "platform:cluster.adminPrincipalArns[0]", value: "alice",
            rule: "a list of IAM role or user ARNs such as arn:aws:iam::123456789012:role/platform-admins",
            fix: "pulumi config set --path 'platform:cluster.adminPrincipalArns[0]' arn:aws:iam::123456789012:role/platform-admins",
        }],
    },
    {
        title: "a node group whose minimum exceeds its maximum",
        overrides: { [CLUSTER]: { deployerPrincipalArn: DEPLOYER_ARN, publicAccessCidrs: ["0.0.0.0/0"], nodes: { minSizePerAz: 5, maxSizePerAz: 3, desiredSizePerAz: 4 } } },
        problems: [{
            key: "platform:cluster.nodes.minSizePerAz", value: 5, rule: "at most maxSizePerAz (3)",
            fix: "pulumi config set --path 'platform:cluster.nodes.minSizePerAz' 3",
        }],
    },
    {
        title: "a desired size outside min..max",
        overrides: { [CLUSTER]: { deployerPrincipalArn: DEPLOYER_ARN, publicAccessCidrs: ["0.0.0.0/0"], nodes: { minSizePerAz: 2, maxSizePerAz: 4, desiredSizePerAz: 6 } } },
        problems: [{
            key: "platform:cluster.nodes.desiredSizePerAz", value: 6, rule: "between minSizePerAz (2) and maxSizePerAz (4)",
            fix: "pulumi config set --path 'platform:cluster.nodes.desiredSizePerAz' 2",
        }],
    },
    {
        title: "instance types of two architectures in one group",
        overrides: { [CLUSTER]: { deployerPrincipalArn: DEPLOYER_ARN, publicAccessCidrs: ["0.0.0.0/0"], nodes: { instanceTypes: ["m7i.large", "m7g.large"] } } },
        problems: [{
            key: "platform:cluster.nodes.instanceTypes", value: ["m7i.large", "m7g.large"],
            rule: "all of one architecture: a node group has one AMI type, and the app image is built for one platform (Graviton types like m7g.large are arm64)",
            fix: "pulumi config rm --path 'platform:cluster.nodes.instanceTypes' && pulumi config set --path 'platform:cluster.nodes.instanceTypes[0]' m7i.large",
        }],
    },
    {
        title: "an unknown capacity type",
        overrides: { [CLUSTER]: { deployerPrincipalArn: DEPLOYER_ARN, publicAccessCidrs: ["0.0.0.0/0"], nodes: { capacityType: "spot" } } },
        problems: [{
            key: "platform:cluster.nodes.capacityType", value: "spot", rule: 'one of "ON_DEMAND", "SPOT"',
            fix: "pulumi config set --path 'platform:cluster.nodes.capacityType' ON_DEMAND",
        }],
    },
    {
        title: "an unknown environment",
        overrides: { "platform:environment": "staging" },
        problems: [{
            key: "platform:environment", value: "staging", rule: 'one of "review", "dev", "prod"',
            fix: "pulumi config set 'platform:environment' review",
        }],
    },
    {
        title: "a review stack that claims to be prod",
        stack: "pr-42",
        overrides: { "platform:environment": "dev" },
        problems: [{
            key: "platform:environment", value: "dev", rule: '"review" for the stack named "pr-42"',
            fix: "pulumi config set 'platform:environment' review",
        }],
    },
    {
        title: "a missing region",
        overrides: { "aws:region": "" },
        problems: [{
            key: "aws:region", value: "", rule: "the AWS region of the stack, such as us-east-1 or eu-west-1",
            fix: "pulumi config set aws:region us-east-1",
        }],
    },
    {
        title: "a tag value that is too long",
        overrides: { "platform:tags": { owner: "x".repeat(300) } },
        problems: [{
            key: "platform:tags.owner", value: "x".repeat(300),
            rule: "a map of tag keys (1-128 letters, digits, spaces and _.:/=+-@) to values of up to 256 characters",
            fix: "pulumi config set --path 'platform:tags.owner' platform-team",
        }],
    },
];

describe("config schema", () => {
    describe(`refuses ${cases.length} invalid configurations with exact messages`, () => {
        for (const c of cases) {
            it(c.title, () => {
                const sortKey = (p: ConfigProblem) => p.key + p.rule;
                assert.deepEqual(
                    reviewProblems(c.overrides, c.stack ?? "pr-7").sort((a, b) => sortKey(a).localeCompare(sortKey(b))),
                    [...c.problems].sort((a, b) => sortKey(a).localeCompare(sortKey(b))),
                );
            });
        }
    });

    it("refuses an unprotected prod stack, naming every key to set", () => {
        const problems = reviewProblems({ "platform:environment": "prod" }, "prod");
        assert.deepEqual(problems.map((p) => p.fix), [
            "pulumi config set 'platform:protect' true",
            "pulumi config set --path 'platform:database.multiAz' true",
            "pulumi config set --path 'platform:database.backupRetentionDays' 7",
            "pulumi config set --path 'platform:database.backupPlan.enabled' true",
            "pulumi config set --path 'platform:database.backupPlan.copyRegion' us-west-2",
            "pulumi config set --path 'platform:network.natGateways' perAz",
            "pulumi config set --path 'platform:network.availabilityZoneCount' 3",
            "pulumi config set --path 'platform:cache.multiAz' true",
            "pulumi config set --path 'platform:cache.snapshotRetentionDays' 7",
            "pulumi config set --path 'platform:secrets.recoveryWindowDays' 30",
            // The review template's 0.0.0.0/0 (issue 12, item 6).
            "pulumi config set --path 'platform:cluster.endpointPublicAccess' false && pulumi config rm --path 'platform:cluster.publicAccessCidrs'",
            "pulumi config set --path 'platform:app.minReplicas' 2",
        ]);
        assert.ok(problems.every((p) => p.rule.includes("required in prod")));
    });

    it("lets a prod stack be decommissioned only through the explicit decommission setting", () => {
        const prod = readStackValues("prod").values;
        const unprotected = { ...prod, "platform:protect": "false" };
        assert.throws(() => parseConfig({ project: "platform", stack: "prod", values: unprotected }), ConfigError);
        const c = parseConfig({ project: "platform", stack: "prod", values: { ...unprotected, "platform:decommission": "true" } });
        assert.equal(c.protect, false);
        assert.equal(c.environment, "prod");
    });

    describe("prod guard-rail thresholds (one problem just below, none at the limit)", () => {
        /** The committed prod file with one nested value changed. */
        const prodWith = (section: string, pathInSection: string[], value: unknown) => {
            const values = { ...readStackValues("prod").values };
            const key = `platform:${section}`;
            const doc = JSON.parse(values[key] ?? "{}");
            let node = doc;
            for (const part of pathInSection.slice(0, -1)) node = node[part] ??= {};
            node[pathInSection[pathInSection.length - 1]] = value;
            values[key] = JSON.stringify(doc);
            return values;
        };
        const thresholds: Array<[string, string[], number, number]> = [
            ["secrets", ["recoveryWindowDays"], 0, 7],
            ["database", ["backupRetentionDays"], 6, 7],
            ["network", ["availabilityZoneCount"], 2, 3],
            ["cache", ["snapshotRetentionDays"], 0, 1],
            ["cluster", ["nodes", "minSizePerAz"], 0, 1],
            ["app", ["minReplicas"], 1, 2],
        ];
        for (const [section, p, below, at] of thresholds) {
            const key = `platform:${section}.${p.join(".")}`;
            it(`${key}: ${below} refused, ${at} accepted`, () => {
                const refused = configProblems("prod", prodWith(section, p, below));
                assert.deepEqual(refused.map((x) => x.key), [key]);
                assert.match(refused[0].rule, /required in prod/);
                assert.deepEqual(configProblems("prod", prodWith(section, p, at)), []);
            });
        }
    });

    it("refuses a world-open API endpoint in prod, and ships prod with the private endpoint (issue 12, item 6)", () => {
        const prod = readStackValues("prod").values;
        const cluster = JSON.parse(prod["platform:cluster"]);
        assert.equal(cluster.endpointPublicAccess, false);
        assert.equal(cluster.publicAccessCidrs, undefined);
        const open = { ...prod, "platform:cluster": JSON.stringify({ ...cluster, endpointPublicAccess: true, publicAccessCidrs: ["203.0.113.0/24", "0.0.0.0/0"] }) };
        assert.deepEqual(configProblems("prod", open), [{
            key: "platform:cluster.publicAccessCidrs", value: ["203.0.113.0/24", "0.0.0.0/0"],
            rule: "no world-open CIDR (required in prod: AWS Security Hub EKS.1); set cluster.endpointPublicAccess false and deploy from inside the VPC (a self-hosted runner), or list your fixed egress CIDRs",
            fix: "pulumi config rm --path 'platform:cluster.publicAccessCidrs' && pulumi config set --path 'platform:cluster.publicAccessCidrs[0]' 203.0.113.0/24",
        }]);
        // Fixed egress CIDRs are accepted; dev may stay open.
        const fixed = { ...prod, "platform:cluster": JSON.stringify({ ...cluster, endpointPublicAccess: true, publicAccessCidrs: ["203.0.113.0/24"] }) };
        assert.deepEqual(configProblems("prod", fixed), []);
        assert.deepEqual(JSON.parse(readStackValues("dev").values["platform:cluster"]).publicAccessCidrs, ["0.0.0.0/0"]);
    });

    it("refuses a stack named prod that is not the prod environment", () => {
        const problems = reviewProblems({ "platform:environment": "dev" }, "prod");
        assert.deepEqual(problems.map((p) => [p.key, p.rule]), [["platform:environment", '"prod" for the stack named "prod"']]);
    });

    it("collects problems from every section in one error", () => {
        const problems = reviewProblems({
            [NET]: { availabilityZoneCount: 9 },
            "platform:database": { instanceClass: "t3.micro" },
            "platform:cache": { nodeType: "m5.large" },
        });
        assert.deepEqual(problems.map((p) => p.key).sort(), [
            "platform:cache.nodeType", "platform:database.instanceClass", "platform:network.availabilityZoneCount",
        ]);
    });

    it("formats one numbered entry per problem with key, value, rule and fix", () => {
        try {
            parse("pr-7", { [NET]: { availabilityZoneCount: 1, natGateways: "some" } });
            assert.fail("expected a ConfigError");
        } catch (e) {
            assert.ok(e instanceof ConfigError);
            assert.equal(e.message, [
                'Stack "pr-7" has 2 configuration problems; nothing was created.',
                "  1. platform:network.availabilityZoneCount = 1",
                "     rule: an integer from 2 to 6 (EKS and the RDS subnet group need subnets in at least 2 AZs)",
                "     fix:  pulumi config set --path 'platform:network.availabilityZoneCount' 2",
                '  2. platform:network.natGateways = "some"',
                '     rule: one of "single", "perAz"',
                "     fix:  pulumi config set --path 'platform:network.natGateways' single",
            ].join("\n"));
        }
    });

    it("gives a review stack the schema defaults plus the review workflow's values", () => {
        const c = stackConfig("pr-1");
        assert.equal(c.environment, "review");
        assert.equal(c.protect, false);
        assert.equal(c.region, "us-east-1");
        assert.deepEqual(c.network, {
            cidrBlock: "10.0.0.0/16", availabilityZoneCount: 2, publicSubnetPrefixLength: 24, privateSubnetPrefixLength: 20,
            isolatedSubnetPrefixLength: 24, natGateways: "single", flowLogsRetentionDays: 7, interfaceEndpoints: false,
        });
        assert.deepEqual(c.cluster.publicAccessCidrs, ["0.0.0.0/0"]);
        assert.equal(c.secrets.recoveryWindowDays, 0);
    });

    it("accepts the committed dev and prod stack files", () => {
        const dev = stackConfig("dev");
        const prod = stackConfig("prod");
        assert.equal(dev.environment, "dev");
        assert.equal(prod.environment, "prod");
        assert.equal(prod.protect, true);
        assert.equal(prod.network.natGateways, "perAz");
        assert.equal(dev.network.natGateways, "single");
    });

    it("builds keys and fix commands in Pulumi's --path syntax", () => {
        assert.equal(configKey("platform", ["cluster", "publicAccessCidrs", 2]), "platform:cluster.publicAccessCidrs[2]");
        assert.equal(setCommand("platform:protect", true), "pulumi config set 'platform:protect' true");
        assert.equal(setCommand("platform:tags.owner", "a b"), "pulumi config set --path 'platform:tags.owner' 'a b'");
        // --path turns integers and true/false into numbers and booleans unless told otherwise.
        assert.equal(setCommand("platform:database.engineVersion", "17"), "pulumi config set --path 'platform:database.engineVersion' 17 --type string");
        assert.equal(setCommand("platform:cluster.version", "1.35"), "pulumi config set --path 'platform:cluster.version' 1.35");
        assert.equal(setCommand("platform:network.availabilityZoneCount", 3), "pulumi config set --path 'platform:network.availabilityZoneCount' 3");
        // There is no JSON mode: lists and maps are written element by element.
        assert.equal(setCommand("platform:cluster.publicAccessCidrs", ["10.0.0.0/8", "192.168.0.0/16"]),
            "pulumi config rm --path 'platform:cluster.publicAccessCidrs' && " +
            "pulumi config set --path 'platform:cluster.publicAccessCidrs[0]' 10.0.0.0/8 && " +
            "pulumi config set --path 'platform:cluster.publicAccessCidrs[1]' 192.168.0.0/16");
        assert.equal(setCommand("platform:tags", { owner: "team" }), "pulumi config rm 'platform:tags' && pulumi config set --path 'platform:tags.owner' team");
    });

    it("documents every setting with a rule and a description (optional settings may have no default)", () => {
        const settings = describeSettings();
        assert.ok(settings.length >= 30, `only ${settings.length} settings described`);
        for (const s of settings) {
            assert.ok(s.doc.length > 10, `${s.key} has no description`);
            assert.ok(s.rule.length > 3, `${s.key} has no rule`);
        }
    });
});
