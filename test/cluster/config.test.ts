import * as assert from "node:assert/strict";
import {
    validateClusterArgs,
} from "../../components/cluster/cluster";
import { EKS_STANDARD_SUPPORT_END, EKS_VERSIONS, supportWarning } from "../../components/cluster/config";
import { ConfigError, parseConfig, PROJECT, type ConfigProblem, type PlatformConfig } from "../../components/config";
import {
    DEPLOYER_ARN, encode, readStackValues, reviewProblems, stackConfig,
} from "../harness";

import { CLUSTER_KEY, clusterArgs } from "./support";

// -------------------------------------------------------------------------------------------------
// Config rules of the cluster section, and the component's own guard for direct callers.
// -------------------------------------------------------------------------------------------------

const problemsOf = (overrides: Record<string, unknown>): ConfigProblem[] => reviewProblems(overrides, "pr-1");

const cluster = (settings: Record<string, unknown>) => ({ [CLUSTER_KEY]: { publicAccessCidrs: ["0.0.0.0/0"], deployerPrincipalArn: DEPLOYER_ARN, ...settings } });

const configCases: Array<{ title: string; overrides: Record<string, unknown>; problems: ConfigProblem[] }> = [
    {
        title: "minSizePerAz above maxSizePerAz",
        overrides: cluster({ nodes: { minSizePerAz: 6, desiredSizePerAz: 6, maxSizePerAz: 4 } }),
        problems: [{
            key: "platform:cluster.nodes.minSizePerAz", value: 6, rule: "at most maxSizePerAz (4)",
            fix: "pulumi config set --path 'platform:cluster.nodes.minSizePerAz' 4",
        }],
    },
    {
        title: "desiredSizePerAz below minSizePerAz",
        overrides: cluster({ nodes: { minSizePerAz: 3, desiredSizePerAz: 1, maxSizePerAz: 5 } }),
        problems: [{
            key: "platform:cluster.nodes.desiredSizePerAz", value: 1, rule: "between minSizePerAz (3) and maxSizePerAz (5)",
            fix: "pulumi config set --path 'platform:cluster.nodes.desiredSizePerAz' 3",
        }],
    },
    {
        title: "desiredSizePerAz above maxSizePerAz",
        overrides: cluster({ nodes: { desiredSizePerAz: 5 } }),
        problems: [{
            key: "platform:cluster.nodes.desiredSizePerAz", value: 5, rule: "between minSizePerAz (1) and maxSizePerAz (2)",
            fix: "pulumi config set --path 'platform:cluster.nodes.desiredSizePerAz' 1",
        }],
    },
    {
        title: "no node in an AZ at creation (the add-ons that need nodes would time out)",
        overrides: cluster({ nodes: { minSizePerAz: 0, desiredSizePerAz: 0 } }),
        problems: [{
            key: "platform:cluster.nodes.desiredSizePerAz", value: 0,
            rule: "an integer from 1 to 100 (the add-ons that need nodes wait for them), between minSizePerAz and maxSizePerAz",
            fix: "pulumi config set --path 'platform:cluster.nodes.desiredSizePerAz' 1",
        }],
    },
    {
        title: "the old whole-group size keys on the per-AZ general group",
        overrides: cluster({ nodes: { minSize: 2 } }),
        problems: [{
            key: "platform:cluster.nodes.minSize", value: 2,
            rule: "unknown setting; known settings here: instanceTypes, capacityType, diskSizeGiB, minSizePerAz, desiredSizePerAz, maxSizePerAz",
            fix: "pulumi config rm --path 'platform:cluster.nodes.minSize'",
        }],
    },
    {
        title: "x86 and Graviton types in one group",
        overrides: cluster({ nodes: { instanceTypes: ["t3.large", "t4g.large"] } }),
        problems: [{
            key: "platform:cluster.nodes.instanceTypes", value: ["t3.large", "t4g.large"],
            rule: "all of one architecture: a node group has one AMI type, and the app image is built for one platform (Graviton types like m7g.large are arm64)",
            fix: "pulumi config rm --path 'platform:cluster.nodes.instanceTypes' && pulumi config set --path 'platform:cluster.nodes.instanceTypes[0]' t3.large",
        }],
    },
    {
        title: "an enabled system group with minSize above maxSize",
        overrides: cluster({ systemNodes: { enabled: true, minSize: 4, desiredSize: 4, maxSize: 3 } }),
        problems: [{
            key: "platform:cluster.systemNodes.minSize", value: 4, rule: "at most maxSize (3)",
            fix: "pulumi config set --path 'platform:cluster.systemNodes.minSize' 3",
        }],
    },
    {
        title: "an enabled system group mixing architectures",
        overrides: cluster({ systemNodes: { enabled: true, instanceTypes: ["t4g.medium", "t3.medium"] } }),
        problems: [{
            key: "platform:cluster.systemNodes.instanceTypes", value: ["t4g.medium", "t3.medium"],
            rule: "all of one architecture: a node group has one AMI type, and the app image is built for one platform (Graviton types like m7g.large are arm64)",
            fix: "pulumi config rm --path 'platform:cluster.systemNodes.instanceTypes' && pulumi config set --path 'platform:cluster.systemNodes.instanceTypes[0]' t4g.medium",
        }],
    },
    {
        title: "a version leaving standard support",
        overrides: cluster({ version: "1.34" }),
        problems: [{
            key: "platform:cluster.version", value: "1.34",
            rule: 'one of "1.35", "1.36" (quoted: 1.30 unquoted is the number 1.3)',
            fix: "pulumi config set --path 'platform:cluster.version' 1.35",
        }],
    },
    {
        title: "the same admin twice (EKS allows one access entry per principal)",
        overrides: cluster({ adminPrincipalArns: ["arn:aws:iam::123456789012:role/a", "arn:aws:iam::123456789012:role/a"] }),
        problems: [{
            key: "platform:cluster.adminPrincipalArns", value: ["arn:aws:iam::123456789012:role/a", "arn:aws:iam::123456789012:role/a"],
            rule: "distinct ARNs (EKS allows one access entry per principal)",
            fix: "pulumi config rm --path 'platform:cluster.adminPrincipalArns' && pulumi config set --path 'platform:cluster.adminPrincipalArns[0]' arn:aws:iam::123456789012:role/a",
        }],
    },
    {
        title: "no deployer (the cluster's admin must be named, not implied by who ran up; issue 12, item 5)",
        overrides: { [CLUSTER_KEY]: { publicAccessCidrs: ["0.0.0.0/0"] } },
        problems: [{
            key: "platform:cluster.deployerPrincipalArn", value: undefined,
            rule: "an IAM role or user ARN such as arn:aws:iam::123456789012:role/platform-ci-dev-deploy (required)",
            fix: "pulumi config set --path 'platform:cluster.deployerPrincipalArn' arn:aws:iam::123456789012:role/platform-ci-dev-deploy",
        }],
    },
    {
        title: "the deployer listed again as an admin (a second entry for it fails with 409)",
        overrides: cluster({ adminPrincipalArns: ["arn:aws:iam::123456789012:user/alice", DEPLOYER_ARN] }),
        problems: [{
            key: "platform:cluster.adminPrincipalArns", value: ["arn:aws:iam::123456789012:user/alice", DEPLOYER_ARN],
            rule: `without the deployerPrincipalArn (${DEPLOYER_ARN}), which has its own access entry (EKS allows one per principal)`,
            fix: "pulumi config rm --path 'platform:cluster.adminPrincipalArns' && pulumi config set --path 'platform:cluster.adminPrincipalArns[0]' arn:aws:iam::123456789012:user/alice",
        }],
    },
    {
        title: "an STS session ARN as admin (access entries take IAM roles and users)",
        overrides: cluster({ adminPrincipalArns: ["arn:aws:sts::123456789012:assumed-role/admins/alice"] }),
        problems: [{
            key: "platform:cluster.adminPrincipalArns[0]", value: "arn:aws:sts::123456789012:assumed-role/admins/alice",
            rule: "a list of IAM role or user ARNs such as arn:aws:iam::123456789012:role/platform-admins",
            fix: "pulumi config set --path 'platform:cluster.adminPrincipalArns[0]' arn:aws:iam::123456789012:role/platform-admins",
        }],
    },
    {
        title: "an add-on version that is not an EKS add-on version",
        overrides: cluster({ addonVersions: { coredns: "1.12.4" } }),
        problems: [{
            key: "platform:cluster.addonVersions.coredns", value: "1.12.4",
            rule: "an EKS add-on version such as v1.19.2-eksbuild.1 (aws eks describe-addon-versions lists them)",
            fix: "pulumi config set --path 'platform:cluster.addonVersions.coredns' v1.19.2-eksbuild.1",
        }],
    },
    {
        title: "a misspelt add-on",
        overrides: cluster({ addonVersions: { vpcCNI: "v1.19.2-eksbuild.1" } }),
        problems: [{
            key: "platform:cluster.addonVersions.vpcCNI", value: "v1.19.2-eksbuild.1",
            rule: "unknown setting; known settings here: vpcCni, kubeProxy, podIdentityAgent, coredns, ebsCsiDriver, metricsServer",
            fix: "pulumi config rm --path 'platform:cluster.addonVersions.vpcCNI'  # did you mean platform:cluster.addonVersions.vpcCni?",
        }],
    },
];

