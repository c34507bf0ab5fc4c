/**
 * How the plan's app delivers a new image (issue 11): read from the captured Rollout (or its
 * absence), so the line shows what the program declares, not what the config meant. Printed by
 * report.ts; a reviewer sees here whether canary traffic is split by exact ALB weights or by pod
 * counts, the steps, the analysis gate and how long `pulumi up` waits for the promotion.
 */
import { ROLLOUT_GATE_NAME } from "../../components/delivery/rollout-gate";
import type { PlanDocument, PlanResource } from "./model";

const ROLLOUT = "kubernetes:argoproj.io/v1alpha1:Rollout";
const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const JOB = "kubernetes:batch/v1:Job";

/** The delivery line(s) of a plan; undefined when it deploys no app. */
export function formatDelivery(plan: PlanDocument): string | undefined {
    const rollout = plan.resources.find((r) => r.type === ROLLOUT);
    if (!rollout) {
        return plan.resources.some((r) => r.type === DEPLOYMENT && r.name.endsWith("-app-deployment"))
            ? "Delivery: rolling update of the Deployment (maxUnavailable 0) beside the image's migration Job (new pods are ready only once the schema has their migration); no canary, no analysis."
            : undefined;
    }
    const gate = plan.resources.find((r) => r.type === JOB && r.inputs.metadata?.labels?.["app.kubernetes.io/name"] === ROLLOUT_GATE_NAME);
    return rolloutLines(rollout, gate).join("\n");
}

function rolloutLines(r: PlanResource, gate: PlanResource | undefined): string[] {
    const spec = (r.inputs.spec ?? {}) as Record<string, any>;
    const wait = Number(gate?.inputs.spec?.activeDeadlineSeconds);
    const waits = Number.isFinite(wait)
        ? `; pulumi up waits for the release gate (Job ${gate!.inputs.metadata?.name}): it fails as soon as the Rollout is Degraded (after an abort the stable version serves), and if the release is not Healthy within ${Math.round(wait / 60)} min`
        : "; no release gate, so pulumi up does not wait for the controller's verdict";
    const canary = spec.strategy?.canary;
    if (canary) {
        const steps: string[] = [];
        let weight: number | undefined;
        for (const s of canary.steps ?? []) {
            if (s.setWeight !== undefined) weight = s.setWeight;
            if (s.pause !== undefined && weight !== undefined) steps.push(`${weight}% ${s.pause.duration ?? "until promoted"}`);
        }
        const traffic = canary.trafficRouting?.alb
            ? "exact weights at the ALB (weighted target groups of the stable and canary Services)"
            : "by pod count (replica-ratio: no ALB Ingress, so a weight is a share of the pods)";
        const analysis = canary.analysis?.templates?.length ? "background analysis from the first step (a failure aborts: weight back to 0)" : "no analysis";
        return [
            `Delivery: canary on Argo Rollouts, traffic ${traffic}.`,
            `  steps: ${[...steps, "100%"].join(" -> ")}; ${analysis}${waits}.`,
        ];
    }
    const bg = spec.strategy?.blueGreen ?? {};
    const promotion = bg.autoPromotionEnabled === false ? "manual promotion (kubectl argo rollouts promote)" : `automatic promotion after ${bg.autoPromotionSeconds ?? 0} s`;
    const analysis = bg.prePromotionAnalysis ? "pre-promotion analysis on the preview colour" : "no analysis";
    return [
        `Delivery: blue-green on Argo Rollouts: the new colour behind ${bg.previewService ?? "the preview Service"}, then ${promotion}; ${analysis}; the old colour kept ${bg.scaleDownDelaySeconds ?? 30} s for an instant rollback${waits}.`,
    ];
}
