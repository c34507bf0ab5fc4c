/** The production guard rails: checks, never silent overrides (lifted only by platform:decommission). */
import { problem, type ConfigProblem, type Rule } from "./engine";
import type { PlatformConfig } from "./index";

export const productionGuardRails: Rule<PlatformConfig>[] = [
    // Production guard rails: checks, never silent overrides.
    (c, p) => {
        if (c.environment !== "prod" || c.decommission) return [];
        const out: ConfigProblem[] = [];
        const why = "required in prod";
        if (!c.protect) out.push(problem(p, ["protect"], c.protect, `true (${why}: deletion protection and final snapshots)`, true));
        if (!c.database.multiAz) out.push(problem(p, ["database", "multiAz"], c.database.multiAz, `true (${why}: a standby survives an AZ outage)`, true));
        if (c.database.backupRetentionDays < 7) out.push(problem(p, ["database", "backupRetentionDays"], c.database.backupRetentionDays, `at least 7 (${why})`, 7));
        if (!c.database.backupPlan.enabled) out.push(problem(p, ["database", "backupPlan", "enabled"], c.database.backupPlan.enabled, `true (${why}: recovery points that outlive the instance)`, true));
        if (c.database.backupPlan.copyRegion === "") out.push(problem(p, ["database", "backupPlan", "copyRegion"], c.database.backupPlan.copyRegion, `another AWS region (${why}: a copy that survives a regional outage)`, "us-west-2"));
        if (c.network.natGateways !== "perAz") out.push(problem(p, ["network", "natGateways"], c.network.natGateways, `"perAz" (${why}: egress survives an AZ outage)`, "perAz"));
        if (c.network.availabilityZoneCount < 3) out.push(problem(p, ["network", "availabilityZoneCount"], c.network.availabilityZoneCount, `at least 3 (${why})`, 3));
        if (!c.cache.multiAz) out.push(problem(p, ["cache", "multiAz"], c.cache.multiAz, `true (${why})`, true));
        if (c.cache.snapshotRetentionDays < 1) out.push(problem(p, ["cache", "snapshotRetentionDays"], c.cache.snapshotRetentionDays, `at least 1 (${why}: a daily snapshot to restore the cache from)`, 7));
        if (c.secrets.recoveryWindowDays < 7) out.push(problem(p, ["secrets", "recoveryWindowDays"], c.secrets.recoveryWindowDays, `at least 7 (${why}: a deleted secret can be restored)`, 30));
        // With at least 3 AZs (above), one node per AZ is at least 3 nodes, and an AZ outage leaves nodes in the others.
        if (c.cluster.nodes.minSizePerAz < 1) out.push(problem(p, ["cluster", "nodes", "minSizePerAz"], c.cluster.nodes.minSizePerAz, `at least 1 (${why}: a node in every AZ, where that AZ's EBS volumes can attach)`, 1));
        // AWS Foundational Security Best Practices EKS.1: no API endpoint open to the internet.
        const k = c.cluster;
        const fixedCidrs = k.publicAccessCidrs.filter((cidr) => !cidr.trim().endsWith("/0"));
        if (k.endpointPublicAccess && fixedCidrs.length < k.publicAccessCidrs.length) {
            const refused = problem(p, ["cluster", "publicAccessCidrs"], k.publicAccessCidrs,
                `no world-open CIDR (${why}: AWS Security Hub EKS.1); set cluster.endpointPublicAccess false and deploy from inside the VPC (a self-hosted runner), or list your fixed egress CIDRs`,
                fixedCidrs);
            // With no fixed CIDR left, the fix is the private endpoint.
            out.push(fixedCidrs.length > 0 ? refused : {
                ...refused,
                fix: `pulumi config set --path '${p}:cluster.endpointPublicAccess' false && pulumi config rm --path '${p}:cluster.publicAccessCidrs'`,
            });
        }
        return out;
    },
];

export const productionAppRules: Rule<PlatformConfig>[] = [
    // Prod keeps two pods of the app through a node or AZ loss.
    (c, p) => {
        const a = c.app;
        const out: ConfigProblem[] = [];
        if (c.environment === "prod" && a.minReplicas < 2) {
            out.push(problem(p, ["app", "minReplicas"], a.minReplicas, "at least 2 (required in prod: one pod is an outage on every node drain)", 2));
        }
        return out;
    },
];