describe("cluster config", () => {
    for (const c of configCases) {
        it(`refuses ${c.title}`, () => {
            const sortKey = (p: ConfigProblem) => p.key + p.rule;
            assert.deepEqual(problemsOf(c.overrides).sort((a, b) => sortKey(a).localeCompare(sortKey(b))),
                [...c.problems].sort((a, b) => sortKey(a).localeCompare(sortKey(b))));
        });
    }

    it("defaults a review stack to the cheapest cluster that destroys cleanly", () => {
        const c: PlatformConfig = stackConfig("pr-1");
        assert.deepEqual(c.cluster.nodes, {
            instanceTypes: ["t3.large"], capacityType: "ON_DEMAND", minSizePerAz: 1, desiredSizePerAz: 1, maxSizePerAz: 2, diskSizeGiB: 40,
        });
        assert.deepEqual(c.cluster.addonVersions, {});
        assert.deepEqual(c.cluster.systemNodes, {
            enabled: false, instanceTypes: ["t3.medium"], capacityType: "ON_DEMAND", minSize: 2, desiredSize: 2, maxSize: 3, diskSizeGiB: 40,
        });
        // A disabled system group's sizes are not checked (nothing is created from them).
        assert.doesNotThrow(() => stackConfig("pr-1", cluster({ systemNodes: { minSize: 5, desiredSize: 5, maxSize: 3 } })));
        assert.equal(c.protect, false);
    });

    it("guards direct callers with the same rules", () => {
        assert.deepEqual(validateClusterArgs("platform-pr-1-cluster", clusterArgs({})), []);
        assert.deepEqual(validateClusterArgs("platform pr", clusterArgs({ privateSubnetIds: ["a"], publicSubnetIds: [] }, { minSizePerAz: 5, instanceTypes: ["m7g.large", "m7i.large"] })), [
            {
                key: "cluster component name", value: "platform pr",
                rule: "1-93 letters, digits, - or _, starting with a letter or digit (EKS allows 100 with the 6-character suffix); got 11 characters",
                fix: "name the Cluster component with at most 93 such characters (its name is <project>-<stack>-cluster: a shorter stack name)",
            },
            { key: "platform:network.availabilityZoneCount", value: 1, rule: "EKS needs private subnets in at least 2 AZs (the value is the private subnets passed)", fix: "pulumi config set --path 'platform:network.availabilityZoneCount' 2" },
            { key: "platform:network.availabilityZoneCount", value: 0, rule: "an internet-facing ALB needs public subnets in at least 2 AZs (the value is the public subnets passed)", fix: "pulumi config set --path 'platform:network.availabilityZoneCount' 2" },
            {
                key: "platform:cluster.nodes.desiredSizePerAz", value: 1, rule: "minSizePerAz <= desiredSizePerAz <= maxSizePerAz; got 5 <= 1 <= 2",
                fix: "pulumi config set --path 'platform:cluster.nodes.minSizePerAz' 2 && pulumi config set --path 'platform:cluster.nodes.desiredSizePerAz' 2",
            },
            {
                key: "platform:cluster.nodes.instanceTypes", value: ["m7g.large", "m7i.large"], rule: "instance types of one architecture (one AMI type per node group)",
                fix: "pulumi config rm --path 'platform:cluster.nodes.instanceTypes' && pulumi config set --path 'platform:cluster.nodes.instanceTypes[0]' m7g.large",
            },
        ]);
    });

    it("requires a general node in every AZ in prod, and allows an AZ to scale to zero elsewhere", () => {
        const prodValues = readStackValues("prod").values;
        const withNodes = (nodes: Record<string, unknown>) => ({
            ...prodValues,
            ...encode({ [CLUSTER_KEY]: { ...JSON.parse(prodValues[CLUSTER_KEY]), nodes: { ...JSON.parse(prodValues[CLUSTER_KEY]).nodes, ...nodes } } }),
        });
        assert.throws(() => parseConfig({ project: PROJECT, stack: "prod", values: withNodes({ minSizePerAz: 0 }) }), (e: unknown) => {
            assert.ok(e instanceof ConfigError);
            assert.deepEqual([...e.problems], [{
                key: "platform:cluster.nodes.minSizePerAz", value: 0,
                rule: "at least 1 (required in prod: a node in every AZ, where that AZ's EBS volumes can attach)",
                fix: "pulumi config set --path 'platform:cluster.nodes.minSizePerAz' 1",
            }]);
            return true;
        });
        assert.equal(parseConfig({ project: PROJECT, stack: "prod", values: withNodes({}) }).cluster.nodes.minSizePerAz, 1);
        assert.equal(stackConfig("pr-1", cluster({ nodes: { minSizePerAz: 0 } })).cluster.nodes.minSizePerAz, 0);
    });
});

