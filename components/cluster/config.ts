/** The cluster layer's config section: `platform:cluster` (control plane, node groups, add-ons). */
import { z } from "zod";
import { field, problem, retentionDays, type ConfigProblem, type Rule } from "../config/engine";
import { parseCidr } from "../network/cidr";

export const EKS_VERSIONS = ["1.35", "1.36"] as const;

/**
 * End of EKS standard support per allowed version (issue 12, item 18). With upgradePolicy
 * STANDARD, EKS upgrades the control plane on its own after this date, and the next `up` with the
 * old version in config would ask EKS for a downgrade, which it refuses. Sources: the EKS
 * Kubernetes release calendar (docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html),
 * 1.35's date as transcribed by aws-samples/sample-apex-skills (verified there 2026-04-24); 1.36
 * is not in the sources available offline: EKS's rule (14 months after its EKS release, expected
 * mid-2026) gives about 2027-07-31, to be replaced by the calendar's date.
 */
export const EKS_STANDARD_SUPPORT_END: Readonly<Record<(typeof EKS_VERSIONS)[number], { date: string; source: string }>> = {
    "1.35": { date: "2027-03-27", source: "EKS release calendar" },
    "1.36": { date: "2027-07-31", source: "estimate: 14 months after the EKS release; check the calendar" },
};

/** Days ahead the plan looks for the end of standard support: the next planned upgrade is within a quarter. */
export const UPGRADE_HORIZON_DAYS = 90;

/**
 * A warning when the version's standard support ends before `today + horizonDays` (the next
 * planned upgrade), else undefined.
 */
export function supportWarning(version: (typeof EKS_VERSIONS)[number], today: Date, horizonDays = UPGRADE_HORIZON_DAYS): string | undefined {
    const end = EKS_STANDARD_SUPPORT_END[version];
    const daysLeft = Math.floor((Date.parse(`${end.date}T00:00:00Z`) - today.getTime()) / 86_400_000);
    if (daysLeft > horizonDays) return undefined;
    const when = daysLeft < 0 ? `ended ${end.date}` : `ends ${end.date} (in ${daysLeft} days)`;
    return `warning: EKS standard support for Kubernetes ${version} ${when} (${end.source}): EKS upgrades the control plane itself then, and the next up would ask for a downgrade. Upgrade first: pulumi config set --path 'platform:cluster.version' <next version> (docs/cluster-operations.md, "Kubernetes upgrades").`;
}

/** What an access entry takes: an IAM role or user ARN (CreateAccessEntry rejects STS session ARNs). */
const PRINCIPAL_ARN = /^arn:aws[a-z-]*:iam::\d{12}:(role|user)\/[\w+=,.@\/-]+$/;

interface NodeGroupDefaults {
    instanceTypes: string[];
    capacityType: "ON_DEMAND" | "SPOT";
    diskSizeGiB: number;
}

/** The settings every managed node group has, with the group's own defaults. */
const nodeGroupShape = (d: NodeGroupDefaults) => ({
    instanceTypes: field(z.array(z.string().regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/)).min(1).max(10), {
        doc: "EC2 instance types of the group, all of one architecture (Graviton types such as m7g.large are arm64).",
        rule: `a list of 1 to 10 EC2 instance types such as ${JSON.stringify(d.instanceTypes)}, all x86_64 or all arm64`,
    }).default(d.instanceTypes),
    capacityType: field(z.enum(["ON_DEMAND", "SPOT"]), {
        doc: "On-demand or spot capacity.",
        rule: 'one of "ON_DEMAND", "SPOT"',
    }).default(d.capacityType),
    diskSizeGiB: field(z.int().min(20).max(1000), {
        doc: "Encrypted gp3 root volume per node.",
        rule: "an integer from 20 to 1000 (GiB)",
    }).default(d.diskSizeGiB),
});

/**
 * The application nodes: one managed node group per AZ, each in that AZ's private subnet, so the
 * cluster autoscaler can add a node in the AZ of a pending pod's EBS volume (an EBS volume lives
 * in one AZ; a group spanning AZs may add the node elsewhere: kubernetes/autoscaler
 * cluster-autoscaler/cloudprovider/aws/README.md, "Common Notes and Gotchas": an ASG per AZ with
 * --balance-similar-node-groups).
 */
