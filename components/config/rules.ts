/** Rules that read more than one section (or the stack itself): each names the keys to change. */
import { problem, type ConfigProblem, type Rule } from "./engine";
import { instanceMemoryMiB } from "../cluster/config";
import type { PlatformConfig } from "./index";
import { ENVIRONMENTS } from "./stack";
import { isSharedReview } from "../review/config";

/** The share of a node's memory one observability pod may request (Elasticsearch, Prometheus). */
export const MAX_POD_SHARE_OF_NODE_MEMORY = 0.75;

export const crossSectionRules: Rule<PlatformConfig>[] = [
    // The AWS Backup plan only on protected stacks. An unprotected stack must destroy in one run,
    // and a vault holding RDS recovery points does not: forceDestroy deletes the recovery points,
    // but RDS deletes their snapshots asynchronously, so DeleteBackupVault fails ("contains
    // recovery points") until a second destroy (hashicorp/terraform-provider-aws#37774).
    // Unprotected stacks keep RDS's automated backups and point-in-time recovery. A prod stack being
    // decommissioned keeps its plan: its vaults are retained on destroy, recovery points and all.
    (c, p) => {
        const b = c.database.backupPlan;
        return b.enabled && !c.protect && !c.decommission
            ? [problem(p, ["database", "backupPlan", "enabled"], b.enabled,
                "false while protect is false: a vault with RDS recovery points cannot be deleted in one `pulumi destroy` " +
                "(RDS deletes their snapshots asynchronously, so DeleteBackupVault fails until a second run: " +
                "hashicorp/terraform-provider-aws#37774); RDS automated backups and point-in-time recovery stay on. " +
                "To keep the plan, set protect true instead: pulumi config set 'platform:protect' true", false)]
            : [];
    },
    // A cross-region copy needs a plan to copy from (so a protected stack) and another region to copy to.
    (c, p) => {
        const b = c.database.backupPlan;
        if (b.copyRegion === "") return [];
        if (!c.protect && !c.decommission) {
            return [problem(p, ["database", "backupPlan", "copyRegion"], b.copyRegion,
                '"" while protect is false: there is no backup plan to copy from on an unprotected stack', "")];
        }
        if (!b.enabled) {
            return [problem(p, ["database", "backupPlan", "enabled"], b.enabled,
                `true while database.backupPlan.copyRegion is set ("${b.copyRegion}"): there is nothing to copy without the plan`, true)];
        }
        return b.copyRegion === c.region
            ? [problem(p, ["database", "backupPlan", "copyRegion"], b.copyRegion,
                `a region other than aws:region (${c.region}): a copy in the same region does not survive a regional outage`, c.region === "us-west-2" ? "us-east-2" : "us-west-2")]
            : [];
    },
    // A canary or blue-green app needs the Argo Rollouts controller the cluster layer installs.
    (c, p) => c.cluster.argoRollouts === false && c.app.deliveryStrategy !== "rolling"
        ? [problem(p, ["cluster", "argoRollouts"], false,
            `true (or absent) while platform:app.deliveryStrategy is "${c.app.deliveryStrategy}": its Rollout needs the Argo Rollouts controller; or set the strategy to rolling`, true)]
        : [],
    // A shared-mode review environment is rolling: the Rollout's controller would be the host's,
    // and a review namespace never switches strategy (review-environment.ts: alwaysRolling).
    (c, p) => isSharedReview(c) && c.app.deliveryStrategy !== "rolling"
        ? [problem(p, ["app", "deliveryStrategy"], c.app.deliveryStrategy,
            '"rolling" on a shared-mode review stack (canary and blue-green run on dev and prod; a full-mode review stack may use them)', "rolling")]
        : [],
    // The stack name and the environment agree: a stack called prod is the prod environment.
    (c, p) => {
        const named = (ENVIRONMENTS as readonly string[]).includes(c.stack) ? c.stack : /^pr-\d+$/.test(c.stack) ? "review" : undefined;
        return named && named !== c.environment
            ? [problem(p, ["environment"], c.environment, `"${named}" for the stack named "${c.stack}"`, named)]
            : [];
    },
];

export const observabilityFitRules: Rule<PlatformConfig>[] = [
    (c, p) => {
        const o = c.observability;
        const out: ConfigProblem[] = [];
        // The two big pods (memory request = limit) must each fit on one general node, with room
        // left for kube-reserved, the DaemonSets and the system pods: otherwise they stay Pending
        // whatever the node count. Judged on the smallest instance type of cluster.nodes whose
        // memory is known (instanceMemoryMiB); unknown types are not judged.
        const known = c.cluster.nodes.instanceTypes
            .map((type) => ({ type, memoryMiB: instanceMemoryMiB(type) }))
            .filter((t): t is { type: string; memoryMiB: number } => t.memoryMiB !== undefined)
            .sort((a, b) => a.memoryMiB - b.memoryMiB);
        if (known.length > 0) {
            const smallest = known[0];
            const podMaxMiB = Math.floor(smallest.memoryMiB * MAX_POD_SHARE_OF_NODE_MEMORY);
            const onNode = `${smallest.type} (${smallest.memoryMiB} MiB), the smallest of cluster.nodes.instanceTypes: one pod may ask for at most ${MAX_POD_SHARE_OF_NODE_MEMORY * 100}% of a node (${podMaxMiB} MiB), the rest is kube-reserved, DaemonSets and system pods; or choose bigger instance types`;
            if (o.elasticsearchMemoryGiB * 1024 > podMaxMiB) {
                out.push(problem(p, ["observability", "elasticsearchMemoryGiB"], o.elasticsearchMemoryGiB,
                    `at most ${Math.floor(podMaxMiB / 1024)} (GiB) so an Elasticsearch node fits on ${onNode}`, Math.max(2, Math.floor(podMaxMiB / 1024))));
            }
            if (o.prometheusMemoryMiB > podMaxMiB) {
                out.push(problem(p, ["observability", "prometheusMemoryMiB"], o.prometheusMemoryMiB,
                    `at most ${podMaxMiB} (MiB) so Prometheus fits on ${onNode}`, Math.max(512, podMaxMiB)));
            }
        }
        return out;
    },
];