describe("Kubernetes version support (issue 12, item 18)", () => {
    it("has a dated end of standard support for every allowed version", () => {
        assert.deepEqual(Object.keys(EKS_STANDARD_SUPPORT_END).sort(), [...EKS_VERSIONS].sort());
        for (const v of EKS_VERSIONS) assert.match(EKS_STANDARD_SUPPORT_END[v].date, /^20\d\d-\d\d-\d\d$/);
        assert.equal(EKS_STANDARD_SUPPORT_END["1.35"].date, "2027-03-27");
    });

    it("warns when standard support ends before the next planned upgrade, and not before", () => {
        const day = (d: string) => new Date(`${d}T00:00:00Z`);
        // 1.35 ends 2027-03-27: 90 days before is 2026-12-27.
        assert.equal(supportWarning("1.35", day("2026-12-26")), undefined);
        assert.equal(supportWarning("1.35", day("2026-12-27")),
            "warning: EKS standard support for Kubernetes 1.35 ends 2027-03-27 (in 90 days) (EKS release calendar): EKS upgrades the control plane itself then, and the next up would ask for a downgrade. Upgrade first: pulumi config set --path 'platform:cluster.version' <next version> (docs/cluster-operations.md, \"Kubernetes upgrades\").");
        assert.match(supportWarning("1.35", day("2027-04-01"))!, /Kubernetes 1\.35 ended 2027-03-27/);
        assert.equal(supportWarning("1.36", day("2026-12-01")), undefined);
    });
});
