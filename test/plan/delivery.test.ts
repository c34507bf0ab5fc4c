import * as assert from "node:assert/strict";
import { formatDelivery } from "../../scripts/plan/delivery";
import { stackPlan } from "./helpers";

describe("plan delivery line (scripts/plan/delivery.ts)", function () {
    this.timeout(60_000);

    it("says prod's canary splits traffic by exact ALB weights, with its steps, analysis and wait", async () => {
        assert.equal(formatDelivery(await stackPlan("prod")), [
            "Delivery: canary on Argo Rollouts, traffic exact weights at the ALB (weighted target groups of the stable and canary Services).",
            "  steps: 5% 5m -> 25% 5m -> 50% 10m -> 100%; background analysis from the first step (a failure aborts: weight back to 0); pulumi up waits for the release gate (Job orders-rollout-gate): it fails as soon as the Rollout is Degraded (after an abort the stable version serves), and if the release is not Healthy within 46 min.",
        ].join("\n"));
    });

    it("says dev's canary, without an ALB Ingress, splits by pod count", async () => {
        assert.match(formatDelivery(await stackPlan("dev"))!, /^Delivery: canary on Argo Rollouts, traffic by pod count \(replica-ratio: no ALB Ingress.*\n {2}steps: 25% 1m -> 50% 1m -> 100%; background analysis/);
    });

    it("describes a blue-green stack's promotion and a rolling stack as such", async () => {
        const bg = await stackPlan("pr-1", { "platform:app": { deliveryStrategy: "blueGreen", blueGreen: { autoPromotionSeconds: 120, scaleDownDelaySeconds: 60 } } });
        assert.match(formatDelivery(bg)!, /^Delivery: blue-green on Argo Rollouts: the new colour behind orders-preview, then automatic promotion after 120 s; pre-promotion analysis on the preview colour; the old colour kept 60 s/);
        const manual = await stackPlan("pr-1", { "platform:app": { deliveryStrategy: "blueGreen" } });
        assert.match(formatDelivery(manual)!, /then manual promotion \(kubectl argo rollouts promote\)/);
        assert.match(formatDelivery(await stackPlan("pr-1"))!, /^Delivery: rolling update of the Deployment/);
    });
});