const generalNodeGroupSchema = z.strictObject({
    ...nodeGroupShape({ instanceTypes: ["t3.large"], capacityType: "ON_DEMAND", diskSizeGiB: 40 }),
    minSizePerAz: field(z.int().min(0).max(100), {
        doc: "Fewest nodes in each AZ (the general nodes are one managed node group per AZ); 0 lets the autoscaler empty an AZ.",
        rule: "an integer from 0 to 100, at most maxSizePerAz (at least 1 in prod)",
    }).default(1),
    desiredSizePerAz: field(z.int().min(1).max(100), {
        doc: "Nodes in each AZ at creation (the cluster autoscaler changes it afterwards; Pulumi ignores its drift).",
        rule: "an integer from 1 to 100 (the add-ons that need nodes wait for them), between minSizePerAz and maxSizePerAz",
    }).default(1),
    maxSizePerAz: field(z.int().min(1).max(100), {
        doc: "Most nodes the autoscaler may run in each AZ.",
        rule: "an integer from 1 to 100",
    }).default(2),
});

/**
 * An optional second group for cluster-critical pods: tainted CriticalAddonsOnly=true:NoSchedule
 * so application pods stay off it; the load balancer controller and the cluster autoscaler are
 * pinned to it, and CoreDNS tolerates the taint. Off by default (two more nodes). One group over
 * all AZs: its pods keep no volumes.
 */
const systemNodeGroupSchema = z.strictObject({
    ...nodeGroupShape({ instanceTypes: ["t3.medium"], capacityType: "ON_DEMAND", diskSizeGiB: 40 }),
    minSize: field(z.int().min(1).max(100), { doc: "Fewest nodes.", rule: "an integer from 1 to 100" }).default(2),
    desiredSize: field(z.int().min(1).max(100), {
        doc: "Nodes at creation (the cluster autoscaler changes it afterwards; Pulumi ignores its drift).",
        rule: "an integer from 1 to 100, between minSize and maxSize",
    }).default(2),
    maxSize: field(z.int().min(1).max(100), { doc: "Most nodes the autoscaler may add.", rule: "an integer from 1 to 100" }).default(3),
    enabled: field(z.boolean(), {
        doc: "Run a separate, tainted node group for cluster-critical pods (load balancer controller, cluster autoscaler, CoreDNS), isolating them from application load.",
        rule: "true or false",
    }).default(false),
});

/**
 * The EKS add-ons the cluster installs (components/cluster/cluster.ts), in install order, keyed by the
 * config name (camelCase: `pulumi config set --path` takes plain identifiers) to the add-on name.
 */
export const EKS_ADDONS = {
    vpcCni: "vpc-cni",
    kubeProxy: "kube-proxy",
    podIdentityAgent: "eks-pod-identity-agent",
    coredns: "coredns",
    ebsCsiDriver: "aws-ebs-csi-driver",
    metricsServer: "metrics-server",
} as const;
export type EksAddonKey = keyof typeof EKS_ADDONS;

const addonVersionsSchema = z.strictObject(Object.fromEntries(Object.entries(EKS_ADDONS).map(([key, addon]) => [
    key,
    field(z.string().regex(/^v\d+\.\d+\.\d+-eksbuild\.\d+$/).optional(), {
        doc: `Pinned version of the ${addon} EKS add-on; unset uses the version EKS marks as the default for the cluster's Kubernetes version (not the newest, so a deploy does not upgrade add-ons on its own; AWS moves the default now and then, pin to hold it). List them: aws eks describe-addon-versions --addon-name ${addon} --kubernetes-version <version>.`,
        rule: "an EKS add-on version such as v1.19.2-eksbuild.1 (aws eks describe-addon-versions lists them)",
        example: "v1.19.2-eksbuild.1",
    }),
])) as Record<EksAddonKey, z.ZodOptional<z.ZodString>>);

export const clusterSchema = z.strictObject({
    version: field(z.enum(EKS_VERSIONS), {
        doc: "Kubernetes version of the control plane (standard support only; extended support is refused).",
        rule: `one of ${EKS_VERSIONS.map((v) => `"${v}"`).join(", ")} (quoted: 1.30 unquoted is the number 1.3)`,
    }).default("1.35"),
    endpointPublicAccess: field(z.boolean(), {
        doc: "Expose the API server endpoint publicly (restricted to publicAccessCidrs). The private endpoint is always on.",
        rule: "true or false",
    }).default(true),
    publicAccessCidrs: field(z.array(z.string()).max(40), {
        doc: 'CIDRs allowed to reach the public API endpoint: where `pulumi up` and kubectl run from. ["0.0.0.0/0"] opens it to the internet and must be written explicitly.',
        rule: "a list of IPv4 CIDRs (required when endpointPublicAccess is true)",
        example: ["203.0.113.0/24"],
    }).default([]),
    logRetentionDays: retentionDays("Retention of the control-plane logs (api, audit, authenticator).").default(7),
    deployerPrincipalArn: field(z.string().regex(PRINCIPAL_ARN), {
        doc: "The IAM role (or user) that runs `pulumi up` and `destroy` for this stack: the bootstrap's deploy role (devDeployRoleArn, prodDeployRoleArn; reviewRoleArn for review stacks). It gets a cluster-admin access entry of its own; the cluster's creator gets none implicitly (bootstrapClusterCreatorAdminPermissions false), so who administers the cluster does not depend on who ran the first `up`.",
        rule: "an IAM role or user ARN such as arn:aws:iam::123456789012:role/platform-ci-dev-deploy (required)",
        example: "arn:aws:iam::123456789012:role/platform-ci-dev-deploy",
    }),
    adminPrincipalArns: field(
        // Access entries take IAM role or user ARNs only: an STS assumed-role (session) ARN is
        // rejected by CreateAccessEntry (EKS user guide, "Create access entries").
        z.array(z.string().regex(PRINCIPAL_ARN)).max(20),
        {
            doc: "Further IAM roles or users given cluster-admin through EKS access entries (people, break-glass roles). Not the deployerPrincipalArn, which has its entry already: a second entry for it fails with 409.",
            rule: "a list of IAM role or user ARNs such as arn:aws:iam::123456789012:role/platform-admins",
            example: ["arn:aws:iam::123456789012:role/platform-admins"],
        },
    ).default([]),
    nodes: generalNodeGroupSchema.prefault({}),
    systemNodes: systemNodeGroupSchema.prefault({}),
    addonVersions: addonVersionsSchema.prefault({}),
    argoRollouts: field(z.boolean().optional(), {
        doc: "Install the Argo Rollouts controller (components/cluster/argo-rollouts.ts), which runs the app's canary and blue-green strategies. Absent: installed when `platform:app.deliveryStrategy` needs it. false on a stack whose strategy needs it is refused.",
        rule: "true or false",
    }),
});

export type ClusterConfig = z.output<typeof clusterSchema>;
export type NodeGroupConfig = ClusterConfig["nodes"];
export type SystemNodeGroupConfig = ClusterConfig["systemNodes"];

/** Sizes of one managed node group. */
export interface NodeGroupSizes {
    readonly minSize: number;
    readonly desiredSize: number;
    readonly maxSize: number;
}

/** The sizes of each of the general node groups (one per AZ). */
export function generalGroupSizes(n: NodeGroupConfig): NodeGroupSizes {
    return { minSize: n.minSizePerAz, desiredSize: n.desiredSizePerAz, maxSize: n.maxSizePerAz };
}

/** The sizes of the system node group (one group over all AZs). */
export function systemGroupSizes(s: SystemNodeGroupConfig): NodeGroupSizes {
    return { minSize: s.minSize, desiredSize: s.desiredSize, maxSize: s.maxSize };
}

/**
 * Memory of an EC2 instance type in MiB, for the families where the size says it: the burstable
 * t3/t3a/t4g (nano 0.5 GiB ... 2xlarge 32 GiB) and the general-purpose (m: 4 GiB per vCPU),
 * compute (c: 2 GiB per vCPU, c*n a little more: a lower bound) and memory (r: 8 GiB per vCPU)
 * families, medium = 1 vCPU, large = 2, xlarge = 4, Nxlarge = 4N
 * (https://aws.amazon.com/ec2/instance-types/). undefined for anything else (metal, x, z, ...).
 */
export function instanceMemoryMiB(instanceType: string): number | undefined {
    const [family, size] = instanceType.split(".");
    const burstable: Record<string, number> = { nano: 0.5, micro: 1, small: 2, medium: 4, large: 8, xlarge: 16, "2xlarge": 32 };
    if (/^t(3|3a|4g)$/.test(family)) return burstable[size] === undefined ? undefined : burstable[size] * 1024;
    const perVcpuGiB = ({ c: 2, m: 4, r: 8 } as Record<string, number>)[/^([cmr])\d+[a-z]*(-flex)?$/.exec(family ?? "")?.[1] ?? ""];
    if (perVcpuGiB === undefined) return undefined;
    const m = /^(medium|large|(\d*)xlarge)$/.exec(size ?? "");
    if (!m) return undefined;
    const vcpus = m[1] === "medium" ? 1 : m[1] === "large" ? 2 : 4 * Number(m[2] || 1);
    return vcpus * perVcpuGiB * 1024;
}

/** Graviton instance families carry a `g` after the generation digit (m7g, c7gn, t4g, r8g). */
export function architectureOf(instanceType: string): "arm64" | "x86_64" {
    const family = instanceType.split(".")[0];
    return /^[a-z]+\d+g[a-z]*$/.test(family) ? "arm64" : "x86_64";
}

export const clusterRules: Rule<{ readonly cluster: ClusterConfig }>[] = [
    (c, p) => {
        // Every node group (the system group only when enabled): sizes in order, one architecture.
        // The general nodes are sized per AZ (one group per AZ), the system group as a whole.
        const out: ConfigProblem[] = [];
        const n = c.cluster.nodes;
        const s = c.cluster.systemNodes;
        const groups: Array<{ group: "nodes" | "systemNodes"; instanceTypes: string[]; sizes: NodeGroupSizes; suffix: string }> = [
            { group: "nodes", instanceTypes: n.instanceTypes, sizes: generalGroupSizes(n), suffix: "PerAz" },
        ];
        if (s.enabled) groups.push({ group: "systemNodes", instanceTypes: s.instanceTypes, sizes: systemGroupSizes(s), suffix: "" });
        for (const { group, instanceTypes, sizes, suffix } of groups) {
            const [min, desired, max] = [`minSize${suffix}`, `desiredSize${suffix}`, `maxSize${suffix}`];
            if (sizes.minSize > sizes.maxSize) {
                out.push(problem(p, ["cluster", group, min], sizes.minSize, `at most ${max} (${sizes.maxSize})`, sizes.maxSize));
            } else if (sizes.desiredSize < sizes.minSize || sizes.desiredSize > sizes.maxSize) {
                out.push(problem(p, ["cluster", group, desired], sizes.desiredSize,
                    `between ${min} (${sizes.minSize}) and ${max} (${sizes.maxSize})`, Math.max(1, sizes.minSize)));
            }
            const arches = new Set(instanceTypes.map(architectureOf));
            if (arches.size > 1) {
                out.push(problem(p, ["cluster", group, "instanceTypes"], instanceTypes,
                    "all of one architecture: a node group has one AMI type, and the app image is built for one platform (Graviton types like m7g.large are arm64)",
                    [instanceTypes[0]]));
            }
        }
        return out;
    },
    (c, p) => {
        const k = c.cluster;
        const out: ConfigProblem[] = [];
        k.publicAccessCidrs.forEach((cidr, i) => {
            if (!parseCidr(cidr)) {
                out.push(problem(p, ["cluster", "publicAccessCidrs", i], cidr, "an IPv4 CIDR such as 203.0.113.0/24", "203.0.113.0/24"));
            }
        });
        if (k.endpointPublicAccess && k.publicAccessCidrs.length === 0) {
            out.push(problem(p, ["cluster", "publicAccessCidrs"], k.publicAccessCidrs,
                'at least one CIDR while endpointPublicAccess is true: the addresses `pulumi up` and kubectl run from (write ["0.0.0.0/0"] to open the endpoint to everyone on purpose), or set cluster.endpointPublicAccess false and run from inside the VPC',
                ["203.0.113.0/24"]));
        }
        if (!k.endpointPublicAccess && k.publicAccessCidrs.length > 0) {
            out.push(problem(p, ["cluster", "publicAccessCidrs"], k.publicAccessCidrs,
                "empty while endpointPublicAccess is false (the CIDRs would have no effect)", []));
        }
        // One access entry per principal: a second CreateAccessEntry for the same ARN fails (409).
        const distinctAdmins = [...new Set(k.adminPrincipalArns)];
        if (distinctAdmins.length !== k.adminPrincipalArns.length) {
            out.push(problem(p, ["cluster", "adminPrincipalArns"], k.adminPrincipalArns,
                "distinct ARNs (EKS allows one access entry per principal)", distinctAdmins));
        }
        if (k.adminPrincipalArns.includes(k.deployerPrincipalArn)) {
            out.push(problem(p, ["cluster", "adminPrincipalArns"], k.adminPrincipalArns,
                `without the deployerPrincipalArn (${k.deployerPrincipalArn}), which has its own access entry (EKS allows one per principal)`,
                k.adminPrincipalArns.filter((a) => a !== k.deployerPrincipalArn)));
        }
        return out;
    },
];
